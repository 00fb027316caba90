/*
** legacy.c -- the hand-written gates of ROCm ATOM (attention_mha.py) that
** attnroute replaces, before and after ATOM PR #1345, as read from ATOM's
** and aiter's public sources (atom/model_ops/attention_mha.py at the PR's
** merge and after, atom/utils/envs.py, aiter's unified_attention.py and
** mha.py).  They answer every select the table cannot.
*/
#include <stddef.h>

#include "internal.h"

/* Triton unified_attention's inner gate: split-KV ("3D") only for pure
** decode (one query token) when num_seqs <= 128 / num_kv_heads. */
static int triton_route(const attnroute_problem *p) {
  if (p->max_seqlen_q == 1 && p->num_seqs <= 128 / p->num_kv_heads)
    return ATTNROUTE_ROUTE_TRITON_SPLITKV;
  return ATTNROUTE_ROUTE_TRITON_PAGED;
}

/* Decode: a sliding window goes to Triton; with unified attention a KV page
** of 256 goes to the persistent ASM paged decode; the rest to Triton. */
static int decode_route(const attnroute_env *env, const attnroute_problem *p) {
  if (ATTNROUTE__HAS_WINDOW(p->sliding_window)) return triton_route(p);
  if (env->use_unified_attn && p->kv_block_size == 256)
    return ATTNROUTE_ROUTE_ASM_PAGED_DECODE;
  return triton_route(p);
}

/* Prefill: the sink ASM varlen kernel only when every gate passes, else
** Triton's paged kernel.  Pre-1345 also wants no cached prefix and sq == sk. */
static int prefill_route(int policy, const attnroute_env *env,
                         const attnroute_problem *p) {
  int dense = !env->force_triton && env->use_unified_attn && env->asm_arch &&
              p->head_dim == 64 && p->has_sinks &&
              !ATTNROUTE__HAS_WINDOW(p->sliding_window) && !env->has_alibi &&
              !env->has_dropout && env->has_cu_seqlens &&
              p->q_dtype == ATTNROUTE_DTYPE_BF16 &&
              p->kv_dtype == ATTNROUTE_DTYPE_BF16 &&
              p->num_q_heads % p->num_kv_heads == 0;
  if (dense && policy == ATTNROUTE_POLICY_PRE_1345)
    dense = !p->has_cached && p->max_seqlen_q == p->max_seqlen_k;
  return dense ? ATTNROUTE_ROUTE_DENSE_SINK_ASM : ATTNROUTE_ROUTE_TRITON_PAGED;
}

/*
** The route ATOM's gates pick for p under `policy` (any value other than
** ATTNROUTE_POLICY_PRE_1345 means post-1345) and `env` (NULL: defaults).
** The step is env->step; ATTNROUTE_STEP_AUTO (or any unknown value) means
** decode exactly when max_seqlen_q == 1.  A NULL or invalid problem gets
** ATTNROUTE_ROUTE_TRITON_PAGED.
*/
int attnroute_legacy_route(int policy, const attnroute_env *env,
                           const attnroute_problem *p) {
  attnroute_env defaults;
  int decode;
  if (attnroute_problem_check(p) != ATTNROUTE_OK) return ATTNROUTE_ROUTE_TRITON_PAGED;
  if (!env) {
    attnroute_env_init(&defaults);
    env = &defaults;
  }
  if (env->step == ATTNROUTE_STEP_DECODE)
    decode = 1;
  else if (env->step == ATTNROUTE_STEP_PREFILL)
    decode = 0;
  else
    decode = p->max_seqlen_q == 1;
  return decode ? decode_route(env, p) : prefill_route(policy, env, p);
}
