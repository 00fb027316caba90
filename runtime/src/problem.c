/*
** problem.c -- the problem and the legacy environment: defaults and the
** validity check every select starts with.
*/
#include <stddef.h>

#include "attnroute.h"

/*
** Defaults: bf16 q and kv, causal, no sinks, no window (-1), page 16,
** every other field 0.  NULL is ignored.
*/
void attnroute_problem_init(attnroute_problem *p) {
  if (!p) return;
  p->num_seqs = 0;
  p->max_seqlen_q = 0;
  p->max_seqlen_k = 0;
  p->has_cached = 0;
  p->num_q_heads = 0;
  p->num_kv_heads = 0;
  p->head_dim = 0;
  p->q_dtype = ATTNROUTE_DTYPE_BF16;
  p->kv_dtype = ATTNROUTE_DTYPE_BF16;
  p->has_sinks = 0;
  p->sliding_window = -1;
  p->kv_block_size = 16;
  p->causal = 1;
  p->total_seqlen_q = 0;
  p->total_seqlen_k = 0;
}

/*
** ATOM's defaults: automatic step, Triton not forced, unified attention on,
** ASM kernels available, no alibi, no dropout, cu_seqlens present.
** NULL is ignored.
*/
void attnroute_env_init(attnroute_env *env) {
  if (!env) return;
  env->step = ATTNROUTE_STEP_AUTO;
  env->force_triton = 0;
  env->use_unified_attn = 0; /* atom/utils/envs.py: on only when "1" */
  env->asm_arch = 1;
  env->has_alibi = 0;
  env->has_dropout = 0;
  env->has_cu_seqlens = 1;
  env->flash_layout = 0;
  env->cu_count = 256; /* gfx1250 (MI450) */
}

static int dtype_known(int32_t d) { return d >= 0 && d < ATTNROUTE_NUM_DTYPES; }

/* A ragged total over n sequences whose longest is `max` (>= 1): 0
** (unknown), or one that n lengths of 1..max reaching max can sum to. */
static int total_fits(int32_t total, int32_t n, int32_t max) {
  if (total == 0) return 1;
  return total > 0 && (int64_t)total >= (int64_t)max + (n - 1) &&
         (int64_t)total <= (int64_t)n * max;
}

/*
** ATTNROUTE_OK when p is an attention call some kernel could run: positive
** batch, lengths, heads, head dim and page size; sk >= sq; Hq a multiple of
** Hkv; known dtypes; ragged totals 0 or consistent (attnroute.h).  Any window value is accepted (<= 0 means none) and the
** boolean fields accept any value.  ATTNROUTE_BAD_PROBLEM otherwise,
** ATTNROUTE_BAD_ARGUMENT for NULL.
*/
int attnroute_problem_check(const attnroute_problem *p) {
  if (!p) return ATTNROUTE_BAD_ARGUMENT;
  if (p->num_seqs <= 0 || p->max_seqlen_q <= 0 || p->max_seqlen_k <= 0)
    return ATTNROUTE_BAD_PROBLEM;
  if (p->max_seqlen_k < p->max_seqlen_q) return ATTNROUTE_BAD_PROBLEM;
  if (p->num_q_heads <= 0 || p->num_kv_heads <= 0) return ATTNROUTE_BAD_PROBLEM;
  if (p->num_q_heads % p->num_kv_heads != 0) return ATTNROUTE_BAD_PROBLEM;
  if (p->head_dim <= 0 || p->kv_block_size <= 0) return ATTNROUTE_BAD_PROBLEM;
  if (!dtype_known(p->q_dtype) || !dtype_known(p->kv_dtype))
    return ATTNROUTE_BAD_PROBLEM;
  if (!total_fits(p->total_seqlen_q, p->num_seqs, p->max_seqlen_q) ||
      !total_fits(p->total_seqlen_k, p->num_seqs, p->max_seqlen_k))
    return ATTNROUTE_BAD_PROBLEM;
  if (p->total_seqlen_q > 0 && p->total_seqlen_k > 0 && p->total_seqlen_k < p->total_seqlen_q)
    return ATTNROUTE_BAD_PROBLEM;
  return ATTNROUTE_OK;
}
