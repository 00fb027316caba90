/*
** attn_args.h -- the argument-buffer ABI of attnroute's own attention kernels.
**
** Every kernel takes exactly one parameter: one of these structs, by value.
** The tuner packs the struct on the host and passes it as the launch's
** argument buffer (CU_LAUNCH_PARAM_BUFFER_POINTER / HIP_LAUNCH_PARAM_BUFFER_
** POINTER), the same way aiter launches its ASM code objects, so a kernel's
** parameter layout is exactly the struct's layout.  The host backend's C
** kernels take the same structs.  Included by C (tuner, host kernels) and by
** CUDA/HIP sources; keep it plain C with fixed-width fields.
**
** Tensor layouts (all row-major, bf16 unless noted; "ptr" = device address):
**   q        [total_q, Hq, D]      packed new query tokens (THD)
**   k, v     [total_k, Hkv, D]     packed dense keys / values
**   k_cache, v_cache [num_blocks, block_size, Hkv, D]   paged KV cache
**   block_table int32 [num_seqs, max_blocks_per_seq]
**   cu_seqlens_q/k int32 [num_seqs + 1]; seq_lens_k int32 [num_seqs]
**   sinks    fp32 [Hq]             per-head sink logit (0 ptr = no sinks)
**   out      [total_q, Hq, D]; lse fp32 [total_q, Hq] (0 ptr = not written)
**
** Semantics shared by every kernel and the references: for sequence b with
** sq = cu_q[b+1]-cu_q[b] query rows and sk keys, query row i (0-based) sees
** key j iff (!causal || j <= i + sk - sq) and (window <= 0 ||
** j > i + sk - sq - window).  p = softmax over visible keys of
** softmax_scale * q.k, where the sink logit sinks[h] (when present) joins the
** softmax denominator as an extra column with a zero value vector.  A row
** with no visible key and no sink outputs zeros.  Query head h reads kv head
** h / (Hq / Hkv).
*/
#ifndef ATTN_ARGS_H
#define ATTN_ARGS_H

#include <stdint.h>

/* Paged cache -> dense K/V (the gather of the dense path). */
typedef struct ar_gather_args {
  uint64_t k_cache, v_cache; /* [num_blocks, block_size, Hkv, D] */
  uint64_t k_out, v_out;     /* [total_k, Hkv, D] */
  uint64_t block_table;      /* int32 [num_seqs, max_blocks_per_seq] */
  uint64_t cu_seqlens_k;     /* int32 [num_seqs + 1] */
  int32_t num_seqs;
  int32_t num_kv_heads;
  int32_t head_dim;
  int32_t block_size;
  int32_t max_blocks_per_seq;
  int32_t total_k;
} ar_gather_args;

/* Dense sink varlen attention over packed Q/K/V. */
typedef struct ar_dense_args {
  uint64_t out, q, k, v;
  uint64_t lse;          /* 0 = not written */
  uint64_t cu_seqlens_q, cu_seqlens_k;
  uint64_t sinks;        /* 0 = no sinks */
  float softmax_scale;
  int32_t num_seqs;
  int32_t num_q_heads;
  int32_t num_kv_heads;
  int32_t head_dim;
  int32_t max_seqlen_q;
  int32_t window;        /* <= 0: none */
  int32_t causal;
} ar_dense_args;

/* Attention reading K/V through the block table (prefill, decode, and the
** split-KV decode whose partials ar_reduce_args combines). */
typedef struct ar_paged_args {
  uint64_t out, q, k_cache, v_cache;
  uint64_t block_table;
  uint64_t cu_seqlens_q;
  uint64_t seq_lens_k;
  uint64_t sinks;        /* 0 = no sinks */
  uint64_t part_out;     /* split-KV: fp32 [num_splits, total_q, Hq, D] */
  uint64_t part_ml;      /* split-KV: fp32 [num_splits, total_q, Hq, 2] (max, sum) */
  float softmax_scale;
  int32_t num_seqs;
  int32_t num_q_heads;
  int32_t num_kv_heads;
  int32_t head_dim;
  int32_t block_size;
  int32_t max_blocks_per_seq;
  int32_t max_seqlen_q;
  int32_t window;        /* <= 0: none */
  int32_t causal;
  int32_t num_splits;    /* 1 = write out directly */
  int32_t total_q;
} ar_paged_args;

/* Combine split-KV partials (and the sink) into out. */
typedef struct ar_reduce_args {
  uint64_t out;          /* [total_q, Hq, D] bf16 */
  uint64_t part_out;     /* fp32 [num_splits, total_q, Hq, D] */
  uint64_t part_ml;      /* fp32 [num_splits, total_q, Hq, 2] */
  uint64_t sinks;        /* 0 = no sinks */
  int32_t total_q;
  int32_t num_q_heads;
  int32_t head_dim;
  int32_t num_splits;
} ar_reduce_args;

#endif /* ATTN_ARGS_H */
