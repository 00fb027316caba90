/*
** aiter_pack.h -- argument buffers and launch geometry of aiter's ASM code
** objects, as pure functions of a workload (no device, no HIP headers), so
** they are unit-tested on any machine.
**
** fmha_fwd_with_sink_varlen_asm (gfx1250, hsa/gfx1250/fmha_fwd_bf16_varlen):
** one packed 0x58-byte buffer, passed as the launch's argument buffer
** (HIP_LAUNCH_PARAM_BUFFER_POINTER).  Offsets (FmhaFwdVarlenKernelArgs,
** aiter csrc/py_itfs_cu/asm_fmha_fwd_with_sink_varlen.cu, e4048607, the same
** since a71255f8; the objects' notes list the same 14 arguments):
**   0x00 out  0x08 q  0x10 k  0x18 v  0x20 lse  0x28 cu_seqlens_q
**   0x30 cu_seqlens_k   (all 64-bit device addresses)
**   0x38 float softmax_scale   0x3C int gqa (Hq / Hkv)   0x40 int q_head_num
**   0x44 int opt (bit0 reverse_kv | bit1 double_q | bit2 remap_xy)
**   0x48 int lse flag   0x4C int max_seqlen_q   0x50 sink ptr
** Launch (same file): q_tiles = ceil(max_seqlen_q / 128); double_q (opt
** bit 1) halves them: gdx = ceil(q_tiles / tg_div), tg_div 2 with double_q
** else 1; remap_xy swaps the launch to grid (Hq, gdx, batch); block 128.
** aiter passes opt 7 since b467ce34 (2026-07-14), opt 4 (no double_q: the
** full grid) from a71255f8 (2026-06-24) until then.  Values are stored
** little-endian, as the GPU reads them.
**
** Which of these launches a code object wants is decided from the object
** (aiter_abi.h): its metadata note says 88 bytes, and since the same
** objects ran with opt 4 and with opt 7, the file's content picks one.
**
** pa_decode_bf16_asm (gfx1250 paged decode with sinks; aiter
** csrc/py_itfs_cu/asm_pa_decode_bf16.cu, e4048607, PA_KARG_PRELOAD 1): one
** 0xB0-byte buffer (kernarg_segment_size 176; 0x170 = 368 bytes before
** 67c18c70, 2026-06-30):
**   0x00 Q  0x08 K  0x10 V  0x18 KV indices  0x20 context lengths
**   0x28 KV indptr  0x30 work indptr  0x38 work info   (64-bit addresses)
**   0x40 u32 kv heads  0x44 u32 Q bytes per MTP layer  0x48 u32 K page stride
**   (bytes)  0x4C u32 K head stride (bytes)  0x50 u32 mtp  0x54 f32 softmax
**   scale  0x58 u32 GQA  0x5C..0x77 zero (the q/k/v scale words are padding
**   now)  0x78 O  0x80 split O  0x88 split LSE  0x90 sink  0x98 Q scale
**   0xA0 K scale  0xA8 V scale (fp32 device tensors).
** Grid: work_indptr's entries - 1 when work_indptr is given (the split
** get_pa_metadata_v1 built, sized by multiProcessorCount), else
** get_num_cu_func() = hipDeviceProp multiProcessorCount, which counts WGPs
** on gfx1250 (hip_cu_count.h); block 128 (4 waves of 32).
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

/* The launches of the 88-byte sink-varlen objects. */
enum ar_aiter_sv_abi {
  AR_AITER_SV_ABI_NONE = 0,        /* refused */
  AR_AITER_SV_ABI_OPT7_HALVED = 1, /* opt 7, grid.y = ceil(tiles / 2) (b467ce34 on) */
  AR_AITER_SV_ABI_OPT4_FULL = 2    /* opt 4, grid.y = tiles (a71255f8 .. b467ce34) */
};

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
** counts and max_seqlen_q (w->seqlen_q, the largest sq) come from w;
** the sink pointer is w->sinks when w->p.has_sinks, else 0.  The lse flag is
** 1: aiter's _flash_attn_varlen_forward (aiter/ops/mha.py, e4048607) asks
** for LSE on every call, so the engine's path writes it.  abi picks opt and
** grid.  Fills buf (every byte) and *dims (shared_bytes 0).  Returns 0, or
** -1 with buf and *dims zeroed when w cannot be launched (no heads,
** Hq % Hkv != 0, num_seqs or seqlen_q < 1, unknown abi). */
int ar_aiter_pack_sink_varlen(const ar_workload *w, ar_buf k, ar_buf v, ar_buf cu_k, int abi,
                              uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE],
                              ar_launch_dims *dims);

#define AR_AITER_PA_DECODE_ARGS_SIZE 0xB0

/* Byte offsets inside the pa_decode_bf16_asm argument buffer. */
enum ar_aiter_pa_decode_offset {
  AR_AITER_PD_Q = 0x00,
  AR_AITER_PD_K = 0x08,
  AR_AITER_PD_V = 0x10,
  AR_AITER_PD_KV_INDICES = 0x18,
  AR_AITER_PD_CONTEXT_LENS = 0x20,
  AR_AITER_PD_KV_INDPTR = 0x28,
  AR_AITER_PD_WORK_INDPTR = 0x30,
  AR_AITER_PD_WORK_INFO = 0x38,
  AR_AITER_PD_KV_HEADS = 0x40,
  AR_AITER_PD_Q_STRIDE = 0x44,
  AR_AITER_PD_PAGE_STRIDE = 0x48,
  AR_AITER_PD_HEAD_STRIDE = 0x4C,
  AR_AITER_PD_MTP = 0x50,
  AR_AITER_PD_SCALE = 0x54,
  AR_AITER_PD_GQA = 0x58,
  AR_AITER_PD_PAD = 0x5C, /* through 0x77: zero */
  AR_AITER_PD_O = 0x78,
  AR_AITER_PD_SPLIT_O = 0x80,
  AR_AITER_PD_SPLIT_LSE = 0x88,
  AR_AITER_PD_SINK = 0x90,
  AR_AITER_PD_Q_SCALE = 0x98,
  AR_AITER_PD_K_SCALE = 0xA0,
  AR_AITER_PD_V_SCALE = 0xA8
};

/* The kernel's fixed shape (asm_pa_decode_bf16.cu): D 64, page 256, GQA 8,
** 128 threads; (mtp + 1) x GQA <= 16 (the only tile_q is 16). */
#define AR_AITER_PD_HEAD_DIM 64
#define AR_AITER_PD_PAGE 256
#define AR_AITER_PD_GQA_RATIO 8
#define AR_AITER_PD_TILE_Q 16
#define AR_AITER_PD_BLOCK 128

/* Device addresses and sizes of one pa_decode_bf16_asm call. */
typedef struct ar_aiter_pa_decode_call {
  ar_buf q, k, v, kv_indices, context_lens, kv_indptr, work_indptr, work_info;
  ar_buf out, split_o, split_lse, sink, q_scale, k_scale, v_scale;
  int32_t num_kv_heads, gqa, mtp, head_dim;
  int32_t work_groups;   /* work_indptr entries - 1 (read when work_indptr is set) */
  int32_t hip_mp_count;  /* hipDeviceProp multiProcessorCount (the WGP count on gfx1250):
                         ** the grid without work metadata, as aiter's get_num_cu_func() */
  float softmax_scale;
} ar_aiter_pa_decode_call;

/* Pack c: strides from the fp8 layouts K [pages, Hkv, D/16, 256, 16] (page
** stride Hkv x D x 256 bytes, head stride D x 256) and Q [batch, mtp + 1,
** Hkv, GQA, D] (Hkv x GQA x D bytes per MTP layer).  Fills buf (every byte)
** and *dims.  Returns 0, or -1 with both zeroed when the kernel refuses c
** (head_dim != 64, GQA != 8, (mtp + 1) x GQA > 16, no heads, a stride past
** INT32_MAX, work_indptr without work_groups, no grid) or a pointer the
** launcher requires (all but the work and split ones) is 0.  Strides and
** refusals: asm_pa_decode_bf16.cu pa_decode_bf16_asm, aiter e4048607 (Bs /
** KVs are K's strides 0 and 1 in bytes: contiguous here). */
int ar_aiter_pack_pa_decode(const ar_aiter_pa_decode_call *c,
                            uint8_t buf[AR_AITER_PA_DECODE_ARGS_SIZE], ar_launch_dims *dims);

#endif /* AR_AITER_PACK_H */
