/*
** measure.h -- check, then time, one candidate on one shape (worker side).
**
** ar_shape_setup makes fresh random inputs for a shape, uploads them and
** computes the reference output: in double precision on the host for the
** host backend, with the backend's reference kernel otherwise (itself
** cross-checked against the double reference when the shape is small).
** ar_measure_candidate poisons the output with NaN, runs the candidate once,
** compares with the reference (relative error ||out-ref|| / ||ref||; NaN or
** above tolerance = wrong, never timed), then times it: warm-up, then
** repetitions until both a minimum count and a minimum time (or a cap), the
** cache flushed before each, device events around each; median, p10, p90.
*/
#ifndef AR_MEASURE_H
#define AR_MEASURE_H

#include "candidate.h"
#include "outcome.h"
#include "shape.h"
#include "workload.h"

typedef struct ar_timing_policy {
  int warmup;          /* untimed runs first */
  int min_reps;        /* at least this many timed runs ... */
  double min_ms;       /* ... and at least this much timed time */
  int max_reps;        /* stop here regardless */
  double max_ms;       /* stop here once min_reps are done */
  int flush_cache;     /* evict the last-level cache before each run */
  double prune_factor; /* stop at 3 reps when median > factor x best so far (0 = off) */
  double tolerance;    /* max relative error */
  int graph;           /* 1: each candidate captured once into a CUDA/HIP graph and the
                          graph replayed (as engines replay decode steps); 0: eager launches */
} ar_timing_policy;

/* Defaults for a backend ("host" times fewer, shorter). */
void ar_timing_policy_default(ar_timing_policy *t, const char *backend);
/* The policy as the run table stores it, e.g. (the CUDA/HIP defaults)
** "warmup=3,min_reps=10,min_ms=20,max_reps=300,max_ms=400,flush_cache=1,prune=4,tol=0.02,
** clock=events,inputs=fresh_random_per_shape", with ",launch=graph" appended
** under the graph policy (eager: the string as it always was, so eager dbs
** keep comparing with older ones). */
void ar_timing_policy_describe(const ar_timing_policy *t, char *buf, size_t len);

typedef struct ar_result {
  ar_status status;
  double median_us, p10_us, p90_us;
  int32_t reps;
  double rel_err;     /* < 0: not checked */
  int context_lost;   /* the device context is unusable: restart the worker */
  char message[256];
} ar_result;

typedef struct ar_shape_run {
  ar_inputs in;
  ar_workload w;
  int have_w;
  uint16_t *out_host;   /* download buffer, total_q * Hq * D */
  float *ref;           /* reference output as float */
  double ref_norm;
  size_t out_elems;
} ar_shape_run;

/* Depth of the split-KV scratch every workload gets (most splits any
** candidate may use). */
#define AR_MAX_SPLITS 64

/* Returns 0, or -1 with err (and context_lost set when the device died). */
int ar_shape_setup(ar_backend *b, const ar_device_info *dev, const ar_shape *s, uint64_t seed,
                   const ar_loaded *ref_kernels, ar_shape_run *r, int *context_lost, char *err,
                   size_t errlen);
void ar_shape_teardown(ar_backend *b, ar_shape_run *r);

/* best_us: fastest median so far on this shape (0 = none) for pruning. */
void ar_measure_candidate(ar_backend *b, ar_shape_run *r, const ar_candidate *c, const ar_loaded *k,
                          const ar_timing_policy *t, double best_us, ar_result *out);

#endif /* AR_MEASURE_H */
