/*
** attn_ref.cu -- the GPU reference: plain fp32 attention reading K/V through
** the paged cache (ar_paged_args; num_splits is ignored, out is written).
**
** One block of AR_REF_THREADS threads per (query token, q head).  Keys are
** taken in chunks of AR_REF_THREADS (one key per thread for the score),
** with an online softmax across chunks, so any sk works; each thread then
** accumulates output dims d = tid, tid + AR_REF_THREADS (head_dim <= 256,
** head_dim % 8 == 0).  Semantics exactly as attn_args.h (bottom-right
** causal, window, sink column with zero value, GQA).  Portable: reductions
** go through shared memory, no warp intrinsics.
*/
#include "vendor.h"

#define AR_REF_THREADS 128
#define AR_REF_MAXD 256

static __device__ float block_reduce(float v, float *red, bool is_max) {
  const int t = threadIdx.x;
  __syncthreads();
  red[t] = v;
  __syncthreads();
  for (int s = AR_REF_THREADS / 2; s > 0; s >>= 1) {
    if (t < s) red[t] = is_max ? fmaxf(red[t], red[t + s]) : red[t] + red[t + s];
    __syncthreads();
  }
  return red[0];
}

AR_KERNEL void __launch_bounds__(AR_REF_THREADS)
ar_ref_paged(const ar_paged_args a) {
  __shared__ float q[AR_REF_MAXD];
  __shared__ float p[AR_REF_THREADS];
  __shared__ long long vrow[AR_REF_THREADS];
  __shared__ float red[AR_REF_THREADS];
  const int t = blockIdx.x, h = blockIdx.y, tid = threadIdx.x;
  const int D = a.head_dim;
  const int32_t *cu_q = (const int32_t *)a.cu_seqlens_q;
  const int32_t *bt = (const int32_t *)a.block_table;
  const uint16_t *Q = (const uint16_t *)a.q;
  const uint16_t *K = (const uint16_t *)a.k_cache, *V = (const uint16_t *)a.v_cache;
  const int b = ar_find_seq(cu_q, a.num_seqs, t);
  const int sq = cu_q[b + 1] - cu_q[b], i = t - cu_q[b];
  const int sk = ((const int32_t *)a.seq_lens_k)[b];
  const int kvh = h / (a.num_q_heads / a.num_kv_heads);
  const long long row_stride = (long long)a.num_kv_heads * D; /* cache slot stride */
  const int32_t *btrow = bt + (long long)b * a.max_blocks_per_seq;

  for (int d = tid; d < D; d += AR_REF_THREADS)
    q[d] = ar_bf2f(Q[((long long)t * a.num_q_heads + h) * D + d]);
  int jhi = sk - 1, jlo = 0;
  if (a.causal) jhi = min(jhi, i + sk - sq);
  if (a.window > 0) jlo = max(0, i + sk - sq - a.window + 1);

  float m = AR_NEG_INF, l = 0.f, acc[AR_REF_MAXD / AR_REF_THREADS] = {0.f, 0.f};
  for (int c = jlo; c <= jhi; c += AR_REF_THREADS) {
    const int j = c + tid;
    float s = AR_NEG_INF;
    __syncthreads(); /* q ready; previous chunk's p / vrow consumed */
    if (j <= jhi) {
      long long row = ((long long)btrow[j / a.block_size] * a.block_size + j % a.block_size) * row_stride + (long long)kvh * D;
      vrow[tid] = row;
      const uint4 *kr = (const uint4 *)(K + row); /* rows are 16-byte aligned */
      float dot = 0.f;
      for (int d8 = 0; d8 < D / 8; ++d8) {
        const uint4 w = kr[d8];
        const uint32_t ws[4] = {w.x, w.y, w.z, w.w};
        for (int e = 0; e < 4; ++e) {
          dot += q[d8 * 8 + 2 * e] * ar_bf2f((uint16_t)(ws[e] & 0xffffu));
          dot += q[d8 * 8 + 2 * e + 1] * ar_bf2f((uint16_t)(ws[e] >> 16));
        }
      }
      s = dot * a.softmax_scale;
    }
    const float cmax = block_reduce(s, red, true);
    const float mnew = fmaxf(m, cmax); /* finite: the chunk has a visible key */
    const float pj = (j <= jhi) ? expf(s - mnew) : 0.f;
    const float corr = (m == AR_NEG_INF) ? 0.f : expf(m - mnew);
    const float psum = block_reduce(pj, red, false);
    p[tid] = pj;
    __syncthreads();
    l = l * corr + psum;
    const int n = min(AR_REF_THREADS, jhi - c + 1);
#pragma unroll
    for (int u = 0; u < AR_REF_MAXD / AR_REF_THREADS; ++u) {
      const int d = tid + u * AR_REF_THREADS;
      if (d < D) {
        float o = acc[u] * corr;
        for (int jj = 0; jj < n; ++jj) o += p[jj] * ar_bf2f(V[vrow[jj] + d]);
        acc[u] = o;
      }
    }
    m = mnew;
  }
  if (a.sinks) {
    const float sl = ((const float *)a.sinks)[h];
    const float mnew = fmaxf(m, sl);
    const float corr = (m == AR_NEG_INF) ? 0.f : expf(m - mnew);
    l = l * corr + expf(sl - mnew);
#pragma unroll
    for (int u = 0; u < AR_REF_MAXD / AR_REF_THREADS; ++u) acc[u] *= corr;
  }
  const float inv = l > 0.f ? 1.f / l : 0.f;
  uint16_t *O = (uint16_t *)a.out + ((long long)t * a.num_q_heads + h) * D;
#pragma unroll
  for (int u = 0; u < AR_REF_MAXD / AR_REF_THREADS; ++u) {
    const int d = tid + u * AR_REF_THREADS;
    if (d < D) O[d] = ar_f2bf(acc[u] * inv);
  }
}
