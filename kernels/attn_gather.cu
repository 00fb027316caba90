/*
** attn_gather.cu -- paged KV cache -> packed dense K/V (the gather in front
** of the dense sink kernel when a sequence has a cached prefix).
**
** A token's row (Hkv * D bf16) is contiguous in the cache
** [num_blocks, block_size, Hkv, D] and in the output [total_k, Hkv, D], so
** both kernels are 16-byte vector copies; Hkv * D must be a multiple of 8.
**   ar_gather_tok  : a block copies a run of token rows (sequence found by
**                    binary search over cu_seqlens_k, once per token).
**   ar_gather_page : a block copies one page of one sequence, which is one
**                    contiguous run on both sides.
** Portable (CUDA and HIP).
*/
#include "vendor.h"

#define GATHER_THREADS 256
#define GATHER_UNROLL 4
#define GATHER_MAX_TOK 512

/* Each thread keeps GATHER_UNROLL 16-byte loads of K and of V in flight. */
AR_KERNEL void __launch_bounds__(GATHER_THREADS)
ar_gather_tok(const ar_gather_args a) {
  __shared__ long long src_row[GATHER_MAX_TOK]; /* first vector of the token's cache row */
  const int vpr = a.num_kv_heads * a.head_dim / 8; /* vectors per row */
  const int tpb = (a.total_k + (int)gridDim.x - 1) / (int)gridDim.x;
  const int t_begin = (int)blockIdx.x * tpb;
  const int t_end = min(a.total_k, t_begin + tpb);
  const uint4 *kc = (const uint4 *)a.k_cache, *vc = (const uint4 *)a.v_cache;
  uint4 *ko = (uint4 *)a.k_out, *vo = (uint4 *)a.v_out;
  const int32_t *cu = (const int32_t *)a.cu_seqlens_k;
  const int32_t *bt = (const int32_t *)a.block_table;

  for (int t0 = t_begin; t0 < t_end; t0 += GATHER_MAX_TOK) {
    const int ntok = min(GATHER_MAX_TOK, t_end - t0);
    __syncthreads();
    for (int i = threadIdx.x; i < ntok; i += blockDim.x) {
      int t = t0 + i;
      int b = ar_find_seq(cu, a.num_seqs, t);
      int j = t - cu[b];
      int page = bt[(long long)b * a.max_blocks_per_seq + j / a.block_size];
      src_row[i] = ((long long)page * a.block_size + j % a.block_size) * vpr;
    }
    __syncthreads();
    const int n = ntok * vpr; /* <= 512 * 512: fits int */
    uint4 *kd = ko + (long long)t0 * vpr, *vd = vo + (long long)t0 * vpr;
    for (int base = 0; base < n; base += (int)blockDim.x * GATHER_UNROLL) {
      uint4 kr[GATHER_UNROLL], vr[GATHER_UNROLL];
#pragma unroll
      for (int u = 0; u < GATHER_UNROLL; ++u) {
        int e = base + threadIdx.x + u * (int)blockDim.x;
        if (e < n) {
          int tok = e / vpr;
          long long s = src_row[tok] + (e - tok * vpr);
          kr[u] = kc[s];
          vr[u] = vc[s];
        }
      }
#pragma unroll
      for (int u = 0; u < GATHER_UNROLL; ++u) {
        int e = base + threadIdx.x + u * (int)blockDim.x;
        if (e < n) { kd[e] = kr[u]; vd[e] = vr[u]; }
      }
    }
  }
}

AR_KERNEL void __launch_bounds__(GATHER_THREADS)
ar_gather_page(const ar_gather_args a) {
  const int p = blockIdx.x, b = blockIdx.y;
  const int32_t *cu = (const int32_t *)a.cu_seqlens_k;
  const int k0 = cu[b], sk = cu[b + 1] - k0;
  const int r0 = p * a.block_size;
  if (r0 >= sk) return;
  const int nrows = min(a.block_size, sk - r0);
  const int vpr = a.num_kv_heads * a.head_dim / 8;
  const int page = ((const int32_t *)a.block_table)[(long long)b * a.max_blocks_per_seq + p];
  const uint4 *kc = (const uint4 *)a.k_cache + (long long)page * a.block_size * vpr;
  const uint4 *vc = (const uint4 *)a.v_cache + (long long)page * a.block_size * vpr;
  uint4 *ko = (uint4 *)a.k_out + (long long)(k0 + r0) * vpr;
  uint4 *vo = (uint4 *)a.v_out + (long long)(k0 + r0) * vpr;
  const int n = nrows * vpr;
  for (int base = 0; base < n; base += (int)blockDim.x * GATHER_UNROLL) {
    uint4 kr[GATHER_UNROLL], vr[GATHER_UNROLL];
#pragma unroll
    for (int u = 0; u < GATHER_UNROLL; ++u) {
      int e = base + threadIdx.x + u * (int)blockDim.x;
      if (e < n) { kr[u] = kc[e]; vr[u] = vc[e]; }
    }
#pragma unroll
    for (int u = 0; u < GATHER_UNROLL; ++u) {
      int e = base + threadIdx.x + u * (int)blockDim.x;
      if (e < n) { ko[e] = kr[u]; vo[e] = vr[u]; }
    }
  }
}
