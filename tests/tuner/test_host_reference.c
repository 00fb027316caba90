/*
** test_host_reference.c -- ar_reference_attention against cases worked out
** by hand: the visible keys of each row are listed explicitly (not derived
** from the mask formula), their K/V read from the dense k_new/v_new copies
** (so the reference's block-table reads are checked too), and the softmax
** with the sink column written out.  Covers sq = sk = 1 with and without a
** sink, bottom-right causal, non-causal, sliding windows with a cached
** prefix, GQA head mapping and rows that see no key.
*/
#include <stdint.h>

#include "test_host_util.h"

static double bf(uint16_t h) { return ar_bf16_to_float(h); }

/* Expected output of query (token t, head h) attending exactly to the keys
** rows[0..n) of the dense new-token K/V (token-major [total_q, Hkv, D]). */
static void hand(const ar_inputs *in, int t, int h, const int *rows, int n, double *o) {
  const int hq = in->p.num_q_heads, hkv = in->p.num_kv_heads, d = in->p.head_dim;
  const int kvh = h / (hq / hkv);
  double s[64], mx = -INFINITY;
  CHECK(n <= 64);
  for (int a = 0; a < n; a++) {
    double dot = 0;
    for (int e = 0; e < d; e++)
      dot += bf(in->q[((size_t)t * hq + h) * d + e]) * bf(in->k_new[((size_t)rows[a] * hkv + kvh) * d + e]);
    s[a] = in->softmax_scale * dot;
    if (s[a] > mx) mx = s[a];
  }
  double denom = 0;
  if (in->sinks) {
    if (in->sinks[h] > mx) mx = in->sinks[h];
    denom += exp(in->sinks[h] - mx);
  }
  for (int e = 0; e < d; e++) o[e] = 0;
  if (n == 0) return; /* nothing visible: zero, with or without a sink */
  for (int a = 0; a < n; a++) {
    double w = exp(s[a] - mx);
    denom += w;
    for (int e = 0; e < d; e++) o[e] += w * bf(in->v_new[((size_t)rows[a] * hkv + kvh) * d + e]);
  }
  for (int e = 0; e < d; e++) o[e] /= denom;
}

static void expect_row(const ar_inputs *in, const double *ref, int t, int h, const int *rows,
                       int n) {
  const int hq = in->p.num_q_heads, d = in->p.head_dim;
  double o[256];
  hand(in, t, h, rows, n, o);
  for (int e = 0; e < d; e++)
    CHECK_MSG(fabs(ref[((size_t)t * hq + h) * d + e] - o[e]) < 1e-12, "t=%d h=%d e=%d", t, h, e);
}

static double *reference(const ar_inputs *in) {
  size_t n = (size_t)in->total_q * in->p.num_q_heads * in->p.head_dim;
  double *ref = malloc(n * sizeof *ref);
  CHECK(ref);
  ar_reference_attention(in, ref);
  return ref;
}

/* sq = sk = 1: out = v e^s / (e^s + e^sink), and out = v without a sink. */
static void test_single(void) {
  char err[256];
  for (int sink = 0; sink <= 1; sink++) {
    attnroute_problem p = test_problem(1, 1, 1, 16, 16, 0);
    p.has_sinks = sink;
    ar_inputs in;
    CHECK(ar_inputs_make(&in, &p, 1, 0, 100 + sink, err, sizeof err) == 0);
    double *ref = reference(&in);
    double dot = 0;
    for (int e = 0; e < 16; e++) dot += bf(in.q[e]) * bf(in.k_new[e]);
    double s = in.softmax_scale * dot;
    double w = sink ? exp(s) / (exp(s) + exp(in.sinks[0])) : 1.0;
    for (int e = 0; e < 16; e++) CHECK_NEAR(ref[e], bf(in.v_new[e]) * w, 1e-12);
    if (sink) CHECK(w < 0.999 && w > 0.001);
    free(ref);
    ar_inputs_free(&in);
  }
}

/* sq = sk = 3, no cached prefix: causal rows see {0}, {0,1}, {0,1,2}. */
static void test_causal(void) {
  char err[256];
  for (int causal = 0; causal <= 1; causal++) {
    attnroute_problem p = test_problem(1, 2, 2, 32, 16, 0);
    p.causal = causal;
    p.has_sinks = 1;
    ar_inputs in;
    CHECK(ar_inputs_make(&in, &p, 3, 0, 7, err, sizeof err) == 0);
    double *ref = reference(&in);
    const int all[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
      for (int h = 0; h < 2; h++) expect_row(&in, ref, i, h, all, causal ? i + 1 : 3);
    free(ref);
    ar_inputs_free(&in);
  }
}

/* Windows.  (1) Cached prefix of 3 plus 2 new tokens (sk = 5), causal,
** window 1: row i sees exactly key i + 3, which is k_new row i of its
** sequence, so out = v.  (2) sq = sk = 4, window 2, non-causal: row i sees
** j > i - 2.  (3) The same, causal: row i sees {i - 1, i}. */
static void test_window(void) {
  char err[256];
  attnroute_problem p = test_problem(2, 2, 1, 16, 16, 0);
  p.sliding_window = 1;
  ar_inputs in;
  CHECK(ar_inputs_make(&in, &p, 2, 3, 9, err, sizeof err) == 0);
  double *ref = reference(&in);
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < 2; i++)
      for (int h = 0; h < 2; h++) {
        int t = s * 2 + i, key = t; /* k_new row of key i + 3 of sequence s */
        expect_row(&in, ref, t, h, &key, 1);
      }
  free(ref);
  ar_inputs_free(&in);

  p = test_problem(1, 1, 1, 16, 16, 0);
  p.sliding_window = 2;
  p.causal = 0;
  p.has_sinks = 1;
  CHECK(ar_inputs_make(&in, &p, 4, 0, 11, err, sizeof err) == 0);
  ref = reference(&in);
  const int r0[] = {0, 1, 2, 3}, r1[] = {0, 1, 2, 3}, r2[] = {1, 2, 3}, r3[] = {2, 3};
  expect_row(&in, ref, 0, 0, r0, 4);
  expect_row(&in, ref, 1, 0, r1, 4);
  expect_row(&in, ref, 2, 0, r2, 3);
  expect_row(&in, ref, 3, 0, r3, 2);
  free(ref);
  ar_inputs_free(&in);

  p.causal = 1; /* causal window 2: row i sees {i-1, i} */
  CHECK(ar_inputs_make(&in, &p, 4, 0, 12, err, sizeof err) == 0);
  ref = reference(&in);
  const int c0[] = {0}, c1[] = {0, 1}, c2[] = {1, 2}, c3[] = {2, 3};
  expect_row(&in, ref, 0, 0, c0, 1);
  expect_row(&in, ref, 1, 0, c1, 2);
  expect_row(&in, ref, 2, 0, c2, 2);
  expect_row(&in, ref, 3, 0, c3, 2);
  free(ref);
  ar_inputs_free(&in);
}

/* GQA 4: q heads 0..3 read kv head 0, 4..7 kv head 1.  With sk = 1 and no
** sink each head's output is exactly its kv head's value row. */
static void test_gqa(void) {
  char err[256];
  attnroute_problem p = test_problem(1, 8, 2, 16, 16, 0);
  ar_inputs in;
  CHECK(ar_inputs_make(&in, &p, 1, 0, 13, err, sizeof err) == 0);
  double *ref = reference(&in);
  for (int h = 0; h < 8; h++)
    for (int e = 0; e < 16; e++)
      CHECK(ref[h * 16 + e] == bf(in.v_new[(h / 4) * 16 + e]));
  CHECK(memcmp(in.v_new, in.v_new + 16, 32) != 0); /* the two kv heads differ */
  free(ref);
  ar_inputs_free(&in);
  p.has_sinks = 1; /* with a sink and sk = 2, non-causal */
  p.causal = 0;
  CHECK(ar_inputs_make(&in, &p, 2, 0, 14, err, sizeof err) == 0);
  ref = reference(&in);
  const int both[] = {0, 1};
  for (int t = 0; t < 2; t++)
    for (int h = 0; h < 8; h++) expect_row(&in, ref, t, h, both, 2);
  free(ref);
  ar_inputs_free(&in);
}

/* sq = 3 rows against sk = 1 key (seq_lens_k shortened by hand): causal
** rows 0 and 1 see nothing and are zero, with or without a sink; row 2 sees
** key 0.  With window 1 and sk = 3, non-causal, a row sees j > i + sk - sq - 1. */
static void test_masked_rows(void) {
  char err[256];
  for (int sink = 0; sink <= 1; sink++) {
    attnroute_problem p = test_problem(1, 2, 1, 16, 16, 0);
    p.has_sinks = sink;
    ar_inputs in;
    CHECK(ar_inputs_make(&in, &p, 3, 0, 15 + sink, err, sizeof err) == 0);
    in.seq_lens_k[0] = 1;
    double *ref = reference(&in);
    for (int h = 0; h < 2; h++) {
      for (int e = 0; e < 16; e++) {
        CHECK(ref[(0 * 2 + h) * 16 + e] == 0.0);
        CHECK(ref[(1 * 2 + h) * 16 + e] == 0.0);
      }
      const int k0 = 0;
      expect_row(&in, ref, 2, h, &k0, 1);
    }
    free(ref);
    ar_inputs_free(&in);
  }
}

int main(void) {
  test_single();
  test_causal();
  test_window();
  test_gqa();
  test_masked_rows();
  printf("test_host_reference: ok\n");
  return 0;
}
