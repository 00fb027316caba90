/*
** attn_fwd.cuh -- the FlashAttention-2 style forward tile shared by the dense
** sink varlen kernels (attn_dense.cu) and the paged prefill kernels
** (attn_paged.cu); they differ only in where key j's K/V row lives (KV).
**
** A block owns BM = NW * MT * 16 query rows of one (sequence, q head); warp w
** owns rows [(w*MT + mt) * 16, +16) for mt < MT.  KV tiles of BN keys stream
** through two cp.async stages (the next tile loads while this one computes),
** S = Q K^T and O += P V run on mma.sync m16n8k16 bf16 with ldmatrix from
** XOR-swizzled shared memory, and the softmax is online in fp32 with exp2 on
** logits pre-scaled by softmax_scale * log2(e).  Only KV tiles holding a
** visible key are visited (bottom-right causal: stop past the diagonal;
** window: start at the first visible key); masking runs only on tiles that
** need it.  The sink joins the denominator in the epilogue.  Output goes
** through shared memory for 16-byte coalesced stores.
*/
#ifndef AR_ATTN_FWD_CUH
#define AR_ATTN_FWD_CUH

#include "mma_sm80.cuh"

struct KvDense { /* key j -> row of the packed [total_k, Hkv, D] tensor */
  static constexpr bool kPaged = false;
  long long base, stride;
  __device__ __forceinline__ long long row(int j) const { return base + (long long)j * stride; }
};
struct KvPaged { /* key j -> slot of the paged cache through the block table */
  static constexpr bool kPaged = true;
  const int32_t *bt;
  int bs;
  long long stride, head_off;
  __device__ __forceinline__ long long row(int j) const {
    const int pg = j / bs;
    return ((long long)__ldg(bt + pg) * bs + (j - pg * bs)) * stride + head_off;
  }
};

struct FwdProblem {
  const uint16_t *q, *k, *v;
  uint16_t *out;
  float *lse;          /* may be null */
  const float *sinks;  /* may be null */
  int q_start, sq, sk; /* first packed row of the sequence, its sq and sk */
  int hq, h;
  float sl2;           /* softmax_scale * log2(e) */
  int window, causal;
};

/* S = Q K^T for this warp's MT m-tiles over a BN-key tile at sK. */
template <int D, int MT, int BN, bool QREG>
AR_DEV void gemm_qk(float (&s)[MT][BN / 8][4], const uint32_t (&qf)[QREG ? D / 16 : 1][4],
                    uint32_t sQw, uint32_t la, uint32_t sK, uint32_t lk) {
  constexpr uint32_t RB = D * 2;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int n8 = 0; n8 < BN / 8; ++n8)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[mt][n8][e] = 0.f;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    uint32_t qa[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      if (QREG) {
#pragma unroll
        for (int e = 0; e < 4; ++e) qa[mt][e] = qf[QREG ? kk : 0][e];
      } else {
        ldsm_x4(qa[mt][0], qa[mt][1], qa[mt][2], qa[mt][3], sQw + mt * 16 * RB + (la ^ (kk << 5)));
      }
    }
#pragma unroll
    for (int nn = 0; nn < BN / 16; ++nn) {
      uint32_t b0, b1, b2, b3;
      ldsm_x4(b0, b1, b2, b3, sK + nn * 16 * RB + (lk ^ (kk << 5)));
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma16816(s[mt][2 * nn], qa[mt], b0, b1);
        mma16816(s[mt][2 * nn + 1], qa[mt], b2, b3);
      }
    }
  }
}

/* -inf where key j is invisible to row r; r0 = this lane's row of m-tile 0,
** j0 = this lane's first key column of the tile. */
template <int MT, int BN>
AR_DEV void apply_mask(float (&s)[MT][BN / 8][4], int r0, int j0, int sk, int off, int causal,
                       int window) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int n8 = 0; n8 < BN / 8; ++n8)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = r0 + mt * 16 + ((e >> 1) << 3);
        const int j = j0 + n8 * 8 + (e & 1);
        const bool vis = j < sk && (!causal || j <= r + off) && (window <= 0 || j > r + off - window);
        if (!vis) s[mt][n8][e] = AR_NEG_INF;
      }
}

/* Online softmax step: S -> P (in place, fp32), O rescaled, m / l updated. */
template <int D, int MT, int BN>
AR_DEV void softmax_step(float (&s)[MT][BN / 8][4], float (&o)[MT][D / 8][4], float (&mrow)[MT][2],
                         float (&lrow)[MT][2], float sl2) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      float mx = mrow[mt][hf];
#pragma unroll
      for (int n8 = 0; n8 < BN / 8; ++n8) mx = fmaxf(mx, fmaxf(s[mt][n8][2 * hf], s[mt][n8][2 * hf + 1]));
      mx = quad_max(mx);
      const float msub = (mx == AR_NEG_INF) ? 0.f : mx * sl2;
      const float alpha = ex2(mrow[mt][hf] * sl2 - msub);
      mrow[mt][hf] = mx;
      float rs = 0.f;
#pragma unroll
      for (int n8 = 0; n8 < BN / 8; ++n8)
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
}

/* O += P V over a BN-key V tile at sV (P packed to bf16 first). */
template <int D, int MT, int BN>
AR_DEV void gemm_pv(float (&o)[MT][D / 8][4], const float (&s)[MT][BN / 8][4], uint32_t sV, uint32_t lv) {
  constexpr uint32_t RB = D * 2;
  uint32_t pf[MT][BN / 16][4];
#pragma unroll
  for (int kk = 0; kk < BN / 16; ++kk)
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      pf[mt][kk][0] = pack_bf16(s[mt][2 * kk][0], s[mt][2 * kk][1]);
      pf[mt][kk][1] = pack_bf16(s[mt][2 * kk][2], s[mt][2 * kk][3]);
      pf[mt][kk][2] = pack_bf16(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
      pf[mt][kk][3] = pack_bf16(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
    }
#pragma unroll
  for (int kk = 0; kk < BN / 16; ++kk)
#pragma unroll
    for (int dn2 = 0; dn2 < D / 16; ++dn2) {
      uint32_t v0, v1, v2, v3;
      ldsm_x4_t(v0, v1, v2, v3, sV + kk * 16 * RB + (lv ^ (dn2 << 5)));
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        mma16816(o[mt][2 * dn2], pf[mt][kk], v0, v1);
        mma16816(o[mt][2 * dn2 + 1], pf[mt][kk], v2, v3);
      }
    }
}

/* OVL = false: per KV tile, S_j then softmax_j then PV_j; K_j and V_j load
** together, one tile ahead (2 stages).
** OVL = true: S_{j+1} = Q K_{j+1}^T is computed in the same basic block as
** softmax_j and PV_j, so the scheduler overlaps tensor work with the softmax
** (K runs one tile ahead of V: K_{j+2} and V_{j+1} load during tile j). */
template <int D, int NW, int MT, int BN, bool OVL, class KV>
AR_DEV void fwd_tile(const FwdProblem &P, const KV &kv, const int m_block, char *smem) {
  constexpr int BM = NW * MT * 16, NT = NW * 32, CH = D / 8, RPP = NT / CH;
  constexpr bool QREG = (MT == 1);
  constexpr uint32_t KV_BYTES = BN * D * 2, RB = D * 2;
  constexpr int NSLOT = OVL ? 3 : 2;
  static_assert(BN % RPP == 0 && (BM * CH) % NT == 0, "tile shape");
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int m0 = m_block * BM;
  const int off = P.sk - P.sq;
  const int last_row = min(P.sq, m0 + BM) - 1;
  int kend = P.sk, kbeg = 0;
  if (P.causal) kend = min(kend, last_row + off + 1);
  if (P.window > 0) kbeg = max(0, m0 + off - P.window + 1);
  const int nt_beg = kbeg / BN;
  const int nt_end = kend > kbeg ? (kend + BN - 1) / BN : nt_beg;

  const uint32_t sQ = smem_u32(smem), sK0 = sQ + BM * D * 2, sV0 = sK0 + 2 * KV_BYTES;
  const uint32_t sQw = sQ + warp * MT * 16 * RB;
  const long long q_stride = (long long)P.hq * D;
  const int c = tid % CH;
  const uint32_t la = lane_a<CH>(lane), lk = lane_k<CH>(lane), lv = lane_vt<CH>(lane);
  const int r0 = m0 + warp * MT * 16 + (lane >> 2); /* this lane's row in m-tile 0 */

  /* Q tile (rows past sq zero-filled). */
#pragma unroll
  for (int i = 0; i < BM * CH / NT; ++i) {
    const int r = tid / CH + i * RPP;
    const bool ok = m0 + r < P.sq;
    const uint16_t *src = P.q + (ok ? (long long)(P.q_start + m0 + r) * q_stride + P.h * D + c * 8 : 0);
    cp_async16(sQ + swz<CH>(r, c), src, ok);
  }

  /* Paged: the element offset of each key row of a tile (-1 past sk) is
  ** looked up once, by thread r for row r, ahead of use, into an NSLOT-slot
  ** table in shared memory (tile t in slot (t - nt_beg) % NSLOT). */
  constexpr bool PG = KV::kPaged;
  static_assert(!PG || BN <= NT, "one row per thread");
  long long *rowoff = (long long *)(smem + BM * D * 2 + 4 * KV_BYTES); /* [NSLOT][BN] */
  auto off_of = [&](int nt) -> long long {
    const int j = nt * BN + tid;
    return (nt < nt_end && j < P.sk) ? kv.row(j) : -1;
  };
  /* which: 1 = K, 2 = V, 3 = both. */
  auto load_tile = [&](int nt, int buf, int slot, int which) {
#pragma unroll
    for (int i = 0; i < BN / RPP; ++i) {
      const int r = tid / CH + i * RPP;
      const int j = nt * BN + r;
      long long row;
      bool ok;
      if (PG) {
        row = rowoff[slot * BN + r];
        ok = row >= 0;
        row = ok ? row + c * 8 : 0;
      } else {
        ok = j < P.sk;
        row = ok ? kv.row(j) + c * 8 : 0;
      }
      if (which & 1) cp_async16(sK0 + buf * KV_BYTES + swz<CH>(r, c), P.k + row, ok);
      if (which & 2) cp_async16(sV0 + buf * KV_BYTES + swz<CH>(r, c), P.v + row, ok);
    }
  };
  if (PG) {
    if (tid < BN) {
#pragma unroll
      for (int sl = 0; sl < NSLOT; ++sl) rowoff[sl * BN + tid] = off_of(nt_beg + sl);
    }
    __syncthreads();
  }

  float o[MT][D / 8][4];
  float mrow[MT][2], lrow[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int dn = 0; dn < D / 8; ++dn)
#pragma unroll
      for (int e = 0; e < 4; ++e) o[mt][dn][e] = 0.f;
    mrow[mt][0] = mrow[mt][1] = AR_NEG_INF;
    lrow[mt][0] = lrow[mt][1] = 0.f;
  }
  uint32_t qf[QREG ? D / 16 : 1][4];
  auto load_qf = [&]() {
    if (QREG) {
#pragma unroll
      for (int kk = 0; kk < (QREG ? D / 16 : 1); ++kk)
        ldsm_x4(qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], sQw + (la ^ (kk << 5)));
    }
  };
  auto need_mask = [&](int nt) {
    const int kt0 = nt * BN;
    return (kt0 + BN > P.sk) || (P.causal && kt0 + BN - 1 > m0 + off) ||
           (P.window > 0 && kt0 <= m0 + BM - 1 + off - P.window);
  };

  if (!OVL) {
    cp_async_commit(); /* Q */
    if (nt_beg < nt_end) load_tile(nt_beg, 0, 0, 3);
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    load_qf();
    for (int nt = nt_beg; nt < nt_end; ++nt) {
      const int st = (nt - nt_beg) & 1;
      cp_async_wait<0>();
      __syncthreads(); /* tile nt landed; everyone is done with the other stage */
      if (nt + 1 < nt_end) load_tile(nt + 1, st ^ 1, st ^ 1, 3);
      cp_async_commit();
      long long off_next = 0; /* row offsets of tile nt + 2: slot st, stored after the compute */
      if (PG && tid < BN) off_next = off_of(nt + 2);
      float s[MT][BN / 8][4];
      gemm_qk<D, MT, BN, QREG>(s, qf, sQw, la, sK0 + st * KV_BYTES, lk);
      if (need_mask(nt))
        apply_mask<MT, BN>(s, r0, nt * BN + (lane & 3) * 2, P.sk, off, P.causal, P.window);
      softmax_step<D, MT, BN>(s, o, mrow, lrow, P.sl2);
      gemm_pv<D, MT, BN>(o, s, sV0 + st * KV_BYTES, lv);
      if (PG && tid < BN) rowoff[st * BN + tid] = off_next;
    }
  } else {
    if (nt_beg < nt_end) load_tile(nt_beg, 0, 0, 1);
    cp_async_commit(); /* Q, K_0 */
    if (nt_beg < nt_end) load_tile(nt_beg, 0, 0, 2);
    if (nt_beg + 1 < nt_end) load_tile(nt_beg + 1, 1, 1, 1);
    cp_async_commit(); /* V_0, K_1 */
    cp_async_wait<1>();
    __syncthreads();
    load_qf();
    float s[MT][BN / 8][4];
    gemm_qk<D, MT, BN, QREG>(s, qf, sQw, la, sK0, lk);
    int slot = 0; /* (it) % 3 */
    for (int nt = nt_beg; nt < nt_end; ++nt) {
      const int it = nt - nt_beg, b = it & 1;
      const int slot1 = slot == 2 ? 0 : slot + 1, slot2 = slot1 == 2 ? 0 : slot1 + 1;
      cp_async_wait<0>();
      __syncthreads(); /* V_it and K_it+1 landed; V_it-1 and K_it buffers are free */
      if (nt + 1 < nt_end) load_tile(nt + 1, b ^ 1, slot1, 2);
      if (nt + 2 < nt_end) load_tile(nt + 2, b, slot2, 1);
      cp_async_commit();
      long long off_next = 0; /* tile nt + 3 -> slot (it + 3) % 3 == slot */
      if (PG && tid < BN) off_next = off_of(nt + 3);
      if (need_mask(nt))
        apply_mask<MT, BN>(s, r0, nt * BN + (lane & 3) * 2, P.sk, off, P.causal, P.window);
      /* One basic block: S_next (stale data on the last tile, discarded),
      ** softmax and PV of this tile. */
      float sn[MT][BN / 8][4];
      gemm_qk<D, MT, BN, QREG>(sn, qf, sQw, la, sK0 + (b ^ 1) * KV_BYTES, lk);
      softmax_step<D, MT, BN>(s, o, mrow, lrow, P.sl2);
      gemm_pv<D, MT, BN>(o, s, sV0 + b * KV_BYTES, lv);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int n8 = 0; n8 < BN / 8; ++n8)
#pragma unroll
          for (int e = 0; e < 4; ++e) s[mt][n8][e] = sn[mt][n8][e];
      if (PG && tid < BN) rowoff[slot * BN + tid] = off_next;
      slot = slot1;
    }
  }
  cp_async_wait<0>();

  /* Epilogue: sink, normalise, LSE; O -> this warp's own Q rows in smem. */
  const float sink2 = P.sinks ? __ldg(P.sinks + P.h) * AR_LOG2E : AR_NEG_INF;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      const float l = quad_sum(lrow[mt][hf]);
      const float ms = (mrow[mt][hf] == AR_NEG_INF) ? AR_NEG_INF : mrow[mt][hf] * P.sl2;
      const float mf = fmaxf(ms, sink2);
      const float sc = (ms == AR_NEG_INF) ? 0.f : ex2(ms - mf);
      const float lt = l * sc + (sink2 == AR_NEG_INF ? 0.f : ex2(sink2 - mf));
      const float inv = lt > 0.f ? sc / lt : 0.f;
      const int rr = (warp * MT + mt) * 16 + (lane >> 2) + hf * 8;
#pragma unroll
      for (int dn = 0; dn < D / 8; ++dn) {
        const uint32_t v = pack_bf16(o[mt][dn][2 * hf] * inv, o[mt][dn][2 * hf + 1] * inv);
        asm volatile("st.shared.u32 [%0], %1;\n" ::"r"(sQ + swz<CH>(rr, dn) + (lane & 3) * 4), "r"(v));
      }
      if (P.lse && (lane & 3) == 0 && m0 + rr < P.sq)
        P.lse[(long long)(P.q_start + m0 + rr) * P.hq + P.h] =
            lt > 0.f ? (mf + __log2f(lt)) * AR_LN2 : AR_NEG_INF;
    }
  __syncwarp();
  constexpr int WR = MT * 16;
#pragma unroll
  for (int i = 0; i < WR * CH / 32; ++i) {
    const int idx = lane + i * 32;
    const int r = warp * WR + idx / CH, cc = idx % CH;
    if (m0 + r < P.sq) {
      uint4 v;
      asm volatile("ld.shared.v4.u32 {%0,%1,%2,%3}, [%4];\n"
                   : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(sQ + swz<CH>(r, cc)));
      *(uint4 *)(P.out + (long long)(P.q_start + m0 + r) * q_stride + P.h * D + cc * 8) = v;
    }
  }
}

#endif /* AR_ATTN_FWD_CUH */
