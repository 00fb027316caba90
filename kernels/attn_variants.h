/*
** attn_variants.h -- every kernel variant of attnroute's own CUDA/HIP kernels:
** the code object it lives in, its symbol, and its launch geometry.
**
** Plain C (no CUDA), included by the tuner (tuner/candidates/candidates_cuda.c through
** tuner/candidates/families.c); the variants themselves are
** attn_variant_list.h's.  Module names are arch-neutral, "<base>.cubin":
** kernels/CMakeLists.txt writes "<base>.sm_<arch>.cubin" into
** ${CMAKE_BINARY_DIR}/kernels/ for each arch of ATTNROUTE_CUDA_ARCHS, and the
** tuner loads the one for the device's arch (or the nearest built below it
** in the same major version: tuner/candidates/kernel_path.h); a HIP build of
** the portable kernels uses the same base names and symbols with its own
** suffix (AR_HIP_MOD_*).  Each kernel takes one parameter: its attn_args.h
** struct, by value.  Launches needing more than 48 KB of dynamic shared
** memory need CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES raised first.
**
** Kernels (module : symbols):
**   attn_gather   : ar_gather_tok, ar_gather_page       (ar_gather_args)
**   attn_dense    : ar_dense_<tile>_d64/_d128           (ar_dense_args)
**   attn_paged    : ar_paged_<tile>_d64/_d128           (ar_paged_args, prefill,
**                   any sq; num_splits must be 1, writes out)
**   attn_decode   : ar_decode_<tile>_d64/_d128          (ar_paged_args, split-KV)
**                   ar_decode_reduce                    (ar_reduce_args)
**   attn_ref      : ar_ref_paged                        (ar_paged_args, fp32
**                   reference, any head_dim % 8 == 0 up to 256, any sq/sk,
**                   num_splits must be 1, writes out)
**
** Split-KV partials (what ar_decode_* writes when num_splits > 1):
**   part_out[s, t, h, :] = sum_j exp(x_j - m) v_j over split s's visible
**   keys (unnormalised, fp32), part_ml[s, t, h] = (m, l) with x_j the scaled
**   logit softmax_scale * q.k_j, m = max_j x_j (-inf when the split saw no
**   key) and l = sum_j exp(x_j - m).  The sink is NOT in the partials; the
**   reduce adds it.  With num_splits == 1 ar_decode_* writes out (bf16, sink
**   included) directly and ar_decode_reduce is a no-op, so launching both is
**   always correct.
**
** LSE (ar_dense_* when lse != 0): natural log of the full softmax
** denominator, sink column included (-inf for a row that sees nothing).
**
** Every mma kernel (dense, paged, decode) supports head_dim 64 and 128 only,
** through its _d64 / _d128 symbol; the dims functions below read head_dim to
** size shared memory.  All kernels: bf16 q/k/v/out, fp32 sinks, any GQA
** ratio, window, causal on/off, any page size (16..256 tested).
*/
#ifndef ATTN_VARIANTS_H
#define ATTN_VARIANTS_H

#include "attn_launch.h"
#include "attn_variant_list.h"

#define AR_MOD_GATHER "attn_gather.cubin"
#define AR_MOD_DENSE "attn_dense.cubin"
#define AR_MOD_PAGED "attn_paged.cubin"
#define AR_MOD_DECODE "attn_decode.cubin"
#define AR_MOD_REF "attn_ref.cubin"

/* Largest sq the split-KV decode kernels are meant for (they are correct
** for any sq, but re-read K/V once per 16 * (Hq/Hkv) query rows). */
#define AR_DECODE_MAX_SEQLEN_Q 16
/* Keys per decode tile: splits shorter than this waste work. */
#define AR_DECODE_MIN_KEYS_PER_SPLIT 128

static inline unsigned ar__cdiv(long a, long b) { return (unsigned)((a + b - 1) / b); }
static inline void ar__dims(ar_launch_dims *o, unsigned gx, unsigned gy, unsigned gz,
                            unsigned threads, unsigned smem) {
  o->grid[0] = gx ? gx : 1; o->grid[1] = gy ? gy : 1; o->grid[2] = gz ? gz : 1;
  o->block[0] = threads; o->block[1] = 1; o->block[2] = 1;
  o->shared_bytes = smem;
}

/* ---------------------------------------------------------------- gather */
/* ar_gather_tok: 256 threads, each block copies a run of whole token rows
** (Hkv * D contiguous elements) of K and V; grid sized for ~32 KB per block. */
static inline void ar_dims_gather_tok(const void *args, ar_launch_dims *o) {
  const ar_gather_args *a = (const ar_gather_args *)args;
  long row_bytes = (long)a->num_kv_heads * a->head_dim * 2;
  long tok = row_bytes >= 16384 ? 1 : 16384 / (row_bytes > 0 ? row_bytes : 1);
  ar__dims(o, ar__cdiv(a->total_k, tok), 1, 1, 256, 0);
}
/* ar_gather_page: one block per (page slot, sequence); a page of the cache
** is contiguous in both source and destination. */
static inline void ar_dims_gather_page(const void *args, ar_launch_dims *o) {
  const ar_gather_args *a = (const ar_gather_args *)args;
  ar__dims(o, (unsigned)a->max_blocks_per_seq, (unsigned)a->num_seqs, 1, 256, 0);
}

static const ar_kernel_variant ar_kv_gather_tok = {AR_MOD_GATHER, "ar_gather_tok", ar_dims_gather_tok};
static const ar_kernel_variant ar_kv_gather_page = {AR_MOD_GATHER, "ar_gather_page", ar_dims_gather_page};

/* ------------------------------------------------- dense / paged prefill */
/* Tile variants (same for dense and paged prefill):
**   bm128   : 4 warps x 32 query rows, BN = 128 keys (D 64) / 64 (D 128)
**   bm128w8 : 8 warps x 16 query rows, BN as bm128
**   bm64    : 4 warps x 16 query rows, BN = 64
**   bm128pp : 8 warps x 16 rows in two ping-pong groups, BN = 64 (below)
** Grid (ceil(max_seqlen_q / BM), Hq, num_seqs); shared memory holds the Q
** tile and two stages of K and V tiles (paged: plus 2 x BN row offsets). */
static inline unsigned ar__fwd_bn(int bm64, int d) { return bm64 ? 64u : (d == 64 ? 128u : 64u); }
static inline void ar__dims_fwd(ar_launch_dims *o, int max_sq, int hq, int seqs, int d,
                                unsigned bm, unsigned warps, unsigned bn, unsigned extra) {
  ar__dims(o, ar__cdiv(max_sq, bm), (unsigned)hq, (unsigned)seqs, warps * 32,
           (bm + 4 * bn) * (unsigned)d * 2 + extra);
}
static inline void ar_dims_dense_bm128(const void *args, ar_launch_dims *o) {
  const ar_dense_args *a = (const ar_dense_args *)args;
  ar__dims_fwd(o, a->max_seqlen_q, a->num_q_heads, a->num_seqs, a->head_dim, 128, 4, ar__fwd_bn(0, a->head_dim), 0);
}
static inline void ar_dims_dense_bm128w8(const void *args, ar_launch_dims *o) {
  const ar_dense_args *a = (const ar_dense_args *)args;
  ar__dims_fwd(o, a->max_seqlen_q, a->num_q_heads, a->num_seqs, a->head_dim, 128, 8, ar__fwd_bn(0, a->head_dim), 0);
}
static inline void ar_dims_dense_bm64(const void *args, ar_launch_dims *o) {
  const ar_dense_args *a = (const ar_dense_args *)args;
  ar__dims_fwd(o, a->max_seqlen_q, a->num_q_heads, a->num_seqs, a->head_dim, 64, 4, ar__fwd_bn(1, a->head_dim), 0);
}
static inline void ar_dims_paged_bm128(const void *args, ar_launch_dims *o) {
  const ar_paged_args *a = (const ar_paged_args *)args;
  ar__dims_fwd(o, a->max_seqlen_q, a->num_q_heads, a->num_seqs, a->head_dim, 128, 4, ar__fwd_bn(0, a->head_dim), 16 * ar__fwd_bn(0, a->head_dim));
}
static inline void ar_dims_paged_bm128w8(const void *args, ar_launch_dims *o) {
  const ar_paged_args *a = (const ar_paged_args *)args;
  ar__dims_fwd(o, a->max_seqlen_q, a->num_q_heads, a->num_seqs, a->head_dim, 128, 8, ar__fwd_bn(0, a->head_dim), 16 * ar__fwd_bn(0, a->head_dim));
}
static inline void ar_dims_paged_bm64(const void *args, ar_launch_dims *o) {
  const ar_paged_args *a = (const ar_paged_args *)args;
  ar__dims_fwd(o, a->max_seqlen_q, a->num_q_heads, a->num_seqs, a->head_dim, 64, 4, ar__fwd_bn(1, a->head_dim), 16 * ar__fwd_bn(1, a->head_dim));
}

/* Ping-pong variant (bm128pp): 8 warps in two groups of 4 taking turns on
** the tensor cores (one group's softmax under the other's GEMMs), BN = 64,
** four K+V stages synchronised with mbarriers; 1 block per SM. */
static inline void ar_dims_dense_bm128pp(const void *args, ar_launch_dims *o) {
  const ar_dense_args *a = (const ar_dense_args *)args;
  ar__dims(o, ar__cdiv(a->max_seqlen_q, 128), (unsigned)a->num_q_heads, (unsigned)a->num_seqs, 256,
           (128 + 8 * 64) * (unsigned)a->head_dim * 2 + 64);
}
static inline void ar_dims_paged_bm128pp(const void *args, ar_launch_dims *o) {
  const ar_paged_args *a = (const ar_paged_args *)args;
  ar__dims(o, ar__cdiv(a->max_seqlen_q, 128), (unsigned)a->num_q_heads, (unsigned)a->num_seqs, 256,
           (128 + 8 * 64) * (unsigned)a->head_dim * 2 + 64);
}

/* One ar_kernel_variant per prefill tile of attn_variant_list.h:
** ar_kv_dense_<tag>_d<D> and ar_kv_paged_<tag>_d<D>. */
#define AR__KV_FWD(tag, D, NW, MT, BN, BNC, MINB)                                                     \
  static const ar_kernel_variant ar_kv_dense_##tag##_d##D = {AR_MOD_DENSE, "ar_dense_" #tag "_d" #D, \
                                                             ar_dims_dense_##tag};                    \
  static const ar_kernel_variant ar_kv_paged_##tag##_d##D = {AR_MOD_PAGED, "ar_paged_" #tag "_d" #D, \
                                                             ar_dims_paged_##tag};
AR_FWD_TILE_LIST(AR__KV_FWD)
#undef AR__KV_FWD

/* --------------------------------------------------------- paged decode */
/* Split-KV decode: one block per (split, kv head x row group, sequence).  A
** block takes all Hq/Hkv query heads of its kv head for 16 * MT query rows
** (rows = token-major (token, q head of the group)), so each K/V row is read
** once per row group; its warps share each KV tile, 16 keys per warp.
**   w4   : 4 warps, 64-key tiles, 16 rows  (MT 1)
**   w8   : 8 warps, 128-key tiles, 16 rows (MT 1)
**   w4m2 : 4 warps, 64-key tiles, 32 rows  (MT 2; for sq * Hq/Hkv > 16)
** Grid (num_splits, Hkv * ceil(max_seqlen_q * Hq/Hkv / (16 MT)), num_seqs). */
/* Pipeline stages: as many 2*BN*D*2-byte K+V stages as fit 96 KB, 2..4. */
static inline unsigned ar__dec_stages(unsigned warps, int d) {
  unsigned st = 98304u / (2u * 16u * warps * (unsigned)d * 2u);
  return st < 2 ? 2u : st > 4 ? 4u : st;
}
static inline void ar__dims_decode(const ar_paged_args *a, ar_launch_dims *o,
                                   unsigned warps, unsigned mt) {
  int g = a->num_kv_heads > 0 ? a->num_q_heads / a->num_kv_heads : 1;
  unsigned rows = 16 * mt, bn = 16 * warps;
  unsigned groups = ar__cdiv((long)a->max_seqlen_q * g, rows);
  unsigned pipe = ar__dec_stages(warps, a->head_dim) * 2 * bn * (unsigned)a->head_dim * 2;
  unsigned comb = warps * rows * ((unsigned)a->head_dim + 10) * 4; /* cross-warp combine */
  unsigned qs = rows * (unsigned)a->head_dim * 2;
  ar__dims(o, (unsigned)(a->num_splits > 0 ? a->num_splits : 1),
           (unsigned)a->num_kv_heads * groups, (unsigned)a->num_seqs, warps * 32,
           qs + (pipe > comb ? pipe : comb));
}
static inline void ar_dims_decode_w4(const void *args, ar_launch_dims *o) {
  ar__dims_decode((const ar_paged_args *)args, o, 4, 1);
}
static inline void ar_dims_decode_w8(const void *args, ar_launch_dims *o) {
  ar__dims_decode((const ar_paged_args *)args, o, 8, 1);
}
static inline void ar_dims_decode_w4m2(const void *args, ar_launch_dims *o) {
  ar__dims_decode((const ar_paged_args *)args, o, 4, 2);
}
/* Reduce: one thread per output element, 256 threads a block. */
static inline void ar_dims_decode_reduce(const void *args, ar_launch_dims *o) {
  const ar_reduce_args *a = (const ar_reduce_args *)args;
  ar__dims(o, ar__cdiv((long)a->total_q * a->num_q_heads * a->head_dim, 256), 1, 1, 256, 0);
}

/* ar_kv_decode_<tag>_d<D>, one per decode tile of attn_variant_list.h. */
#define AR__KV_DECODE(tag, D, NW, MT, MINB) \
  static const ar_kernel_variant ar_kv_decode_##tag##_d##D = {AR_MOD_DECODE, "ar_decode_" #tag "_d" #D, ar_dims_decode_##tag};
AR_DECODE_TILE_LIST(AR__KV_DECODE)
#undef AR__KV_DECODE
static const ar_kernel_variant ar_kv_decode_reduce = {AR_MOD_DECODE, "ar_decode_reduce", ar_dims_decode_reduce};

/* Suggested split counts for the paged_decode family (ar_decode_variant.
** num_splits): 16 fixed (Triton's 3D split-KV) and 0 (auto: fill the device). */
#define AR_DECODE_FIXED_SPLITS 16

/* ------------------------------------------------------------- reference */
/* One block of 128 threads per (query token, q head): fp32, online softmax
** over chunks of 128 keys read through the block table.  Grid (total_q, Hq). */
static inline void ar_dims_ref_paged(const void *args, ar_launch_dims *o) {
  const ar_paged_args *a = (const ar_paged_args *)args;
  ar__dims(o, (unsigned)a->total_q, (unsigned)a->num_q_heads, 1, 128, 0);
}
static const ar_kernel_variant ar_kv_ref_paged = {AR_MOD_REF, "ar_ref_paged", ar_dims_ref_paged};

/* ---------------------------------------------------------------- tables */
/* One row per (tile variant, head dim), for registering candidates. */
typedef struct ar_variant_entry {
  const char *tag;    /* "bm128", "w4", ... (goes into the candidate name) */
  int32_t head_dim;   /* 64 or 128 */
  const ar_kernel_variant *kernel;
} ar_variant_entry;

#define AR__ENTRY_DENSE(tag, D, NW, MT, BN, BNC, MINB) {#tag, D, &ar_kv_dense_##tag##_d##D},
#define AR__ENTRY_PAGED(tag, D, NW, MT, BN, BNC, MINB) {#tag, D, &ar_kv_paged_##tag##_d##D},
#define AR__ENTRY_DECODE(tag, D, NW, MT, MINB) {#tag, D, &ar_kv_decode_##tag##_d##D},
static const ar_variant_entry ar_dense_variants[] = {AR_FWD_TILE_LIST(AR__ENTRY_DENSE)};
static const ar_variant_entry ar_paged_variants[] = {AR_FWD_TILE_LIST(AR__ENTRY_PAGED)};
static const ar_variant_entry ar_decode_variants[] = {AR_DECODE_TILE_LIST(AR__ENTRY_DECODE)};
#undef AR__ENTRY_DENSE
#undef AR__ENTRY_PAGED
#undef AR__ENTRY_DECODE
#define AR_NUM_DENSE_VARIANTS ((int)(sizeof ar_dense_variants / sizeof ar_dense_variants[0]))
#define AR_NUM_PAGED_VARIANTS ((int)(sizeof ar_paged_variants / sizeof ar_paged_variants[0]))
#define AR_NUM_DECODE_VARIANTS ((int)(sizeof ar_decode_variants / sizeof ar_decode_variants[0]))

#endif /* ATTN_VARIANTS_H */
