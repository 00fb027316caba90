/*
** test_host_workload.c -- bf16 conversion, ar_inputs_make (determinism,
** shuffled block table, new tokens equal to the cache, size guards), ragged
** batches (ar_inputs_make_ragged: per-sequence cu_seqlens, seq_lens_k,
** block tables and new tokens; what split rules are told; ar_batch_fits)
** and ar_workload_upload / free on the host backend.
*/
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <stdint.h>

#include "test_host_util.h"

static void test_bf16(void) {
  CHECK(ar_float_to_bf16(1.0f) == 0x3F80);
  CHECK(ar_float_to_bf16(-2.0f) == 0xC000);
  CHECK(ar_bf16_to_float(0x3F80) == 1.0f);
  float f;
  uint32_t u = 0x3F808000u; /* halfway between 0x3F80 and 0x3F81: to even */
  memcpy(&f, &u, 4);
  CHECK(ar_float_to_bf16(f) == 0x3F80);
  u = 0x3F818000u; /* halfway, odd below: up */
  memcpy(&f, &u, 4);
  CHECK(ar_float_to_bf16(f) == 0x3F82);
  u = 0x3F808001u;
  memcpy(&f, &u, 4);
  CHECK(ar_float_to_bf16(f) == 0x3F81);
  CHECK(isnan(ar_bf16_to_float(ar_float_to_bf16(NAN))));
  u = 0x7F800001u; /* signalling NaN whose payload is only in the low bits */
  memcpy(&f, &u, 4);
  CHECK(isnan(ar_bf16_to_float(ar_float_to_bf16(f))));
  CHECK(ar_float_to_bf16(INFINITY) == 0x7F80);
  CHECK(ar_float_to_bf16(3.4e38f) == 0x7F80 || ar_float_to_bf16(3.4e38f) == 0x7F7F);
  for (uint32_t h = 0; h < 0x10000u; h++) {
    float x = ar_bf16_to_float((uint16_t)h);
    if (!isnan(x)) CHECK(ar_float_to_bf16(x) == h);
  }
}

static void test_inputs(void) {
  attnroute_problem p = test_problem(3, 8, 2, 64, 16, 1);
  ar_inputs a, b, c;
  char err[256];
  CHECK(ar_inputs_make(&a, &p, 5, 37, 42, err, sizeof err) == 0);
  CHECK(ar_inputs_make(&b, &p, 5, 37, 42, err, sizeof err) == 0);
  CHECK(ar_inputs_make(&c, &p, 5, 37, 43, err, sizeof err) == 0);
  CHECK(a.seqlen_q == 5 && a.seqlen_k == 42 && a.cached == 37);
  CHECK(a.total_q == 15 && a.total_k == 126);
  CHECK(a.p.max_seqlen_q == 5 && a.p.max_seqlen_k == 42 && a.p.has_cached);
  CHECK(a.max_blocks_per_seq == 3);
  CHECK(a.num_blocks >= 9);
  CHECK(fabs(a.softmax_scale - 0.125f) < 1e-7);
  size_t qel = (size_t)a.total_q * 8 * 64;
  size_t cel = (size_t)a.num_blocks * 16 * 2 * 64;
  CHECK(memcmp(a.q, b.q, qel * 2) == 0);
  CHECK(memcmp(a.k_cache, b.k_cache, cel * 2) == 0);
  CHECK(memcmp(a.block_table, b.block_table, 9 * 4) == 0);
  CHECK(memcmp(a.q, c.q, qel * 2) != 0);
  /* values in (-1, 1), sinks in (-2, 2) */
  for (size_t i = 0; i < qel; i++) CHECK(fabsf(ar_bf16_to_float(a.q[i])) <= 1.0f);
  CHECK(a.sinks != NULL);
  for (int h = 0; h < 8; h++) CHECK(fabsf(a.sinks[h]) <= 2.0f);
  /* block table: distinct, in range */
  int seen[64] = {0};
  CHECK(a.num_blocks <= 64);
  for (int i = 0; i < 9; i++) {
    CHECK(a.block_table[i] >= 0 && a.block_table[i] < a.num_blocks);
    CHECK(!seen[a.block_table[i]]);
    seen[a.block_table[i]] = 1;
  }
  /* cu_seqlens, seq_lens */
  for (int s = 0; s <= 3; s++) CHECK(a.cu_seqlens_q[s] == 5 * s && a.cu_seqlens_k[s] == 42 * s);
  for (int s = 0; s < 3; s++) CHECK(a.seq_lens_k[s] == 42);
  /* k_new / v_new are the last 5 tokens of each sequence, bit for bit */
  for (int s = 0; s < 3; s++)
    for (int j = 37; j < 42; j++) {
      int blk = a.block_table[s * 3 + j / 16];
      size_t src = ((size_t)blk * 16 + j % 16) * 128, dst = ((size_t)s * 5 + j - 37) * 128;
      CHECK(memcmp(a.k_new + dst, a.k_cache + src, 256) == 0);
      CHECK(memcmp(a.v_new + dst, a.v_cache + src, 256) == 0);
    }
  ar_inputs_free(&a);
  ar_inputs_free(&b);
  ar_inputs_free(&c);

  /* not the identity permutation (over several seeds) */
  p = test_problem(4, 1, 1, 16, 16, 0);
  int identity = 1;
  for (uint64_t seed = 1; seed <= 4 && identity; seed++) {
    CHECK(ar_inputs_make(&a, &p, 1, 255, seed, err, sizeof err) == 0);
    CHECK(a.sinks == NULL);
    for (int i = 0; i < 4 * 16; i++)
      if (a.block_table[i] != i) identity = 0;
    ar_inputs_free(&a);
  }
  CHECK(!identity);
}

static void test_guards(void) {
  ar_inputs a;
  char err[256];
  attnroute_problem p = test_problem(1 << 20, 64, 8, 128, 16, 0);
  err[0] = 0;
  CHECK(ar_inputs_make(&a, &p, 1 << 20, 1 << 20, 1, err, sizeof err) == -1);
  CHECK(strstr(err, "problem too large") != NULL);
  CHECK(a.q == NULL);
  p = test_problem(1, 1, 1, 64, 16, 0);
  CHECK(ar_inputs_make(&a, &p, 0x7fffffff, 0x7fffffff, 1, err, sizeof err) == -1);
  CHECK(strstr(err, "too large") != NULL);
  setenv("ATTNROUTE_HOST_INPUT_CAP", "100000", 1);
  p = test_problem(2, 4, 4, 64, 16, 0);
  CHECK(ar_inputs_make(&a, &p, 64, 64, 1, err, sizeof err) == -1);
  CHECK_MSG(strstr(err, "problem too large for host memory:") != NULL, "%s", err);
  CHECK(ar_inputs_make(&a, &p, 4, 4, 1, err, sizeof err) == 0);
  ar_inputs_free(&a);
  unsetenv("ATTNROUTE_HOST_INPUT_CAP");
  p = test_problem(2, 6, 4, 64, 16, 0); /* 6 % 4 != 0 */
  CHECK(ar_inputs_make(&a, &p, 4, 4, 1, err, sizeof err) == -1);
  p = test_problem(2, 4, 4, 64, 0, 0);
  CHECK(ar_inputs_make(&a, &p, 4, 4, 1, err, sizeof err) == -1);
  p = test_problem(2, 4, 4, 64, 16, 0);
  CHECK(ar_inputs_make(&a, &p, 0, 4, 1, err, sizeof err) == -1);
  CHECK(ar_inputs_make(&a, &p, 4, -1, 1, err, sizeof err) == -1);
}

static void test_upload(void) {
  ar_backend *b;
  char err[256];
  CHECK(ar_backend_open("host", &b, err, sizeof err) == 0);
  attnroute_problem p = test_problem(2, 4, 2, 32, 64, 1);
  ar_inputs in;
  ar_workload w;
  CHECK(ar_inputs_make(&in, &p, 3, 70, 7, err, sizeof err) == 0);
  CHECK(ar_workload_upload(b, &in, 16, 1, &w, err, sizeof err) == 0);
  CHECK(w.total_q == 6 && w.total_k == 146 && w.max_splits == 16 && w.cu_count == 1);
  CHECK(w.seqlen_q == 3 && w.seqlen_k == 73 && w.cached == 70);
  CHECK(w.num_blocks == in.num_blocks && w.max_blocks_per_seq == 2);
  CHECK(w.softmax_scale == in.softmax_scale);
  CHECK(w.q && w.k_new && w.v_new && w.k_cache && w.v_cache && w.block_table);
  CHECK(w.cu_seqlens_q && w.cu_seqlens_k && w.cu_seqlens_new && w.seq_lens_k && w.sinks);
  CHECK(w.out && w.lse && w.k_dense && w.v_dense && w.part_out && w.part_ml);
  size_t cel = (size_t)in.num_blocks * 64 * 2 * 32;
  uint16_t *tmp = malloc(cel * 2);
  CHECK(tmp);
  CHECK(b->ops->download(b, tmp, w.v_cache, cel * 2) == 0);
  CHECK(memcmp(tmp, in.v_cache, cel * 2) == 0);
  int32_t cu[3];
  CHECK(b->ops->download(b, cu, w.cu_seqlens_new, sizeof cu) == 0);
  CHECK(cu[0] == 0 && cu[1] == 3 && cu[2] == 6);
  /* the split scratch is as deep as promised: writing all of it is in bounds */
  CHECK(b->ops->fill32(b, w.part_out, 0, (size_t)16 * 6 * 4 * 32 * 4) == 0);
  CHECK(b->ops->fill32(b, w.part_ml, 0, (size_t)16 * 6 * 4 * 2 * 4) == 0);
  CHECK(b->ops->fill32(b, w.k_dense, 0, (size_t)146 * 2 * 32 * 2) == 0);
  CHECK(b->ops->fill32(b, w.lse, 0, (size_t)6 * 4 * 4) == 0);
  free(tmp);
  ar_workload_free(b, &w);
  CHECK(w.q == 0 && w.part_ml == 0 && w.cu_seqlens_new == 0);
  ar_workload_free(b, &w); /* twice is harmless */
  ar_inputs_free(&in);

  p.has_sinks = 0;
  CHECK(ar_inputs_make(&in, &p, 3, 0, 7, err, sizeof err) == 0);
  CHECK(ar_workload_upload(b, &in, 0, 1, &w, err, sizeof err) == 0);
  CHECK(w.sinks == 0 && w.max_splits == 1);
  ar_workload_free(b, &w);
  ar_inputs_free(&in);
  b->ops->destroy(b);
}

static void test_ragged(void) {
  const ar_seq seqs[] = {{3, 40}, {1, 1}, {16, 16}, {2, 70}, {1, 33}};
  attnroute_problem p = test_problem(5, 8, 2, 64, 16, 1);
  ar_inputs a, b;
  char err[256];
  CHECK_MSG(ar_inputs_make_ragged(&a, &p, seqs, 9, err, sizeof err) == 0, "%s", err);
  CHECK(ar_inputs_make_ragged(&b, &p, seqs, 9, err, sizeof err) == 0);
  CHECK(a.total_q == 23 && a.total_k == 160);
  CHECK(a.seqlen_q == 16 && a.seqlen_k == 70 && a.cached == 54);
  CHECK(a.p.max_seqlen_q == 16 && a.p.max_seqlen_k == 70 && a.p.has_cached);
  CHECK(a.max_blocks_per_seq == 5);
  /* pages: 3 + 1 + 1 + 5 + 3 = 13, and the spare ones */
  CHECK(a.num_blocks == 16);
  CHECK(memcmp(a.q, b.q, (size_t)23 * 8 * 64 * 2) == 0 && memcmp(a.block_table, b.block_table, 25 * 4) == 0);
  int seen[16] = {0}, cu_q = 0, cu_k = 0;
  for (int s = 0; s < 5; s++) {
    CHECK(a.cu_seqlens_q[s] == cu_q && a.cu_seqlens_k[s] == cu_k && a.seq_lens_k[s] == seqs[s].ctx);
    int pages = (seqs[s].ctx + 15) / 16;
    for (int i = 0; i < 5; i++) {
      int blk = a.block_table[s * 5 + i];
      CHECK(blk >= 0 && blk < a.num_blocks);
      if (i < pages) { /* its own pages: each physical block named once */
        CHECK(!seen[blk]);
        seen[blk] = 1;
      }
    }
    /* k_new / v_new: the sequence's last sq tokens, bit for bit */
    for (int j = seqs[s].ctx - seqs[s].sq; j < seqs[s].ctx; j++) {
      int blk = a.block_table[s * 5 + j / 16];
      size_t src = ((size_t)blk * 16 + j % 16) * 128;
      size_t dst = ((size_t)cu_q + j - (seqs[s].ctx - seqs[s].sq)) * 128;
      CHECK(memcmp(a.k_new + dst, a.k_cache + src, 256) == 0 && memcmp(a.v_new + dst, a.v_cache + src, 256) == 0);
    }
    cu_q += seqs[s].sq;
    cu_k += seqs[s].ctx;
  }
  CHECK(a.cu_seqlens_q[5] == 23 && a.cu_seqlens_k[5] == 160);
  /* table entries past a sequence's pages name a spare block, never one in use */
  for (int s = 0; s < 5; s++)
    for (int i = (seqs[s].ctx + 15) / 16; i < 5; i++) CHECK(!seen[a.block_table[s * 5 + i]]);

  ar_backend *be;
  ar_workload w;
  CHECK(ar_backend_open("host", &be, err, sizeof err) == 0);
  CHECK(ar_workload_upload(be, &a, 8, 4, &w, err, sizeof err) == 0);
  CHECK(w.p.has_cached && w.total_q == 23 && w.total_k == 160 && w.seqlen_q == 16 && w.seqlen_k == 70);
  /* split rules: longest context 70; key work = sum ctx x Hkv x 16-row groups (G = 4) */
  CHECK(w.split_max_keys == 70);
  CHECK(w.split_key_work == (40 * 1 + 1 * 1 + 16 * 4 + 70 * 1 + 33 * 1) * 2);
  ar_workload_free(be, &w);
  ar_inputs_free(&a);
  ar_inputs_free(&b);

  /* With a window the keys a row group reads stop at window + sq - 1. */
  p.sliding_window = 8;
  CHECK(ar_inputs_make_ragged(&a, &p, seqs, 9, err, sizeof err) == 0);
  CHECK(ar_workload_upload(be, &a, 8, 4, &w, err, sizeof err) == 0);
  CHECK(w.split_max_keys == 16 && w.split_key_work == (10 + 1 + 16 * 4 + 9 + 8) * 2);
  ar_workload_free(be, &w);
  ar_inputs_free(&a);
  be->ops->destroy(be);

  /* No prefix anywhere, lengths differ: has_cached stays 0 (dense reads k_new). */
  const ar_seq fresh[] = {{4, 4}, {9, 9}};
  p = test_problem(2, 4, 4, 64, 16, 0);
  CHECK(ar_inputs_make_ragged(&a, &p, fresh, 1, err, sizeof err) == 0);
  CHECK(!a.p.has_cached && a.cached == 0 && a.total_k == 13);
  ar_inputs_free(&a);
  /* One sequence with a prefix that is not the longest: has_cached is 1
  ** although the largest ctx equals the largest sq. */
  const ar_seq mixed[] = {{9, 9}, {1, 5}};
  CHECK(ar_inputs_make_ragged(&a, &p, mixed, 1, err, sizeof err) == 0);
  CHECK(a.p.has_cached && a.cached == 0);
  ar_inputs_free(&a);

  /* Bad sequences and sizes. */
  const ar_seq bad[] = {{3, 2}, {1, 1}};
  CHECK(ar_inputs_make_ragged(&a, &p, bad, 1, err, sizeof err) == -1 && a.q == NULL);
  CHECK(ar_inputs_make_ragged(&a, &p, NULL, 1, err, sizeof err) == -1);
  const ar_seq huge[] = {{1, 1 << 30}, {1, 1 << 30}};
  CHECK(ar_batch_fits(&p, huge, 0, 0, 64, 0, err, sizeof err) == -1);
  CHECK_MSG(strstr(err, "problem too large") != NULL, "%s", err);
  const ar_seq big[] = {{1, 100000}, {1, 1}};
  CHECK(ar_batch_fits(&p, big, 0, 0, 64, 0, err, sizeof err) == 0);
  CHECK(ar_batch_fits(&p, big, 0, 0, 64, (uint64_t)1 << 20, err, sizeof err) == -1);
  CHECK_MSG(strstr(err, "problem too large for device memory: needs") != NULL, "%s", err);
  setenv("ATTNROUTE_HOST_INPUT_CAP", "100000", 1);
  CHECK(ar_batch_fits(&p, big, 0, 0, 64, 0, err, sizeof err) == -1);
  CHECK_MSG(strstr(err, "problem too large for host memory: its inputs need") != NULL, "%s", err);
  CHECK(ar_batch_fits(&p, NULL, 4, 4, 64, 0, err, sizeof err) == 0);
  unsetenv("ATTNROUTE_HOST_INPUT_CAP");
}

int main(void) {
  test_bf16();
  test_inputs();
  test_guards();
  test_upload();
  test_ragged();
  printf("test_host_workload: ok\n");
  return 0;
}
