/*
** attn_dense.cu -- dense sink varlen attention (ar_dense_args): packed Q/K/V
** with cu_seqlens_q/k, bottom-right causal, window, sinks, GQA, optional
** LSE.  One symbol per (tile variant, head dim); the tile itself is
** attn_fwd.cuh.  Grid (ceil(max_seqlen_q / BM), Hq, num_seqs); row blocks are
** taken last-first so the longest causal blocks start first.
*/
#include "attn_fwd.cuh"
#include "attn_variant_list.h"

template <int D, int NW, int MT, int BN, int BNC>
AR_DEV void dense_entry(const ar_dense_args &a) {
  extern __shared__ __align__(128) char smem[];
  constexpr int BM = NW * MT * 16;
  const int m_block = gridDim.x - 1 - blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int32_t *cq = (const int32_t *)a.cu_seqlens_q, *ck = (const int32_t *)a.cu_seqlens_k;
  const int q0 = cq[b], sq = cq[b + 1] - q0;
  if (m_block * BM >= sq) return;
  const int k0 = ck[b], sk = ck[b + 1] - k0;
  const int kvh = h / (a.num_q_heads / a.num_kv_heads);
  FwdProblem P;
  P.q = (const uint16_t *)a.q; P.k = (const uint16_t *)a.k; P.v = (const uint16_t *)a.v;
  P.out = (uint16_t *)a.out; P.lse = (float *)a.lse; P.sinks = (const float *)a.sinks;
  P.q_start = q0; P.sq = sq; P.sk = sk; P.hq = a.num_q_heads; P.h = h;
  P.sl2 = a.softmax_scale * AR_LOG2E; P.window = a.window; P.causal = a.causal;
  KvDense kv;
  kv.stride = (long long)a.num_kv_heads * D;
  kv.base = (long long)k0 * kv.stride + (long long)kvh * D;
  if constexpr (BNC == 0)
    fwd_tile_pp<D>(P, kv, m_block, smem);
  else
    fwd_tile<D, NW, MT, BN, BNC>(P, kv, m_block, smem);
}

#define AR_DENSE(name, D, NW, MT, BN, BNC, MINB)                                   \
  AR_KERNEL void __launch_bounds__(NW * 32, MINB) name(const ar_dense_args a) { \
    dense_entry<D, NW, MT, BN, BNC>(a);                                         \
  }

/* One kernel per prefill tile of attn_variant_list.h. */
#define AR_DENSE_TILE(tag, D, NW, MT, BN, BNC, MINB) AR_DENSE(ar_dense_##tag##_d##D, D, NW, MT, BN, BNC, MINB)
AR_FWD_TILE_LIST(AR_DENSE_TILE)
