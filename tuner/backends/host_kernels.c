/*
** host_kernels.c -- the CPU attention kernels behind the host backend.
**
** One core, attend_tile(), computes online-softmax attention of a tile of
** query vectors (rows x heads sharing one kv head) against the visible keys
** in a key range, converting K/V tiles of k_block keys from bf16 to float
** once per tile.  The kernels differ in how much work shares a K/V tile:
** the *_q1_bk16 kernels take one (row, head) at a time (every query
** re-converts every key: slow, small working set), the *_q16_bk64 kernels
** take 16 rows x every head of a GQA group (each K/V tile is converted once
** and reused by up to 16 * Hq/Hkv queries).  Keys come either from dense
** packed K/V or through the block table (kv_src).
**
** Safety: every size is read from the argument struct; nonsensical sizes
** (non-positive heads or head_dim, Hq % Hkv != 0, huge head_dim) make the
** kernel return without writing, and so does an allocation failure: the
** caller's NaN-poisoned output then fails the check.  Sequence lengths from
** cu_seqlens / seq_lens are clamped to what the arguments can address.
*/
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attn_args.h"
#include "host_kernels.h"

#include "bf16.h"

#define PTR(type, addr) ((type *)(uintptr_t)(addr))


/*
** The vector helpers work in fixed chunks of 8 (plus a scalar tail): gcc's
** -O2 cost model vectorises fixed-count loops but not open-ended ones, and
** the dot product keeps eight partial sums so no -ffast-math is needed.
*/
static inline float dot(const float *restrict a, const float *restrict b, int n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int d = 0;
  for (; d + 8 <= n; d += 8)
    for (int t = 0; t < 8; t++) s[t] += a[d + t] * b[d + t];
  float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; d < n; d++) r += a[d] * b[d];
  return r;
}

static inline void axpy(float *restrict y, float a, const float *restrict x, int n) {
  int d = 0;
  for (; d + 8 <= n; d += 8)
    for (int t = 0; t < 8; t++) y[d + t] += a * x[d + t];
  for (; d < n; d++) y[d] += a * x[d];
}

static inline void scal(float *restrict y, float a, int n) {
  int d = 0;
  for (; d + 8 <= n; d += 8)
    for (int t = 0; t < 8; t++) y[d + t] *= a;
  for (; d < n; d++) y[d] *= a;
}

static inline void to_float(float *restrict dst, const uint16_t *restrict src, int n) {
  int d = 0;
  for (; d + 8 <= n; d += 8)
    for (int t = 0; t < 8; t++) dst[d + t] = ar_bf16_to_float(src[d + t]);
  for (; d < n; d++) dst[d] = ar_bf16_to_float(src[d]);
}

/* Where the keys of one sequence live. */
typedef struct kv_src {
  const uint16_t *k, *v;  /* dense: token 0 of the sequence; paged: the cache */
  const int32_t *bt;      /* paged: the sequence's block-table row; NULL: dense */
  int64_t row;            /* elements per token: Hkv * D */
  int32_t block_size;
} kv_src;

static inline int64_t kv_offset(const kv_src *s, int64_t j) {
  if (!s->bt) return j * s->row;
  int64_t blk = s->bt[j / s->block_size];
  return (blk * s->block_size + j % s->block_size) * s->row;
}

/* Shape of one launch and the way it tiles the work. */
typedef struct job {
  int32_t hq, hkv, d, g;  /* g = hq / hkv */
  int32_t window, causal;
  float scale;
  const float *sinks;     /* NULL: none */
  int32_t q_tile;         /* query rows per tile */
  int32_t nh;             /* heads per tile: 1 or g */
  int32_t k_block;        /* keys per K/V tile */
} job;

typedef struct scratch {
  float *q, *acc, *kt, *vt, *s, *m, *l;
  int64_t *lo, *hi;
  void *mem;
} scratch;

/* Validate shapes and allocate the scratch of jb; 0 or -1 (do nothing). */
static int job_init(job *jb, scratch *sc, int32_t hq, int32_t hkv, int32_t d) {
  if (hq <= 0 || hkv <= 0 || d <= 0 || hq % hkv != 0) return -1;
  if (d > 65536 || hq > 65536) return -1;
  jb->hq = hq;
  jb->hkv = hkv;
  jb->d = d;
  jb->g = hq / hkv;
  if (jb->nh != 1) jb->nh = jb->g;
  size_t r = (size_t)jb->q_tile * (size_t)jb->nh;
  size_t bk = (size_t)jb->k_block;
  size_t nf = 2 * r * (size_t)d + 2 * bk * (size_t)d + bk + 2 * r;
  size_t bytes = nf * sizeof(float) + 2 * r * sizeof(int64_t);
  char *mem = malloc(bytes);
  if (!mem) return -1;
  sc->mem = mem;
  sc->lo = (int64_t *)mem;
  sc->hi = sc->lo + r;
  sc->q = (float *)(sc->hi + r);
  sc->acc = sc->q + r * (size_t)d;
  sc->kt = sc->acc + r * (size_t)d;
  sc->vt = sc->kt + bk * (size_t)d;
  sc->s = sc->vt + bk * (size_t)d;
  sc->m = sc->s + bk;
  sc->l = sc->m + r;
  return 0;
}

/*
** Attend query rows [i0, i0+nr) of a sequence with sq rows and sk keys, heads
** [h0, h0+nh) (all reading kv head h0 / g), over the visible keys inside
** [klo, khi).  q points at row 0 of the sequence.  Leaves, per vector
** r = row * nh + head: acc (unnormalised), m (max scaled logit, -inf when no
** key) and l (sum of exp(logit - m)).
*/
static void attend_tile(const job *jb, scratch *sc, const uint16_t *q, const kv_src *src,
                        int64_t sq, int64_t sk, int64_t i0, int nr, int h0, int nh,
                        int64_t klo, int64_t khi) {
  const int d = jb->d;
  const int64_t kvh = h0 / jb->g;
  const int64_t qrow = (int64_t)jb->hq * d;
  const int nv = nr * nh;
  if (khi > sk) khi = sk;
  if (klo < 0) klo = 0;
  int64_t jmin = INT64_MAX, jmax = INT64_MIN;
  for (int ri = 0; ri < nr; ri++) {
    int64_t i = i0 + ri;
    int64_t diag = i + sk - sq; /* last key a causal row sees */
    int64_t lo = jb->window > 0 ? diag - jb->window + 1 : 0;
    int64_t hi = jb->causal ? diag + 1 : sk;
    if (lo < klo) lo = klo;
    if (hi > khi) hi = khi;
    for (int hh = 0; hh < nh; hh++) {
      int r = ri * nh + hh;
      sc->lo[r] = lo;
      sc->hi[r] = hi;
      sc->m[r] = -INFINITY;
      sc->l[r] = 0.0f;
      memset(sc->acc + (size_t)r * d, 0, sizeof(float) * (size_t)d);
      to_float(sc->q + (size_t)r * d, q + i * qrow + (int64_t)(h0 + hh) * d, d);
    }
    if (lo < hi) {
      if (lo < jmin) jmin = lo;
      if (hi > jmax) jmax = hi;
    }
  }
  const int64_t hoff = kvh * d;
  for (int64_t j0 = jmin; j0 < jmax; j0 += jb->k_block) {
    int n = (int)(jmax - j0 < jb->k_block ? jmax - j0 : jb->k_block);
    for (int jj = 0; jj < n; jj++) {
      int64_t off = kv_offset(src, j0 + jj) + hoff;
      to_float(sc->kt + (size_t)jj * d, src->k + off, d);
      to_float(sc->vt + (size_t)jj * d, src->v + off, d);
    }
    for (int r = 0; r < nv; r++) {
      int64_t a = sc->lo[r] > j0 ? sc->lo[r] : j0;
      int64_t e = sc->hi[r] < j0 + n ? sc->hi[r] : j0 + n;
      if (a >= e) continue;
      const float *qr = sc->q + (size_t)r * d;
      float *acc = sc->acc + (size_t)r * d;
      float bm = -INFINITY;
      for (int64_t jj = a - j0; jj < e - j0; jj++) {
        float s = dot(qr, sc->kt + (size_t)jj * d, d) * jb->scale;
        sc->s[jj] = s;
        if (s > bm) bm = s;
      }
      float mnew = sc->m[r] > bm ? sc->m[r] : bm;
      if (mnew != sc->m[r]) {
        float corr = expf(sc->m[r] - mnew); /* 0 when m was -inf */
        sc->l[r] *= corr;
        scal(acc, corr, d);
        sc->m[r] = mnew;
      }
      float l = sc->l[r];
      for (int64_t jj = a - j0; jj < e - j0; jj++) {
        float p = expf(sc->s[jj] - mnew);
        l += p;
        axpy(acc, p, sc->vt + (size_t)jj * d, d);
      }
      sc->l[r] = l;
    }
  }
}

/* Add the sink column of head h to vector r, write bf16 out row (and lse). */
static void finish_out(const job *jb, scratch *sc, int r, int64_t h, uint16_t *out, float *lse) {
  const int d = jb->d;
  float m = sc->m[r], l = sc->l[r];
  float *acc = sc->acc + (size_t)r * d;
  if (jb->sinks) {
    float sk = jb->sinks[h];
    float big = m > sk ? m : sk;
    float corr = expf(m - big);
    l = l * corr + expf(sk - big);
    scal(acc, corr, d);
    m = big;
  }
  float inv = l > 0.0f ? 1.0f / l : 0.0f;
  for (int e = 0; e < d; e++) out[e] = ar_float_to_bf16(acc[e] * inv);
  if (lse) *lse = l > 0.0f ? m + logf(l) : -INFINITY;
}

/* Write vector r as split partial: unnormalised output and (m, l). */
static void finish_part(const job *jb, scratch *sc, int r, float *po, float *ml) {
  const int d = jb->d;
  float l = sc->l[r];
  memcpy(po, sc->acc + (size_t)r * d, sizeof(float) * (size_t)d);
  ml[0] = l > 0.0f ? sc->m[r] : -INFINITY;
  ml[1] = l;
}

/* Run every tile of one sequence.  out rows start at row t0 of the packed
** output; split partials (num_splits > 1) at part_out/part_ml. */
static void run_sequence(const job *jb, scratch *sc, const uint16_t *q, const kv_src *src,
                         int64_t t0, int64_t sq, int64_t sk, uint16_t *out, float *lse,
                         int32_t num_splits, int64_t total_q, float *part_out,
                         float *part_ml) {
  const int64_t hq = jb->hq, d = jb->d;
  const uint16_t *qs = q + t0 * hq * d;
  int64_t chunk = num_splits > 1 ? (sk + num_splits - 1) / num_splits : sk;
  int nsp = num_splits > 1 ? num_splits : 1;
  for (int64_t kvh = 0; kvh < jb->hkv; kvh++) {
    for (int64_t i0 = 0; i0 < sq; i0 += jb->q_tile) {
      int nr = (int)(sq - i0 < jb->q_tile ? sq - i0 : jb->q_tile);
      for (int hh0 = 0; hh0 < jb->g; hh0 += jb->nh) {
        int h0 = (int)(kvh * jb->g) + hh0;
        for (int s = 0; s < nsp; s++) {
          int64_t klo = num_splits > 1 ? s * chunk : 0;
          int64_t khi = num_splits > 1 ? klo + chunk : sk;
          attend_tile(jb, sc, qs, src, sq, sk, i0, nr, h0, jb->nh, klo, khi);
          for (int ri = 0; ri < nr; ri++) {
            for (int hh = 0; hh < jb->nh; hh++) {
              int r = ri * jb->nh + hh;
              int64_t t = t0 + i0 + ri, h = h0 + hh;
              if (num_splits > 1) {
                int64_t idx = ((int64_t)s * total_q + t) * hq + h;
                finish_part(jb, sc, r, part_out + idx * d, part_ml + idx * 2);
              } else {
                finish_out(jb, sc, r, h, out + (t * hq + h) * d, lse ? lse + t * hq + h : NULL);
              }
            }
          }
        }
      }
    }
  }
}

/* A job's tiling and masking from one kernel's arguments (heads: job_init). */
static job job_of(int q_tile, int per_head, int k_block, int32_t window, int32_t causal, float scale,
                  uint64_t sinks) {
  job jb = {0};
  jb.q_tile = q_tile;
  jb.nh = per_head ? 1 : 0;
  jb.k_block = k_block;
  jb.window = window;
  jb.causal = causal;
  jb.scale = scale;
  jb.sinks = sinks ? PTR(const float, sinks) : NULL;
  return jb;
}

static void dense_run(const ar_dense_args *a, int q_tile, int per_head, int k_block) {
  job jb = job_of(q_tile, per_head, k_block, a->window, a->causal, a->softmax_scale, a->sinks);
  scratch sc;
  if (a->num_seqs < 0 || job_init(&jb, &sc, a->num_q_heads, a->num_kv_heads, a->head_dim))
    return;
  const int32_t *cuq = PTR(const int32_t, a->cu_seqlens_q);
  const int32_t *cuk = PTR(const int32_t, a->cu_seqlens_k);
  const int64_t row = (int64_t)a->num_kv_heads * a->head_dim;
  for (int32_t b = 0; b < a->num_seqs; b++) {
    int64_t t0 = cuq[b], sq = (int64_t)cuq[b + 1] - cuq[b];
    int64_t k0 = cuk[b], sk = (int64_t)cuk[b + 1] - cuk[b];
    if (sq <= 0 || t0 < 0 || k0 < 0) continue;
    if (sk < 0) sk = 0;
    kv_src src = {PTR(const uint16_t, a->k) + k0 * row, PTR(const uint16_t, a->v) + k0 * row,
                  NULL, row, 1};
    run_sequence(&jb, &sc, PTR(const uint16_t, a->q), &src, t0, sq, sk,
                 PTR(uint16_t, a->out), a->lse ? PTR(float, a->lse) : NULL, 1, 0, NULL, NULL);
  }
  free(sc.mem);
}

static void paged_run(const ar_paged_args *a, int q_tile, int per_head, int k_block,
                      int allow_split) {
  job jb = job_of(q_tile, per_head, k_block, a->window, a->causal, a->softmax_scale, a->sinks);
  scratch sc;
  int32_t ns = allow_split && a->num_splits > 1 ? a->num_splits : 1;
  if (a->num_seqs < 0 || a->block_size <= 0 || a->max_blocks_per_seq < 0) return;
  if (ns > 1 && (a->total_q < 0 || !a->part_out || !a->part_ml)) return;
  if (job_init(&jb, &sc, a->num_q_heads, a->num_kv_heads, a->head_dim)) return;
  const int32_t *cuq = PTR(const int32_t, a->cu_seqlens_q);
  const int32_t *slk = PTR(const int32_t, a->seq_lens_k);
  const int32_t *bt = PTR(const int32_t, a->block_table);
  const int64_t row = (int64_t)a->num_kv_heads * a->head_dim;
  const int64_t kmax = (int64_t)a->max_blocks_per_seq * a->block_size;
  for (int32_t b = 0; b < a->num_seqs; b++) {
    int64_t t0 = cuq[b], sq = (int64_t)cuq[b + 1] - cuq[b];
    int64_t sk = slk[b];
    if (sq <= 0 || t0 < 0) continue;
    if (ns > 1 && t0 + sq > a->total_q) continue;
    if (sk < 0) sk = 0;
    if (sk > kmax) sk = kmax;
    kv_src src = {PTR(const uint16_t, a->k_cache), PTR(const uint16_t, a->v_cache),
                  bt + (int64_t)b * a->max_blocks_per_seq, row, a->block_size};
    run_sequence(&jb, &sc, PTR(const uint16_t, a->q), &src, t0, sq, sk, PTR(uint16_t, a->out),
                 NULL, ns, a->total_q, PTR(float, a->part_out), PTR(float, a->part_ml));
  }
  free(sc.mem);
}

static void host_gather(const void *args) {
  const ar_gather_args *a = args;
  if (a->num_seqs < 0 || a->num_kv_heads <= 0 || a->head_dim <= 0 || a->block_size <= 0 ||
      a->max_blocks_per_seq < 0)
    return;
  const int32_t *cuk = PTR(const int32_t, a->cu_seqlens_k);
  const int32_t *bt = PTR(const int32_t, a->block_table);
  const uint16_t *kc = PTR(const uint16_t, a->k_cache), *vc = PTR(const uint16_t, a->v_cache);
  uint16_t *ko = PTR(uint16_t, a->k_out), *vo = PTR(uint16_t, a->v_out);
  const int64_t row = (int64_t)a->num_kv_heads * a->head_dim;
  const int64_t bs = a->block_size;
  const int64_t kmax = (int64_t)a->max_blocks_per_seq * bs;
  for (int32_t b = 0; b < a->num_seqs; b++) {
    int64_t k0 = cuk[b], sk = (int64_t)cuk[b + 1] - cuk[b];
    if (k0 < 0 || sk <= 0) continue;
    if (sk > kmax) sk = kmax;
    if (k0 + sk > a->total_k) sk = a->total_k - k0;
    const int32_t *btr = bt + (int64_t)b * a->max_blocks_per_seq;
    for (int64_t j = 0; j < sk; j += bs) { /* one page at a time: contiguous rows */
      int64_t n = sk - j < bs ? sk - j : bs;
      int64_t src = (int64_t)btr[j / bs] * bs * row;
      memcpy(ko + (k0 + j) * row, kc + src, (size_t)(n * row) * sizeof(uint16_t));
      memcpy(vo + (k0 + j) * row, vc + src, (size_t)(n * row) * sizeof(uint16_t));
    }
  }
}

static void host_dense_sink_q1_bk16(const void *args) { dense_run(args, 1, 1, 16); }
static void host_dense_sink_q16_bk64(const void *args) { dense_run(args, 16, 0, 64); }
static void host_paged_q1_bk16(const void *args) { paged_run(args, 1, 1, 16, 0); }
static void host_paged_q16_bk64(const void *args) { paged_run(args, 16, 0, 64, 0); }
static void host_paged_split(const void *args) { paged_run(args, 16, 0, 64, 1); }

static void host_reduce(const void *args) {
  const ar_reduce_args *a = args;
  /* num_splits 1: the split kernel wrote out itself; nothing to combine. */
  if (a->total_q < 0 || a->num_q_heads <= 0 || a->head_dim <= 0 || a->num_splits <= 1) return;
  const int64_t tq = a->total_q, hq = a->num_q_heads, d = a->head_dim, ns = a->num_splits;
  const float *po = PTR(const float, a->part_out), *ml = PTR(const float, a->part_ml);
  const float *sinks = a->sinks ? PTR(const float, a->sinks) : NULL;
  uint16_t *out = PTR(uint16_t, a->out);
  float *acc = malloc(sizeof(float) * (size_t)d);
  if (!acc) return;
  for (int64_t t = 0; t < tq; t++) {
    for (int64_t h = 0; h < hq; h++) {
      float big = -INFINITY;
      for (int64_t s = 0; s < ns; s++) {
        const float *e = ml + ((s * tq + t) * hq + h) * 2;
        if (e[1] > 0.0f && e[0] > big) big = e[0];
      }
      if (sinks && sinks[h] > big) big = sinks[h];
      float total = 0.0f;
      memset(acc, 0, sizeof(float) * (size_t)d);
      if (big != -INFINITY) {
        for (int64_t s = 0; s < ns; s++) {
          int64_t idx = (s * tq + t) * hq + h;
          const float *e = ml + idx * 2;
          if (!(e[1] > 0.0f)) continue;
          float w = expf(e[0] - big);
          total += e[1] * w;
          axpy(acc, w, po + idx * d, (int)d);
        }
        if (sinks) total += expf(sinks[h] - big);
      }
      float inv = total > 0.0f ? 1.0f / total : 0.0f;
      uint16_t *o = out + (t * hq + h) * d;
      for (int64_t e = 0; e < d; e++) o[e] = ar_float_to_bf16(acc[e] * inv);
    }
  }
  free(acc);
}

static const ar_host_kernel kernels[] = {
    {"host_gather", host_gather, sizeof(ar_gather_args)},
    {"host_dense_sink_q1_bk16", host_dense_sink_q1_bk16, sizeof(ar_dense_args)},
    {"host_dense_sink_q16_bk64", host_dense_sink_q16_bk64, sizeof(ar_dense_args)},
    {"host_paged_q1_bk16", host_paged_q1_bk16, sizeof(ar_paged_args)},
    {"host_paged_q16_bk64", host_paged_q16_bk64, sizeof(ar_paged_args)},
    {"host_paged_split", host_paged_split, sizeof(ar_paged_args)},
    {"host_reduce", host_reduce, sizeof(ar_reduce_args)},
};

const ar_host_kernel *ar_host_kernels(int *count) {
  *count = (int)(sizeof kernels / sizeof kernels[0]);
  return kernels;
}

const ar_host_kernel *ar_host_kernel_find(const char *symbol) {
  if (!symbol) return NULL;
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
    if (strcmp(kernels[i].symbol, symbol) == 0) return &kernels[i];
  return NULL;
}
