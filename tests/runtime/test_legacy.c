/*
** test_legacy.c -- attnroute_legacy_route: every gate of FACTS.md flipped on
** its own, under both policies, and the decode routes (Triton split-KV vs
** paged, persistent ASM decode at page 256), plus NULL / invalid input.
*/
#include <limits.h>

#include "test_util.h"

enum { DENSE = ATTNROUTE_ROUTE_DENSE_SINK_ASM,
       PAGED = ATTNROUTE_ROUTE_TRITON_PAGED,
       SPLIT = ATTNROUTE_ROUTE_TRITON_SPLITKV,
       ASMPD = ATTNROUTE_ROUTE_ASM_PAGED_DECODE,
       POST = ATTNROUTE_POLICY_POST_1345,
       PRE = ATTNROUTE_POLICY_PRE_1345 };

static attnroute_env env_default(void) {
  attnroute_env e;
  attnroute_env_init(&e);
  return e;
}

/* Post-1345 prefill that takes the dense sink kernel (with a cached prefix),
** and the same with sq == sk and no cache, which pre-1345 also lets through. */
static attnroute_problem prefill_cached(void) { return tu_gptoss(); }
static attnroute_problem prefill_fresh(void) {
  attnroute_problem p = tu_gptoss();
  p.max_seqlen_k = p.max_seqlen_q;
  p.has_cached = 0;
  return p;
}

static void test_prefill_gates(void) {
  attnroute_env e0 = env_default(), e;
  attnroute_problem p0, p;
  int pol;
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &(attnroute_problem){0}), PAGED);
  p = prefill_cached();
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), DENSE);
  CHECK_EQ(attnroute_legacy_route(PRE, &e0, &p), PAGED);
  p = prefill_fresh();
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), DENSE);
  CHECK_EQ(attnroute_legacy_route(PRE, &e0, &p), DENSE);

  /* Pre-1345 extras, one at a time. */
  p = prefill_fresh();
  p.has_cached = 1;
  CHECK_EQ(attnroute_legacy_route(PRE, &e0, &p), PAGED);
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), DENSE);
  p = prefill_fresh();
  p.max_seqlen_k += 1; /* sq != sk, has_cached still 0 */
  CHECK_EQ(attnroute_legacy_route(PRE, &e0, &p), PAGED);
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), DENSE);

  /* Every shared gate flipped, under both policies. */
  for (pol = 0; pol < ATTNROUTE_NUM_POLICIES; pol++) {
    p0 = prefill_fresh();
#define ENV_GATE(field, value)                                              \
  do {                                                                      \
    e = e0;                                                                 \
    e.field = (value);                                                      \
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p0), PAGED);                  \
  } while (0)
#define PROB_GATE(field, value, expect)                                     \
  do {                                                                      \
    p = p0;                                                                 \
    p.field = (value);                                                      \
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), (expect));               \
  } while (0)
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p0), DENSE);
    ENV_GATE(force_triton, 1);
    ENV_GATE(force_triton, -1);
    ENV_GATE(use_unified_attn, 0);
    ENV_GATE(asm_arch, 0);
    ENV_GATE(has_alibi, 1);
    ENV_GATE(has_dropout, 1);
    ENV_GATE(has_cu_seqlens, 0);
    PROB_GATE(head_dim, 128, PAGED);
    PROB_GATE(head_dim, 32, PAGED);
    PROB_GATE(has_sinks, 0, PAGED);
    PROB_GATE(has_sinks, 2, DENSE); /* any nonzero is "present" */
    PROB_GATE(sliding_window, 128, PAGED);
    PROB_GATE(sliding_window, 1, PAGED);
    PROB_GATE(sliding_window, 0, DENSE); /* <= 0: no window */
    PROB_GATE(sliding_window, INT_MIN, DENSE);
    PROB_GATE(q_dtype, ATTNROUTE_DTYPE_FP16, PAGED);
    PROB_GATE(q_dtype, ATTNROUTE_DTYPE_FP8_E4M3, PAGED);
    PROB_GATE(kv_dtype, ATTNROUTE_DTYPE_FP8_E4M3, PAGED);
    PROB_GATE(kv_dtype, ATTNROUTE_DTYPE_FP32, PAGED);
    PROB_GATE(num_kv_heads, 7, PAGED);  /* Hq % Hkv != 0 (an invalid call) */
    PROB_GATE(num_kv_heads, 1, DENSE);  /* MHA-ratio 64 is fine */
    PROB_GATE(num_kv_heads, 64, DENSE); /* MHA */
    PROB_GATE(kv_block_size, 256, DENSE); /* page size is not a prefill gate */
    PROB_GATE(causal, 0, DENSE);          /* nor is causality */
    /* Other env values that are on count as on. */
    e = e0;
    e.use_unified_attn = 5;
    e.asm_arch = -1;
    e.has_cu_seqlens = 2;
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p0), DENSE);
    /* Explicit prefill step with one query token stays on the prefill gates. */
    e = e0;
    e.step = ATTNROUTE_STEP_PREFILL;
    p = p0;
    p.max_seqlen_q = 1;
    p.max_seqlen_k = 1;
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), DENSE);
    p.has_sinks = 0;
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), PAGED); /* never split-KV in prefill */
#undef ENV_GATE
#undef PROB_GATE
  }
}

/* A pure decode problem: one query token per sequence. */
static attnroute_problem decode(int32_t num_seqs, int32_t hq, int32_t hkv, int32_t page) {
  attnroute_problem p = tu_gptoss();
  p.num_seqs = num_seqs;
  p.max_seqlen_q = 1;
  p.max_seqlen_k = 4096;
  p.num_q_heads = hq;
  p.num_kv_heads = hkv;
  p.kv_block_size = page;
  return p;
}

static void test_decode(void) {
  attnroute_env e0 = env_default(), e;
  attnroute_problem p;
  int pol;
  for (pol = 0; pol < ATTNROUTE_NUM_POLICIES; pol++) {
    /* Triton split-KV while num_seqs <= 128 / Hkv. */
    p = decode(16, 64, 8, 16);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), SPLIT);
    p = decode(17, 64, 8, 16);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), PAGED);
    p = decode(128, 8, 1, 16);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), SPLIT);
    p = decode(129, 8, 1, 16);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), PAGED);
    p = decode(42, 3, 3, 16); /* 128 / 3 = 42 */
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), SPLIT);
    p = decode(43, 3, 3, 16);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), PAGED);
    p = decode(1, 256, 256, 16); /* 128 / 256 = 0 */
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), PAGED);
    p = decode(INT_MAX, 64, 8, 16);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), PAGED);

    /* Page 256 with unified attention: persistent ASM decode. */
    p = decode(4, 64, 8, 256);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), ASMPD);
    p = decode(1000, 64, 8, 256);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), ASMPD);
    e = e0;
    e.use_unified_attn = 0;
    p = decode(4, 64, 8, 256);
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), SPLIT);
    p = decode(1000, 64, 8, 256);
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), PAGED);
    p = decode(4, 64, 8, 128);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), SPLIT);
    p = decode(4, 64, 8, 512);
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), SPLIT);

    /* A sliding window goes to Triton even at page 256. */
    p = decode(4, 64, 8, 256);
    p.sliding_window = 128;
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), SPLIT);
    p.num_seqs = 17;
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), PAGED);
    p.sliding_window = 0; /* no window */
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), ASMPD);

    /* Decode ignores the prefill gates. */
    p = decode(4, 64, 8, 16);
    p.head_dim = 128;
    p.has_sinks = 0;
    p.q_dtype = ATTNROUTE_DTYPE_FP16;
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), SPLIT);
    e = e0;
    e.force_triton = 1;
    e.asm_arch = 0;
    e.has_cu_seqlens = 0;
    p = decode(4, 64, 8, 256);
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), ASMPD);

    /* The step: explicit decode with several query tokens is not "pure". */
    e = e0;
    e.step = ATTNROUTE_STEP_DECODE;
    p = decode(4, 64, 8, 16);
    p.max_seqlen_q = 4;
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), PAGED);
    p.kv_block_size = 256;
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), ASMPD);
    /* AUTO: sq == 2 is prefill, so the dense gates apply. */
    p = decode(4, 64, 8, 16);
    p.max_seqlen_q = 2;
    p.max_seqlen_k = 2;
    p.has_cached = 0;
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), DENSE);
    p.max_seqlen_k = 4096;
    p.has_cached = 1;
    CHECK_EQ(attnroute_legacy_route(pol, &e0, &p), pol == PRE ? PAGED : DENSE);
    /* Unknown step values mean AUTO. */
    e = e0;
    e.step = 7;
    p = decode(4, 64, 8, 16);
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), SPLIT);
    e.step = -1;
    CHECK_EQ(attnroute_legacy_route(pol, &e, &p), SPLIT);
  }
}

static void test_odd_inputs(void) {
  attnroute_env e0 = env_default();
  attnroute_problem p = prefill_cached();
  /* NULL env: defaults. */
  CHECK_EQ(attnroute_legacy_route(POST, NULL, &p), DENSE);
  CHECK_EQ(attnroute_legacy_route(PRE, NULL, &p), PAGED);
  /* Unknown policies behave as post-1345. */
  CHECK_EQ(attnroute_legacy_route(7, &e0, &p), DENSE);
  CHECK_EQ(attnroute_legacy_route(-1, &e0, &p), DENSE);
  CHECK_EQ(attnroute_legacy_route(INT_MIN, NULL, &p), DENSE);
  /* NULL or invalid problems: Triton paged. */
  CHECK_EQ(attnroute_legacy_route(POST, &e0, NULL), PAGED);
  CHECK_EQ(attnroute_legacy_route(POST, NULL, NULL), PAGED);
  p = decode(4, 64, 0, 256); /* Hkv 0: would divide by zero */
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), PAGED);
  p = decode(4, 64, 8, 256);
  p.max_seqlen_k = 0;
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), PAGED);
  p = decode(INT_MIN, INT_MIN, -1, INT_MIN);
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), PAGED);
}

int main(void) {
  test_prefill_gates();
  test_decode();
  test_odd_inputs();
  return tu_finish("test_legacy");
}
