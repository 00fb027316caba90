/*
** attn_decode.cu -- split-KV paged decode (ar_paged_args, small sq) and the
** reduce that combines its partials (ar_reduce_args).
**
** ar_decode_<tile>_d<D>: a block owns (split, kv head, row group, sequence).
** Its ROWS = 16 * MT query rows are (token, q head) pairs of ONE kv head,
** token-major, so all Hq/Hkv query heads share each K/V row read.  KV tiles
** of BN = 16 * NW keys (from this split's key range, through the block
** table) stream through a STAGES-deep cp.async ring; warp w takes keys
** [16w, 16w + 16) of every tile with its own online softmax (mma.sync
** m16n8k16, Q fragments held in registers), and the warps' (m, l, O) are
** merged through shared memory at the end.  num_splits > 1: writes the
** partials described in attn_variants.h; num_splits == 1: writes out (sink
** included).  NVIDIA only (sm_80+).
**
** ar_decode_reduce: one thread per output element; combines the splits'
** partials and the sink into bf16 out.  No-op when num_splits <= 1.
** Portable (CUDA and HIP).
*/
#include "vendor.h"

#if !defined(AR_HIP)
#include "attn_variant_list.h"
#include "mma_sm80.cuh"

template <int D, int NW, int MT>
AR_DEV void decode_entry(const ar_paged_args &a) {
  constexpr int BN = 16 * NW, ROWS = 16 * MT, CH = D / 8, NT = NW * 32, RPP = NT / CH;
  constexpr int ST0 = 98304 / (2 * BN * D * 2);
  constexpr int STAGES = ST0 < 2 ? 2 : (ST0 > 4 ? 4 : ST0);
  constexpr uint32_t KV_BYTES = BN * D * 2, STAGE_BYTES = 2 * KV_BYTES, RB = D * 2;
  constexpr int OSTR = D + 8; /* padded fp32 row stride of the combine buffer */
  static_assert(BN % RPP == 0, "tile shape");
  extern __shared__ __align__(128) char smem[];
  const uint32_t sQ = smem_u32(smem), sP = sQ + ROWS * D * 2;
  float *cm = (float *)(smem + ROWS * D * 2); /* [NW][ROWS] maxima */
  float *cl = cm + NW * ROWS;                 /* [NW][ROWS] sums */
  float *co = cl + NW * ROWS;                 /* [NW][ROWS][OSTR] outputs */

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int Hq = a.num_q_heads, Hkv = a.num_kv_heads, G = Hq / Hkv;
  const int split = blockIdx.x, kvh = blockIdx.y % Hkv, rg = blockIdx.y / Hkv, b = blockIdx.z;
  const int32_t *cq = (const int32_t *)a.cu_seqlens_q;
  const int q0 = cq[b], sq = cq[b + 1] - q0;
  const int rows_total = sq * G, r0 = rg * ROWS;
  if (r0 >= rows_total) return;
  const int sk = ((const int32_t *)a.seq_lens_k)[b];
  const int off = sk - sq;
  const int ilo = r0 / G, ihi = (min(rows_total, r0 + ROWS) - 1) / G;
  int kmax = sk, kmin = 0;
  if (a.causal) kmax = min(kmax, ihi + off + 1);
  if (a.window > 0) kmin = max(0, ilo + off - a.window + 1);
  const int len = max(0, kmax - kmin), nsplit = max(1, a.num_splits);
  const int chunk = ((len + nsplit - 1) / nsplit + BN - 1) / BN * BN;
  const int ks = kmin + split * chunk, ke = min(kmax, ks + chunk);
  const int ntiles = ke > ks ? (ke - ks + BN - 1) / BN : 0;
  const float sl2 = a.softmax_scale * AR_LOG2E;

  const uint16_t *Q = (const uint16_t *)a.q;
  const uint16_t *Kc = (const uint16_t *)a.k_cache, *Vc = (const uint16_t *)a.v_cache;
  const int32_t *bt = (const int32_t *)a.block_table + (long long)b * a.max_blocks_per_seq;
  const int bs = a.block_size;
  const long long kv_stride = (long long)Hkv * D, head_off = (long long)kvh * D;

  for (int idx = tid; idx < ROWS * CH; idx += NT) {
    const int r = idx / CH, c = idx % CH, gr = r0 + r;
    const bool ok = gr < rows_total;
    const long long src = ok ? ((long long)(q0 + gr / G) * Hq + kvh * G + gr % G) * D + c * 8 : 0;
    cp_async16(sQ + swz<CH>(r, c), Q + src, ok);
  }
  cp_async_commit();

  const int c = tid % CH;
  const uint32_t lk = lane_k<CH>(lane), lv = lane_vt<CH>(lane);
  auto load_kv = [&](int t, int st) {
#pragma unroll
    for (int i = 0; i < BN / RPP; ++i) {
      const int r = tid / CH + i * RPP;
      const int j = ks + t * BN + r;
      const bool ok = j < ke;
      long long row = 0;
      if (ok) {
        const int pg = j / bs;
        row = ((long long)__ldg(bt + pg) * bs + (j - pg * bs)) * kv_stride + head_off + c * 8;
      }
      cp_async16(sP + st * STAGE_BYTES + swz<CH>(r, c), Kc + row, ok);
      cp_async16(sP + st * STAGE_BYTES + KV_BYTES + swz<CH>(r, c), Vc + row, ok);
    }
  };
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < ntiles) load_kv(s, s);
    cp_async_commit();
  }

  float o[MT][D / 8][4], mrow[MT][2], lrow[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int dn = 0; dn < D / 8; ++dn)
#pragma unroll
      for (int e = 0; e < 4; ++e) o[mt][dn][e] = 0.f;
    mrow[mt][0] = mrow[mt][1] = AR_NEG_INF;
    lrow[mt][0] = lrow[mt][1] = 0.f;
  }
  uint32_t qf[MT][D / 16][4];
  cp_async_wait<STAGES - 1>();
  __syncthreads();
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
      ldsm_x4(qf[mt][kk][0], qf[mt][kk][1], qf[mt][kk][2], qf[mt][kk][3],
              sQ + mt * 16 * RB + (lane_a<CH>(lane) ^ (kk << 5)));

  for (int it = 0; it < ntiles; ++it) {
    cp_async_wait<STAGES - 2>();
    __syncthreads(); /* tile it landed; stage (it - 1) % STAGES is free */
    if (it + STAGES - 1 < ntiles) load_kv(it + STAGES - 1, (it + STAGES - 1) % STAGES);
    cp_async_commit();
    const uint32_t sK = sP + (it % STAGES) * STAGE_BYTES, sV = sK + KV_BYTES;

    float s[MT][2][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[mt][0][e] = s[mt][1][e] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t b0, b1, b2, b3;
      ldsm_x4(b0, b1, b2, b3, sK + warp * 16 * RB + (lk ^ (kk << 5)));
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma16816(s[mt][0], qf[mt][kk], b0, b1);
        mma16816(s[mt][1], qf[mt][kk], b2, b3);
      }
    }
    const int kt0 = ks + it * BN + warp * 16;
    const bool need_mask = (kt0 + 16 > ke) || (a.causal && kt0 + 15 > ilo + off) ||
                           (a.window > 0 && kt0 <= ihi + off - a.window);
    if (need_mask) {
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int n8 = 0; n8 < 2; ++n8)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int i = (r0 + mt * 16 + (lane >> 2) + ((e >> 1) << 3)) / G;
            const int j = kt0 + n8 * 8 + (lane & 3) * 2 + (e & 1);
            const bool vis = j < ke && (!a.causal || j <= i + off) &&
                             (a.window <= 0 || j > i + off - a.window);
            if (!vis) s[mt][n8][e] = AR_NEG_INF;
          }
    }
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int hf = 0; hf < 2; ++hf) {
        float mx = fmaxf(mrow[mt][hf], fmaxf(fmaxf(s[mt][0][2 * hf], s[mt][0][2 * hf + 1]),
                                             fmaxf(s[mt][1][2 * hf], s[mt][1][2 * hf + 1])));
        mx = quad_max(mx);
        const float msub = (mx == AR_NEG_INF) ? 0.f : mx * sl2;
        const float alpha = ex2(mrow[mt][hf] * sl2 - msub);
        mrow[mt][hf] = mx;
        float rs = 0.f;
#pragma unroll
        for (int n8 = 0; n8 < 2; ++n8)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const float p = ex2(fmaf(s[mt][n8][2 * hf + e], sl2, -msub));
            s[mt][n8][2 * hf + e] = p;
            rs += p;
          }
        lrow[mt][hf] = lrow[mt][hf] * alpha + rs;
#pragma unroll
        for (int dn = 0; dn < D / 8; ++dn) {
          o[mt][dn][2 * hf] *= alpha;
          o[mt][dn][2 * hf + 1] *= alpha;
        }
      }
    uint32_t pa[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      pa[mt][0] = pack_bf16(s[mt][0][0], s[mt][0][1]);
      pa[mt][1] = pack_bf16(s[mt][0][2], s[mt][0][3]);
      pa[mt][2] = pack_bf16(s[mt][1][0], s[mt][1][1]);
      pa[mt][3] = pack_bf16(s[mt][1][2], s[mt][1][3]);
    }
#pragma unroll
    for (int dn2 = 0; dn2 < D / 16; ++dn2) {
      uint32_t v0, v1, v2, v3;
      ldsm_x4_t(v0, v1, v2, v3, sV + warp * 16 * RB + (lv ^ (dn2 << 5)));
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma16816(o[mt][2 * dn2], pa[mt], v0, v1);
        mma16816(o[mt][2 * dn2 + 1], pa[mt], v2, v3);
      }
    }
  }
  cp_async_wait<0>();
  __syncthreads(); /* the combine buffer overlays the KV ring */

#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      const int r = mt * 16 + (lane >> 2) + hf * 8;
      const float l = quad_sum(lrow[mt][hf]);
      if ((lane & 3) == 0) {
        cm[warp * ROWS + r] = mrow[mt][hf];
        cl[warp * ROWS + r] = l;
      }
      float *orow = co + (warp * ROWS + r) * OSTR + (lane & 3) * 2;
#pragma unroll
      for (int dn = 0; dn < D / 8; ++dn)
        *(float2 *)(orow + dn * 8) = make_float2(o[mt][dn][2 * hf], o[mt][dn][2 * hf + 1]);
    }
  __syncthreads();

  for (int idx = tid; idx < ROWS * D; idx += NT) {
    const int r = idx / D, d = idx % D, gr = r0 + r;
    if (gr >= rows_total) break; /* rows are contiguous: the rest are past the end too */
    float M = AR_NEG_INF;
#pragma unroll
    for (int w = 0; w < NW; ++w) M = fmaxf(M, cm[w * ROWS + r]);
    float L = 0.f, O = 0.f;
    if (M != AR_NEG_INF) {
#pragma unroll
      for (int w = 0; w < NW; ++w) {
        const float f = ex2((cm[w * ROWS + r] - M) * sl2);
        L += cl[w * ROWS + r] * f;
        O += co[(w * ROWS + r) * OSTR + d] * f;
      }
    }
    const int hh = kvh * G + gr % G;
    const long long t = q0 + gr / G;
    if (nsplit == 1) {
      const float ms = (M == AR_NEG_INF) ? AR_NEG_INF : M * sl2;
      const float s2 = a.sinks ? __ldg((const float *)a.sinks + hh) * AR_LOG2E : AR_NEG_INF;
      const float mf = fmaxf(ms, s2);
      const float sc = (ms == AR_NEG_INF) ? 0.f : ex2(ms - mf);
      const float lt = L * sc + (s2 == AR_NEG_INF ? 0.f : ex2(s2 - mf));
      const float inv = lt > 0.f ? sc / lt : 0.f;
      ((uint16_t *)a.out)[(t * Hq + hh) * D + d] = ar_f2bf(O * inv);
    } else {
      const long long th = ((long long)split * a.total_q + t) * Hq + hh;
      ((float *)a.part_out)[th * D + d] = O;
      if (d == 0)
        *(float2 *)((float *)a.part_ml + th * 2) =
            make_float2(M == AR_NEG_INF ? AR_NEG_INF : M * a.softmax_scale, L);
    }
  }
}

#define AR_DECODE(name, D, NW, MT, MINB)                                      \
  AR_KERNEL void __launch_bounds__(NW * 32, MINB) name(const ar_paged_args a) { \
    decode_entry<D, NW, MT>(a);                                               \
  }

/* One kernel per decode tile of attn_variant_list.h. */
#define AR_DECODE_TILE(tag, D, NW, MT, MINB) AR_DECODE(ar_decode_##tag##_d##D, D, NW, MT, MINB)
AR_DECODE_TILE_LIST(AR_DECODE_TILE)
#endif /* !AR_HIP */

AR_KERNEL void __launch_bounds__(256) ar_decode_reduce(const ar_reduce_args a) {
  if (a.num_splits <= 1) return;
  const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long tqh = (long long)a.total_q * a.num_q_heads;
  if (idx >= tqh * a.head_dim) return;
  const long long th = idx / a.head_dim;
  const int d = (int)(idx - th * a.head_dim), h = (int)(th % a.num_q_heads);
  const float *ml = (const float *)a.part_ml, *po = (const float *)a.part_out;
  float M = AR_NEG_INF;
  for (int s = 0; s < a.num_splits; ++s) M = fmaxf(M, ml[(s * tqh + th) * 2]);
  const float sl = a.sinks ? ((const float *)a.sinks)[h] : AR_NEG_INF;
  M = fmaxf(M, sl);
  float L = 0.f, acc = 0.f;
  if (M != AR_NEG_INF) {
    for (int s = 0; s < a.num_splits; ++s) {
      const float m = ml[(s * tqh + th) * 2];
      if (m != AR_NEG_INF) {
        const float w = expf(m - M);
        L += w * ml[(s * tqh + th) * 2 + 1];
        acc += w * po[(s * tqh + th) * a.head_dim + d];
      }
    }
    if (a.sinks) L += expf(sl - M);
  }
  ((uint16_t *)a.out)[idx] = ar_f2bf(L > 0.f ? acc / L : 0.f);
}
