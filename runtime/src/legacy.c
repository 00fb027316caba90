/*
** legacy.c -- the hand-written gates of ROCm ATOM that attnroute replaces,
** and the aiter rules under them, as the code runs them: the route ATOM's
** PagedAttentionImpl (atom/model_ops/attention_mha.py) takes for one call,
** before and after ATOM PR #1345, with unified attention on or off.
**
** Sources (read, not copied):
**   ATOM attention_mha.py at f16bec50 (pre-1345, the merge's parent) and at
**     57215ec7 (the #1345 merge; PagedAttentionImpl unchanged to ffdf3bb5,
**     2026-08-22): dispatch_backend, _can_attempt/_can_use_prefill_sink_asm,
**     _dispatch_decode, rope_cache, paged_attention_*, prefill_attention*.
**   ATOM atom/utils/envs.py (ffdf3bb5): ATOM_USE_UNIFIED_ATTN and
**     ATOM_FORCE_ATTN_TRITON are on only when set to "1".
**   aiter aiter/ops/triton/attention/unified_attention.py (e4048607,
**     2026-08-22; the gfx12 rule since 57de65d1, 2026-06-10): use_2d_kernel.
**   aiter aiter/ops/mha.py (e4048607): flash_attn_varlen_func's gfx1250
**     gate for fmha_fwd_with_sink_varlen_asm.
**   aiter csrc/py_itfs_cu/asm_pa_decode_bf16.cu (e4048607): pa_decode_bf16_asm
**     checks gfx1250, fp8 K/V, head_dim 64, gqa 8, (mtp + 1) * gqa <= 16.
**   aiter hsa/: paged-attention ASM objects (pa_asm.csv, used by pa_fwd_asm
**     and pa_persistent_fwd) exist for gfx942 and gfx950 only.
**
** Conventions: a window is present when sliding_window > 0 (the project's
** "no window" is ATOM's -1); ATOM always runs causal attention, so
** p->causal is not read; the new tokens' q, k and v have the dtype q_dtype
** (the model's), the cache kv_dtype.
*/
#include <stddef.h>

#include "internal.h"

/* True for every nonzero switch value. */
#define ON(x) ((x) != 0)

/* Triton unified_attention (aiter unified_attention.py, use_2d_kernel):
** split-KV ("3D") or the 2D kernel.  gfx12: 3D exactly for a pure-decode
** batch (max_seqlen_q == 1) without a window.  Other archs: 2D with a
** window, with max_seqlen_k <= 512, with more 2D programs than 4 per CU, or
** for head_dim >= 512 outside pure decode (CDNA assumed); the 2D program
** count is counted over the uniform batch's q blocks. */
static int triton_splits(const attnroute_env *env, const attnroute_problem *p) {
  int all_decode = p->max_seqlen_q == 1;
  int64_t gqa, block_m, block_q, q_blocks, target;
  if (ATTNROUTE__HAS_WINDOW(p->sliding_window)) return 0;
  if (ON(env->asm_arch)) return all_decode;
  if (p->head_dim >= 512 && !all_decode) return 0;
  if (p->max_seqlen_k <= 512) return 0;
  gqa = p->num_q_heads / p->num_kv_heads;
  block_m = 16;
  while (block_m < gqa) block_m *= 2;
  block_q = block_m / gqa;
  q_blocks = all_decode ? p->num_seqs
                        : (int64_t)p->num_seqs * p->max_seqlen_q / block_q + p->num_seqs;
  target = (int64_t)(env->cu_count > 0 ? env->cu_count : 1) * 4;
  return q_blocks <= target / p->num_kv_heads; /* programs = q_blocks * Hkv, no overflow */
}

/* unified_attention called by ATOM (paged_attention_triton with unified
** attention or the flash layout, prefill_attention_triton); `gather`: the
** pre-1345 prefix gather ran first (rope_cache gathered on every cache hit,
** the Triton path included, f16bec50). */
static int unified_route(const attnroute_env *env, const attnroute_problem *p, int gather) {
  if (triton_splits(env, p))
    return gather ? ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER : ATTNROUTE_ROUTE_TRITON_SPLITKV;
  return gather ? ATTNROUTE_ROUTE_TRITON_PAGED_GATHER : ATTNROUTE_ROUTE_TRITON_PAGED;
}

/* paged_attention_triton: unified_attention with unified attention or the
** flash layout, else aiter's gluon paged decode (get_recommended_splits; a
** window forces one partition). */
static int paged_triton(const attnroute_env *env, const attnroute_problem *p) {
  if (ON(env->use_unified_attn) || ON(env->flash_layout)) return unified_route(env, p, 0);
  return ATTNROUTE_ROUTE_GLUON_PAGED_DECODE;
}

/* paged_attention_persistent_asm: with sinks pa_decode_bf16_asm (+ reduce),
** whose launcher refuses anything but gfx1250, an fp8 cache (q is quantized
** by ATOM), head_dim 64, GQA 8 and mtp <= 1 (no tile_q 16 kernel holds more);
** without sinks pa_persistent_fwd, which has no gfx1250 code object. */
static int persistent_asm(const attnroute_env *env, const attnroute_problem *p) {
  if (p->has_sinks) {
    if (ON(env->asm_arch) && p->kv_dtype == ATTNROUTE_DTYPE_FP8_E4M3 && p->head_dim == 64 &&
        p->num_q_heads / p->num_kv_heads == 8 && p->max_seqlen_q <= 2)
      return ATTNROUTE_ROUTE_ASM_PAGED_DECODE;
    return ATTNROUTE_ROUTE_ENGINE_ERROR;
  }
  return ON(env->asm_arch) ? ATTNROUTE_ROUTE_ENGINE_ERROR : ATTNROUTE_ROUTE_ASM_PERSISTENT_DECODE;
}

/* paged_attention_asm: raises for sinks; pa_fwd_asm has no gfx1250 object. */
static int pa_fwd_asm(const attnroute_env *env, const attnroute_problem *p) {
  if (p->has_sinks || ON(env->asm_arch)) return ATTNROUTE_ROUTE_ENGINE_ERROR;
  return ATTNROUTE_ROUTE_ASM_PA_FWD;
}

/* _dispatch_decode (57215ec7 and f16bec50 alike).  use_triton_attn is set by
** rope_cache: forced, windowed or head_dim != 128.  use_pa_decode_bf16_asm()
** needs unified attention, so with it off the ASM path is paged_attention_asm. */
static int decode_route(const attnroute_env *env, const attnroute_problem *p) {
  if (ATTNROUTE__HAS_WINDOW(p->sliding_window)) return paged_triton(env, p);
  if (ON(env->use_unified_attn)) {
    if (ON(env->force_triton)) return paged_triton(env, p);
    if (p->kv_block_size == 256) return persistent_asm(env, p);
    return paged_triton(env, p);
  }
  if (ON(env->force_triton) || p->head_dim != 128 || ON(env->flash_layout))
    return paged_triton(env, p);
  return pa_fwd_asm(env, p);
}

/* ATOM's sink-ASM prefill gate (_can_attempt_prefill_sink_asm and
** _can_use_prefill_sink_asm): the new tokens' q/k/v dtypes are checked, not
** the cache's (with an fp8 cache they stay bf16 and the gather dequantizes).
** Pre-1345 (f16bec50) also: no cached prefix and max_seqlen_q == max_seqlen_k. */
static int atom_sink_gate(int policy, const attnroute_env *env, const attnroute_problem *p) {
  if (ON(env->force_triton)) return 0;
  if (!ON(env->use_unified_attn) && !ON(env->flash_layout)) return 0;
  if (!ON(env->asm_arch) || p->head_dim != 64 || !p->has_sinks) return 0;
  if (ATTNROUTE__HAS_WINDOW(p->sliding_window) || ON(env->has_alibi)) return 0;
  if (ON(env->has_dropout) || !ON(env->has_cu_seqlens)) return 0;
  if (p->q_dtype != ATTNROUTE_DTYPE_BF16) return 0;
  if (policy == ATTNROUTE_POLICY_PRE_1345 &&
      (p->has_cached || p->max_seqlen_q != p->max_seqlen_k))
    return 0;
  return 1;
}

/* prefill_attention: aiter.flash_attn_varlen_func on the gathered K/V.  Its
** gfx1250 gate runs fmha_fwd_with_sink_varlen_asm for bf16 q, no window, no
** dropout (ATOM passes no alibi, always causal) and D 64 with sinks or D 128
** without; everything else goes to FlyDSL / CK. */
static int varlen_route(const attnroute_env *env, const attnroute_problem *p) {
  int sink_pair = (p->head_dim == 64 && p->has_sinks) || (p->head_dim == 128 && !p->has_sinks);
  if (ON(env->asm_arch) && p->q_dtype == ATTNROUTE_DTYPE_BF16 &&
      !ATTNROUTE__HAS_WINDOW(p->sliding_window) && !ON(env->has_dropout) && sink_pair)
    return ATTNROUTE_ROUTE_DENSE_SINK_ASM;
  return ATTNROUTE_ROUTE_DENSE_VARLEN;
}

/* dispatch_backend's prefill branch.  The ATOM gate passing leads to
** prefill_attention, whose aiter gate then passes too (D 64, sinks, bf16). */
static int prefill_route(int policy, const attnroute_env *env, const attnroute_problem *p) {
  if (atom_sink_gate(policy, env, p)) return ATTNROUTE_ROUTE_DENSE_SINK_ASM;
  if (ON(env->use_unified_attn) || ON(env->flash_layout))
    return unified_route(env, p, policy == ATTNROUTE_POLICY_PRE_1345 && p->has_cached);
  return varlen_route(env, p);
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
