/*
** test_timing_reps.c -- how many timed repetitions ar_measure_candidate
** takes, on the host backend with its event clock replaced by one this test
** sets (so the count depends on the policy alone, not on this machine's
** speed): a long kernel stops at min_reps (not at 3 plus a whole batch), a
** short one runs until min_ms of timed time, a tiny one stops at max_reps,
** and a candidate far slower than the best so far is pruned after 3.
*/
#include <string.h>

#include "backend.h"
#include "candidates_host.h"
#include "kernel_path.h"
#include "measure.h"
#include "test_measure_util.h"

static float fake_ms; /* what every timed repetition reports */

static int fixed_elapsed(ar_backend *b, void *e0, void *e1, float *ms) {
  (void)b, (void)e0, (void)e1;
  *ms = fake_ms;
  return 0;
}

static int reps_for(ar_backend *b, ar_shape_run *run, const ar_candidate *c, const ar_loaded *k,
                    const ar_timing_policy *t, float ms, double best_us) {
  ar_result r;
  fake_ms = ms;
  ar_measure_candidate(b, run, c, k, t, best_us, &r);
  CHECK_MSG(r.status == AR_STATUS_OK, "%s: %d %s", c->name, r.status, r.message);
  CHECK_MSG(r.median_us == (double)ms * 1000.0, "median %g for %g ms", r.median_us, (double)ms);
  return r.reps;
}

int main(void) {
  char err[512];
  ar_shape_run run;
  ar_backend *b = test_host_shape(1, 2, 1, 2, 14, 3, &run);
  int n = 0;
  const ar_candidate *const *cands = ar_candidates_host(&n);
  ar_module_cache cache;
  memset(&cache, 0, sizeof cache);
  ar_loaded k;
  CHECK_MSG(ar_candidate_load(b, &cache, cands[0], &k, err, sizeof err) == 0, "%s", err);

  static ar_backend_ops fixed_clock;
  const ar_backend_ops *host_ops = b->ops;
  fixed_clock = *host_ops;
  fixed_clock.event_elapsed_ms = fixed_elapsed;
  b->ops = &fixed_clock;

  ar_timing_policy t;
  ar_timing_policy_default(&t, "cuda");
  t.warmup = 1;
  t.min_reps = 5;
  t.min_ms = 10;
  t.max_reps = 40;
  t.max_ms = 1e6; /* the wall-time cap stays out of the way */
  int got;
  /* 100 ms a run: min_ms is met at once, min_reps decides (it was 19). */
  got = reps_for(b, &run, cands[0], &k, &t, 100.0f, 0);
  CHECK_MSG(got == 5, "100 ms kernel: %d reps, want 5", got);
  /* 1 ms: 10 runs reach min_ms. */
  got = reps_for(b, &run, cands[0], &k, &t, 1.0f, 0);
  CHECK_MSG(got == 10, "1 ms kernel: %d reps, want 10", got);
  /* 0.4 ms: 25 runs (3, then 16 at most a batch, then what is left). */
  got = reps_for(b, &run, cands[0], &k, &t, 0.4f, 0);
  CHECK_MSG(got == 25, "0.4 ms kernel: %d reps, want 25", got);
  /* 1 us: max_reps. */
  got = reps_for(b, &run, cands[0], &k, &t, 0.001f, 0);
  CHECK_MSG(got == 40, "1 us kernel: %d reps, want max_reps 40", got);
  /* Ten times the best so far: pruned after the first 3. */
  got = reps_for(b, &run, cands[0], &k, &t, 1.0f, 100.0);
  CHECK_MSG(got == 3, "pruned: %d reps, want 3", got);
  /* min_reps above what the time needs, with the time unmet. */
  t.min_reps = 30;
  got = reps_for(b, &run, cands[0], &k, &t, 0.001f, 0);
  CHECK_MSG(got == 40, "min_reps 30, 1 us: %d reps, want 40", got);
  t.min_reps = 7;
  got = reps_for(b, &run, cands[0], &k, &t, 50.0f, 0);
  CHECK_MSG(got == 7, "min_reps 7, 50 ms: %d reps, want 7", got);

  b->ops = host_ops;
  ar_shape_teardown(b, &run);
  b->ops->destroy(b);
  printf("test_timing_reps: ok\n");
  return 0;
}
