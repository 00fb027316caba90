/*
** test_util.h -- what every runtime test shares: tests/check.h's checks
** (counted, the test goes on), a deterministic PRNG (splitmix64) and a valid
** gpt-oss-like problem to start cases from.  Header-only, static functions.
*/
#ifndef ATTNROUTE_TEST_UTIL_H
#define ATTNROUTE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attnroute.h"
#include "splitmix.h" /* common/ */

#include "../check.h" /* CHECK, CHECK_EQ, CHECK_STR, check_finish */

/* splitmix64: deterministic, seedable, good enough for test inputs. */
typedef struct tu_rng {
  uint64_t s;
} tu_rng;

static inline uint64_t tu_next(tu_rng *r) { return ar_splitmix64(&r->s); }

/* Uniform in [0, n) (n > 0). */
static inline uint32_t tu_below(tu_rng *r, uint32_t n) { return (uint32_t)(tu_next(r) % n); }

/* Uniform in [lo, hi]. */
static inline int32_t tu_range(tu_rng *r, int32_t lo, int32_t hi) {
  return (int32_t)(lo + (int64_t)(tu_next(r) % (uint64_t)((int64_t)hi - lo + 1)));
}

/* True with probability num/den. */
static inline int tu_chance(tu_rng *r, uint32_t num, uint32_t den) { return tu_below(r, den) < num; }

/* A valid gpt-oss-120b prefill with a cached prefix. */
static inline attnroute_problem tu_gptoss(void) {
  attnroute_problem p;
  attnroute_problem_init(&p);
  p.num_seqs = 4;
  p.max_seqlen_q = 2048;
  p.max_seqlen_k = 6144;
  p.has_cached = 1;
  p.num_q_heads = 64;
  p.num_kv_heads = 8;
  p.head_dim = 64;
  p.has_sinks = 1;
  p.kv_block_size = 16;
  return p;
}

/* A class of tu_gptoss()'s static features (head dim 64, bf16, sinks, no
** window, 16-token pages, causal) with the given lookup; no axes or cells. */
static inline attnroute_class tu_gptoss_class(int32_t lookup) {
  attnroute_class c;
  memset(&c, 0, sizeof c);
  c.head_dim = 64;
  c.q_dtype = ATTNROUTE_DTYPE_BF16;
  c.kv_dtype = ATTNROUTE_DTYPE_BF16;
  c.has_sinks = 1;
  c.sliding_window = -1;
  c.kv_block_size = 16;
  c.causal = 1;
  c.lookup = lookup;
  return c;
}

/* Caps that allow everything. */
static inline attnroute_caps tu_caps_any(void) {
  attnroute_caps c;
  c.head_dim_mask = 0xFFFFFFFFu;
  c.q_dtype_mask = 0xFu;
  c.kv_dtype_mask = 0xFu;
  c.block_size_mask = 0;
  c.sinks = ATTNROUTE_CAP_OPTIONAL;
  c.window = ATTNROUTE_CAP_OPTIONAL;
  c.causal = ATTNROUTE_CAP_OPTIONAL;
  c.max_seqlen_q = 0;
  c.gqa_exact = 0;
  return c;
}

/* The shape every answer must have, whatever the input. */
static inline void tu_check_choice(const attnroute_router *r, const attnroute_problem *p,
                                   const attnroute_choice *c, int ret) {
  CHECK_EQ(ret, c->reason);
  CHECK(c->name != NULL);
  CHECK(c->reason >= 0 && c->reason < ATTNROUTE_NUM_STATUS);
  CHECK_EQ(c->from_table, c->reason == ATTNROUTE_OK);
  if (c->from_table) {
    CHECK(r && r->table && p);
    CHECK(c->candidate >= 0 && c->candidate < r->table->num_candidates);
    CHECK(c->rank >= 0 && c->rank < ATTNROUTE_TOPK);
    CHECK_EQ(c->route, -1);
    CHECK_EQ(attnroute_problem_check(p), ATTNROUTE_OK);
    CHECK(attnroute_caps_allow(&r->table->candidates[c->candidate].caps, p));
  } else {
    CHECK(c->route >= 0 && c->route < ATTNROUTE_NUM_ROUTES);
    CHECK_EQ(c->rank, -1);
    CHECK(c->candidate >= -1);
    if (c->candidate >= 0) {
      CHECK(r && r->table && c->candidate < r->table->num_candidates);
      CHECK_EQ(r->table->candidates[c->candidate].legacy_route, c->route);
    }
  }
}

#endif /* ATTNROUTE_TEST_UTIL_H */
