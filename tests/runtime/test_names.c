/*
** test_names.c -- names and small pieces: version, status texts, route and
** policy names, policy parsing, problem/env defaults, problem_check (each
** rule flipped) and caps_allow (each limit flipped).
*/
#include <limits.h>

#include "test_util.h"

static void test_strings(void) {
  int s;
  CHECK_EQ(attnroute_version(), ATTNROUTE_VERSION);
  CHECK_EQ(ATTNROUTE_VERSION, ATTNROUTE_VERSION_MAJOR * 10000 + ATTNROUTE_VERSION_MINOR * 100 +
                                  ATTNROUTE_VERSION_PATCH);
  CHECK_STR(attnroute_status_str(ATTNROUTE_OK), "answered from the table");
  CHECK_STR(attnroute_status_str(ATTNROUTE_ABI_MISMATCH),
            "table built for another attnroute table ABI");
  CHECK_STR(attnroute_status_str(ATTNROUTE_UNSUPPORTED),
            "no candidate of the cell supports this problem or is available");
  for (s = 0; s < ATTNROUTE_NUM_STATUS; s++) {
    int t;
    CHECK(attnroute_status_str(s) != NULL);
    CHECK(strcmp(attnroute_status_str(s), "unknown status") != 0);
    for (t = 0; t < s; t++) CHECK(strcmp(attnroute_status_str(s), attnroute_status_str(t)) != 0);
  }
  CHECK_STR(attnroute_status_str(-1), "unknown status");
  CHECK_STR(attnroute_status_str(ATTNROUTE_NUM_STATUS), "unknown status");
  CHECK_STR(attnroute_status_str(INT_MIN), "unknown status");
  CHECK_STR(attnroute_status_str(INT_MAX), "unknown status");

  CHECK_STR(attnroute_route_name(ATTNROUTE_ROUTE_DENSE_SINK_ASM), "dense_sink_asm");
  CHECK_STR(attnroute_route_name(ATTNROUTE_ROUTE_TRITON_PAGED), "triton_paged");
  CHECK_STR(attnroute_route_name(ATTNROUTE_ROUTE_TRITON_SPLITKV), "triton_splitkv");
  CHECK_STR(attnroute_route_name(ATTNROUTE_ROUTE_ASM_PAGED_DECODE), "asm_paged_decode");
  CHECK_STR(attnroute_route_name(-1), "unknown");
  CHECK_STR(attnroute_route_name(ATTNROUTE_NUM_ROUTES), "unknown");
  CHECK_STR(attnroute_route_name(INT_MIN), "unknown");

  CHECK_STR(attnroute_policy_name(ATTNROUTE_POLICY_PRE_1345), "pre-1345");
  CHECK_STR(attnroute_policy_name(ATTNROUTE_POLICY_POST_1345), "post-1345");
  CHECK_STR(attnroute_policy_name(2), "unknown");
  CHECK_STR(attnroute_policy_name(-1), "unknown");
  CHECK_EQ(attnroute_policy_parse("pre-1345"), ATTNROUTE_POLICY_PRE_1345);
  CHECK_EQ(attnroute_policy_parse("post-1345"), ATTNROUTE_POLICY_POST_1345);
  CHECK_EQ(attnroute_policy_parse(NULL), -1);
  CHECK_EQ(attnroute_policy_parse(""), -1);
  CHECK_EQ(attnroute_policy_parse("pre-1345 "), -1);
  CHECK_EQ(attnroute_policy_parse("unknown"), -1);

  CHECK_STR(attnroute_dtype_name(ATTNROUTE_DTYPE_BF16), "bf16");
  CHECK_STR(attnroute_dtype_name(ATTNROUTE_DTYPE_FP16), "fp16");
  CHECK_STR(attnroute_dtype_name(ATTNROUTE_DTYPE_FP8_E4M3), "fp8_e4m3");
  CHECK_STR(attnroute_dtype_name(ATTNROUTE_DTYPE_FP32), "fp32");
  CHECK_STR(attnroute_dtype_name(ATTNROUTE_NUM_DTYPES), "unknown");
  CHECK_STR(attnroute_dtype_name(-1), "unknown");
  for (int d = 0; d < ATTNROUTE_NUM_DTYPES; d++)
    CHECK_EQ(attnroute_dtype_parse(attnroute_dtype_name(d)), d);
  CHECK_EQ(attnroute_dtype_parse(NULL), -1);
  CHECK_EQ(attnroute_dtype_parse("BF16"), -1);
  CHECK_EQ(attnroute_dtype_parse("bfloat16"), -1);
  CHECK_EQ(attnroute_dtype_parse("unknown"), -1);
}

static void test_defaults(void) {
  attnroute_problem p;
  attnroute_env e;
  memset(&p, 0x5a, sizeof p);
  attnroute_problem_init(&p);
  CHECK_EQ(p.q_dtype, ATTNROUTE_DTYPE_BF16);
  CHECK_EQ(p.kv_dtype, ATTNROUTE_DTYPE_BF16);
  CHECK_EQ(p.causal, 1);
  CHECK_EQ(p.has_sinks, 0);
  CHECK_EQ(p.sliding_window, -1);
  CHECK_EQ(p.kv_block_size, 16);
  CHECK_EQ(p.num_seqs, 0);
  CHECK_EQ(p.max_seqlen_q, 0);
  CHECK_EQ(p.max_seqlen_k, 0);
  CHECK_EQ(p.has_cached, 0);
  CHECK_EQ(p.num_q_heads, 0);
  CHECK_EQ(p.num_kv_heads, 0);
  CHECK_EQ(p.head_dim, 0);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM); /* sizes still 0 */

  memset(&e, 0x5a, sizeof e);
  attnroute_env_init(&e);
  CHECK_EQ(e.step, ATTNROUTE_STEP_AUTO);
  CHECK_EQ(e.force_triton, 0);
  CHECK_EQ(e.use_unified_attn, 0);
  CHECK_EQ(e.asm_arch, 1);
  CHECK_EQ(e.has_alibi, 0);
  CHECK_EQ(e.has_dropout, 0);
  CHECK_EQ(e.has_cu_seqlens, 1);

  attnroute_problem_init(NULL); /* no crash */
  attnroute_env_init(NULL);
}

static void test_check(void) {
  attnroute_problem base = tu_gptoss(), p;
  CHECK_EQ(attnroute_problem_check(&base), ATTNROUTE_OK);
  CHECK_EQ(attnroute_problem_check(NULL), ATTNROUTE_BAD_ARGUMENT);
#define BAD(field, value)                                                   \
  do {                                                                      \
    p = base;                                                               \
    p.field = (value);                                                      \
    CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);           \
  } while (0)
#define GOOD(field, value)                                                  \
  do {                                                                      \
    p = base;                                                               \
    p.field = (value);                                                      \
    CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_OK);                    \
  } while (0)
  BAD(num_seqs, 0);
  BAD(num_seqs, -1);
  BAD(num_seqs, INT_MIN);
  GOOD(num_seqs, INT_MAX);
  BAD(max_seqlen_q, 0);
  BAD(max_seqlen_q, INT_MIN);
  BAD(max_seqlen_q, 6145); /* > sk */
  GOOD(max_seqlen_q, 6144);
  BAD(max_seqlen_k, 2047); /* < sq */
  BAD(max_seqlen_k, 0);
  GOOD(max_seqlen_k, INT_MAX);
  BAD(num_q_heads, 0);
  BAD(num_q_heads, 60); /* not a multiple of 8 */
  BAD(num_q_heads, -64);
  GOOD(num_q_heads, 8);
  BAD(num_kv_heads, 0);
  BAD(num_kv_heads, -8);
  BAD(num_kv_heads, 7);
  BAD(num_kv_heads, 128);
  GOOD(num_kv_heads, 64);
  BAD(head_dim, 0);
  BAD(head_dim, -64);
  GOOD(head_dim, 72); /* any positive D is a call; caps decide who runs it */
  BAD(q_dtype, -1);
  BAD(q_dtype, ATTNROUTE_NUM_DTYPES);
  GOOD(q_dtype, ATTNROUTE_DTYPE_FP32);
  BAD(kv_dtype, -1);
  BAD(kv_dtype, INT_MAX);
  GOOD(kv_dtype, ATTNROUTE_DTYPE_FP8_E4M3);
  BAD(kv_block_size, 0);
  BAD(kv_block_size, -16);
  GOOD(kv_block_size, 3);
  GOOD(sliding_window, -1);
  GOOD(sliding_window, 0); /* <= 0: no window */
  GOOD(sliding_window, INT_MIN);
  GOOD(sliding_window, 128);
  GOOD(has_sinks, -7);
  GOOD(causal, 0);
  GOOD(has_cached, 0);
#undef BAD
#undef GOOD
}

static void test_caps(void) {
  attnroute_problem base = tu_gptoss(), p;
  attnroute_caps any = tu_caps_any(), c;
  CHECK(attnroute_caps_allow(&any, &base));
  CHECK(!attnroute_caps_allow(NULL, &base));
  CHECK(!attnroute_caps_allow(&any, NULL));
#define ALLOW(expect, cfield, cvalue, pfield, pvalue)                       \
  do {                                                                      \
    c = any;                                                                \
    p = base;                                                               \
    c.cfield = (cvalue);                                                    \
    p.pfield = (pvalue);                                                    \
    CHECK_EQ(attnroute_caps_allow(&c, &p) != 0, (expect));                  \
  } while (0)
  /* head dim: bit D/16 - 1 */
  ALLOW(1, head_dim_mask, 1u << 3, head_dim, 64);
  ALLOW(0, head_dim_mask, 1u << 7, head_dim, 64);
  ALLOW(1, head_dim_mask, 1u << 7, head_dim, 128);
  ALLOW(1, head_dim_mask, 1u << 0, head_dim, 16);
  ALLOW(1, head_dim_mask, 1u << 31, head_dim, 512);
  ALLOW(0, head_dim_mask, 0xFFFFFFFFu, head_dim, 72);  /* not a multiple of 16 */
  ALLOW(0, head_dim_mask, 0xFFFFFFFFu, head_dim, 528); /* past 512 */
  ALLOW(0, head_dim_mask, 0xFFFFFFFFu, head_dim, 8);
  ALLOW(0, head_dim_mask, 0xFFFFFFFFu, head_dim, 0);
  ALLOW(0, head_dim_mask, 0xFFFFFFFFu, head_dim, -64);
  ALLOW(0, head_dim_mask, 0xFFFFFFFFu, head_dim, INT_MIN);
  /* dtypes */
  ALLOW(1, q_dtype_mask, 1u << ATTNROUTE_DTYPE_BF16, q_dtype, ATTNROUTE_DTYPE_BF16);
  ALLOW(0, q_dtype_mask, 1u << ATTNROUTE_DTYPE_FP16, q_dtype, ATTNROUTE_DTYPE_BF16);
  ALLOW(0, q_dtype_mask, 0xFFFFFFFFu, q_dtype, -1);
  ALLOW(0, q_dtype_mask, 0xFFFFFFFFu, q_dtype, 32);
  ALLOW(1, kv_dtype_mask, 1u << ATTNROUTE_DTYPE_FP8_E4M3, kv_dtype, ATTNROUTE_DTYPE_FP8_E4M3);
  ALLOW(0, kv_dtype_mask, 1u << ATTNROUTE_DTYPE_FP8_E4M3, kv_dtype, ATTNROUTE_DTYPE_BF16);
  ALLOW(0, kv_dtype_mask, 0xFFFFFFFFu, kv_dtype, INT_MIN);
  /* page size: bit log2(page), 0 = any */
  ALLOW(1, block_size_mask, 0, kv_block_size, 48);
  ALLOW(1, block_size_mask, 1u << 4, kv_block_size, 16);
  ALLOW(0, block_size_mask, 1u << 4, kv_block_size, 32);
  ALLOW(1, block_size_mask, 1u << 8, kv_block_size, 256);
  ALLOW(0, block_size_mask, 0xFFFFFFFFu, kv_block_size, 48); /* not a power of two */
  ALLOW(0, block_size_mask, 0xFFFFFFFFu, kv_block_size, 0);
  ALLOW(0, block_size_mask, 0xFFFFFFFFu, kv_block_size, INT_MIN);
  ALLOW(1, block_size_mask, 1u << 30, kv_block_size, 1 << 30);
  /* sinks */
  ALLOW(1, sinks, ATTNROUTE_CAP_REQUIRED, has_sinks, 1);
  ALLOW(1, sinks, ATTNROUTE_CAP_REQUIRED, has_sinks, -3);
  ALLOW(0, sinks, ATTNROUTE_CAP_REQUIRED, has_sinks, 0);
  ALLOW(0, sinks, ATTNROUTE_CAP_FORBIDDEN, has_sinks, 1);
  ALLOW(1, sinks, ATTNROUTE_CAP_FORBIDDEN, has_sinks, 0);
  ALLOW(1, sinks, ATTNROUTE_CAP_OPTIONAL, has_sinks, 0);
  ALLOW(0, sinks, 3, has_sinks, 0); /* unknown cap value allows nothing */
  ALLOW(0, sinks, -1, has_sinks, 1);
  /* window: present means > 0 */
  ALLOW(1, window, ATTNROUTE_CAP_FORBIDDEN, sliding_window, -1);
  ALLOW(1, window, ATTNROUTE_CAP_FORBIDDEN, sliding_window, 0);
  ALLOW(1, window, ATTNROUTE_CAP_FORBIDDEN, sliding_window, INT_MIN);
  ALLOW(0, window, ATTNROUTE_CAP_FORBIDDEN, sliding_window, 128);
  ALLOW(1, window, ATTNROUTE_CAP_REQUIRED, sliding_window, 128);
  ALLOW(0, window, ATTNROUTE_CAP_REQUIRED, sliding_window, 0);
  ALLOW(0, window, 7, sliding_window, 128);
  /* causal */
  ALLOW(1, causal, ATTNROUTE_CAP_REQUIRED, causal, 1);
  ALLOW(0, causal, ATTNROUTE_CAP_REQUIRED, causal, 0);
  ALLOW(0, causal, ATTNROUTE_CAP_FORBIDDEN, causal, 2);
  ALLOW(1, causal, ATTNROUTE_CAP_FORBIDDEN, causal, 0);
  /* max_seqlen_q */
  ALLOW(1, max_seqlen_q, 2048, max_seqlen_q, 2048);
  ALLOW(0, max_seqlen_q, 2047, max_seqlen_q, 2048);
  ALLOW(1, max_seqlen_q, 0, max_seqlen_q, INT_MAX);
  ALLOW(0, max_seqlen_q, -1, max_seqlen_q, 1);
  /* gqa_exact */
  ALLOW(1, gqa_exact, 8, num_q_heads, 64);
  ALLOW(0, gqa_exact, 8, num_q_heads, 32);
  ALLOW(1, gqa_exact, 0, num_q_heads, 32);
  ALLOW(0, gqa_exact, 8, num_kv_heads, 0);  /* unchecked problem: no crash */
  ALLOW(0, gqa_exact, 8, num_kv_heads, 7);  /* not an integer ratio */
  ALLOW(0, gqa_exact, -8, num_kv_heads, -8);
#undef ALLOW
}

int main(void) {
  test_strings();
  test_defaults();
  test_check();
  test_caps();
  return check_finish("test_names");
}
