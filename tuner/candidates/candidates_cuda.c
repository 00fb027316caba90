/*
** candidates_cuda.c -- every candidate the CUDA backend offers, built once
** from the kernel variant tables of kernels/attn_variants.h, so a new tile
** variant there becomes a candidate here without further edits:
**
**   dense_sink.gather.<tile>.d<D>       gather (token rows) + dense kernel, every dense tile
**   dense_sink.gather_page.bm128.d<D>   the same with the page-wise gather
**   paged.<tile>.d<D>                   every paged-prefill tile
**   paged_decode.<warps>.auto.d<D>      every split-KV decode variant, splits filling the device
**   paged_decode.<warps>.bal.d<D>       every split-KV decode variant, splits from the batch's
**                                       longest context against its total key work (families.c)
**   paged_decode.w4.s<N>.d<D>           fixed splits N = 2, 4, 8, 16 (Triton's 3D split-KV), 32
**
** Fixed split counts only for the w4 tile: each costs a measurement on every
** decode cell (sq <= 16), and the other tiles follow the same split trends.
** One split is `auto` on a batch that fills the device.
**
** Tiles tagged "...pp" (the ping-pong schedule) are benchmark-only: never
** the fastest on the H100 in any cell of the gpt-oss and Llama grids
** (docs/PERF.md), they are left out to keep tuning inside its time budget.
**
** Legacy stand-ins (the kernels the old gates would have run):
**   ATTNROUTE_ROUTE_DENSE_SINK_ASM         dense_sink.gather.bm128.d<D>  (aiter's ASM kernel: 128-row tiles)
**   ATTNROUTE_ROUTE_TRITON_PAGED           paged.bm64.d<D>               (Triton's 2D kernel)
**   ATTNROUTE_ROUTE_TRITON_SPLITKV         paged_decode.w4.aiter.d<D>    (aiter's gfx12 segment count)
**   ATTNROUTE_ROUTE_TRITON_PAGED_GATHER    paged_gather.bm64.d<D>        (pre-1345: gather, then 2D)
**   ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER  paged_decode.w4.aiter_gather.d<D>
**   ATTNROUTE_ROUTE_GLUON_PAGED_DECODE     paged_decode.w4.gluon.d<D>    (get_recommended_splits)
**   ATTNROUTE_ROUTE_DENSE_VARLEN           dense_sink.gather.bm64.d<D>   (aiter's CK / FlyDSL dense)
** None for the ASM decode routes (fp8 / gfx1250 only) or engine_error.
*/
#include <stdio.h>
#include <string.h>

#include "attn_variants.h"
#include "families.h"

#define MAX_CUDA_CANDIDATES 64

typedef struct slot {
  ar_candidate c;
  char name[64], params[96], k0[80], k1[80], k2[80];
  ar_dense_variant dense;
  ar_paged_variant paged;
  ar_decode_variant decode;
} slot;

static slot slots[MAX_CUDA_CANDIDATES];
static const ar_candidate *list[MAX_CUDA_CANDIDATES];
static int count = -1;

/* bf16, causal or not, sinks and window optional, any page size, one head dim. */
static attnroute_caps caps(int d, int max_sq) {
  attnroute_caps c;
  memset(&c, 0, sizeof c);
  c.head_dim_mask = 1u << (d / 16 - 1);
  c.q_dtype_mask = c.kv_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16;
  c.sinks = c.window = c.causal = ATTNROUTE_CAP_OPTIONAL;
  c.max_seqlen_q = max_sq;
  return c;
}

static slot *next_slot(void) { return count < MAX_CUDA_CANDIDATES ? &slots[count] : NULL; }

static void push(slot *s) {
  list[count] = &s->c;
  count++;
}

/* Benchmark-only tiles (see the head of the file). */
static int bench_only(const ar_variant_entry *e) {
  size_t n = strlen(e->tag);
  return n >= 2 && strcmp(e->tag + n - 2, "pp") == 0;
}

static void add_dense(const ar_variant_entry *e, const ar_kernel_variant *gather, const char *gname) {
  slot *s = next_slot();
  if (!s || bench_only(e)) return;
  int page = strcmp(gname, "page") == 0;
  snprintf(s->name, sizeof s->name, "dense_sink.%s.%s.d%d", page ? "gather_page" : "gather", e->tag, e->head_dim);
  snprintf(s->params, sizeof s->params, "tile=%s,gather=%s,head_dim=%d", e->tag, gname, e->head_dim);
  snprintf(s->k0, sizeof s->k0, "0:%s", gather->symbol);
  snprintf(s->k1, sizeof s->k1, "1:%s", e->kernel->symbol);
  s->dense.gather_dims = gather->dims;
  s->dense.dense_dims = e->kernel->dims;
  int route = page ? -1
              : strcmp(e->tag, "bm128") == 0 ? ATTNROUTE_ROUTE_DENSE_SINK_ASM
              : strcmp(e->tag, "bm64") == 0  ? ATTNROUTE_ROUTE_DENSE_VARLEN
                                              : -1;
  s->c = (ar_candidate){s->name, "dense_sink", s->params, route,
                        caps(e->head_dim, 0), {gather->module, e->kernel->module}, {s->k0, s->k1},
                        ar_family_dense_run, &s->dense};
  push(s);
}

static void add_paged(const ar_variant_entry *e) {
  slot *s = next_slot();
  if (!s || bench_only(e)) return;
  snprintf(s->name, sizeof s->name, "paged.%s.d%d", e->tag, e->head_dim);
  snprintf(s->params, sizeof s->params, "tile=%s,head_dim=%d", e->tag, e->head_dim);
  snprintf(s->k0, sizeof s->k0, "0:%s", e->kernel->symbol);
  s->paged.paged_dims = e->kernel->dims;
  s->paged.gather_dims = NULL;
  int standin = strcmp(e->tag, "bm64") == 0;
  s->c = (ar_candidate){s->name, "paged", s->params, standin ? ATTNROUTE_ROUTE_TRITON_PAGED : -1,
                        caps(e->head_dim, 0), {e->kernel->module}, {s->k0}, ar_family_paged_run, &s->paged};
  push(s);
}

/* Fixed split counts offered for the w4 decode tile. */
static const int fixed_splits[] = {2, 4, 8, AR_DECODE_FIXED_SPLITS, 32};

/* The pre-1345 Triton path: the prefix gather (paid, unused), then 2D. */
static void add_paged_gather(const ar_variant_entry *e, const ar_kernel_variant *gather) {
  slot *s = next_slot();
  if (!s) return;
  snprintf(s->name, sizeof s->name, "paged_gather.%s.d%d", e->tag, e->head_dim);
  snprintf(s->params, sizeof s->params, "tile=%s,gather=tok,head_dim=%d", e->tag, e->head_dim);
  snprintf(s->k0, sizeof s->k0, "0:%s", gather->symbol);
  snprintf(s->k1, sizeof s->k1, "1:%s", e->kernel->symbol);
  s->paged.paged_dims = e->kernel->dims;
  s->paged.gather_dims = gather->dims;
  s->c = (ar_candidate){s->name, "paged_gather", s->params, ATTNROUTE_ROUTE_TRITON_PAGED_GATHER,
                        caps(e->head_dim, 0), {gather->module, e->kernel->module}, {s->k0, s->k1},
                        ar_family_paged_gather_run, &s->paged};
  push(s);
}

/* Split-KV stand-ins splitting by one of aiter's rules (families.c). */
static void add_decode_rule(const ar_variant_entry *e, int rule, const ar_kernel_variant *gather) {
  slot *s = next_slot();
  if (!s) return;
  const char *tag = rule == AR_SPLITS_GLUON ? "gluon" : gather ? "aiter_gather" : "aiter";
  int route = rule == AR_SPLITS_GLUON ? ATTNROUTE_ROUTE_GLUON_PAGED_DECODE
              : gather               ? ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER
                                     : ATTNROUTE_ROUTE_TRITON_SPLITKV;
  snprintf(s->name, sizeof s->name, "paged_decode.%s.%s.d%d", e->tag, tag, e->head_dim);
  snprintf(s->params, sizeof s->params, "warps=%s,splits=%s,head_dim=%d", e->tag, tag, e->head_dim);
  snprintf(s->k0, sizeof s->k0, "0:%s", e->kernel->symbol);
  snprintf(s->k1, sizeof s->k1, "0:%s", ar_kv_decode_reduce.symbol);
  s->decode.split_dims = e->kernel->dims;
  s->decode.reduce_dims = ar_kv_decode_reduce.dims;
  s->decode.num_splits = 0;
  s->decode.rule = rule;
  s->decode.gather_dims = gather ? gather->dims : NULL;
  if (gather) snprintf(s->k2, sizeof s->k2, "1:%s", gather->symbol);
  s->c = (ar_candidate){s->name, "paged_decode", s->params, route,
                        caps(e->head_dim, AR_DECODE_MAX_SEQLEN_Q),
                        {e->kernel->module, gather ? gather->module : NULL},
                        {s->k0, s->k1, gather ? s->k2 : NULL}, ar_family_decode_run, &s->decode};
  push(s);
}

static void add_decode(const ar_variant_entry *e, int splits) {
  slot *s = next_slot();
  if (!s) return;
  char stag[16];
  if (splits > 0) snprintf(stag, sizeof stag, "s%d", splits);
  else if (splits == AR_DECODE_SPLITS_BALANCED) snprintf(stag, sizeof stag, "bal");
  else snprintf(stag, sizeof stag, "auto");
  snprintf(s->name, sizeof s->name, "paged_decode.%s.%s.d%d", e->tag, stag, e->head_dim);
  snprintf(s->params, sizeof s->params, "warps=%s,splits=%s,head_dim=%d", e->tag, stag, e->head_dim);
  snprintf(s->k0, sizeof s->k0, "0:%s", e->kernel->symbol);
  snprintf(s->k1, sizeof s->k1, "0:%s", ar_kv_decode_reduce.symbol);
  s->decode.split_dims = e->kernel->dims;
  s->decode.reduce_dims = ar_kv_decode_reduce.dims;
  s->decode.num_splits = splits;
  s->decode.rule = AR_SPLITS_FILL;
  s->decode.gather_dims = NULL;
  s->c = (ar_candidate){s->name, "paged_decode", s->params, -1,
                        caps(e->head_dim, AR_DECODE_MAX_SEQLEN_Q), {e->kernel->module}, {s->k0, s->k1},
                        ar_family_decode_run, &s->decode};
  push(s);
}

const ar_candidate *const *ar_candidates_cuda(int *n) {
  if (count < 0) {
    count = 0;
    for (int i = 0; i < AR_NUM_DENSE_VARIANTS; i++) add_dense(&ar_dense_variants[i], &ar_kv_gather_tok, "tok");
    for (int i = 0; i < AR_NUM_DENSE_VARIANTS; i++)
      if (strcmp(ar_dense_variants[i].tag, "bm128") == 0) add_dense(&ar_dense_variants[i], &ar_kv_gather_page, "page");
    for (int i = 0; i < AR_NUM_PAGED_VARIANTS; i++) add_paged(&ar_paged_variants[i]);
    for (int i = 0; i < AR_NUM_PAGED_VARIANTS; i++)
      if (strcmp(ar_paged_variants[i].tag, "bm64") == 0) add_paged_gather(&ar_paged_variants[i], &ar_kv_gather_tok);
    for (int i = 0; i < AR_NUM_DECODE_VARIANTS; i++) {
      if (strcmp(ar_decode_variants[i].tag, "w4") == 0) {
        add_decode(&ar_decode_variants[i], AR_DECODE_FIXED_SPLITS);
        add_decode_rule(&ar_decode_variants[i], AR_SPLITS_AITER_SEGMENTS, NULL);
        add_decode_rule(&ar_decode_variants[i], AR_SPLITS_AITER_SEGMENTS, &ar_kv_gather_tok);
        add_decode_rule(&ar_decode_variants[i], AR_SPLITS_GLUON, NULL);
      }
      add_decode(&ar_decode_variants[i], 0);
    }
    /* Appended after the earlier ones so their order (and the listing) stays. */
    for (int i = 0; i < AR_NUM_DECODE_VARIANTS; i++) {
      add_decode(&ar_decode_variants[i], AR_DECODE_SPLITS_BALANCED);
      if (strcmp(ar_decode_variants[i].tag, "w4") == 0)
        for (size_t k = 0; k < sizeof fixed_splits / sizeof fixed_splits[0]; k++)
          if (fixed_splits[k] != AR_DECODE_FIXED_SPLITS) add_decode(&ar_decode_variants[i], fixed_splits[k]);
    }
  }
  *n = count;
  return list;
}

/* The fp32 reference kernel, run like a paged candidate (num_splits 1). */
static const ar_paged_variant ref_v = {ar_dims_ref_paged, NULL};
static const ar_candidate reference = {
    "reference.paged_fp32", "reference", "fp32", -1,
    {.head_dim_mask = 0xffffu, .q_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16,
     .kv_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16, .sinks = ATTNROUTE_CAP_OPTIONAL,
     .window = ATTNROUTE_CAP_OPTIONAL, .causal = ATTNROUTE_CAP_OPTIONAL},
    {AR_MOD_REF}, {"0:ar_ref_paged"}, ar_family_paged_run, &ref_v};

const ar_candidate *ar_reference_cuda(void) { return &reference; }
