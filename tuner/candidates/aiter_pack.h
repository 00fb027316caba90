/*
** aiter_pack.h -- argument buffers and launch geometry of aiter's ASM code
** objects, as pure functions of a workload (no device, no HIP headers), so
** they are unit-tested on any machine.
**
** fmha_fwd_with_sink_varlen_asm (gfx1250, hsa/gfx1250/fmha_fwd_bf16_varlen):
** one packed 0x58-byte buffer, passed as the launch's argument buffer
** (HIP_LAUNCH_PARAM_BUFFER_POINTER).  Offsets (FACTS.md):
**   0x00 out  0x08 q  0x10 k  0x18 v  0x20 lse  0x28 cu_seqlens_q
**   0x30 cu_seqlens_k   (all 64-bit device addresses)
**   0x38 float softmax_scale   0x3C int gqa (Hq / Hkv)   0x40 int q_head_num
**   0x44 int opt (bit0 reverse_kv | bit1 double_q | bit2 remap_xy; aiter: 7)
**   0x48 int lse flag   0x4C int max_seqlen_q   0x50 sink ptr
** Grid (Hq, ceil(ceil(max_seqlen_q / 128) / 2), num_seqs), block 128.
** Values are stored little-endian, as the GPU reads them.
*/
#ifndef AR_AITER_PACK_H
#define AR_AITER_PACK_H

#include <stdint.h>

#include "attn_launch.h"
#include "candidate.h"

#define AR_AITER_SINK_VARLEN_ARGS_SIZE 0x58
/* Argument-ABI version (code hash, launch_fingerprint.h): bump when the
** buffer's meaning changes while its bytes stay the same. */
#define AR_AITER_SINK_VARLEN_ABI 1

/* Byte offsets inside the sink-varlen argument buffer. */
enum ar_aiter_sink_varlen_offset {
  AR_AITER_SV_OUT = 0x00,
  AR_AITER_SV_Q = 0x08,
  AR_AITER_SV_K = 0x10,
  AR_AITER_SV_V = 0x18,
  AR_AITER_SV_LSE = 0x20,
  AR_AITER_SV_CU_Q = 0x28,
  AR_AITER_SV_CU_K = 0x30,
  AR_AITER_SV_SCALE = 0x38,
  AR_AITER_SV_GQA = 0x3C,
  AR_AITER_SV_Q_HEADS = 0x40,
  AR_AITER_SV_OPT = 0x44,
  AR_AITER_SV_LSE_FLAG = 0x48,
  AR_AITER_SV_MAX_SQ = 0x4C,
  AR_AITER_SV_SINK = 0x50
};

/* The opt word aiter passes (reverse_kv | double_q | remap_xy), and the
** kernel's fixed geometry: Q rows per tile, tiles per workgroup (double_q),
** threads per workgroup. */
#define AR_AITER_SV_OPT_DEFAULT 7
#define AR_AITER_SV_TILE_Q 128
#define AR_AITER_SV_TILES_PER_WG 2
#define AR_AITER_SV_BLOCK 128

/* Pack the sink-varlen arguments for w reading keys/values k, v (dense,
** [total_k, Hkv, D]) delimited by cu_k (int32 [num_seqs + 1]): the new
** tokens' K/V with cu_seqlens_new when nothing is cached, else the gathered
** K/V with cu_seqlens_k.  out, q, lse, cu_seqlens_q, scale, the head
** counts and max_seqlen_q (w->seqlen_q: the batch is uniform) come from w;
** the sink pointer is w->sinks when w->p.has_sinks, else 0.  The lse flag is
** 0 (LSE not written, as in the project's own families: the routed engine
** paths do not consume it); the lse pointer is still w->lse.  Fills buf
** (every byte) and *dims (shared_bytes 0).  Returns 0, or -1 with buf and
** *dims zeroed when w cannot be launched (no heads, Hq % Hkv != 0, num_seqs
** or seqlen_q < 1). */
int ar_aiter_pack_sink_varlen(const ar_workload *w, ar_buf k, ar_buf v, ar_buf cu_k,
                              uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE],
                              ar_launch_dims *dims);

#endif /* AR_AITER_PACK_H */
