/*
** workload.c -- random inputs for one problem, the double-precision
** reference, and the device copy a candidate runs on (workload.h).
**
** Inputs come from a seeded splitmix64 stream (never rand()), so a seed names
** a workload exactly.  Every sequence's K/V live in the paged cache in
** shuffled blocks (a random permutation of num_blocks physical blocks, with
** a few spare blocks the table never names); k_new/v_new repeat the last
** seqlen_q tokens of each sequence bit for bit.  Sizes are computed in int64
** and refused above a cap (default half the machine's memory, at least
** 8 GiB, of host inputs; the environment
** variable ATTNROUTE_HOST_INPUT_CAP, in bytes, overrides it).
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

#include "splitmix.h"

#define AR_SPARE_BLOCKS 3
#define AR_DEFAULT_INPUT_CAP ((int64_t)8 << 30)

/* Uniform in [lo, hi). */
static float uniform(uint64_t *s, float lo, float hi) {
  float u = (float)(ar_splitmix64(s) >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

/* Uniform integer in [0, n), n <= 2^32. */
static uint32_t below(uint64_t *s, uint32_t n) {
  return (uint32_t)(((ar_splitmix64(s) >> 32) * (uint64_t)n) >> 32);
}

/*
** Random bf16 fill, fast enough for multi-GB KV caches: every 16-bit draw
** indexes a table of bf16(U(-1, 1)) values, four draws per splitmix64 call,
** in chunks of 1 Mi elements seeded from (stream, chunk index) and spread
** over a few threads.  The result depends on the seed alone, never on the
** number of threads.
*/
#define FILL_CHUNK ((int64_t)1 << 20)
#define FILL_MAX_THREADS 8

static uint16_t bf16_uniform_table[65536];
static pthread_once_t bf16_table_once = PTHREAD_ONCE_INIT;

static void bf16_table_init(void) {
  for (uint32_t r = 0; r < 65536; r++)
    bf16_uniform_table[r] = ar_float_to_bf16(((float)r + 0.5f) * (1.0f / 32768.0f) - 1.0f);
}

typedef struct fill_job {
  uint16_t *dst;
  int64_t n;
  uint64_t base;
  int thread, threads;
} fill_job;

static void *fill_chunks(void *arg) {
  const fill_job *j = arg;
  for (int64_t c = j->thread; c * FILL_CHUNK < j->n; c += j->threads) {
    uint64_t s = j->base ^ (0x632be59bd9b4e019ull * (uint64_t)(c + 1));
    int64_t lo = c * FILL_CHUNK, hi = lo + FILL_CHUNK < j->n ? lo + FILL_CHUNK : j->n;
    for (int64_t i = lo; i < hi; i += 4) {
      uint64_t r = ar_splitmix64(&s);
      for (int k = 0; k < 4 && i + k < hi; k++) j->dst[i + k] = bf16_uniform_table[(r >> (16 * k)) & 0xffff];
    }
  }
  return NULL;
}

static void fill_bf16(uint16_t *dst, int64_t n, uint64_t *s) {
  pthread_once(&bf16_table_once, bf16_table_init);
  uint64_t base = ar_splitmix64(s);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int64_t chunks = (n + FILL_CHUNK - 1) / FILL_CHUNK;
  int threads = (int)(cpus < 1 ? 1 : cpus > FILL_MAX_THREADS ? FILL_MAX_THREADS : cpus);
  if (threads > chunks) threads = chunks > 0 ? (int)chunks : 1;
  fill_job jobs[FILL_MAX_THREADS];
  pthread_t tid[FILL_MAX_THREADS];
  int started[FILL_MAX_THREADS] = {0};
  for (int t = 0; t < threads; t++) {
    jobs[t] = (fill_job){dst, n, base, t, threads};
    if (t > 0) started[t] = pthread_create(&tid[t], NULL, fill_chunks, &jobs[t]) == 0;
  }
  fill_chunks(&jobs[0]);
  for (int t = 1; t < threads; t++) {
    if (started[t]) pthread_join(tid[t], NULL);
    else fill_chunks(&jobs[t]); /* no thread: do its share here */
  }
}

/*
** Big host buffers are recycled between shapes instead of going back to
** the kernel: a fresh multi-GB mapping costs more in page clearing than
** filling it with random numbers.  Each block carries its capacity in a
** header; freed blocks wait in a few slots for the next request they fit.
*/
#define POOL_MIN ((size_t)1 << 24)
#define POOL_SLOTS 12
#define POOL_HEADER 64

static struct {
  unsigned char *base;
  size_t cap;
} pool[POOL_SLOTS];

static void *pool_alloc(size_t bytes) {
  int best = -1;
  if (bytes >= POOL_MIN)
    for (int i = 0; i < POOL_SLOTS; i++)
      if (pool[i].base && pool[i].cap >= bytes && (best < 0 || pool[i].cap < pool[best].cap)) best = i;
  unsigned char *base;
  if (best >= 0) {
    base = pool[best].base;
    pool[best].base = NULL;
  } else {
    base = malloc(bytes + POOL_HEADER);
    if (!base) return NULL;
    memcpy(base, &bytes, sizeof bytes);
  }
  return base + POOL_HEADER;
}

static void pool_free(void *p) {
  if (!p) return;
  unsigned char *base = (unsigned char *)p - POOL_HEADER;
  size_t cap;
  memcpy(&cap, base, sizeof cap);
  if (cap >= POOL_MIN) {
    int slot = -1;
    for (int i = 0; i < POOL_SLOTS && slot < 0; i++)
      if (!pool[i].base) slot = i;
    if (slot < 0) { /* full: drop the smallest kept block */
      slot = 0;
      for (int i = 1; i < POOL_SLOTS; i++)
        if (pool[i].cap < pool[slot].cap) slot = i;
      free(pool[slot].base);
    }
    pool[slot].base = base;
    pool[slot].cap = cap;
    return;
  }
  free(base);
}

/* a * b into *out; 0, or -1 on int64 overflow (both non-negative). */
static int mul64(int64_t a, int64_t b, int64_t *out) {
  if (a < 0 || b < 0) return -1;
  if (a != 0 && b > INT64_MAX / a) return -1;
  *out = a * b;
  return 0;
}

static int add64(int64_t a, int64_t b, int64_t *out) {
  if (a > INT64_MAX - b) return -1;
  *out = a + b;
  return 0;
}

static int64_t input_cap(void) {
  const char *e = getenv("ATTNROUTE_HOST_INPUT_CAP");
  if (e && *e) {
    char *end;
    long long v = strtoll(e, &end, 10);
    if (*end == 0 && v > 0) return (int64_t)v;
  }
  /* Default: half of physical memory, but never below 8 GiB. */
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  int64_t half = pages > 0 && page > 0 ? (int64_t)pages * page / 2 : 0;
  return half > AR_DEFAULT_INPUT_CAP ? half : AR_DEFAULT_INPUT_CAP;
}

static int fail(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
  return -1;
}

/* Sequence b of a batch: seqs[b], or the uniform (sq, cached + sq). */
static ar_seq seq_at(const ar_seq *seqs, int32_t sq, int32_t cached, int64_t b) {
  if (seqs) return seqs[b];
  ar_seq s = {sq, sq + cached};
  return s;
}

/* Everything ar_inputs_make computes before allocating. */
typedef struct batch_sizes {
  int64_t total_q, total_k, max_sq, max_ctx, mbps, nblk, used_blocks;
  int64_t qel, newel, cacheel, kvrow;
  int64_t host_bytes;
} batch_sizes;

/* Sizes of the batch; 0, or -1 with err when they overflow or a sequence
** is not 1 <= sq <= ctx. */
static int batch_sizes_of(const attnroute_problem *p, const ar_seq *seqs, int32_t sq, int32_t cached,
                          batch_sizes *z, char *err, size_t errlen) {
  memset(z, 0, sizeof *z);
  const int64_t ns = p->num_seqs, hq = p->num_q_heads, hkv = p->num_kv_heads, d = p->head_dim;
  const int64_t bs = p->kv_block_size;
  int bad = 0;
  for (int64_t b = 0; b < ns && !bad; b++) {
    ar_seq q = seq_at(seqs, sq, cached, b);
    if (q.sq < 1 || q.ctx < q.sq) return fail(err, errlen, "invalid sequence lengths for ar_inputs_make");
    z->total_q += q.sq;
    z->total_k += q.ctx;
    z->used_blocks += (q.ctx + bs - 1) / bs;
    if (q.sq > z->max_sq) z->max_sq = q.sq;
    if (q.ctx > z->max_ctx) z->max_ctx = q.ctx;
    bad = z->total_k > INT64_MAX / 4;
  }
  z->mbps = (z->max_ctx + bs - 1) / bs;
  int64_t t = 0, tables = 0, bytes = 0;
  /* q + k_new + v_new + k_cache + v_cache (bf16), int32 tables, fp32 sinks */
  bad = bad || add64(z->used_blocks, AR_SPARE_BLOCKS, &z->nblk) || mul64(hkv, d, &z->kvrow) ||
        mul64(z->total_q, hq * d, &z->qel) || mul64(z->total_q, z->kvrow, &z->newel) ||
        mul64(z->nblk, bs, &z->cacheel) || mul64(z->cacheel, z->kvrow, &z->cacheel) ||
        add64(z->qel, z->newel, &t) || add64(t, z->newel, &t) || add64(t, z->cacheel, &t) ||
        add64(t, z->cacheel, &t) || mul64(t, 2, &bytes) || mul64(ns, z->mbps, &tables) ||
        add64(tables, 3 * ns + 2 + hq, &tables) || mul64(tables, 4, &tables) || add64(bytes, tables, &bytes);
  if (bad || z->total_q > INT32_MAX || z->total_k > INT32_MAX || z->nblk > INT32_MAX || z->mbps > INT32_MAX ||
      ns * z->mbps > INT32_MAX)
    return fail(err, errlen, AR_TOO_LARGE ": sizes overflow");
  z->host_bytes = bytes;
  return 0;
}

/* Device bytes ar_workload_upload asks for, from the host sizes. */
static int device_bytes_of(const attnroute_problem *p, const batch_sizes *z, int32_t max_splits, int64_t *out) {
  const int64_t hq = p->num_q_heads, d = p->head_dim, tq = z->total_q;
  const int64_t qb = tq * hq * d * 2, newb = z->newel * 2, cacheb = z->cacheel * 2;
  const int64_t denseb = z->total_k * z->kvrow * 2;
  int64_t partb, mlb, total = 0;
  if (max_splits < 1) max_splits = 1;
  /* max_splits * total_q * Hq * D * 4 may overflow for absurd max_splits */
  if (mul64(max_splits, tq * hq * d * 4, &partb) || mul64(max_splits, tq * hq * 2 * 4, &mlb) ||
      add64(qb, 3 * newb, &total) || add64(total, 2 * cacheb, &total) || add64(total, 2 * denseb, &total) ||
      add64(total, partb, &total) || add64(total, mlb, &total))
    return -1;
  *out = total;
  return 0;
}

static double gib(int64_t bytes) { return (double)bytes / (double)((int64_t)1 << 30); }

int ar_batch_fits(const attnroute_problem *p, const ar_seq *seqs, int32_t seqlen_q, int32_t cached,
                  int32_t max_splits, uint64_t device_memory, char *err, size_t errlen) {
  batch_sizes z;
  int64_t dev = 0;
  if (batch_sizes_of(p, seqs, seqlen_q, cached, &z, err, errlen)) return -1;
  int64_t cap = input_cap();
  if (z.host_bytes > cap) {
    if (err && errlen)
      snprintf(err, errlen,
               AR_TOO_LARGE " for host memory: its inputs need %.2f GiB, the cap is %.2f GiB "
               "(ATTNROUTE_HOST_INPUT_CAP)",
               gib(z.host_bytes), gib(cap));
    return -1;
  }
  if (device_bytes_of(p, &z, max_splits, &dev)) return fail(err, errlen, AR_TOO_LARGE ": sizes overflow");
  if (device_memory > 0 && (uint64_t)dev > device_memory / 10 * 9) {
    if (err && errlen)
      snprintf(err, errlen, AR_TOO_LARGE " for device memory: needs %.2f GiB of %.2f GiB", gib(dev),
               gib((int64_t)device_memory));
    return -1;
  }
  return 0;
}

static int make_inputs(ar_inputs *in, const attnroute_problem *p, const ar_seq *seqs, int32_t seqlen_q,
                       int32_t cached, uint64_t seed, char *err, size_t errlen) {
  memset(in, 0, sizeof *in);
  if (p->num_seqs <= 0 || p->num_q_heads <= 0 || p->num_kv_heads <= 0 || p->head_dim <= 0 ||
      p->kv_block_size <= 0 || p->num_q_heads % p->num_kv_heads != 0 ||
      (!seqs && (seqlen_q <= 0 || cached < 0)))
    return fail(err, errlen, "invalid problem for ar_inputs_make");
  if (p->q_dtype != ATTNROUTE_DTYPE_BF16 || p->kv_dtype != ATTNROUTE_DTYPE_BF16)
    return fail(err, errlen, "ar_inputs_make: only bf16 q and kv are generated");
  if (!seqs && (int64_t)seqlen_q + cached > INT32_MAX)
    return fail(err, errlen, AR_TOO_LARGE ": seqlen_k overflows int32");
  batch_sizes z;
  if (batch_sizes_of(p, seqs, seqlen_q, cached, &z, err, errlen)) return -1;
  if (z.host_bytes > input_cap()) {
    if (err && errlen)
      snprintf(err, errlen, AR_TOO_LARGE " for host memory: %lld bytes", (long long)z.host_bytes);
    return -1;
  }

  const int64_t ns = p->num_seqs, hq = p->num_q_heads, bs = p->kv_block_size;
  const int64_t mbps = z.mbps, nblk = z.nblk, kvrow = z.kvrow;
  int any_cached = 0;
  for (int64_t b = 0; b < ns && !any_cached; b++) {
    ar_seq q = seq_at(seqs, seqlen_q, cached, b);
    any_cached = q.ctx > q.sq;
  }
  in->p = *p;
  in->p.max_seqlen_q = (int32_t)z.max_sq;
  in->p.max_seqlen_k = (int32_t)z.max_ctx;
  in->p.has_cached = any_cached;
  in->seqlen_q = (int32_t)z.max_sq;
  in->seqlen_k = (int32_t)z.max_ctx;
  in->cached = (int32_t)(z.max_ctx - z.max_sq);
  in->total_q = (int32_t)z.total_q;
  in->total_k = (int32_t)z.total_k;
  in->max_blocks_per_seq = (int32_t)mbps;
  in->num_blocks = (int32_t)nblk;
  in->softmax_scale = (float)(1.0 / sqrt((double)p->head_dim));

  in->q = pool_alloc((size_t)z.qel * 2);
  in->k_new = pool_alloc((size_t)z.newel * 2);
  in->v_new = pool_alloc((size_t)z.newel * 2);
  in->k_cache = pool_alloc((size_t)z.cacheel * 2);
  in->v_cache = pool_alloc((size_t)z.cacheel * 2);
  in->block_table = pool_alloc((size_t)(ns * mbps) * 4);
  in->cu_seqlens_q = pool_alloc((size_t)(ns + 1) * 4);
  in->cu_seqlens_k = pool_alloc((size_t)(ns + 1) * 4);
  in->seq_lens_k = pool_alloc((size_t)ns * 4);
  int32_t *perm = malloc((size_t)nblk * 4);
  if (p->has_sinks) in->sinks = pool_alloc((size_t)hq * sizeof(float));
  if (!in->q || !in->k_new || !in->v_new || !in->k_cache || !in->v_cache || !in->block_table ||
      !in->cu_seqlens_q || !in->cu_seqlens_k || !in->seq_lens_k || !perm ||
      (p->has_sinks && !in->sinks)) {
    free(perm);
    ar_inputs_free(in);
    if (err && errlen)
      snprintf(err, errlen, "out of memory allocating %lld bytes of inputs", (long long)z.host_bytes);
    return -1;
  }

  uint64_t s = seed;
  in->cu_seqlens_q[0] = in->cu_seqlens_k[0] = 0;
  for (int64_t b = 0; b < ns; b++) {
    ar_seq q = seq_at(seqs, seqlen_q, cached, b);
    in->cu_seqlens_q[b + 1] = in->cu_seqlens_q[b] + q.sq;
    in->cu_seqlens_k[b + 1] = in->cu_seqlens_k[b] + q.ctx;
    in->seq_lens_k[b] = q.ctx;
  }

  /* Shuffled physical blocks; the spare ones keep random stale values.  A
  ** sequence's pages come from the permutation in order; table entries past
  ** its last page name a spare block (valid memory, never attended). */
  for (int64_t i = 0; i < nblk; i++) perm[i] = (int32_t)i;
  for (int64_t i = nblk - 1; i > 0; i--) {
    uint32_t j = below(&s, (uint32_t)(i + 1));
    int32_t tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
  int64_t next = 0;
  for (int64_t b = 0; b < ns; b++) {
    int64_t pages = (in->seq_lens_k[b] + bs - 1) / bs;
    for (int64_t i = 0; i < mbps; i++)
      in->block_table[b * mbps + i] = i < pages ? perm[next++] : perm[z.used_blocks];
  }
  free(perm);

  fill_bf16(in->q, z.qel, &s);
  fill_bf16(in->k_cache, z.cacheel, &s); /* every slot, including unused tails */
  fill_bf16(in->v_cache, z.cacheel, &s);
  for (int64_t b = 0; b < ns; b++) {
    const int64_t sk = in->seq_lens_k[b], t0 = in->cu_seqlens_q[b];
    const int64_t pre = sk - (in->cu_seqlens_q[b + 1] - t0);
    for (int64_t j = pre; j < sk; j++) {
      int64_t blk = in->block_table[b * mbps + j / bs];
      int64_t src = (blk * bs + j % bs) * kvrow;
      int64_t dst = (t0 + (j - pre)) * kvrow;
      memcpy(in->k_new + dst, in->k_cache + src, (size_t)kvrow * 2);
      memcpy(in->v_new + dst, in->v_cache + src, (size_t)kvrow * 2);
    }
  }
  if (in->sinks)
    for (int64_t h = 0; h < hq; h++) in->sinks[h] = uniform(&s, -2.0f, 2.0f);
  return 0;
}

int ar_inputs_make(ar_inputs *in, const attnroute_problem *p, int32_t seqlen_q, int32_t cached, uint64_t seed,
                   char *err, size_t errlen) {
  return make_inputs(in, p, NULL, seqlen_q, cached, seed, err, errlen);
}

int ar_inputs_make_ragged(ar_inputs *in, const attnroute_problem *p, const ar_seq *seqs, uint64_t seed,
                          char *err, size_t errlen) {
  if (!seqs) {
    memset(in, 0, sizeof *in);
    return fail(err, errlen, "ar_inputs_make_ragged: no sequences");
  }
  return make_inputs(in, p, seqs, 0, 0, seed, err, errlen);
}

void ar_inputs_free(ar_inputs *in) {
  if (!in) return;
  pool_free(in->q);
  pool_free(in->k_new);
  pool_free(in->v_new);
  pool_free(in->k_cache);
  pool_free(in->v_cache);
  pool_free(in->block_table);
  pool_free(in->cu_seqlens_q);
  pool_free(in->cu_seqlens_k);
  pool_free(in->seq_lens_k);
  pool_free(in->sinks);
  memset(in, 0, sizeof *in);
}

/*
** Straight from the definition in attn_args.h, per sequence from
** cu_seqlens_q / seq_lens_k, reading K/V through the block table.
*/
void ar_reference_attention(const ar_inputs *in, double *out) {
  const attnroute_problem *p = &in->p;
  const int64_t hq = p->num_q_heads, hkv = p->num_kv_heads, d = p->head_dim;
  const int64_t g = hq / hkv, bs = p->kv_block_size, mbps = in->max_blocks_per_seq;
  const int64_t window = p->sliding_window;
  double *logit = malloc(sizeof(double) * (size_t)(in->seqlen_k > 0 ? in->seqlen_k : 1));
  double *qd = malloc(sizeof(double) * (size_t)d);
  if (!logit || !qd) { /* leave NaN so a check cannot pass */
    for (int64_t i = 0; i < (int64_t)in->total_q * hq * d; i++) out[i] = NAN;
    free(logit);
    free(qd);
    return;
  }
  for (int64_t b = 0; b < p->num_seqs; b++) {
    const int64_t t0 = in->cu_seqlens_q[b], sq = in->cu_seqlens_q[b + 1] - t0;
    int64_t sk = in->seq_lens_k[b];
    if (sk > in->seqlen_k) sk = in->seqlen_k; /* logit[] holds seqlen_k */
    for (int64_t i = 0; i < sq; i++) {
      for (int64_t h = 0; h < hq; h++) {
        const int64_t kvh = h / g;
        const uint16_t *qr = in->q + ((t0 + i) * hq + h) * d;
        double *o = out + ((t0 + i) * hq + h) * d;
        for (int64_t e = 0; e < d; e++) qd[e] = ar_bf16_to_float(qr[e]);
        double m = -INFINITY;
        for (int64_t j = 0; j < sk; j++) {
          int visible = (!p->causal || j <= i + sk - sq) &&
                        (window <= 0 || j > i + sk - sq - window);
          if (!visible) {
            logit[j] = -INFINITY;
            continue;
          }
          int64_t blk = in->block_table[b * mbps + j / bs];
          const uint16_t *kr = in->k_cache + ((blk * bs + j % bs) * hkv + kvh) * d;
          double dotp = 0.0;
          for (int64_t e = 0; e < d; e++) dotp += qd[e] * ar_bf16_to_float(kr[e]);
          logit[j] = (double)in->softmax_scale * dotp;
          if (logit[j] > m) m = logit[j];
        }
        if (in->sinks && in->sinks[h] > m) m = in->sinks[h];
        for (int64_t e = 0; e < d; e++) o[e] = 0.0;
        if (m == -INFINITY) continue; /* no visible key, no sink */
        double denom = in->sinks ? exp(in->sinks[h] - m) : 0.0;
        for (int64_t j = 0; j < sk; j++) {
          if (logit[j] == -INFINITY) continue;
          double w = exp(logit[j] - m);
          denom += w;
          int64_t blk = in->block_table[b * mbps + j / bs];
          const uint16_t *vr = in->v_cache + ((blk * bs + j % bs) * hkv + kvh) * d;
          for (int64_t e = 0; e < d; e++) o[e] += w * ar_bf16_to_float(vr[e]);
        }
        for (int64_t e = 0; e < d; e++) o[e] /= denom;
      }
    }
  }
  free(logit);
  free(qd);
}

void ar_workload_free(ar_backend *b, ar_workload *w) {
  if (!w) return;
  ar_buf *bufs[] = {&w->q,           &w->k_new,        &w->v_new,        &w->k_cache,
                    &w->v_cache,     &w->block_table,  &w->cu_seqlens_q, &w->cu_seqlens_k,
                    &w->seq_lens_k,  &w->sinks,        &w->out,          &w->lse,
                    &w->k_dense,     &w->v_dense,      &w->part_out,     &w->part_ml};
  if (w->cu_seqlens_new == w->cu_seqlens_q) w->cu_seqlens_new = 0; /* alias */
  if (w->cu_seqlens_new) b->ops->free(b, w->cu_seqlens_new);
  w->cu_seqlens_new = 0;
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    if (*bufs[i]) b->ops->free(b, *bufs[i]);
    *bufs[i] = 0;
  }
}

/* Allocate *dst of bytes on b and upload src (when non-NULL). */
static int put(ar_backend *b, ar_buf *dst, const void *src, int64_t bytes, const char *what,
               char *err, size_t errlen) {
  if (b->ops->alloc(b, (size_t)bytes, dst) != 0) {
    *dst = 0;
    if (err && errlen)
      snprintf(err, errlen, "allocating %s (%lld bytes): %s", what, (long long)bytes,
               b->ops->error_text(b));
    return -1;
  }
  if (src && b->ops->upload(b, *dst, src, (size_t)bytes) != 0) {
    if (err && errlen)
      snprintf(err, errlen, "uploading %s (%lld bytes): %s", what, (long long)bytes,
               b->ops->error_text(b));
    return -1;
  }
  return 0;
}

void ar_workload_split_stats(const attnroute_problem *p, const int32_t *cu_seqlens_q,
                             const int32_t *seq_lens_k, int32_t *max_keys, int64_t *key_work) {
  const int64_t hq = p->num_q_heads, hkv = p->num_kv_heads;
  const int64_t g = hkv > 0 ? hq / hkv : 1;
  *max_keys = 0;
  *key_work = 0;
  for (int64_t s = 0; s < p->num_seqs; s++) {
    int64_t sq = cu_seqlens_q[s + 1] - cu_seqlens_q[s], keys = seq_lens_k[s];
    if (p->sliding_window > 0 && keys > p->sliding_window + sq - 1) keys = p->sliding_window + sq - 1;
    if (keys > *max_keys) *max_keys = (int32_t)keys;
    *key_work += keys * hkv * ((sq * g + 15) / 16);
  }
}

int ar_workload_upload(ar_backend *b, const ar_inputs *in, int32_t max_splits,
                       int32_t cu_count, ar_workload *w, char *err, size_t errlen) {
  memset(w, 0, sizeof *w);
  if (max_splits < 1) max_splits = 1;
  const attnroute_problem *p = &in->p;
  const int64_t hq = p->num_q_heads, hkv = p->num_kv_heads, d = p->head_dim;
  const int64_t tq = in->total_q, tk = in->total_k, ns = p->num_seqs;
  const int64_t qb = tq * hq * d * 2, newb = tq * hkv * d * 2;
  const int64_t cacheb = (int64_t)in->num_blocks * p->kv_block_size * hkv * d * 2;
  const int64_t denseb = tk * hkv * d * 2;
  int64_t partb, mlb;
  /* max_splits * total_q * Hq * D * 4 may overflow for absurd max_splits */
  if (mul64(max_splits, tq * hq * d * 4, &partb) || mul64(max_splits, tq * hq * 2 * 4, &mlb))
    return fail(err, errlen, AR_TOO_LARGE ": split-KV scratch size overflows");
  int64_t total = qb + 3 * newb + 2 * cacheb + 2 * denseb + partb + mlb;
  ar_device_info di;
  if (b->ops->device_info(b, &di) == 0 && di.memory_bytes > 0 &&
      (uint64_t)total > di.memory_bytes / 10 * 9) {
    if (err && errlen)
      snprintf(err, errlen, AR_TOO_LARGE " for device memory: needs %.2f GiB of %.2f GiB", gib(total),
               gib((int64_t)di.memory_bytes));
    return -1;
  }

  ar_workload_split_stats(p, in->cu_seqlens_q, in->seq_lens_k, &w->split_max_keys,
                          &w->split_key_work);
  w->p = in->p;
  w->seqlen_q = in->seqlen_q;
  w->seqlen_k = in->seqlen_k;
  w->cached = in->cached;
  w->total_q = in->total_q;
  w->total_k = in->total_k;
  w->max_blocks_per_seq = in->max_blocks_per_seq;
  w->num_blocks = in->num_blocks;
  w->max_splits = max_splits;
  w->cu_count = cu_count;
  w->softmax_scale = in->softmax_scale;

  const int64_t cub = (ns + 1) * 4;
  if (put(b, &w->q, in->q, qb, "q", err, errlen) ||
      put(b, &w->k_new, in->k_new, newb, "k_new", err, errlen) ||
      put(b, &w->v_new, in->v_new, newb, "v_new", err, errlen) ||
      put(b, &w->k_cache, in->k_cache, cacheb, "k_cache", err, errlen) ||
      put(b, &w->v_cache, in->v_cache, cacheb, "v_cache", err, errlen) ||
      put(b, &w->block_table, in->block_table, ns * in->max_blocks_per_seq * 4, "block_table",
          err, errlen) ||
      put(b, &w->cu_seqlens_q, in->cu_seqlens_q, cub, "cu_seqlens_q", err, errlen) ||
      put(b, &w->cu_seqlens_k, in->cu_seqlens_k, cub, "cu_seqlens_k", err, errlen) ||
      put(b, &w->seq_lens_k, in->seq_lens_k, ns * 4, "seq_lens_k", err, errlen) ||
      (in->sinks && put(b, &w->sinks, in->sinks, hq * 4, "sinks", err, errlen)) ||
      put(b, &w->out, NULL, qb, "out", err, errlen) ||
      put(b, &w->lse, NULL, tq * hq * 4, "lse", err, errlen) ||
      put(b, &w->k_dense, NULL, denseb, "k_dense", err, errlen) ||
      put(b, &w->v_dense, NULL, denseb, "v_dense", err, errlen) ||
      put(b, &w->part_out, NULL, partb, "part_out", err, errlen) ||
      put(b, &w->part_ml, NULL, mlb, "part_ml", err, errlen)) {
    ar_workload_free(b, w);
    return -1;
  }
  w->cu_seqlens_new = w->cu_seqlens_q; /* identical contents: one buffer */
  return 0;
}
