/*
** test_host_kernels.c -- the host kernels called directly with hand-packed
** argument structs, for what the families never ask of them: the gather's
** every row, rows that see no key (sk < sq), the dense kernels' lse, split
** counts larger than the key count (empty splits), num_splits 1 through the
** split kernel and the reduce, and nonsensical shapes (no write at all).
*/
#include <stdint.h>

#include "attn_args.h"
#include "host_kernels.h"
#include "test_host_util.h"

#define A(p) ((uint64_t)(uintptr_t)(p))

static void call(const char *symbol, const void *args, size_t size) {
  const ar_host_kernel *k = ar_host_kernel_find(symbol);
  CHECK(k && k->args_size == size);
  k->fn(args);
}

static uint16_t *poisoned(size_t n) {
  uint16_t *o = malloc(n * 2);
  CHECK(o);
  for (size_t i = 0; i < n; i++) o[i] = 0x7FC0;
  return o;
}

static void paged_args(const ar_inputs *in, uint16_t *out, ar_paged_args *a) {
  memset(a, 0, sizeof *a);
  a->out = A(out);
  a->q = A(in->q);
  a->k_cache = A(in->k_cache);
  a->v_cache = A(in->v_cache);
  a->block_table = A(in->block_table);
  a->cu_seqlens_q = A(in->cu_seqlens_q);
  a->seq_lens_k = A(in->seq_lens_k);
  a->sinks = A(in->sinks);
  a->softmax_scale = in->softmax_scale;
  a->num_seqs = in->p.num_seqs;
  a->num_q_heads = in->p.num_q_heads;
  a->num_kv_heads = in->p.num_kv_heads;
  a->head_dim = in->p.head_dim;
  a->block_size = in->p.kv_block_size;
  a->max_blocks_per_seq = in->max_blocks_per_seq;
  a->max_seqlen_q = in->seqlen_q;
  a->window = in->p.sliding_window;
  a->causal = in->p.causal;
  a->num_splits = 1;
  a->total_q = in->total_q;
}

static size_t out_len(const ar_inputs *in) {
  return (size_t)in->total_q * in->p.num_q_heads * in->p.head_dim;
}

static double *reference(const ar_inputs *in) {
  double *ref = malloc(out_len(in) * sizeof *ref);
  CHECK(ref);
  ar_reference_attention(in, ref);
  return ref;
}

/* Gather every sequence's keys into dense rows; compare with the cache. */
static void test_gather(void) {
  char err[256];
  attnroute_problem p = test_problem(3, 4, 2, 32, 16, 0);
  ar_inputs in;
  CHECK(ar_inputs_make(&in, &p, 7, 50, 21, err, sizeof err) == 0);
  size_t row = 2 * 32, n = (size_t)in.total_k * row;
  uint16_t *kd = poisoned(n), *vd = poisoned(n);
  ar_gather_args g = {A(in.k_cache), A(in.v_cache), A(kd), A(vd), A(in.block_table),
                      A(in.cu_seqlens_k), 3, 2, 32, 16, in.max_blocks_per_seq, in.total_k};
  call("host_gather", &g, sizeof g);
  for (int s = 0; s < 3; s++)
    for (int j = 0; j < 57; j++) {
      int blk = in.block_table[s * in.max_blocks_per_seq + j / 16];
      size_t src = ((size_t)blk * 16 + j % 16) * row, dst = ((size_t)s * 57 + j) * row;
      CHECK(memcmp(kd + dst, in.k_cache + src, row * 2) == 0);
      CHECK(memcmp(vd + dst, in.v_cache + src, row * 2) == 0);
      if (j >= 50) CHECK(memcmp(kd + dst, in.k_new + ((size_t)s * 7 + j - 50) * row, row * 2) == 0);
    }
  free(kd);
  free(vd);
  ar_inputs_free(&in);
}

static const char *dense_kernels[] = {"host_dense_sink_q1_bk16", "host_dense_sink_q16_bk64"};
static const char *paged_kernels[] = {"host_paged_q1_bk16", "host_paged_q16_bk64",
                                      "host_paged_split"};

/* sq = 20 rows against sk = 6 keys, causal: rows 0..13 see nothing and must
** be exactly zero (sink or not); lse there is -inf, or the sink logit.  One sequence so the dense
** kernels can read k_new rows 0..5 as the keys. */
static void test_masked_rows(void) {
  char err[256];
  for (int sink = 0; sink <= 1; sink++) {
    attnroute_problem p = test_problem(1, 8, 2, 64, 16, sink);
    ar_inputs in;
    CHECK(ar_inputs_make(&in, &p, 20, 0, 30 + sink, err, sizeof err) == 0);
    in.seq_lens_k[0] = 6;
    int32_t cuk[2] = {0, 6};
    double *ref = reference(&in);
    size_t n = out_len(&in);
    float lse[20 * 8];
    for (size_t kk = 0; kk < sizeof dense_kernels / sizeof *dense_kernels; kk++) {
      uint16_t *out = poisoned(n);
      for (int i = 0; i < 160; i++) lse[i] = NAN;
      ar_dense_args a = {A(out), A(in.q), A(in.k_new), A(in.v_new), A(lse), A(in.cu_seqlens_q),
                         A(cuk), A(in.sinks), in.softmax_scale, 1, 8, 2, 64, 20, -1, 1};
      call(dense_kernels[kk], &a, sizeof a);
      CHECK_MSG(test_rel_err(out, ref, n) < 1e-2, "%s", dense_kernels[kk]);
      for (size_t i = 0; i < 14 * 8 * 64; i++) CHECK(ar_bf16_to_float(out[i]) == 0.0f);
      for (int i = 0; i < 14 * 8; i++) { /* only the sink column, if any */
        if (sink) CHECK_NEAR(lse[i], in.sinks[i % 8], 1e-6);
        else CHECK(isinf(lse[i]) && lse[i] < 0);
      }
      /* lse of visible rows: log of the denominator, sink included */
      for (int t = 14; t < 20; t++)
        for (int h = 0; h < 8; h++) {
          double mx = -INFINITY, logit[6];
          for (int j = 0; j <= t - 14; j++) {
            double dot = 0;
            for (int e = 0; e < 64; e++)
              dot += (double)ar_bf16_to_float(in.q[((size_t)t * 8 + h) * 64 + e]) *
                     ar_bf16_to_float(in.k_new[((size_t)j * 2 + h / 4) * 64 + e]);
            logit[j] = in.softmax_scale * dot;
            if (logit[j] > mx) mx = logit[j];
          }
          double den = 0;
          for (int j = 0; j <= t - 14; j++) den += exp(logit[j] - mx);
          if (sink) den += exp(in.sinks[h] - mx);
          CHECK_NEAR(lse[t * 8 + h], mx + log(den), 1e-3);
        }
      free(out);
    }
    for (size_t kk = 0; kk < sizeof paged_kernels / sizeof *paged_kernels; kk++) {
      uint16_t *out = poisoned(n);
      ar_paged_args a;
      paged_args(&in, out, &a);
      call(paged_kernels[kk], &a, sizeof a);
      CHECK_MSG(test_rel_err(out, ref, n) < 1e-2, "%s", paged_kernels[kk]);
      for (size_t i = 0; i < 14 * 8 * 64; i++) CHECK(ar_bf16_to_float(out[i]) == 0.0f);
      free(out);
    }
    free(ref);
    ar_inputs_free(&in);
  }
}

/* Split-KV with 1, 3, 7 and 40 splits (more splits than keys: empty ones),
** two sequences of different key counts, then the reduce. */
static void test_splits(void) {
  char err[256];
  const int splits[] = {1, 3, 7, 40};
  for (int sink = 0; sink <= 1; sink++) {
    attnroute_problem p = test_problem(2, 8, 1, 64, 16, sink);
    p.sliding_window = sink ? 9 : -1;
    ar_inputs in;
    CHECK(ar_inputs_make(&in, &p, 3, 20, 40 + sink, err, sizeof err) == 0);
    in.seq_lens_k[1] = 12; /* a shorter second sequence */
    double *ref = reference(&in);
    size_t n = out_len(&in);
    for (size_t si = 0; si < sizeof splits / sizeof *splits; si++) {
      int ns = splits[si];
      uint16_t *out = poisoned(n);
      float *po = malloc(sizeof(float) * n * ns), *ml = malloc(sizeof(float) * 2 * 6 * 8 * ns);
      CHECK(po && ml);
      ar_paged_args a;
      paged_args(&in, out, &a);
      a.num_splits = ns;
      a.part_out = A(po);
      a.part_ml = A(ml);
      call("host_paged_split", &a, sizeof a);
      if (ns > 1) CHECK(out[0] == 0x7FC0); /* partials only */
      ar_reduce_args r = {A(out), A(po), A(ml), A(in.sinks), in.total_q, 8, 64, ns};
      call("host_reduce", &r, sizeof r);
      CHECK_MSG(test_rel_err(out, ref, n) < 1e-2, "splits=%d sink=%d err=%g", ns, sink,
                test_rel_err(out, ref, n));
      free(po);
      free(ml);
      free(out);
    }
    free(ref);
    ar_inputs_free(&in);
  }
}

/* Shapes no kernel can run: nothing is written. */
static void test_bad_shapes(void) {
  char err[256];
  attnroute_problem p = test_problem(1, 4, 2, 16, 16, 0);
  ar_inputs in;
  CHECK(ar_inputs_make(&in, &p, 2, 2, 50, err, sizeof err) == 0);
  size_t n = out_len(&in);
  uint16_t *out = poisoned(n);
  ar_paged_args a;
  paged_args(&in, out, &a);
  a.num_kv_heads = 3;
  for (size_t kk = 0; kk < sizeof paged_kernels / sizeof *paged_kernels; kk++)
    call(paged_kernels[kk], &a, sizeof a);
  paged_args(&in, out, &a);
  a.block_size = 0;
  for (size_t kk = 0; kk < sizeof paged_kernels / sizeof *paged_kernels; kk++)
    call(paged_kernels[kk], &a, sizeof a);
  paged_args(&in, out, &a);
  a.head_dim = 0;
  for (size_t kk = 0; kk < sizeof paged_kernels / sizeof *paged_kernels; kk++)
    call(paged_kernels[kk], &a, sizeof a);
  ar_dense_args d = {A(out), A(in.q), A(in.k_new), A(in.v_new), 0, A(in.cu_seqlens_q),
                     A(in.cu_seqlens_q), 0, in.softmax_scale, 1, 4, 0, 16, 2, -1, 1};
  for (size_t kk = 0; kk < sizeof dense_kernels / sizeof *dense_kernels; kk++)
    call(dense_kernels[kk], &d, sizeof d);
  ar_reduce_args r = {A(out), 0, 0, 0, in.total_q, 4, 16, 1}; /* 1 split: no-op */
  call("host_reduce", &r, sizeof r);
  for (size_t i = 0; i < n; i++) CHECK(out[i] == 0x7FC0);
  free(out);
  ar_inputs_free(&in);
}

int main(void) {
  test_gather();
  test_masked_rows();
  test_splits();
  test_bad_shapes();
  printf("test_host_kernels: ok\n");
  return 0;
}
