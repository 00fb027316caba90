/*
** attn_paged.cu -- paged prefill attention (ar_paged_args, any sq): the tile
** of attn_fwd.cuh reading K/V rows through the block table, so a KV tile may
** span several pages of any size.  num_splits must be 1 (writes out).
** One symbol per (tile variant, head dim); grid as attn_dense.cu.
*/
#include "attn_fwd.cuh"
#include "attn_variant_list.h"

template <int D, int NW, int MT, int BN, int BNC>
AR_DEV void paged_entry(const ar_paged_args &a) {
  extern __shared__ __align__(128) char smem[];
  constexpr int BM = NW * MT * 16;
  const int m_block = gridDim.x - 1 - blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int32_t *cq = (const int32_t *)a.cu_seqlens_q;
  const int q0 = cq[b], sq = cq[b + 1] - q0;
  if (m_block * BM >= sq) return;
  const int sk = ((const int32_t *)a.seq_lens_k)[b];
  const int kvh = h / (a.num_q_heads / a.num_kv_heads);
  FwdProblem P;
  P.q = (const uint16_t *)a.q; P.k = (const uint16_t *)a.k_cache; P.v = (const uint16_t *)a.v_cache;
  P.out = (uint16_t *)a.out; P.lse = nullptr; P.sinks = (const float *)a.sinks;
  P.q_start = q0; P.sq = sq; P.sk = sk; P.hq = a.num_q_heads; P.h = h;
  P.sl2 = a.softmax_scale * AR_LOG2E; P.window = a.window; P.causal = a.causal;
  KvPaged kv;
  kv.bt = (const int32_t *)a.block_table + (long long)b * a.max_blocks_per_seq;
  kv.bs = a.block_size;
  kv.bs_shift = (a.block_size & (a.block_size - 1)) == 0 ? __ffs(a.block_size) - 1 : -1;
  kv.stride = (long long)a.num_kv_heads * D;
  kv.head_off = (long long)kvh * D;
  if constexpr (BNC == 0)
    fwd_tile_pp<D>(P, kv, m_block, smem);
  else
    fwd_tile<D, NW, MT, BN, BNC>(P, kv, m_block, smem);
}

#define AR_PAGED(name, D, NW, MT, BN, BNC, MINB)                                   \
  AR_KERNEL void __launch_bounds__(NW * 32, MINB) name(const ar_paged_args a) { \
    paged_entry<D, NW, MT, BN, BNC>(a);                                         \
  }

/* One kernel per prefill tile of attn_variant_list.h. */
#define AR_PAGED_TILE(tag, D, NW, MT, BN, BNC, MINB) AR_PAGED(ar_paged_##tag##_d##D, D, NW, MT, BN, BNC, MINB)
AR_FWD_TILE_LIST(AR_PAGED_TILE)
