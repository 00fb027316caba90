/*
** candidates_cuda.c -- every candidate the CUDA backend offers, from one
** table, built on the project's kernels (kernels/attn_variants.h): the
** families of families.h with one candidate per (tile variant, head dim).
**
** Legacy stand-ins (the kernels the old gates would have run):
**   ATTNROUTE_ROUTE_DENSE_SINK_ASM  dense_sink.gather.bm128.d{64,128}
**                                   (aiter's sink varlen ASM kernel: 128-row tiles)
**   ATTNROUTE_ROUTE_TRITON_PAGED    paged.bm64.d{64,128}  (Triton's 2D kernel)
**   ATTNROUTE_ROUTE_TRITON_SPLITKV  paged_decode.w4.s16.d{64,128}  (Triton's
**                                   3D split-KV: a fixed 16 segments)
** None for ATTNROUTE_ROUTE_ASM_PAGED_DECODE (fp8, gfx1250 only).
*/
#include "attn_variants.h"
#include "families.h"

/* bf16, causal or not, sinks and window optional, any page size, one head dim. */
#define CUDA_CAPS(d, maxq)                                                                        \
  {                                                                                               \
    .head_dim_mask = 1u << ((d) / 16 - 1), .q_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16,            \
    .kv_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16, .block_size_mask = 0,                            \
    .sinks = ATTNROUTE_CAP_OPTIONAL, .window = ATTNROUTE_CAP_OPTIONAL,                            \
    .causal = ATTNROUTE_CAP_OPTIONAL, .max_seqlen_q = (maxq), .gqa_exact = 0                      \
  }

/* Dense: gather (when there is a cached prefix) + dense kernel. */
static const ar_dense_variant dense_bm128 = {ar_dims_gather_tok, ar_dims_dense_bm128};
static const ar_dense_variant dense_bm128_page = {ar_dims_gather_page, ar_dims_dense_bm128};
static const ar_dense_variant dense_bm128w8 = {ar_dims_gather_tok, ar_dims_dense_bm128w8};
static const ar_dense_variant dense_bm64 = {ar_dims_gather_tok, ar_dims_dense_bm64};

#define DENSE(var, tag, gather, gsym, d, route)                                                   \
  static const ar_candidate dense_##var##_d##d = {                                                \
      "dense_sink.gather." tag ".d" #d, "dense_sink", "tile=" tag ",gather=" gather ",head_dim=" #d, \
      route, CUDA_CAPS(d, 0), {AR_MOD_GATHER, AR_MOD_DENSE},                                      \
      {"0:" gsym, "1:ar_dense_" tag "_d" #d}, ar_family_dense_run, &dense_##var};

DENSE(bm128, "bm128", "tok", "ar_gather_tok", 64, ATTNROUTE_ROUTE_DENSE_SINK_ASM)
DENSE(bm128, "bm128", "tok", "ar_gather_tok", 128, ATTNROUTE_ROUTE_DENSE_SINK_ASM)
DENSE(bm128_page, "bm128", "page", "ar_gather_page", 64, -1)
DENSE(bm128_page, "bm128", "page", "ar_gather_page", 128, -1)
DENSE(bm128w8, "bm128w8", "tok", "ar_gather_tok", 64, -1)
DENSE(bm128w8, "bm128w8", "tok", "ar_gather_tok", 128, -1)
DENSE(bm64, "bm64", "tok", "ar_gather_tok", 64, -1)
DENSE(bm64, "bm64", "tok", "ar_gather_tok", 128, -1)

/* Paged prefill: K/V read through the block table. */
static const ar_paged_variant paged_bm128 = {ar_dims_paged_bm128};
static const ar_paged_variant paged_bm128w8 = {ar_dims_paged_bm128w8};
static const ar_paged_variant paged_bm64 = {ar_dims_paged_bm64};

#define PAGED(var, tag, d, route)                                                                 \
  static const ar_candidate paged_##var##_d##d = {                                                \
      "paged." tag ".d" #d, "paged", "tile=" tag ",head_dim=" #d, route, CUDA_CAPS(d, 0),         \
      {AR_MOD_PAGED}, {"0:ar_paged_" tag "_d" #d}, ar_family_paged_run, &paged_##var};

PAGED(bm128, "bm128", 64, -1)
PAGED(bm128, "bm128", 128, -1)
PAGED(bm128w8, "bm128w8", 64, -1)
PAGED(bm128w8, "bm128w8", 128, -1)
PAGED(bm64, "bm64", 64, ATTNROUTE_ROUTE_TRITON_PAGED)
PAGED(bm64, "bm64", 128, ATTNROUTE_ROUTE_TRITON_PAGED)

/* Split-KV decode + reduce, for sq up to AR_DECODE_MAX_SEQLEN_Q. */
static const ar_decode_variant decode_w4_s16 = {ar_dims_decode_w4, ar_dims_decode_reduce, AR_DECODE_FIXED_SPLITS};
static const ar_decode_variant decode_w4_auto = {ar_dims_decode_w4, ar_dims_decode_reduce, 0};
static const ar_decode_variant decode_w8_auto = {ar_dims_decode_w8, ar_dims_decode_reduce, 0};
static const ar_decode_variant decode_w4m2_auto = {ar_dims_decode_w4m2, ar_dims_decode_reduce, 0};

#define DECODE(var, tag, stag, d, route)                                                          \
  static const ar_candidate decode_##var##_d##d = {                                               \
      "paged_decode." tag "." stag ".d" #d, "paged_decode", "warps=" tag ",splits=" stag ",head_dim=" #d, \
      route, CUDA_CAPS(d, AR_DECODE_MAX_SEQLEN_Q), {AR_MOD_DECODE},                               \
      {"0:ar_decode_" tag "_d" #d, "0:ar_decode_reduce"}, ar_family_decode_run, &decode_##var};

DECODE(w4_s16, "w4", "s16", 64, ATTNROUTE_ROUTE_TRITON_SPLITKV)
DECODE(w4_s16, "w4", "s16", 128, ATTNROUTE_ROUTE_TRITON_SPLITKV)
DECODE(w4_auto, "w4", "auto", 64, -1)
DECODE(w4_auto, "w4", "auto", 128, -1)
DECODE(w8_auto, "w8", "auto", 64, -1)
DECODE(w8_auto, "w8", "auto", 128, -1)
DECODE(w4m2_auto, "w4m2", "auto", 64, -1)
DECODE(w4m2_auto, "w4m2", "auto", 128, -1)

static const ar_candidate *const cuda_candidates[] = {
    &dense_bm128_d64,      &dense_bm128_d128,    &dense_bm128_page_d64, &dense_bm128_page_d128,
    &dense_bm128w8_d64,    &dense_bm128w8_d128,  &dense_bm64_d64,       &dense_bm64_d128,
    &paged_bm128_d64,      &paged_bm128_d128,    &paged_bm128w8_d64,    &paged_bm128w8_d128,
    &paged_bm64_d64,       &paged_bm64_d128,     &decode_w4_s16_d64,    &decode_w4_s16_d128,
    &decode_w4_auto_d64,   &decode_w4_auto_d128, &decode_w8_auto_d64,   &decode_w8_auto_d128,
    &decode_w4m2_auto_d64, &decode_w4m2_auto_d128};

const ar_candidate *const *ar_candidates_cuda(int *count) {
  *count = (int)(sizeof cuda_candidates / sizeof cuda_candidates[0]);
  return cuda_candidates;
}

/* The fp32 reference kernel, run like a paged candidate (num_splits 1). */
static const ar_paged_variant ref_v = {ar_dims_ref_paged};
static const ar_candidate reference = {
    "reference.paged_fp32", "reference", "fp32", -1,
    {.head_dim_mask = 0xffffu, .q_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16,
     .kv_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16, .sinks = ATTNROUTE_CAP_OPTIONAL,
     .window = ATTNROUTE_CAP_OPTIONAL, .causal = ATTNROUTE_CAP_OPTIONAL},
    {AR_MOD_REF}, {"0:ar_ref_paged"}, ar_family_paged_run, &ref_v};

const ar_candidate *ar_reference_cuda(void) { return &reference; }
