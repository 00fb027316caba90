/*
** candidates_host.c -- every candidate the host backend offers, from one table.
**
** All run the built-in module "host" (host_kernels.c): bf16 q/kv, any head
** dim that is a multiple of 16 up to 256, any page size, sinks, window and
** causal optional.  The legacy stand-ins (one per route the host can mimic):
**   ATTNROUTE_ROUTE_DENSE_SINK_ASM         dense_sink.gather.host_q16_bk64
**   ATTNROUTE_ROUTE_TRITON_PAGED           paged.host_q16_bk64
**   ATTNROUTE_ROUTE_TRITON_SPLITKV         paged_decode.host_aiter (aiter's segment rule)
**   ATTNROUTE_ROUTE_TRITON_PAGED_GATHER    paged_gather.host_q16_bk64 (pre-1345 gather + 2D)
**   ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER  paged_decode.host_aiter_gather
**   ATTNROUTE_ROUTE_GLUON_PAGED_DECODE     paged_decode.host_gluon (recommended splits)
**   ATTNROUTE_ROUTE_DENSE_VARLEN           dense_sink.gather.host_q1_bk16
** None for the ASM decode routes: the host has no such kernels.
** The split-KV decode kernel comes with the split counts the CUDA backend
** offers (1, 2, 4, 8, 16, 32) and the balanced rule (paged_decode.host_bal:
** splits from the batch's longest context against its total key work,
** families.c), so host tests cover every split variant.
*/
#include "candidates_host.h"
#include "families.h"
#include "host_kernels.h"

/* Host kernels ignore geometry: one "block" does everything. */
static void host_dims(const void *args, ar_launch_dims *out) {
  (void)args;
  out->grid[0] = out->grid[1] = out->grid[2] = 1;
  out->block[0] = out->block[1] = out->block[2] = 1;
  out->shared_bytes = 0;
}

#define HOST_CAPS(maxq)                                                                  \
  {                                                                                      \
    .head_dim_mask = 0xffffu, /* D = 16, 32, ..., 256 */                                 \
    .q_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16, .kv_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16, \
    .block_size_mask = 0, .sinks = ATTNROUTE_CAP_OPTIONAL,                               \
    .window = ATTNROUTE_CAP_OPTIONAL, .causal = ATTNROUTE_CAP_OPTIONAL,                  \
    .max_seqlen_q = (maxq), .gqa_exact = 0                                               \
  }

static const ar_dense_variant dense_v = {host_dims, host_dims};
static const ar_paged_variant paged_v = {host_dims, NULL};
static const ar_paged_variant paged_gather_v = {host_dims, host_dims};
static const ar_decode_variant split1_v = {host_dims, host_dims, 1, AR_SPLITS_FILL, NULL};
static const ar_decode_variant split2_v = {host_dims, host_dims, 2, AR_SPLITS_FILL, NULL};
static const ar_decode_variant split4_v = {host_dims, host_dims, 4, AR_SPLITS_FILL, NULL};
static const ar_decode_variant split8_v = {host_dims, host_dims, 8, AR_SPLITS_FILL, NULL};
static const ar_decode_variant split16_v = {host_dims, host_dims, 16, AR_SPLITS_FILL, NULL};
static const ar_decode_variant split32_v = {host_dims, host_dims, 32, AR_SPLITS_FILL, NULL};
static const ar_decode_variant bal_v = {host_dims, host_dims, AR_DECODE_SPLITS_BALANCED, AR_SPLITS_FILL,
                                        NULL};
static const ar_decode_variant aiter_v = {host_dims, host_dims, 0, AR_SPLITS_AITER_SEGMENTS, NULL};
static const ar_decode_variant aiter_gather_v = {host_dims, host_dims, 0, AR_SPLITS_AITER_SEGMENTS,
                                                 host_dims};
static const ar_decode_variant gluon_v = {host_dims, host_dims, 0, AR_SPLITS_GLUON, NULL};

static const ar_candidate dense_q1 = {
    "dense_sink.gather.host_q1_bk16", "dense_sink", "q_tile=1,k_block=16",
    ATTNROUTE_ROUTE_DENSE_VARLEN,
    HOST_CAPS(0), {AR_HOST_MODULE}, {"0:host_gather", "0:host_dense_sink_q1_bk16"},
    ar_family_dense_run, &dense_v};
static const ar_candidate dense_q16 = {
    "dense_sink.gather.host_q16_bk64", "dense_sink", "q_tile=16,k_block=64",
    ATTNROUTE_ROUTE_DENSE_SINK_ASM, HOST_CAPS(0), {AR_HOST_MODULE},
    {"0:host_gather", "0:host_dense_sink_q16_bk64"}, ar_family_dense_run, &dense_v};
static const ar_candidate paged_q1 = {
    "paged.host_q1_bk16", "paged", "q_tile=1,k_block=16", -1,
    HOST_CAPS(0), {AR_HOST_MODULE}, {"0:host_paged_q1_bk16"}, ar_family_paged_run, &paged_v};
static const ar_candidate paged_q16 = {
    "paged.host_q16_bk64", "paged", "q_tile=16,k_block=64", ATTNROUTE_ROUTE_TRITON_PAGED,
    HOST_CAPS(0), {AR_HOST_MODULE}, {"0:host_paged_q16_bk64"}, ar_family_paged_run, &paged_v};
#define HOST_SPLIT(var, name, params, route, variant)                                   \
  static const ar_candidate var = {name, "paged_decode", params, route, HOST_CAPS(16), {AR_HOST_MODULE}, \
                                   {"0:host_paged_split", "0:host_reduce"}, ar_family_decode_run, \
                                   &variant}
HOST_SPLIT(split1, "paged_decode.host_split1", "splits=1,q_tile=16,k_block=64", -1, split1_v);
HOST_SPLIT(split2, "paged_decode.host_split2", "splits=2,q_tile=16,k_block=64", -1, split2_v);
HOST_SPLIT(split4, "paged_decode.host_split4", "splits=4,q_tile=16,k_block=64", -1, split4_v);
HOST_SPLIT(split8, "paged_decode.host_split8", "splits=8,q_tile=16,k_block=64", -1, split8_v);
HOST_SPLIT(split32, "paged_decode.host_split32", "splits=32,q_tile=16,k_block=64", -1, split32_v);
HOST_SPLIT(bal, "paged_decode.host_bal", "splits=bal,q_tile=16,k_block=64", -1, bal_v);
static const ar_candidate split16 = {
    "paged_decode.host_split16", "paged_decode", "splits=16,q_tile=16,k_block=64", -1,
    HOST_CAPS(16), {AR_HOST_MODULE}, {"0:host_paged_split", "0:host_reduce"}, ar_family_decode_run,
    &split16_v};
static const ar_candidate split_aiter = {
    "paged_decode.host_aiter", "paged_decode", "splits=aiter,q_tile=16,k_block=64",
    ATTNROUTE_ROUTE_TRITON_SPLITKV, HOST_CAPS(16), {AR_HOST_MODULE},
    {"0:host_paged_split", "0:host_reduce"}, ar_family_decode_run, &aiter_v};
static const ar_candidate split_aiter_gather = {
    "paged_decode.host_aiter_gather", "paged_decode", "splits=aiter,gather=tok,q_tile=16,k_block=64",
    ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER, HOST_CAPS(16), {AR_HOST_MODULE},
    {"0:host_paged_split", "0:host_reduce", "0:host_gather"}, ar_family_decode_run, &aiter_gather_v};
static const ar_candidate split_gluon = {
    "paged_decode.host_gluon", "paged_decode", "splits=gluon,q_tile=16,k_block=64",
    ATTNROUTE_ROUTE_GLUON_PAGED_DECODE, HOST_CAPS(16), {AR_HOST_MODULE},
    {"0:host_paged_split", "0:host_reduce"}, ar_family_decode_run, &gluon_v};
static const ar_candidate paged_gather = {
    "paged_gather.host_q16_bk64", "paged_gather", "gather=tok,q_tile=16,k_block=64",
    ATTNROUTE_ROUTE_TRITON_PAGED_GATHER, HOST_CAPS(0), {AR_HOST_MODULE},
    {"0:host_gather", "0:host_paged_q16_bk64"}, ar_family_paged_gather_run, &paged_gather_v};

/* The original six first, the other split variants after them, then the
** legacy stand-ins of the newer routes. */
static const ar_candidate *const host_candidates[] = {
    &dense_q1, &dense_q16, &paged_q1, &paged_q16, &split4, &split16, &split1, &split2,
    &split8, &split32, &bal, &split_aiter, &split_aiter_gather, &split_gluon, &paged_gather};

const ar_candidate *const *ar_candidates_host(int *count) {
  *count = (int)(sizeof host_candidates / sizeof host_candidates[0]);
  return host_candidates;
}
