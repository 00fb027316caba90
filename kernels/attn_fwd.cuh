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
  __device__ __forceinline__ long long stride_of() const { return stride; }
};
struct KvPaged { /* key j -> slot of the paged cache through the block table */
  static constexpr bool kPaged = true;
  const int32_t *bt;
  int bs, bs_shift; /* bs_shift = log2(bs) when bs is a power of two, else -1 */
  long long stride, head_off;
  __device__ __forceinline__ long long row(int j) const {
    const int pg = bs_shift >= 0 ? j >> bs_shift : j / bs;
    return ((long long)__ldg(bt + pg) * bs + (j - pg * bs)) * stride + head_off;
  }
  __device__ __forceinline__ long long stride_of() const { return stride; }
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
  constexpr int LG = BN == 32 ? 2 : BN == 64 ? 3 : 4; /* log2(BN / 8) */
  static_assert((8 << LG) == BN, "BN");
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      float t[BN / 8];
#pragma unroll
      for (int n8 = 0; n8 < BN / 8; ++n8) t[n8] = fmaxf(s[mt][n8][2 * hf], s[mt][n8][2 * hf + 1]);
#pragma unroll
      for (int lg = 0; lg < LG; ++lg) /* tree: short dependency chains */
#pragma unroll
        for (int i = 0; i < BN / 8; i += 2 << lg) t[i] = fmaxf(t[i], t[i + (1 << lg)]);
      float mx = quad_max(fmaxf(mrow[mt][hf], t[0]));
      const float msub = (mx == AR_NEG_INF) ? 0.f : mx * sl2;
      const float alpha = ex2(mrow[mt][hf] * sl2 - msub);
      mrow[mt][hf] = mx;
#pragma unroll
      for (int n8 = 0; n8 < BN / 8; ++n8) {
#pragma unroll
        for (int e = 0; e < 2; ++e) s[mt][n8][2 * hf + e] = ex2(fmaf(s[mt][n8][2 * hf + e], sl2, -msub));
        t[n8] = s[mt][n8][2 * hf] + s[mt][n8][2 * hf + 1];
      }
#pragma unroll
      for (int lg = 0; lg < LG; ++lg)
#pragma unroll
        for (int i = 0; i < BN / 8; i += 2 << lg) t[i] += t[i + (1 << lg)];
      lrow[mt][hf] = fmaf(lrow[mt][hf], alpha, t[0]);
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

/* Per KV tile of BN keys (K and V load together, one tile ahead, 2 stages):
** for each BNC-key sub-tile, S = Q K^T, mask, online softmax, O += P V.
** BNC < BN keeps S small (registers) while barriers stay per BN keys. */
template <int D, int NW, int MT, int BN, int BNC, class KV>
AR_DEV void fwd_tile(const FwdProblem &P, const KV &kv, const int m_block, char *smem) {
  constexpr int BM = NW * MT * 16, NT = NW * 32, CH = D / 8, RPP = NT / CH;
  constexpr bool QREG = (MT == 1);
  constexpr uint32_t KV_BYTES = BN * D * 2, RB = D * 2;
  constexpr int NSLOT = 2;
  static_assert(BN % RPP == 0 && (BM * CH) % NT == 0 && BN % BNC == 0, "tile shape");
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
  ** looked up once, by thread r for row r, ahead of use, into a two-slot
  ** table in shared memory (tile t in slot (t - nt_beg) % 2), as the K
  ** row's byte address (0: past sk). */
  constexpr bool PG = KV::kPaged;
  static_assert(!PG || BN <= NT, "one row per thread");
  unsigned long long *rowoff = (unsigned long long *)(smem + BM * D * 2 + 4 * KV_BYTES); /* [2][BN] */
  auto off_of = [&](int nt) -> unsigned long long {
    const int j = nt * BN + tid;
    return (nt < nt_end && j < P.sk) ? (unsigned long long)(P.k + kv.row(j)) : 0ull;
  };
  /* Dense: byte addresses advance by constant steps (rows RPP apart, tiles
  ** BN apart) instead of a 64-bit multiply per row; V = K + vdelta.  A row
  ** past sk keeps its (unread) address with a zero-byte copy. */
  const char *kb0 = PG ? nullptr : (const char *)(P.k + kv.row(tid / CH) + c * 8);
  const long long rowstep = PG ? 0 : RPP * kv.stride_of() * 2, tilestep = PG ? 0 : BN * kv.stride_of() * 2;
  const long long vdelta = (const char *)P.v - (const char *)P.k;
  auto load_tile = [&](int nt, int buf, int slot, int which) {
    const char *a = PG ? nullptr : kb0 + nt * tilestep;
#pragma unroll
    for (int i = 0; i < BN / RPP; ++i) {
      const int r = tid / CH + i * RPP;
      const char *src;
      bool ok;
      if (PG) {
        const unsigned long long ra = rowoff[slot * BN + r];
        ok = ra != 0;
        src = (const char *)ra + c * 16;
      } else {
        ok = nt * BN + r < P.sk;
        src = a;
        a += rowstep;
      }
      if (which & 1) cp_async16(sK0 + buf * KV_BYTES + swz<CH>(r, c), src, ok);
      if (which & 2) cp_async16(sV0 + buf * KV_BYTES + swz<CH>(r, c), src + vdelta, ok);
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
  auto need_mask = [&](int kt0, int width) {
    return (kt0 + width > P.sk) || (P.causal && kt0 + width - 1 > m0 + off) ||
           (P.window > 0 && kt0 <= m0 + BM - 1 + off - P.window);
  };

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
    unsigned long long off_next = 0; /* rows of tile nt + 2: slot st, stored after the compute */
    if (PG && tid < BN) off_next = off_of(nt + 2);
#pragma unroll
    for (int h = 0; h < BN / BNC; ++h) {
      const int kt0 = nt * BN + h * BNC;
      float s[MT][BNC / 8][4];
      gemm_qk<D, MT, BNC, QREG>(s, qf, sQw, la, sK0 + st * KV_BYTES + h * BNC * RB, lk);
      if (need_mask(kt0, BNC))
        apply_mask<MT, BNC>(s, r0, kt0 + (lane & 3) * 2, P.sk, off, P.causal, P.window);
      softmax_step<D, MT, BNC>(s, o, mrow, lrow, P.sl2);
      gemm_pv<D, MT, BNC>(o, s, sV0 + st * KV_BYTES + h * BNC * RB, lv);
    }
    if (PG && tid < BN) rowoff[st * BN + tid] = off_next;
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

/* Ping-pong tile: 8 warps in two groups of 4 (rows 0-63 and 64-127 of a
** 128-row block), 16 rows a warp, BN = 64, four K+V stages loaded two tiles
** ahead by all threads.  No block-wide barrier in the loop: stage s is
** "full" when an mbarrier has seen every thread's copies land
** (cp.async.mbarrier.arrive) and "empty" when every thread has arrived after
** its PV; a pair of named barriers makes the groups take turns on S = QK^T,
** so one group's softmax runs while the other's GEMMs use the tensor cores
** (the FA3 schedule, on mma.sync). */
template <int D, class KV>
AR_DEV void fwd_tile_pp(const FwdProblem &P, const KV &kv, const int m_block, char *smem) {
  constexpr int MT = 1, BN = 64, BM = 128, NT = 256, CH = D / 8, RPP = NT / CH, NST = 4;
  constexpr uint32_t KV_BYTES = BN * D * 2, RB = D * 2;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, grp = warp >> 2;
  const int m0 = m_block * BM;
  const int off = P.sk - P.sq;
  const int last_row = min(P.sq, m0 + BM) - 1;
  int kend = P.sk, kbeg = 0;
  if (P.causal) kend = min(kend, last_row + off + 1);
  if (P.window > 0) kbeg = max(0, m0 + off - P.window + 1);
  const int nt_beg = kbeg / BN;
  const int ntiles = kend > kbeg ? (kend + BN - 1) / BN - nt_beg : 0;

  const uint32_t sQ = smem_u32(smem), sK0 = sQ + BM * D * 2, sV0 = sK0 + NST * KV_BYTES;
  const uint32_t bars = sK0 + 2 * NST * KV_BYTES; /* full[NST], empty[NST], 8 bytes each */
  const uint32_t sQw = sQ + warp * 16 * RB;
  const long long q_stride = (long long)P.hq * D;
  const int c = tid % CH;
  const uint32_t la = lane_a<CH>(lane), lk = lane_k<CH>(lane), lv = lane_vt<CH>(lane);
  const int r0 = m0 + warp * 16 + (lane >> 2);

  if (tid == 0) {
#pragma unroll
    for (int i = 0; i < NST; ++i) {
      mbar_init(bars + 8 * i, NT);
      mbar_init(bars + 8 * (NST + i), NT);
    }
  }
  __syncthreads();

#pragma unroll
  for (int i = 0; i < BM * CH / NT; ++i) {
    const int r = tid / CH + i * RPP;
    const bool ok = m0 + r < P.sq;
    const uint16_t *src = P.q + (ok ? (long long)(P.q_start + m0 + r) * q_stride + P.h * D + c * 8 : 0);
    cp_async16(sQ + swz<CH>(r, c), src, ok);
  }
  auto load_tile = [&](int t) { /* relative tile t into stage t % NST, then arrive on full */
    const int st = t % NST, nt = nt_beg + t;
#pragma unroll
    for (int i = 0; i < BN / RPP; ++i) {
      const int r = tid / CH + i * RPP;
      const int j = nt * BN + r;
      const bool ok = j < P.sk;
      const long long row = ok ? kv.row(j) + c * 8 : 0;
      cp_async16(sK0 + st * KV_BYTES + swz<CH>(r, c), P.k + row, ok);
      cp_async16(sV0 + st * KV_BYTES + swz<CH>(r, c), P.v + row, ok);
    }
    cp_async_mbar_arrive(bars + 8 * st);
  };
  if (ntiles > 0) load_tile(0); /* carries Q too */
  if (ntiles > 1) load_tile(1);
  if (ntiles == 0) { /* Q copies are tracked by no mbarrier: drain them */
    cp_async_commit();
    cp_async_wait<0>();
  }

  float o[MT][D / 8][4];
  float mrow[MT][2], lrow[MT][2];
#pragma unroll
  for (int dn = 0; dn < D / 8; ++dn)
#pragma unroll
    for (int e = 0; e < 4; ++e) o[0][dn][e] = 0.f;
  mrow[0][0] = mrow[0][1] = AR_NEG_INF;
  lrow[0][0] = lrow[0][1] = 0.f;
  uint32_t qf[D / 16][4];

  const int turn_me = 1 + grp, turn_other = 2 - grp;
  if (grp == 1 && ntiles > 0) named_arrive(1, NT); /* group 0 goes first */
  for (int t = 0; t < ntiles; ++t) {
    const int st = t % NST, nt = nt_beg + t;
    if (t + 2 < ntiles) {
      if (t >= 2) mbar_wait(bars + 8 * (NST + (t + 2) % NST), ((t - 2) / NST) & 1);
      load_tile(t + 2);
    }
    mbar_wait(bars + 8 * st, (t / NST) & 1);
    if (t == 0) {
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk)
        ldsm_x4(qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], sQw + (la ^ (kk << 5)));
    }
    float s[MT][BN / 8][4];
    named_sync(turn_me, NT);
    gemm_qk<D, MT, BN, true>(s, qf, sQw, la, sK0 + st * KV_BYTES, lk);
    if (grp == 0 || t + 1 < ntiles) named_arrive(turn_other, NT);
    const int kt0 = nt * BN;
    if ((kt0 + BN > P.sk) || (P.causal && kt0 + BN - 1 > m0 + off) ||
        (P.window > 0 && kt0 <= m0 + BM - 1 + off - P.window))
      apply_mask<MT, BN>(s, r0, kt0 + (lane & 3) * 2, P.sk, off, P.causal, P.window);
    softmax_step<D, MT, BN>(s, o, mrow, lrow, P.sl2);
    gemm_pv<D, MT, BN>(o, s, sV0 + st * KV_BYTES, lv);
    mbar_arrive(bars + 8 * (NST + st));
  }

  /* Epilogue (as fwd_tile). */
  const float sink2 = P.sinks ? __ldg(P.sinks + P.h) * AR_LOG2E : AR_NEG_INF;
#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    const float l = quad_sum(lrow[0][hf]);
    const float ms = (mrow[0][hf] == AR_NEG_INF) ? AR_NEG_INF : mrow[0][hf] * P.sl2;
    const float mf = fmaxf(ms, sink2);
    const float sc = (ms == AR_NEG_INF) ? 0.f : ex2(ms - mf);
    const float lt = l * sc + (sink2 == AR_NEG_INF ? 0.f : ex2(sink2 - mf));
    const float inv = lt > 0.f ? sc / lt : 0.f;
    const int rr = warp * 16 + (lane >> 2) + hf * 8;
#pragma unroll
    for (int dn = 0; dn < D / 8; ++dn) {
      const uint32_t v = pack_bf16(o[0][dn][2 * hf] * inv, o[0][dn][2 * hf + 1] * inv);
      asm volatile("st.shared.u32 [%0], %1;\n" ::"r"(sQ + swz<CH>(rr, dn) + (lane & 3) * 4), "r"(v));
    }
    if (P.lse && (lane & 3) == 0 && m0 + rr < P.sq)
      P.lse[(long long)(P.q_start + m0 + rr) * P.hq + P.h] =
          lt > 0.f ? (mf + __log2f(lt)) * AR_LN2 : AR_NEG_INF;
  }
  __syncwarp();
#pragma unroll
  for (int i = 0; i < 16 * CH / 32; ++i) {
    const int idx = lane + i * 32;
    const int r = warp * 16 + idx / CH, cc = idx % CH;
    if (m0 + r < P.sq) {
      uint4 v;
      asm volatile("ld.shared.v4.u32 {%0,%1,%2,%3}, [%4];\n"
                   : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(sQ + swz<CH>(r, cc)));
      *(uint4 *)(P.out + (long long)(P.q_start + m0 + r) * q_stride + P.h * D + cc * 8) = v;
    }
  }
}

#endif /* AR_ATTN_FWD_CUH */
