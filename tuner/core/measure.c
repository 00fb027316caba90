/*
** measure.c -- check, then time, one candidate on one shape (see measure.h).
*/
#include "measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* bf16 quiet NaN in both halves: poisons outputs before every check. */
#define AR_NAN_PATTERN 0x7FC07FC0u
/* Shapes up to this many FLOPs also get the device reference checked
** against the double-precision host reference. */
#define AR_REF_CROSSCHECK_FLOPS 5e8

void ar_timing_policy_default(ar_timing_policy *t, const char *backend) {
  const ar_backend_traits *traits = ar_backend_traits_of(backend);
  int host = traits && traits->on_cpu;
  t->warmup = host ? 1 : 3;
  t->min_reps = host ? 3 : 10;
  t->min_ms = host ? 5 : 20;
  t->max_reps = host ? 50 : 300;
  t->max_ms = host ? 300 : 400;
  t->flush_cache = 1;
  t->prune_factor = 4.0;
  t->tolerance = 2e-2;
  t->graph = 0;
}

void ar_timing_policy_describe(const ar_timing_policy *t, char *buf, size_t len) {
  snprintf(buf, len,
           "warmup=%d,min_reps=%d,min_ms=%g,max_reps=%d,max_ms=%g,flush_cache=%d,prune=%g,tol=%g,"
           "clock=events,inputs=fresh_random_per_shape",
           t->warmup, t->min_reps, t->min_ms, t->max_reps, t->max_ms, t->flush_cache, t->prune_factor,
           t->tolerance);
  if (t->graph) {
    size_t n = strlen(buf);
    if (n < len) snprintf(buf + n, len - n, ",launch=graph");
  }
}

static double wall_ms(void) { return ar_clock_s() * 1e3; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Percentile q in [0,1] of sorted v (nearest rank). */
static double percentile(const double *v, int n, double q) {
  int i = (int)floor(q * (n - 1) + 0.5);
  return v[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

/* Relative error of the downloaded output against r->ref; -1 if NaN. */
static double relative_error(const ar_shape_run *r, size_t *nan_index) {
  double diff = 0;
  for (size_t i = 0; i < r->out_elems; i++) {
    float o = ar_bf16_to_float(r->out_host[i]);
    if (isnan(o) || isinf(o)) {
      *nan_index = i;
      return -1;
    }
    double d = (double)o - r->ref[i];
    diff += d * d;
  }
  return r->ref_norm > 0 ? sqrt(diff) / r->ref_norm : sqrt(diff);
}

static void set_ref_norm(ar_shape_run *r) {
  double n = 0;
  for (size_t i = 0; i < r->out_elems; i++) n += (double)r->ref[i] * r->ref[i];
  r->ref_norm = sqrt(n);
}

/* Run the device reference kernel into w.out and download it into r->ref. */
static int device_reference(ar_backend *b, ar_shape_run *r, const ar_loaded *k, int *lost, char *err,
                            size_t errlen) {
  const ar_candidate *ref = ar_reference_candidate(b->ops->name);
  if (!ref || !k) {
    snprintf(err, errlen, "%s: no reference kernel", b->ops->name);
    return -1;
  }
  size_t bytes = r->out_elems * 2;
  if (b->ops->fill32(b, r->w.out, AR_NAN_PATTERN, bytes) || ref->run(ref, b, k, &r->w) || b->ops->synchronize(b) ||
      b->ops->download(b, r->out_host, r->w.out, bytes)) {
    snprintf(err, errlen, "reference kernel failed: %s", b->ops->error_text(b));
    *lost = 1;
    return -1;
  }
  for (size_t i = 0; i < r->out_elems; i++) {
    r->ref[i] = ar_bf16_to_float(r->out_host[i]);
    if (isnan(r->ref[i])) {
      snprintf(err, errlen, "reference kernel left NaN at element %zu", i);
      return -1;
    }
  }
  return 0;
}

/* Check the device reference against the exact one on small shapes. */
static int crosscheck_reference(ar_shape_run *r, const ar_shape *s, char *err, size_t errlen) {
  if (ar_shape_flops(s) > AR_REF_CROSSCHECK_FLOPS) return 0;
  double *exact = malloc(r->out_elems * sizeof *exact);
  if (!exact) return 0;
  ar_reference_attention(&r->in, exact);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < r->out_elems; i++) {
    double d = exact[i] - r->ref[i];
    diff += d * d;
    norm += exact[i] * exact[i];
  }
  free(exact);
  double rel = norm > 0 ? sqrt(diff / norm) : sqrt(diff);
  if (!(rel < 1e-2)) {
    snprintf(err, errlen, "device reference kernel disagrees with the exact reference: rel err %.3g", rel);
    return -1;
  }
  return 0;
}

int ar_shape_setup(ar_backend *b, const ar_device_info *dev, const ar_shape *s, uint64_t seed,
                   const ar_loaded *ref_kernels, ar_shape_run *r, int *context_lost, char *err,
                   size_t errlen) {
  memset(r, 0, sizeof *r);
  *context_lost = 0;
  int made = s->seqs ? ar_inputs_make_ragged(&r->in, &s->p, s->seqs, seed, err, errlen)
                     : ar_inputs_make(&r->in, &s->p, s->seqlen_q, s->cached, seed, err, errlen);
  if (made) return -1;
  int max_splits = AR_MAX_SPLITS;
  if (ar_workload_upload(b, &r->in, max_splits, dev->cu_count, &r->w, err, errlen)) {
    ar_inputs_free(&r->in);
    *context_lost = 1;
    return -1;
  }
  r->have_w = 1;
  r->w.wgp_count = dev->wgp_count; /* the gluon rule's count (families.c) */
  r->out_elems = (size_t)r->in.total_q * s->p.num_q_heads * s->p.head_dim;
  r->out_host = malloc(r->out_elems * sizeof *r->out_host);
  r->ref = malloc(r->out_elems * sizeof *r->ref);
  if (!r->out_host || !r->ref) {
    snprintf(err, errlen, "out of host memory for %zu output elements", r->out_elems);
    ar_shape_teardown(b, r);
    return -1;
  }
  const ar_backend_traits *traits = ar_backend_traits_of(b->ops->name);
  if (traits && traits->on_cpu) { /* no device to spare: the exact reference */
    double *exact = malloc(r->out_elems * sizeof *exact);
    if (!exact) {
      snprintf(err, errlen, "out of host memory for the reference");
      ar_shape_teardown(b, r);
      return -1;
    }
    ar_reference_attention(&r->in, exact);
    for (size_t i = 0; i < r->out_elems; i++) r->ref[i] = (float)exact[i];
    free(exact);
  } else if (device_reference(b, r, ref_kernels, context_lost, err, errlen) ||
             crosscheck_reference(r, s, err, errlen)) {
    ar_shape_teardown(b, r);
    return -1;
  }
  set_ref_norm(r);
  return 0;
}

void ar_shape_teardown(ar_backend *b, ar_shape_run *r) {
  if (r->have_w) ar_workload_free(b, &r->w);
  r->have_w = 0;
  ar_inputs_free(&r->in);
  free(r->out_host);
  free(r->ref);
  r->out_host = NULL;
  r->ref = NULL;
}

static void device_failure(ar_backend *b, ar_result *out, const char *what) {
  out->status = AR_STATUS_FAULT;
  out->context_lost = 1;
  snprintf(out->message, sizeof out->message, "%s: %s", what, b->ops->error_text(b));
}

/* Check: poison, run once, compare.  0 when correct. */
static int check_once(ar_backend *b, ar_shape_run *r, const ar_candidate *c, const ar_loaded *k,
                      const ar_timing_policy *t, ar_result *out) {
  size_t bytes = r->out_elems * 2;
  if (b->ops->fill32(b, r->w.out, AR_NAN_PATTERN, bytes)) {
    device_failure(b, out, "poisoning the output");
    return -1;
  }
  if (c->run(c, b, k, &r->w) || b->ops->synchronize(b)) {
    device_failure(b, out, "run");
    return -1;
  }
  if (b->ops->download(b, r->out_host, r->w.out, bytes)) {
    device_failure(b, out, "download");
    return -1;
  }
  size_t nan_at = 0;
  double rel = relative_error(r, &nan_at);
  if (rel < 0) {
    out->status = AR_STATUS_WRONG;
    out->rel_err = -1;
    snprintf(out->message, sizeof out->message, "NaN/Inf in output at element %zu (unwritten or overflow)",
             nan_at);
    return -1;
  }
  out->rel_err = rel;
  if (!(rel <= t->tolerance)) {
    out->status = AR_STATUS_WRONG;
    snprintf(out->message, sizeof out->message, "relative error %.3g above tolerance %.3g", rel, t->tolerance);
    return -1;
  }
  return 0;
}

/* Enqueue up to `n` timed repetitions, each between its own pair of events
** (cache flushed before each, outside the events), then wait once and read
** them: no host round trip between repetitions. */
#define AR_TIMING_BATCH 16
/* One timed call: the candidate's launches, or (graph policy) its graph. */
static int run_once(ar_backend *b, const ar_candidate *c, const ar_loaded *k, const ar_workload *w,
                    void *graph) {
  return graph ? b->ops->graph_launch(b, graph) : c->run(c, b, k, w);
}

/* How many repetitions the next batch enqueues: 3 at first, so pruning can
** act early; then what the minimum count and the minimum time still need at
** the mean so far (a 100 ms kernel stops at min_reps, not at 3 + a full
** batch), within AR_TIMING_BATCH and what max_reps leaves. */
static int next_batch(int n, double total_ms, const ar_timing_policy *t, int cap) {
  int want;
  if (n < 3) {
    want = 3 - n;
  } else {
    double mean_ms = total_ms / n;
    double for_time = mean_ms > 0 ? ceil((t->min_ms - total_ms) / mean_ms) : AR_TIMING_BATCH;
    int for_count = t->min_reps - n;
    want = for_time > AR_TIMING_BATCH ? AR_TIMING_BATCH : (int)for_time;
    if (want < for_count) want = for_count;
    if (want < 1) want = 1;
    if (want > AR_TIMING_BATCH) want = AR_TIMING_BATCH;
  }
  return want > cap - n ? cap - n : want;
}

static int time_batch(ar_backend *b, const ar_candidate *c, const ar_loaded *k, const ar_workload *w,
                      const ar_timing_policy *t, void *graph, void **e0, void **e1, int n, double *us) {
  for (int i = 0; i < n; i++) {
    if (t->flush_cache && b->ops->flush_cache && b->ops->flush_cache(b)) return -1;
    if (b->ops->event_record(b, e0[i]) || run_once(b, c, k, w, graph) || b->ops->event_record(b, e1[i])) return -1;
  }
  for (int i = 0; i < n; i++) {
    float ms = 0;
    if (b->ops->event_elapsed_ms(b, e0[i], e1[i], &ms)) return -1;
    us[i] = (double)ms * 1000.0;
  }
  return 0;
}

void ar_measure_candidate(ar_backend *b, ar_shape_run *r, const ar_candidate *c, const ar_loaded *k,
                          const ar_timing_policy *t, double best_us, ar_result *out) {
  memset(out, 0, sizeof *out);
  out->rel_err = -1;
  if (check_once(b, r, c, k, t, out)) return;

  void *e0[AR_TIMING_BATCH] = {0}, *e1[AR_TIMING_BATCH] = {0};
  void *graph = NULL;
  if (t->graph) {
    /* Captured once after the (eager) check, replayed for warm-up and timing. */
    const ar_backend_ops *o = b->ops;
    if (!o->graph_begin || !o->graph_end || !o->graph_launch || !o->graph_destroy) {
      out->status = AR_STATUS_FAULT;
      snprintf(out->message, sizeof out->message, "the %s backend cannot capture graphs", b->ops->name);
      return;
    }
    if (b->ops->graph_begin(b)) {
      device_failure(b, out, "graph capture");
      return;
    }
    int run_rc = c->run(c, b, k, &r->w);
    int end_rc = b->ops->graph_end(b, &graph);
    if (run_rc || end_rc) {
      device_failure(b, out, "graph capture");
      if (graph) b->ops->graph_destroy(b, graph);
      return;
    }
  }
  for (int i = 0; i < AR_TIMING_BATCH; i++)
    if (b->ops->event_create(b, &e0[i]) || b->ops->event_create(b, &e1[i])) {
      device_failure(b, out, "event create");
      goto done;
    }
  for (int i = 0; i < t->warmup; i++)
    if (run_once(b, c, k, &r->w, graph)) {
      device_failure(b, out, "warm-up run");
      goto done;
    }
  if (b->ops->synchronize(b)) {
    device_failure(b, out, "warm-up");
    goto done;
  }
  int cap = t->max_reps > 0 ? t->max_reps : 1;
  double *times = malloc((size_t)cap * sizeof *times), *sorted = malloc((size_t)cap * sizeof *sorted);
  if (!times || !sorted) {
    free(times);
    free(sorted);
    out->status = AR_STATUS_FAULT;
    snprintf(out->message, sizeof out->message, "out of host memory");
    goto done;
  }
  /* Wall time, cache flushes included, is capped too: a tiny kernel
  ** never reaches min_ms of timed time before max_reps flushes. */
  double total_ms = 0, wall_start = wall_ms(), wall_cap = t->max_ms > t->min_ms ? t->max_ms : t->min_ms;
  int n = 0;
  while (n < cap) {
    int want = next_batch(n, total_ms, t, cap);
    if (time_batch(b, c, k, &r->w, t, graph, e0, e1, want, &times[n])) {
      device_failure(b, out, "timed run");
      free(times);
      free(sorted);
      goto done;
    }
    for (int i = 0; i < want; i++) total_ms += times[n + i] / 1000.0;
    n += want;
    if (n >= t->min_reps && total_ms >= t->min_ms) break;
    if (n >= t->min_reps && total_ms >= t->max_ms) break;
    if (n >= t->min_reps && wall_ms() - wall_start >= 4 * wall_cap) break;
    if (n >= 3 && best_us > 0 && t->prune_factor > 0) {
      memcpy(sorted, times, (size_t)n * sizeof *sorted);
      qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
      if (sorted[n / 2] > t->prune_factor * best_us) break; /* clearly not a winner */
    }
  }
  memcpy(sorted, times, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
  out->status = AR_STATUS_OK;
  out->reps = n;
  out->median_us = percentile(sorted, n, 0.5);
  out->p10_us = percentile(sorted, n, 0.1);
  out->p90_us = percentile(sorted, n, 0.9);
  free(times);
  free(sorted);
done:
  for (int i = 0; i < AR_TIMING_BATCH; i++) {
    if (e0[i]) b->ops->event_destroy(b, e0[i]);
    if (e1[i]) b->ops->event_destroy(b, e1[i]);
  }
  if (graph) b->ops->graph_destroy(b, graph);
}
