/*
** test_host_util.h -- helpers shared by the host tuner tests (header only):
** CHECK macros that exit with file:line, bf16 output comparison against the
** double reference, and running a candidate on the host backend.
*/
#ifndef AR_TEST_HOST_UTIL_H
#define AR_TEST_HOST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "candidate.h"
#include "workload.h"

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
      exit(1);                                                                     \
    }                                                                              \
  } while (0)

#define CHECK_MSG(cond, ...)                                                       \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);    \
      fprintf(stderr, __VA_ARGS__);                                                \
      fputc('\n', stderr);                                                         \
      exit(1);                                                                     \
    }                                                                              \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                      \
  CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.9g vs %.9g", (double)(a), \
            (double)(b))

/* A causal bf16 problem without a window; lengths are set by the caller. */
static inline attnroute_problem test_problem(int ns, int hq, int hkv, int d, int page,
                                             int sinks) {
  attnroute_problem p;
  memset(&p, 0, sizeof p);
  p.num_seqs = ns;
  p.num_q_heads = hq;
  p.num_kv_heads = hkv;
  p.head_dim = d;
  p.q_dtype = p.kv_dtype = ATTNROUTE_DTYPE_BF16;
  p.has_sinks = sinks;
  p.sliding_window = -1;
  p.kv_block_size = page;
  p.causal = 1;
  return p;
}

/* ||out - ref|| / ||ref|| over n bf16 outputs; ||out - ref|| when ref is all
** zero; INFINITY when any output is NaN or infinite. */
static inline double test_rel_err(const uint16_t *out, const double *ref, size_t n) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; i++) {
    double o = ar_bf16_to_float(out[i]);
    if (!isfinite(o)) return INFINITY;
    num += (o - ref[i]) * (o - ref[i]);
    den += ref[i] * ref[i];
  }
  return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

/* Load c's kernels on b into k; 0 or -1 (message printed). */
static inline int test_load(ar_backend *b, const ar_candidate *c, ar_loaded *k) {
  void *mods[AR_MAX_MODULES] = {0};
  memset(k, 0, sizeof *k);
  for (int i = 0; i < AR_MAX_MODULES && c->modules[i]; i++)
    if (b->ops->module_load(b, c->modules[i], &mods[i]) != 0) {
      fprintf(stderr, "%s: %s\n", c->name, b->ops->error_text(b));
      return -1;
    }
  for (int i = 0; i < AR_MAX_KERNELS && c->kernels[i]; i++) {
    const char *colon = strchr(c->kernels[i], ':');
    int mi = atoi(c->kernels[i]);
    if (!colon || mi < 0 || mi >= AR_MAX_MODULES || !mods[mi]) return -1;
    if (b->ops->module_function(b, mods[mi], colon + 1, &k->fn[i]) != 0) {
      fprintf(stderr, "%s: %s\n", c->name, b->ops->error_text(b));
      return -1;
    }
  }
  return 0;
}

#endif /* AR_TEST_HOST_UTIL_H */
