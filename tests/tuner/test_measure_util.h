/*
** test_measure_util.h -- for the tests of the measuring path (header only):
** the host backend opened and one shape's inputs set up on it.
*/
#ifndef AR_TEST_MEASURE_UTIL_H
#define AR_TEST_MEASURE_UTIL_H

#include <stdint.h>
#include <string.h>

#include "backend.h"
#include "measure.h"
#include "test_host_util.h"

/* Opens the host backend and sets up ns sequences of sq new tokens after a
** cached prefix of `cached` (hq/hkv heads, head dim 64, page 16, causal)
** into *run with inputs from seed; exits with a message on failure. */
static inline ar_backend *test_host_shape(int ns, int hq, int hkv, int sq, int cached, uint64_t seed,
                                          ar_shape_run *run) {
  ar_backend *b = NULL;
  char err[512];
  CHECK_MSG(ar_backend_open("host", &b, err, sizeof err) == 0, "%s", err);
  ar_device_info dev;
  CHECK(b->ops->device_info(b, &dev) == 0);
  ar_shape s;
  memset(&s, 0, sizeof s);
  s.p = test_problem(ns, hq, hkv, 64, 16, 1);
  s.seqlen_q = sq;
  s.cached = cached;
  s.p.max_seqlen_q = sq;
  s.p.max_seqlen_k = sq + cached;
  s.p.has_cached = cached > 0;
  int lost = 0;
  CHECK_MSG(ar_shape_setup(b, &dev, &s, seed, NULL, run, &lost, err, sizeof err) == 0, "%s", err);
  return b;
}

#endif
