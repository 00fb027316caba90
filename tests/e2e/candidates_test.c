/*
** candidates_test.c -- deliberately bad host candidates, so the tests can
** prove that a candidate which crashes, hangs or computes garbage is
** recorded as fault / timeout / wrong, never wins, and does not take the
** tuner down.  Only in the test build of the tuner (tune_faults.c), which
** adds them to the host's candidates; the shipped tuner has none of them.
*/
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "candidates_test.h"

#define TEST_CAPS                                                                              \
  {                                                                                            \
    .head_dim_mask = 0xffffu, .q_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16,                      \
    .kv_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16, .sinks = ATTNROUTE_CAP_OPTIONAL,              \
    .window = ATTNROUTE_CAP_OPTIONAL, .causal = ATTNROUTE_CAP_OPTIONAL                         \
  }

/* Dies the way an illegal memory access kills a process. */
static int run_fault(const ar_candidate *c, ar_backend *b, const ar_loaded *k, const ar_workload *w) {
  (void)c; (void)b; (void)k; (void)w;
  raise(SIGSEGV);
  return 0;
}

/* Never returns (a kernel stuck in a loop). */
static int run_hang(const ar_candidate *c, ar_backend *b, const ar_loaded *k, const ar_workload *w) {
  (void)c; (void)b; (void)k; (void)w;
  for (;;) pause();
  return 0;
}

/* Finishes quickly with a plausible but wrong answer (ones everywhere). */
static int run_wrong(const ar_candidate *c, ar_backend *b, const ar_loaded *k, const ar_workload *w) {
  (void)c; (void)k;
  size_t elems = (size_t)w->total_q * w->p.num_q_heads * w->p.head_dim;
  return b->ops->fill32(b, w->out, 0x3F803F80u, elems * 2); /* bf16 1.0 pairs */
}

/* Leaves the output untouched (still NaN-poisoned): an unwritten output. */
static int run_lazy(const ar_candidate *c, ar_backend *b, const ar_loaded *k, const ar_workload *w) {
  (void)c; (void)b; (void)k; (void)w;
  return 0;
}

static const ar_candidate fault = {"test.fault", "test", "", -1, TEST_CAPS, {"host"}, {NULL}, run_fault, NULL};
static const ar_candidate hang = {"test.hang", "test", "", -1, TEST_CAPS, {"host"}, {NULL}, run_hang, NULL};
static const ar_candidate wrong = {"test.wrong", "test", "", -1, TEST_CAPS, {"host"}, {NULL}, run_wrong, NULL};
static const ar_candidate lazy = {"test.unwritten", "test", "", -1, TEST_CAPS, {"host"}, {NULL}, run_lazy, NULL};

static const ar_candidate *const test_candidates[] = {&fault, &hang, &wrong, &lazy};

const ar_candidate *const *ar_candidates_test(int *count) {
  *count = (int)(sizeof test_candidates / sizeof test_candidates[0]);
  return test_candidates;
}
