/*
** aiter_pack.c -- pack aiter's sink-varlen ASM argument buffer (aiter_pack.h).
** Written field by field at explicit offsets, never through a C struct, so
** the layout does not depend on the compiler's padding rules.
*/
#include <string.h>

#include "aiter_pack.h"

static void put_u64(uint8_t *buf, int off, uint64_t v) {
  for (int i = 0; i < 8; i++) buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void put_u32(uint8_t *buf, int off, uint32_t v) {
  for (int i = 0; i < 4; i++) buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void put_i32(uint8_t *buf, int off, int32_t v) { put_u32(buf, off, (uint32_t)v); }

static void put_f32(uint8_t *buf, int off, float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  put_u32(buf, off, u);
}

int ar_aiter_pack_sink_varlen(const ar_workload *w, ar_buf k, ar_buf v, ar_buf cu_k, int abi,
                              uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE],
                              ar_launch_dims *dims) {
  memset(buf, 0, AR_AITER_SINK_VARLEN_ARGS_SIZE);
  memset(dims, 0, sizeof *dims);
  const attnroute_problem *p = &w->p;
  if (p->num_q_heads < 1 || p->num_kv_heads < 1 || p->num_q_heads % p->num_kv_heads != 0 ||
      p->num_seqs < 1 || w->seqlen_q < 1)
    return -1;
  if (abi != AR_AITER_SV_ABI_OPT7_HALVED && abi != AR_AITER_SV_ABI_OPT4_FULL) return -1;
  int halved = abi == AR_AITER_SV_ABI_OPT7_HALVED;

  put_u64(buf, AR_AITER_SV_OUT, w->out);
  put_u64(buf, AR_AITER_SV_Q, w->q);
  put_u64(buf, AR_AITER_SV_K, k);
  put_u64(buf, AR_AITER_SV_V, v);
  put_u64(buf, AR_AITER_SV_LSE, w->lse);
  put_u64(buf, AR_AITER_SV_CU_Q, w->cu_seqlens_q);
  put_u64(buf, AR_AITER_SV_CU_K, cu_k);
  put_f32(buf, AR_AITER_SV_SCALE, w->softmax_scale);
  put_i32(buf, AR_AITER_SV_GQA, p->num_q_heads / p->num_kv_heads);
  put_i32(buf, AR_AITER_SV_Q_HEADS, p->num_q_heads);
  put_i32(buf, AR_AITER_SV_OPT, halved ? AR_AITER_SV_OPT_DEFAULT : 4);
  put_i32(buf, AR_AITER_SV_LSE_FLAG, 1);
  put_i32(buf, AR_AITER_SV_MAX_SQ, w->seqlen_q);
  put_u64(buf, AR_AITER_SV_SINK, p->has_sinks ? w->sinks : 0);

  unsigned tiles = ((unsigned)w->seqlen_q + AR_AITER_SV_TILE_Q - 1) / AR_AITER_SV_TILE_Q;
  dims->grid[0] = (unsigned)p->num_q_heads;
  dims->grid[1] = halved ? (tiles + AR_AITER_SV_TILES_PER_WG - 1) / AR_AITER_SV_TILES_PER_WG : tiles;
  dims->grid[2] = (unsigned)p->num_seqs;
  dims->block[0] = AR_AITER_SV_BLOCK;
  dims->block[1] = 1;
  dims->block[2] = 1;
  dims->shared_bytes = 0;
  return 0;
}

int ar_aiter_pack_pa_decode(const ar_aiter_pa_decode_call *c,
                            uint8_t buf[AR_AITER_PA_DECODE_ARGS_SIZE], ar_launch_dims *dims) {
  memset(buf, 0, AR_AITER_PA_DECODE_ARGS_SIZE);
  memset(dims, 0, sizeof *dims);
  if (c->head_dim != AR_AITER_PD_HEAD_DIM || c->gqa != AR_AITER_PD_GQA_RATIO || c->mtp < 0 ||
      (int64_t)(c->mtp + 1) * c->gqa > AR_AITER_PD_TILE_Q || c->num_kv_heads < 1)
    return -1;
  if (!c->q || !c->k || !c->v || !c->kv_indices || !c->context_lens || !c->kv_indptr || !c->out ||
      !c->sink || !c->q_scale || !c->k_scale || !c->v_scale)
    return -1;
  int64_t head_stride = (int64_t)c->head_dim * AR_AITER_PD_PAGE; /* fp8: 1 byte */
  int64_t page_stride = head_stride * c->num_kv_heads;
  int64_t q_stride = (int64_t)c->num_kv_heads * c->gqa * c->head_dim;
  int64_t grid = c->work_indptr ? c->work_groups : c->hip_mp_count;
  /* the launcher computes the strides as int */
  if (page_stride > 0x7fffffffll || q_stride > 0x7fffffffll || grid < 1 || grid > 0x7fffffffll)
    return -1;
  put_u64(buf, AR_AITER_PD_Q, c->q);
  put_u64(buf, AR_AITER_PD_K, c->k);
  put_u64(buf, AR_AITER_PD_V, c->v);
  put_u64(buf, AR_AITER_PD_KV_INDICES, c->kv_indices);
  put_u64(buf, AR_AITER_PD_CONTEXT_LENS, c->context_lens);
  put_u64(buf, AR_AITER_PD_KV_INDPTR, c->kv_indptr);
  put_u64(buf, AR_AITER_PD_WORK_INDPTR, c->work_indptr);
  put_u64(buf, AR_AITER_PD_WORK_INFO, c->work_info);
  put_u32(buf, AR_AITER_PD_KV_HEADS, (uint32_t)c->num_kv_heads);
  put_u32(buf, AR_AITER_PD_Q_STRIDE, (uint32_t)q_stride);
  put_u32(buf, AR_AITER_PD_PAGE_STRIDE, (uint32_t)page_stride);
  put_u32(buf, AR_AITER_PD_HEAD_STRIDE, (uint32_t)head_stride);
  put_u32(buf, AR_AITER_PD_MTP, (uint32_t)c->mtp);
  put_f32(buf, AR_AITER_PD_SCALE, c->softmax_scale);
  put_u32(buf, AR_AITER_PD_GQA, (uint32_t)c->gqa);
  put_u64(buf, AR_AITER_PD_O, c->out);
  put_u64(buf, AR_AITER_PD_SPLIT_O, c->split_o);
  put_u64(buf, AR_AITER_PD_SPLIT_LSE, c->split_lse);
  put_u64(buf, AR_AITER_PD_SINK, c->sink);
  put_u64(buf, AR_AITER_PD_Q_SCALE, c->q_scale);
  put_u64(buf, AR_AITER_PD_K_SCALE, c->k_scale);
  put_u64(buf, AR_AITER_PD_V_SCALE, c->v_scale);
  dims->grid[0] = (unsigned)grid;
  dims->grid[1] = dims->grid[2] = 1;
  dims->block[0] = AR_AITER_PD_BLOCK;
  dims->block[1] = dims->block[2] = 1;
  return 0;
}
