/*
** test_legacy.c -- attnroute_legacy_route against cases taken from the code
** it models (runtime/src/legacy.c cites ATOM attention_mha.py, envs.py and
** aiter's unified_attention.py, mha.py, asm_pa_decode_bf16.cu): every gate
** condition flipped on its own, in both configurations (unified attention on:
** pre- and post-1345; off, ATOM's default), the decode paths, the non-gfx12
** Triton rule's thresholds, the env defaults, and NULL / invalid input.
*/
#include <limits.h>

#include "test_util.h"

enum { DENSE = ATTNROUTE_ROUTE_DENSE_SINK_ASM,
       PAGED = ATTNROUTE_ROUTE_TRITON_PAGED,
       SPLIT = ATTNROUTE_ROUTE_TRITON_SPLITKV,
       ASMPD = ATTNROUTE_ROUTE_ASM_PAGED_DECODE,
       PGATH = ATTNROUTE_ROUTE_TRITON_PAGED_GATHER,
       SGATH = ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER,
       PERSIST = ATTNROUTE_ROUTE_ASM_PERSISTENT_DECODE,
       GLUON = ATTNROUTE_ROUTE_GLUON_PAGED_DECODE,
       PAFWD = ATTNROUTE_ROUTE_ASM_PA_FWD,
       VARLEN = ATTNROUTE_ROUTE_DENSE_VARLEN,
       ERROR = ATTNROUTE_ROUTE_ENGINE_ERROR,
       POST = ATTNROUTE_POLICY_POST_1345,
       PRE = ATTNROUTE_POLICY_PRE_1345 };

static attnroute_env env_default(void) {
  attnroute_env e;
  attnroute_env_init(&e);
  return e;
}

static attnroute_env env_unified(void) {
  attnroute_env e = env_default();
  e.use_unified_attn = 1;
  return e;
}

static int route(int pol, attnroute_env e, attnroute_problem p) {
  return attnroute_legacy_route(pol, &e, &p);
}

/* gpt-oss prefill with a cached prefix, and the same fresh (sq == sk). */
static attnroute_problem prefill_cached(void) { return tu_gptoss(); }
static attnroute_problem prefill_fresh(void) {
  attnroute_problem p = tu_gptoss();
  p.max_seqlen_k = p.max_seqlen_q;
  p.has_cached = 0;
  return p;
}

/* A pure decode problem: one query token per sequence. */
static attnroute_problem decode(int32_t num_seqs, int32_t hq, int32_t hkv, int32_t page) {
  attnroute_problem p = tu_gptoss();
  p.num_seqs = num_seqs;
  p.max_seqlen_q = 1;
  p.max_seqlen_k = 4096;
  p.has_cached = 1;
  p.num_q_heads = hq;
  p.num_kv_heads = hkv;
  p.kv_block_size = page;
  return p;
}

static void test_env_defaults(void) {
  attnroute_env e;
  memset(&e, 0x5a, sizeof e);
  attnroute_env_init(&e);
  CHECK_EQ(e.step, ATTNROUTE_STEP_AUTO);
  CHECK_EQ(e.force_triton, 0);     /* envs.py: "1" only */
  CHECK_EQ(e.use_unified_attn, 0); /* envs.py: "1" only */
  CHECK_EQ(e.asm_arch, 1);
  CHECK_EQ(e.has_alibi, 0);
  CHECK_EQ(e.has_dropout, 0);
  CHECK_EQ(e.has_cu_seqlens, 1);
  CHECK_EQ(e.flash_layout, 0);     /* both ATOM MHA backends leave it off */
  CHECK_EQ(e.cu_count, 256);
  attnroute_env_init(NULL); /* no crash */
}

/* Unified attention on: ATOM's sink-ASM gate, each condition flipped. */
static void test_unified_prefill(void) {
  attnroute_env e0 = env_unified(), e;
  attnroute_problem p0 = prefill_cached(), p;
  CHECK_EQ(route(POST, e0, p0), DENSE);
  CHECK_EQ(route(PRE, e0, p0), PGATH); /* pre-1345: no cached prefix; gather paid */
  CHECK_EQ(route(PRE, e0, prefill_fresh()), DENSE);
  CHECK_EQ(route(POST, e0, prefill_fresh()), DENSE);
  p = prefill_fresh();
  p.max_seqlen_k += 1; /* sq != sk without has_cached */
  CHECK_EQ(route(PRE, e0, p), PAGED);
  CHECK_EQ(route(POST, e0, p), DENSE);
  p = prefill_fresh();
  p.has_cached = 1; /* has_cached with sq == sk */
  CHECK_EQ(route(PRE, e0, p), PGATH);
  CHECK_EQ(route(POST, e0, p), DENSE);

#define ENV_FLIP(field, value, expect)            \
  do {                                            \
    e = e0;                                       \
    e.field = (value);                            \
    CHECK_EQ(route(POST, e, p0), (expect));       \
  } while (0)
#define PROB_FLIP(field, value, expect)           \
  do {                                            \
    p = p0;                                       \
    p.field = (value);                            \
    CHECK_EQ(route(POST, e0, p), (expect));       \
  } while (0)
  ENV_FLIP(force_triton, 1, PAGED);
  ENV_FLIP(force_triton, -1, PAGED);
  ENV_FLIP(use_unified_attn, 0, DENSE); /* -> flash_attn_varlen_func, aiter's own gate */
  ENV_FLIP(asm_arch, 0, PAGED);
  ENV_FLIP(has_alibi, 1, PAGED);
  ENV_FLIP(has_dropout, 1, PAGED);
  ENV_FLIP(has_cu_seqlens, 0, PAGED);
  ENV_FLIP(flash_layout, 1, DENSE);
  ENV_FLIP(use_unified_attn, 5, DENSE); /* any nonzero is on */
  PROB_FLIP(head_dim, 128, PAGED);
  PROB_FLIP(head_dim, 32, PAGED);
  PROB_FLIP(has_sinks, 0, PAGED);
  PROB_FLIP(has_sinks, 2, DENSE);
  PROB_FLIP(sliding_window, 128, PAGED);
  PROB_FLIP(sliding_window, 1, PAGED);
  PROB_FLIP(sliding_window, 0, DENSE); /* <= 0: no window (ATOM's -1) */
  PROB_FLIP(sliding_window, INT_MIN, DENSE);
  PROB_FLIP(q_dtype, ATTNROUTE_DTYPE_FP16, PAGED);
  PROB_FLIP(q_dtype, ATTNROUTE_DTYPE_FP8_E4M3, PAGED);
  PROB_FLIP(kv_dtype, ATTNROUTE_DTYPE_FP8_E4M3, DENSE); /* cache dtype not checked */
  PROB_FLIP(kv_dtype, ATTNROUTE_DTYPE_FP16, DENSE);
  PROB_FLIP(num_kv_heads, 1, DENSE);
  PROB_FLIP(num_kv_heads, 64, DENSE);
  PROB_FLIP(kv_block_size, 256, DENSE); /* page size is not a prefill gate */
  PROB_FLIP(causal, 0, DENSE);          /* ATOM always runs causal */
  /* Flash layout with unified attention off opens the same gate. */
  e = env_default();
  e.flash_layout = 1;
  CHECK_EQ(route(POST, e, p0), DENSE);
  e.force_triton = 1;
  CHECK_EQ(route(POST, e, p0), PAGED);
  CHECK_EQ(route(PRE, e, p0), PGATH);
  /* A prefill step of one token per sequence: unified_attention's 3D. */
  e = e0;
  e.step = ATTNROUTE_STEP_PREFILL;
  p = p0;
  p.max_seqlen_q = 1;
  p.has_sinks = 0;
  CHECK_EQ(route(POST, e, p), SPLIT);
  CHECK_EQ(route(PRE, e, p), SGATH);
  p.has_cached = 0;
  p.max_seqlen_k = 1;
  CHECK_EQ(route(PRE, e, p), SPLIT);
  p.sliding_window = 128;
  CHECK_EQ(route(POST, e, p), PAGED);
  p.has_cached = 1;
  p.max_seqlen_k = 300;
  CHECK_EQ(route(PRE, e, p), PGATH);
#undef ENV_FLIP
#undef PROB_FLIP
}

/* Unified attention off (the default): prefill_attention, i.e. aiter's
** flash_attn_varlen_func gate, the same before and after #1345. */
static void test_default_prefill(void) {
  attnroute_env e0 = env_default(), e;
  attnroute_problem p0 = prefill_cached(), p;
  int pol;
  for (pol = 0; pol < ATTNROUTE_NUM_POLICIES; pol++) {
    CHECK_EQ(route(pol, e0, p0), DENSE);
    CHECK_EQ(route(pol, e0, prefill_fresh()), DENSE);
#define ENV_FLIP(field, value, expect)            \
  do {                                            \
    e = e0;                                       \
    e.field = (value);                            \
    CHECK_EQ(route(pol, e, p0), (expect));        \
  } while (0)
#define PROB_FLIP(field, value, expect)           \
  do {                                            \
    p = p0;                                       \
    p.field = (value);                            \
    CHECK_EQ(route(pol, e0, p), (expect));        \
  } while (0)
    ENV_FLIP(force_triton, 1, DENSE);  /* not read on this path */
    ENV_FLIP(has_alibi, 1, DENSE);     /* ATOM passes no alibi to aiter */
    ENV_FLIP(has_cu_seqlens, 0, DENSE);
    ENV_FLIP(has_dropout, 1, VARLEN);
    ENV_FLIP(asm_arch, 0, VARLEN);
    PROB_FLIP(has_sinks, 0, VARLEN);   /* D 64 object always reads the sink */
    PROB_FLIP(sliding_window, 128, VARLEN);
    PROB_FLIP(q_dtype, ATTNROUTE_DTYPE_FP16, VARLEN);
    PROB_FLIP(q_dtype, ATTNROUTE_DTYPE_FP8_E4M3, VARLEN);
    PROB_FLIP(kv_dtype, ATTNROUTE_DTYPE_FP8_E4M3, DENSE);
    PROB_FLIP(head_dim, 128, VARLEN);  /* D 128 object never reads the sink */
    PROB_FLIP(head_dim, 256, VARLEN);
    p = p0;
    p.head_dim = 128;
    p.has_sinks = 0;
    CHECK_EQ(route(pol, e0, p), DENSE);
    p.sliding_window = 64;
    CHECK_EQ(route(pol, e0, p), VARLEN);
#undef ENV_FLIP
#undef PROB_FLIP
  }
}

static void test_unified_decode(void) {
  attnroute_env e0 = env_unified(), e;
  attnroute_problem p;
  int pol;
  for (pol = 0; pol < ATTNROUTE_NUM_POLICIES; pol++) {
    /* gfx12: split-KV for every pure decode without a window. */
    CHECK_EQ(route(pol, e0, decode(16, 64, 8, 16)), SPLIT);
    CHECK_EQ(route(pol, e0, decode(1000, 64, 8, 64)), SPLIT);
    CHECK_EQ(route(pol, e0, decode(1, 256, 256, 128)), SPLIT);
    p = decode(4, 64, 8, 64);
    p.sliding_window = 128;
    CHECK_EQ(route(pol, e0, p), PAGED);
    e = e0;
    e.step = ATTNROUTE_STEP_DECODE; /* MTP: sq = mtp + 1 > 1 is not "all decode" */
    p = decode(4, 64, 8, 64);
    p.max_seqlen_q = 2;
    CHECK_EQ(route(pol, e, p), PAGED);
    e = e0;
    e.force_triton = 1;
    CHECK_EQ(route(pol, e, decode(4, 64, 8, 16)), SPLIT);

    /* Page 256: the persistent ASM decode. */
    p = decode(4, 64, 8, 256);
    p.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3;
    CHECK_EQ(route(pol, e0, p), ASMPD);
    p.q_dtype = ATTNROUTE_DTYPE_FP16; /* ATOM quantizes q itself */
    CHECK_EQ(route(pol, e0, p), ASMPD);
#define FLIP(field, value, expect)              \
  do {                                          \
    attnroute_problem q = p;                    \
    q.field = (value);                          \
    CHECK_EQ(route(pol, e0, q), (expect));      \
  } while (0)
    p.q_dtype = ATTNROUTE_DTYPE_BF16;
    FLIP(kv_dtype, ATTNROUTE_DTYPE_BF16, ERROR); /* K/V must be fp8 */
    FLIP(head_dim, 128, ERROR);
    FLIP(num_kv_heads, 16, ERROR);               /* gqa 4 */
    FLIP(num_kv_heads, 4, ERROR);                /* gqa 16 */
    FLIP(has_sinks, 0, ERROR);                   /* pa_persistent_fwd: no gfx1250 object */
    FLIP(sliding_window, 128, PAGED);
    FLIP(kv_block_size, 128, SPLIT);
    FLIP(kv_block_size, 512, SPLIT);
    FLIP(num_seqs, 1000, ASMPD);
    FLIP(max_seqlen_k, 256, ASMPD); /* one page: no reduce, same route */
#undef FLIP
    e = e0;
    e.step = ATTNROUTE_STEP_DECODE;
    p.max_seqlen_q = 2; /* mtp 1: (1 + 1) * 8 <= 16 */
    CHECK_EQ(route(pol, e, p), ASMPD);
    p.max_seqlen_q = 3;
    CHECK_EQ(route(pol, e, p), ERROR);
    p.max_seqlen_q = 1;
    e = e0;
    e.asm_arch = 0;
    CHECK_EQ(route(pol, e, p), ERROR); /* pa_decode_bf16_asm: gfx1250 only */
    p.has_sinks = 0;
    CHECK_EQ(route(pol, e, p), PERSIST);
    e = e0;
    e.force_triton = 1;
    CHECK_EQ(route(pol, e, p), SPLIT);
    /* Prefill gates do not apply to decode. */
    e = e0;
    e.has_cu_seqlens = 0;
    e.has_alibi = 1;
    p.has_sinks = 1;
    CHECK_EQ(route(pol, e, p), ASMPD);
  }
}

static void test_default_decode(void) {
  attnroute_env e0 = env_default(), e;
  attnroute_problem p;
  int pol;
  for (pol = 0; pol < ATTNROUTE_NUM_POLICIES; pol++) {
    CHECK_EQ(route(pol, e0, decode(4, 64, 8, 16)), GLUON); /* head_dim != 128 */
    CHECK_EQ(route(pol, e0, decode(4, 64, 8, 256)), GLUON);
    p = decode(4, 32, 8, 16);
    p.head_dim = 128;
    CHECK_EQ(route(pol, e0, p), ERROR); /* paged_attention_asm raises for sinks */
    p.has_sinks = 0;
    CHECK_EQ(route(pol, e0, p), ERROR); /* pa_fwd_asm: no gfx1250 object */
    e = e0;
    e.asm_arch = 0;
    CHECK_EQ(route(pol, e, p), PAFWD);
    e = e0;
    e.force_triton = 1;
    CHECK_EQ(route(pol, e, p), GLUON);
    e = e0;
    e.flash_layout = 1; /* unified_attention over the flash layout */
    CHECK_EQ(route(pol, e, p), SPLIT);
    {
      attnroute_problem q = p;
      q.sliding_window = 128;
      CHECK_EQ(route(pol, e0, q), GLUON);
      CHECK_EQ(route(pol, e, q), PAGED);
    }
    e = e0;
    e.use_unified_attn = 1; /* the same D 128 decode with unified attention */
    CHECK_EQ(route(pol, e, p), SPLIT);
  }
}

/* aiter's non-gfx12 rule (asm_arch 0): 2D unless sk > 512 and the 2D
** programs fit in 4 per CU. */
static void test_other_arch_rule(void) {
  attnroute_env e = env_unified();
  attnroute_problem p;
  e.asm_arch = 0;
  CHECK_EQ(route(POST, e, decode(128, 64, 8, 16)), SPLIT); /* 1024 programs */
  CHECK_EQ(route(POST, e, decode(129, 64, 8, 16)), PAGED);
  p = decode(4, 64, 8, 16);
  p.max_seqlen_k = 512;
  CHECK_EQ(route(POST, e, p), PAGED);
  p.max_seqlen_k = 513;
  CHECK_EQ(route(POST, e, p), SPLIT);
  p.sliding_window = 128;
  CHECK_EQ(route(POST, e, p), PAGED);
  e.cu_count = 8; /* target 32 programs */
  CHECK_EQ(route(POST, e, decode(4, 64, 8, 16)), SPLIT);
  CHECK_EQ(route(POST, e, decode(5, 64, 8, 16)), PAGED);
  e.cu_count = 0; /* unknown: one CU */
  CHECK_EQ(route(POST, e, decode(1, 4, 4, 16)), SPLIT);
  CHECK_EQ(route(POST, e, decode(1, 8, 8, 16)), PAGED);
  /* Prefill: q blocks = tokens / BLOCK_Q + seqs, BLOCK_Q = 16 / GQA. */
  e = env_unified();
  e.asm_arch = 0;
  p = prefill_cached();
  p.has_sinks = 0;
  p.num_seqs = 1;
  p.max_seqlen_q = 4;
  p.max_seqlen_k = 4096; /* (4 / 2 + 1) * 8 = 24 programs */
  CHECK_EQ(route(POST, e, p), SPLIT);
  CHECK_EQ(route(PRE, e, p), SGATH);
  p.max_seqlen_q = 2048; /* (1024 + 1) * 8 > 1024 */
  CHECK_EQ(route(POST, e, p), PAGED);
  p.max_seqlen_q = 254; /* (127 + 1) * 8 = 1024 */
  CHECK_EQ(route(POST, e, p), SPLIT);
  p.max_seqlen_q = 256; /* (128 + 1) * 8 */
  CHECK_EQ(route(POST, e, p), PAGED);
  p.max_seqlen_q = 4;
  p.num_q_heads = 512; /* GQA 64: BLOCK_M 64, BLOCK_Q 1: (4 + 1) * 8 */
  CHECK_EQ(route(POST, e, p), SPLIT);
  p.num_q_heads = 64;
  p.head_dim = 512;
  CHECK_EQ(route(POST, e, p), PAGED);
}

static void test_step(void) {
  attnroute_env e = env_unified();
  attnroute_problem p = decode(4, 64, 8, 16);
  p.max_seqlen_q = 2;
  p.max_seqlen_k = 2;
  p.has_cached = 0;
  CHECK_EQ(route(POST, e, p), DENSE); /* AUTO: sq 2 is prefill */
  e.step = ATTNROUTE_STEP_DECODE;
  CHECK_EQ(route(POST, e, p), PAGED);
  p = decode(4, 64, 8, 16);
  e.step = ATTNROUTE_STEP_PREFILL; /* one token, prefill step */
  p.max_seqlen_k = 1;
  p.has_cached = 0;
  CHECK_EQ(route(POST, e, p), DENSE);
  e.step = 7; /* unknown: AUTO */
  CHECK_EQ(route(POST, e, decode(4, 64, 8, 16)), SPLIT);
  e.step = -1;
  CHECK_EQ(route(POST, e, decode(4, 64, 8, 16)), SPLIT);
}

static void test_odd_inputs(void) {
  attnroute_env e0 = env_default();
  attnroute_problem p = prefill_cached();
  p.head_dim = 96;
  /* NULL env: defaults (unified attention off). */
  CHECK_EQ(attnroute_legacy_route(POST, NULL, &p), VARLEN);
  CHECK_EQ(attnroute_legacy_route(POST, NULL, &(attnroute_problem){0}), PAGED);
  p = decode(4, 64, 8, 16);
  CHECK_EQ(attnroute_legacy_route(PRE, NULL, &p), GLUON);
  /* Unknown policies behave as post-1345. */
  e0.use_unified_attn = 1;
  p = prefill_cached();
  CHECK_EQ(attnroute_legacy_route(7, &e0, &p), DENSE);
  CHECK_EQ(attnroute_legacy_route(-1, &e0, &p), DENSE);
  CHECK_EQ(attnroute_legacy_route(INT_MIN, &e0, &p), DENSE);
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
  /* Extreme sizes: no overflow in the non-gfx12 program count. */
  e0.asm_arch = 0;
  e0.cu_count = INT_MAX;
  p = prefill_cached();
  p.num_seqs = INT_MAX;
  p.max_seqlen_q = INT_MAX;
  p.max_seqlen_k = INT_MAX;
  p.has_sinks = 0;
  CHECK_EQ(attnroute_legacy_route(POST, &e0, &p), PAGED);
}

/* Every route has a name, and the router names it "legacy:<name>". */
static void test_names(void) {
  int r;
  for (r = 0; r < ATTNROUTE_NUM_ROUTES; r++)
    CHECK(strcmp(attnroute_route_name(r), "unknown") != 0);
  CHECK_STR(attnroute_route_name(ATTNROUTE_ROUTE_ENGINE_ERROR), "engine_error");
  CHECK_STR(attnroute_route_name(ATTNROUTE_NUM_ROUTES), "unknown");
  {
    attnroute_router router;
    attnroute_choice c;
    attnroute_problem p = decode(4, 64, 8, 16);
    attnroute_router_init(&router, NULL, "gfx1250", 256);
    attnroute_select(&router, &p, &c);
    CHECK_EQ(c.route, GLUON);
    CHECK_STR(c.name, "legacy:gluon_paged_decode");
    p.head_dim = 128;
    attnroute_select(&router, &p, &c);
    CHECK_STR(c.name, "legacy:engine_error");
  }
}

int main(void) {
  test_env_defaults();
  test_unified_prefill();
  test_default_prefill();
  test_unified_decode();
  test_default_decode();
  test_other_arch_rule();
  test_step();
  test_odd_inputs();
  test_names();
  return check_finish("test_legacy");
}
