/*
** test_aiter_pack.c -- ar_aiter_pack_sink_varlen against FACTS.md: every
** offset, size and value of aiter's 0x58-byte sink-varlen argument buffer
** and the launch grid, for sample problems.  The expected buffer is built
** independently, through a packed struct whose offsets are asserted here
** with the literal numbers of FACTS.md.  No GPU.
*/
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aiter_pack.h"

#pragma pack(push, 1)
typedef struct facts_args {
  uint64_t out, q, k, v, lse, cu_q, cu_k; /* 0x00 .. 0x30 */
  float scale;                            /* 0x38 */
  int32_t gqa;                            /* 0x3C */
  int32_t q_heads;                        /* 0x40 */
  int32_t opt;                            /* 0x44 */
  int32_t lse_flag;                       /* 0x48 */
  int32_t max_sq;                         /* 0x4C */
  uint64_t sink;                          /* 0x50 */
} facts_args;
#pragma pack(pop)

static_assert(sizeof(facts_args) == 0x58, "FACTS.md: 0x58 bytes");
static_assert(offsetof(facts_args, out) == 0x00, "out");
static_assert(offsetof(facts_args, q) == 0x08, "q");
static_assert(offsetof(facts_args, k) == 0x10, "k");
static_assert(offsetof(facts_args, v) == 0x18, "v");
static_assert(offsetof(facts_args, lse) == 0x20, "lse");
static_assert(offsetof(facts_args, cu_q) == 0x28, "cu_seqlens_q");
static_assert(offsetof(facts_args, cu_k) == 0x30, "cu_seqlens_k");
static_assert(offsetof(facts_args, scale) == 0x38, "softmax_scale");
static_assert(offsetof(facts_args, gqa) == 0x3C, "gqa");
static_assert(offsetof(facts_args, q_heads) == 0x40, "q_head_num");
static_assert(offsetof(facts_args, opt) == 0x44, "opt");
static_assert(offsetof(facts_args, lse_flag) == 0x48, "lse flag");
static_assert(offsetof(facts_args, max_sq) == 0x4C, "max_seqlen_q");
static_assert(offsetof(facts_args, sink) == 0x50, "sink");

#include "../check_msg.h"

/* Little-endian reads at a literal offset, independent of the struct. */
static uint64_t rd64(const uint8_t *b, int off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | b[off + i];
  return v;
}
static int32_t rd32(const uint8_t *b, int off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | b[off + i];
  return (int32_t)v;
}
static float rdf(const uint8_t *b, int off) {
  uint32_t u = (uint32_t)rd32(b, off);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static ar_workload make(int seqs, int sq, int cached, int hq, int hkv, int d, int sinks) {
  ar_workload w;
  memset(&w, 0, sizeof w);
  w.p.num_seqs = seqs;
  w.p.max_seqlen_q = sq;
  w.p.max_seqlen_k = sq + cached;
  w.p.has_cached = cached > 0;
  w.p.num_q_heads = hq;
  w.p.num_kv_heads = hkv;
  w.p.head_dim = d;
  w.p.has_sinks = sinks;
  w.p.sliding_window = -1;
  w.p.kv_block_size = 16;
  w.p.causal = 1;
  w.seqlen_q = sq;
  w.seqlen_k = sq + cached;
  w.cached = cached;
  w.total_q = seqs * sq;
  w.total_k = seqs * (sq + cached);
  w.softmax_scale = 1.0f / (d == 64 ? 8.0f : 11.3137085f);
  /* Distinct, recognisable addresses (high bits set to catch truncation). */
  w.q = 0x7f0000001000ull;
  w.k_new = 0x7f0000002000ull;
  w.v_new = 0x7f0000003000ull;
  w.out = 0x7f0000004000ull;
  w.lse = 0x7f0000005000ull;
  w.cu_seqlens_q = 0x7f0000006000ull;
  w.cu_seqlens_k = 0x7f0000007000ull;
  w.cu_seqlens_new = w.cu_seqlens_q;
  w.sinks = 0x7f0000008000ull;
  w.k_dense = 0x7f0000009000ull;
  w.v_dense = 0x7f000000a000ull;
  return w;
}

/* Pack w with the K/V the aiter path would use and compare everything. */
static void check_case(const char *label, int seqs, int sq, int cached, int hq, int hkv, int d,
                       int sinks, unsigned want_gy) {
  ar_workload w = make(seqs, sq, cached, hq, hkv, d, sinks);
  ar_buf k = cached ? w.k_dense : w.k_new, v = cached ? w.v_dense : w.v_new;
  ar_buf cu_k = cached ? w.cu_seqlens_k : w.cu_seqlens_new;
  uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE];
  memset(buf, 0xAA, sizeof buf);
  ar_launch_dims dims;
  memset(&dims, 0xAA, sizeof dims);
  int rc = ar_aiter_pack_sink_varlen(&w, k, v, cu_k, buf, &dims);
  CHECK(rc == 0, "%s: rc %d", label, rc);

  CHECK(AR_AITER_SINK_VARLEN_ARGS_SIZE == 0x58, "%s: size %d", label,
        AR_AITER_SINK_VARLEN_ARGS_SIZE);
  CHECK(rd64(buf, 0x00) == w.out, "%s: out", label);
  CHECK(rd64(buf, 0x08) == w.q, "%s: q", label);
  CHECK(rd64(buf, 0x10) == k, "%s: k %llx", label, (unsigned long long)rd64(buf, 0x10));
  CHECK(rd64(buf, 0x18) == v, "%s: v", label);
  CHECK(rd64(buf, 0x20) == w.lse, "%s: lse ptr", label);
  CHECK(rd64(buf, 0x28) == w.cu_seqlens_q, "%s: cu_seqlens_q", label);
  CHECK(rd64(buf, 0x30) == cu_k, "%s: cu_seqlens_k", label);
  CHECK(rdf(buf, 0x38) == w.softmax_scale, "%s: scale %g", label, (double)rdf(buf, 0x38));
  CHECK(rd32(buf, 0x3C) == hq / hkv, "%s: gqa %d", label, rd32(buf, 0x3C));
  CHECK(rd32(buf, 0x40) == hq, "%s: q_head_num %d", label, rd32(buf, 0x40));
  CHECK(rd32(buf, 0x44) == 7, "%s: opt %d", label, rd32(buf, 0x44));
  CHECK(rd32(buf, 0x48) == 0, "%s: lse flag %d", label, rd32(buf, 0x48));
  CHECK(rd32(buf, 0x4C) == sq, "%s: max_seqlen_q %d", label, rd32(buf, 0x4C));
  CHECK(rd64(buf, 0x50) == (sinks ? w.sinks : 0), "%s: sink", label);

  /* The same bytes through the independent struct: nothing else written. */
  facts_args want;
  memset(&want, 0, sizeof want);
  want.out = w.out;
  want.q = w.q;
  want.k = k;
  want.v = v;
  want.lse = w.lse;
  want.cu_q = w.cu_seqlens_q;
  want.cu_k = cu_k;
  want.scale = w.softmax_scale;
  want.gqa = hq / hkv;
  want.q_heads = hq;
  want.opt = 7;
  want.lse_flag = 0;
  want.max_sq = sq;
  want.sink = sinks ? w.sinks : 0;
  CHECK(memcmp(&want, buf, sizeof want) == 0, "%s: buffer differs from the FACTS.md layout",
        label);

  /* Grid (Hq, ceil(ceil(max_seqlen_q / 128) / 2), batch), block 128. */
  unsigned tiles = ((unsigned)sq + 127) / 128;
  unsigned gy = (tiles + 1) / 2;
  CHECK(gy == want_gy, "%s: test's own grid.y %u != %u", label, gy, want_gy);
  CHECK(dims.grid[0] == (unsigned)hq, "%s: grid.x %u", label, dims.grid[0]);
  CHECK(dims.grid[1] == want_gy, "%s: grid.y %u, want %u", label, dims.grid[1], want_gy);
  CHECK(dims.grid[2] == (unsigned)seqs, "%s: grid.z %u", label, dims.grid[2]);
  CHECK(dims.block[0] == 128 && dims.block[1] == 1 && dims.block[2] == 1,
        "%s: block %ux%ux%u", label, dims.block[0], dims.block[1], dims.block[2]);
  CHECK(dims.shared_bytes == 0, "%s: shared %u", label, dims.shared_bytes);
}

static void check_rejected(const char *label, ar_workload w) {
  uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE];
  memset(buf, 0xAA, sizeof buf);
  ar_launch_dims dims;
  memset(&dims, 0xAA, sizeof dims);
  CHECK(ar_aiter_pack_sink_varlen(&w, w.k_new, w.v_new, w.cu_seqlens_new, buf, &dims) == -1,
        "%s: accepted", label);
  int zero = 1;
  for (size_t i = 0; i < sizeof buf; i++) zero &= buf[i] == 0;
  CHECK(zero, "%s: buffer not zeroed", label);
  CHECK(dims.grid[0] == 0 && dims.block[0] == 0, "%s: dims not zeroed", label);
}

int main(void) {
  /* gpt-oss TP1 prefill with a cached prefix: sinks, D 64, GQA 8. */
  check_case("gpt-oss 4x2048 cached 4096", 4, 2048, 4096, 64, 8, 64, 1, 8);
  /* gpt-oss TP8 (8, 1): GQA 8 with one kv head, no cache. */
  check_case("gpt-oss tp8 1x8192", 1, 8192, 0, 8, 1, 64, 1, 32);
  /* Llama 3 70B, D 128, no sinks: the hd128 object never reads the sink. */
  check_case("llama70b 2x1000", 2, 1000, 0, 64, 8, 128, 0, 4);
  /* Qwen3 (64, 4): GQA 16. */
  check_case("qwen3 3x129 cached 7", 3, 129, 7, 64, 4, 128, 0, 1);
  /* Tile edges: 1, 128, 129, 256, 257, 384, 512, 513 query rows. */
  check_case("sq 1", 1, 1, 100, 64, 8, 64, 1, 1);
  check_case("sq 128", 2, 128, 0, 64, 8, 64, 1, 1);
  check_case("sq 256", 2, 256, 0, 64, 8, 64, 1, 1);
  check_case("sq 257", 2, 257, 0, 64, 8, 64, 1, 2);
  check_case("sq 384", 2, 384, 0, 64, 8, 64, 1, 2);
  check_case("sq 512", 2, 512, 0, 64, 8, 64, 1, 2);
  check_case("sq 513", 2, 513, 0, 64, 8, 64, 1, 3);
  /* MHA (GQA 1) and a large batch. */
  check_case("mha 256x17", 256, 17, 33, 40, 40, 128, 0, 1);

  ar_workload bad = make(2, 128, 0, 64, 8, 64, 1);
  bad.p.num_kv_heads = 0;
  check_rejected("no kv heads", bad);
  bad = make(2, 128, 0, 64, 8, 64, 1);
  bad.p.num_kv_heads = 6;
  check_rejected("Hq % Hkv != 0", bad);
  bad = make(2, 128, 0, 64, 8, 64, 1);
  bad.p.num_seqs = 0;
  check_rejected("no sequences", bad);
  bad = make(2, 128, 0, 64, 8, 64, 1);
  bad.seqlen_q = 0;
  check_rejected("no query rows", bad);

  if (failures) {
    fprintf(stderr, "test_aiter_pack: %ld failure(s)\n", failures);
    return 1;
  }
  printf("test_aiter_pack: ok\n");
  return 0;
}
