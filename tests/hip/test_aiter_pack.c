/*
** test_aiter_pack.c -- aiter's argument buffers against the layouts of its
** launchers (csrc/py_itfs_cu/asm_fmha_fwd_with_sink_varlen.cu and
** asm_pa_decode_bf16.cu, aiter e4048607): every offset, size and value of
** the 0x58-byte sink-varlen buffer (both launches: opt 7 with the halved
** grid, opt 4 with the full one) and of the 0xB0-byte pa_decode_bf16_asm
** buffer, and the launch grids, for sample problems.  The expected buffers
** are built independently, through packed structs whose offsets are
** asserted here with literal numbers.  No GPU.
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

/* asm_pa_decode_bf16.cu KernelArgs (PA_KARG_PRELOAD 1), written out here. */
typedef struct pd_args {
  uint64_t q, k, v, kv_indices, context_lens, kv_indptr, work_indptr, work_info; /* 0x00..0x38 */
  uint32_t kv_heads, q_stride, page_stride, head_stride, mtp;                   /* 0x40..0x50 */
  float scale;                                                                   /* 0x54 */
  uint32_t gqa;                                                                  /* 0x58 */
  uint32_t pad[7];                                                               /* 0x5C..0x77 */
  uint64_t out, split_o, split_lse, sink, q_scale, k_scale, v_scale;             /* 0x78..0xA8 */
} pd_args; /* natural alignment gives the launcher's offsets (asserted below) */
static_assert(sizeof(pd_args) == 0xB0, "0xB0 bytes (kernarg_segment_size 176)");
static_assert(offsetof(pd_args, q) == 0x00, "Q");
static_assert(offsetof(pd_args, k) == 0x08, "K");
static_assert(offsetof(pd_args, v) == 0x10, "V");
static_assert(offsetof(pd_args, kv_indices) == 0x18, "KV indices");
static_assert(offsetof(pd_args, context_lens) == 0x20, "context lengths");
static_assert(offsetof(pd_args, kv_indptr) == 0x28, "KV indptr");
static_assert(offsetof(pd_args, work_indptr) == 0x30, "work indptr");
static_assert(offsetof(pd_args, work_info) == 0x38, "work info");
static_assert(offsetof(pd_args, kv_heads) == 0x40, "kv heads");
static_assert(offsetof(pd_args, q_stride) == 0x44, "Q stride");
static_assert(offsetof(pd_args, page_stride) == 0x48, "K page stride");
static_assert(offsetof(pd_args, head_stride) == 0x4C, "K head stride");
static_assert(offsetof(pd_args, mtp) == 0x50, "mtp");
static_assert(offsetof(pd_args, scale) == 0x54, "softmax scale");
static_assert(offsetof(pd_args, gqa) == 0x58, "GQA");
static_assert(offsetof(pd_args, pad) == 0x5C, "padding");
static_assert(offsetof(pd_args, out) == 0x78, "O");
static_assert(offsetof(pd_args, split_o) == 0x80, "split O");
static_assert(offsetof(pd_args, split_lse) == 0x88, "split LSE");
static_assert(offsetof(pd_args, sink) == 0x90, "sink");
static_assert(offsetof(pd_args, q_scale) == 0x98, "Q scale");
static_assert(offsetof(pd_args, k_scale) == 0xA0, "K scale");
static_assert(offsetof(pd_args, v_scale) == 0xA8, "V scale");

#include "../check.h"

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
static void check_case_abi(const char *label, int seqs, int sq, int cached, int hq, int hkv, int d,
                           int sinks, unsigned want_gy, int abi) {
  ar_workload w = make(seqs, sq, cached, hq, hkv, d, sinks);
  ar_buf k = cached ? w.k_dense : w.k_new, v = cached ? w.v_dense : w.v_new;
  ar_buf cu_k = cached ? w.cu_seqlens_k : w.cu_seqlens_new;
  uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE];
  memset(buf, 0xAA, sizeof buf);
  ar_launch_dims dims;
  memset(&dims, 0xAA, sizeof dims);
  int rc = ar_aiter_pack_sink_varlen(&w, k, v, cu_k, abi, buf, &dims);
  CHECK_MSG(rc == 0, "%s: rc %d", label, rc);

  CHECK_MSG(AR_AITER_SINK_VARLEN_ARGS_SIZE == 0x58, "%s: size %d", label,
        AR_AITER_SINK_VARLEN_ARGS_SIZE);
  CHECK_MSG(rd64(buf, 0x00) == w.out, "%s: out", label);
  CHECK_MSG(rd64(buf, 0x08) == w.q, "%s: q", label);
  CHECK_MSG(rd64(buf, 0x10) == k, "%s: k %llx", label, (unsigned long long)rd64(buf, 0x10));
  CHECK_MSG(rd64(buf, 0x18) == v, "%s: v", label);
  CHECK_MSG(rd64(buf, 0x20) == w.lse, "%s: lse ptr", label);
  CHECK_MSG(rd64(buf, 0x28) == w.cu_seqlens_q, "%s: cu_seqlens_q", label);
  CHECK_MSG(rd64(buf, 0x30) == cu_k, "%s: cu_seqlens_k", label);
  CHECK_MSG(rdf(buf, 0x38) == w.softmax_scale, "%s: scale %g", label, (double)rdf(buf, 0x38));
  CHECK_MSG(rd32(buf, 0x3C) == hq / hkv, "%s: gqa %d", label, rd32(buf, 0x3C));
  CHECK_MSG(rd32(buf, 0x40) == hq, "%s: q_head_num %d", label, rd32(buf, 0x40));
  CHECK_MSG(rd32(buf, 0x44) == (abi == AR_AITER_SV_ABI_OPT4_FULL ? 4 : 7), "%s: opt %d", label,
        rd32(buf, 0x44));
  CHECK_MSG(rd32(buf, 0x48) == 1, "%s: lse flag %d", label, rd32(buf, 0x48));
  CHECK_MSG(rd32(buf, 0x4C) == sq, "%s: max_seqlen_q %d", label, rd32(buf, 0x4C));
  CHECK_MSG(rd64(buf, 0x50) == (sinks ? w.sinks : 0), "%s: sink", label);

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
  want.opt = abi == AR_AITER_SV_ABI_OPT4_FULL ? 4 : 7;
  want.lse_flag = 1; /* aiter's _flash_attn_varlen_forward passes return_lse True */
  want.max_sq = sq;
  want.sink = sinks ? w.sinks : 0;
  CHECK_MSG(memcmp(&want, buf, sizeof want) == 0, "%s: buffer differs from the FACTS.md layout",
        label);

  /* Grid (Hq, ceil(ceil(max_seqlen_q / 128) / 2), batch), block 128; opt 4:
  ** ceil(max_seqlen_q / 128) tiles, not halved. */
  unsigned tiles = ((unsigned)sq + 127) / 128;
  unsigned gy = abi == AR_AITER_SV_ABI_OPT4_FULL ? tiles : (tiles + 1) / 2;
  CHECK_MSG(gy == want_gy, "%s: test's own grid.y %u != %u", label, gy, want_gy);
  CHECK_MSG(dims.grid[0] == (unsigned)hq, "%s: grid.x %u", label, dims.grid[0]);
  CHECK_MSG(dims.grid[1] == want_gy, "%s: grid.y %u, want %u", label, dims.grid[1], want_gy);
  CHECK_MSG(dims.grid[2] == (unsigned)seqs, "%s: grid.z %u", label, dims.grid[2]);
  CHECK_MSG(dims.block[0] == 128 && dims.block[1] == 1 && dims.block[2] == 1,
        "%s: block %ux%ux%u", label, dims.block[0], dims.block[1], dims.block[2]);
  CHECK_MSG(dims.shared_bytes == 0, "%s: shared %u", label, dims.shared_bytes);
}

static void check_case(const char *label, int seqs, int sq, int cached, int hq, int hkv, int d,
                       int sinks, unsigned want_gy) {
  check_case_abi(label, seqs, sq, cached, hq, hkv, d, sinks, want_gy, AR_AITER_SV_ABI_OPT7_HALVED);
}

static ar_aiter_pa_decode_call pd_call(int hkv, int mtp) {
  ar_aiter_pa_decode_call c;
  memset(&c, 0, sizeof c);
  c.q = 0x7e0000000100ull;
  c.k = 0x7e0000000200ull;
  c.v = 0x7e0000000300ull;
  c.kv_indices = 0x7e0000000400ull;
  c.context_lens = 0x7e0000000500ull;
  c.kv_indptr = 0x7e0000000600ull;
  c.work_indptr = 0x7e0000000700ull;
  c.work_info = 0x7e0000000800ull;
  c.out = 0x7e0000000900ull;
  c.split_o = 0x7e0000000a00ull;
  c.split_lse = 0x7e0000000b00ull;
  c.sink = 0x7e0000000c00ull;
  c.q_scale = 0x7e0000000d00ull;
  c.k_scale = 0x7e0000000e00ull;
  c.v_scale = 0x7e0000000f00ull;
  c.num_kv_heads = hkv;
  c.gqa = 8;
  c.mtp = mtp;
  c.head_dim = 64;
  c.work_groups = 200;
  c.hip_mp_count = 128; /* gfx1250 in WGP mode: 256 CUs, 128 WGPs */
  c.softmax_scale = 0.125f;
  return c;
}

static void check_pa_decode(const char *label, ar_aiter_pa_decode_call c, unsigned want_grid) {
  uint8_t buf[AR_AITER_PA_DECODE_ARGS_SIZE];
  ar_launch_dims dims;
  pd_args want;
  memset(buf, 0xAA, sizeof buf);
  memset(&dims, 0xAA, sizeof dims);
  CHECK_MSG(AR_AITER_PA_DECODE_ARGS_SIZE == 0xB0, "size");
  CHECK_MSG(ar_aiter_pack_pa_decode(&c, buf, &dims) == 0, "%s: refused", label);
  /* Literal offsets first. */
  CHECK_MSG(rd64(buf, 0x00) == c.q && rd64(buf, 0x08) == c.k && rd64(buf, 0x10) == c.v, "%s: qkv", label);
  CHECK_MSG(rd64(buf, 0x18) == c.kv_indices && rd64(buf, 0x20) == c.context_lens, "%s: indices", label);
  CHECK_MSG(rd64(buf, 0x28) == c.kv_indptr && rd64(buf, 0x30) == c.work_indptr &&
        rd64(buf, 0x38) == c.work_info, "%s: indptrs", label);
  CHECK_MSG(rd32(buf, 0x40) == c.num_kv_heads, "%s: kv heads %d", label, rd32(buf, 0x40));
  CHECK_MSG(rd32(buf, 0x44) == c.num_kv_heads * 8 * 64, "%s: Q stride %d", label, rd32(buf, 0x44));
  CHECK_MSG(rd32(buf, 0x48) == c.num_kv_heads * 64 * 256, "%s: page stride %d", label, rd32(buf, 0x48));
  CHECK_MSG(rd32(buf, 0x4C) == 64 * 256, "%s: head stride %d", label, rd32(buf, 0x4C));
  CHECK_MSG(rd32(buf, 0x50) == c.mtp, "%s: mtp", label);
  CHECK_MSG(rdf(buf, 0x54) == c.softmax_scale, "%s: scale", label);
  CHECK_MSG(rd32(buf, 0x58) == 8, "%s: gqa", label);
  for (int off = 0x5C; off < 0x78; off++) CHECK_MSG(buf[off] == 0, "%s: padding byte 0x%x", label, off);
  CHECK_MSG(rd64(buf, 0x78) == c.out && rd64(buf, 0x80) == c.split_o && rd64(buf, 0x88) == c.split_lse,
        "%s: outputs", label);
  CHECK_MSG(rd64(buf, 0x90) == c.sink, "%s: sink", label);
  CHECK_MSG(rd64(buf, 0x98) == c.q_scale && rd64(buf, 0xA0) == c.k_scale && rd64(buf, 0xA8) == c.v_scale,
        "%s: scales", label);
  /* Then the whole buffer against the struct. */
  memset(&want, 0, sizeof want);
  want.q = c.q, want.k = c.k, want.v = c.v, want.kv_indices = c.kv_indices;
  want.context_lens = c.context_lens, want.kv_indptr = c.kv_indptr;
  want.work_indptr = c.work_indptr, want.work_info = c.work_info;
  want.kv_heads = (uint32_t)c.num_kv_heads, want.q_stride = (uint32_t)(c.num_kv_heads * 8 * 64);
  want.page_stride = (uint32_t)(c.num_kv_heads * 64 * 256), want.head_stride = 64 * 256;
  want.mtp = (uint32_t)c.mtp, want.scale = c.softmax_scale, want.gqa = 8;
  want.out = c.out, want.split_o = c.split_o, want.split_lse = c.split_lse, want.sink = c.sink;
  want.q_scale = c.q_scale, want.k_scale = c.k_scale, want.v_scale = c.v_scale;
  CHECK_MSG(memcmp(&want, buf, sizeof want) == 0, "%s: buffer differs from the launcher's layout", label);
  CHECK_MSG(dims.grid[0] == want_grid && dims.grid[1] == 1 && dims.grid[2] == 1, "%s: grid %u", label,
        dims.grid[0]);
  CHECK_MSG(dims.block[0] == 128 && dims.block[1] == 1 && dims.block[2] == 1, "%s: block", label);
}

static void check_pa_decode_refused(const char *label, ar_aiter_pa_decode_call c) {
  uint8_t buf[AR_AITER_PA_DECODE_ARGS_SIZE];
  ar_launch_dims dims;
  memset(buf, 0xAA, sizeof buf);
  memset(&dims, 0xAA, sizeof dims);
  CHECK_MSG(ar_aiter_pack_pa_decode(&c, buf, &dims) == -1, "%s: accepted", label);
  int zero = 1;
  for (size_t i = 0; i < sizeof buf; i++) zero &= buf[i] == 0;
  CHECK_MSG(zero && dims.grid[0] == 0 && dims.block[0] == 0, "%s: not zeroed", label);
}

static void pa_decode_tests(void) {
  ar_aiter_pa_decode_call c;
  check_pa_decode("gpt-oss tp1 (8 kv heads)", pd_call(8, 0), 200);
  check_pa_decode("gpt-oss tp8 (1 kv head), mtp 1", pd_call(1, 1), 200);
  c = pd_call(4, 0);
  c.work_indptr = c.work_info = 0; /* no metadata: HIP's multiProcessorCount */
  check_pa_decode("no work metadata", c, 128);
  c.split_o = c.split_lse = 0; /* optional */
  check_pa_decode("no split buffers", c, 128);
  c = pd_call(8, 0);
  c.work_groups = 0; /* work_indptr given, but its length not */
  check_pa_decode_refused("work_indptr without work_groups", c);
  c = pd_call(8, 2); /* (2 + 1) * 8 > 16 */
  check_pa_decode_refused("mtp 2", c);
  c = pd_call(8, -1);
  check_pa_decode_refused("mtp -1", c);
  c = pd_call(8, 0);
  c.gqa = 4;
  check_pa_decode_refused("gqa 4", c);
  c = pd_call(8, 0);
  c.head_dim = 128;
  check_pa_decode_refused("head_dim 128", c);
  c = pd_call(0, 0);
  check_pa_decode_refused("no kv heads", c);
  c = pd_call(8, 0);
  c.sink = 0; /* the kernel always reads the sink */
  check_pa_decode_refused("no sink", c);
  c = pd_call(8, 0);
  c.k_scale = 0;
  check_pa_decode_refused("no K scale", c);
  c = pd_call(8, 0);
  c.work_indptr = 0;
  c.hip_mp_count = 0;
  check_pa_decode_refused("no grid", c);
  c = pd_call(300000, 0); /* page stride past 32 bits */
  check_pa_decode_refused("stride overflow", c);
}

static void check_rejected(const char *label, ar_workload w) {
  uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE];
  memset(buf, 0xAA, sizeof buf);
  ar_launch_dims dims;
  memset(&dims, 0xAA, sizeof dims);
  CHECK_MSG(ar_aiter_pack_sink_varlen(&w, w.k_new, w.v_new, w.cu_seqlens_new, AR_AITER_SV_ABI_OPT7_HALVED,
                                  buf, &dims) == -1,
        "%s: accepted", label);
  int zero = 1;
  for (size_t i = 0; i < sizeof buf; i++) zero &= buf[i] == 0;
  CHECK_MSG(zero, "%s: buffer not zeroed", label);
  CHECK_MSG(dims.grid[0] == 0 && dims.block[0] == 0, "%s: dims not zeroed", label);
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
  /* opt 4, full grid (aiter a71255f8 .. b467ce34). */
  check_case_abi("opt4 sq 257", 2, 257, 0, 64, 8, 64, 1, 3, AR_AITER_SV_ABI_OPT4_FULL);
  check_case_abi("opt4 sq 1", 1, 1, 100, 64, 8, 64, 1, 1, AR_AITER_SV_ABI_OPT4_FULL);
  check_case_abi("opt4 8192", 1, 8192, 0, 8, 1, 64, 1, 64, AR_AITER_SV_ABI_OPT4_FULL);
  {
    ar_workload w = make(2, 128, 0, 64, 8, 64, 1);
    uint8_t buf[AR_AITER_SINK_VARLEN_ARGS_SIZE];
    ar_launch_dims dims;
    CHECK_MSG(ar_aiter_pack_sink_varlen(&w, w.k_new, w.v_new, w.cu_seqlens_new, AR_AITER_SV_ABI_NONE, buf,
                                    &dims) == -1, "abi none accepted");
    CHECK_MSG(ar_aiter_pack_sink_varlen(&w, w.k_new, w.v_new, w.cu_seqlens_new, 9, buf, &dims) == -1,
          "abi 9 accepted");
  }
  pa_decode_tests();

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

  if (check_failures) {
    fprintf(stderr, "test_aiter_pack: %ld failure(s)\n", check_failures);
    return 1;
  }
  printf("test_aiter_pack: ok\n");
  return 0;
}
