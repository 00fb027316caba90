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

int ar_aiter_pack_sink_varlen(const ar_workload *w, ar_buf k, ar_buf v, ar_buf cu_k,
                              uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE],
                              ar_launch_dims *dims) {
  memset(buf, 0, AR_AITER_SINK_VARLEN_ARGS_SIZE);
  memset(dims, 0, sizeof *dims);
  const attnroute_problem *p = &w->p;
  if (p->num_q_heads < 1 || p->num_kv_heads < 1 || p->num_q_heads % p->num_kv_heads != 0 ||
      p->num_seqs < 1 || w->seqlen_q < 1)
    return -1;

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
  put_i32(buf, AR_AITER_SV_OPT, AR_AITER_SV_OPT_DEFAULT);
  put_i32(buf, AR_AITER_SV_LSE_FLAG, 0);
  put_i32(buf, AR_AITER_SV_MAX_SQ, w->seqlen_q);
  put_u64(buf, AR_AITER_SV_SINK, p->has_sinks ? w->sinks : 0);

  unsigned tiles = ((unsigned)w->seqlen_q + AR_AITER_SV_TILE_Q - 1) / AR_AITER_SV_TILE_Q;
  dims->grid[0] = (unsigned)p->num_q_heads;
  dims->grid[1] = (tiles + AR_AITER_SV_TILES_PER_WG - 1) / AR_AITER_SV_TILES_PER_WG;
  dims->grid[2] = (unsigned)p->num_seqs;
  dims->block[0] = AR_AITER_SV_BLOCK;
  dims->block[1] = 1;
  dims->block[2] = 1;
  dims->shared_bytes = 0;
  return 0;
}
