/*
** families.c -- the candidate families' run functions (families.h): pack the
** attn_args.h structs from a workload, ask the variant for launch geometry,
** and enqueue the family's kernels in order on the backend.
**
** No lse is requested (lse = 0): the engines' paths being routed do not
** consume it, and the paged kernels cannot produce it.
*/
#include <string.h>

#include "attn_variants.h"
#include "families.h"

static int launch(ar_backend *b, void *fn, ar_dims_fn dims, void *args, size_t size) {
  ar_launch_dims ld;
  memset(&ld, 0, sizeof ld);
  dims(args, &ld);
  return b->ops->launch(b, fn, ld.grid, ld.block, ld.shared_bytes, args, size);
}

int ar_family_gather_run(ar_backend *b, void *fn, ar_dims_fn dims, const ar_workload *w) {
  ar_gather_args g;
  memset(&g, 0, sizeof g);
  g.k_cache = w->k_cache;
  g.v_cache = w->v_cache;
  g.k_out = w->k_dense;
  g.v_out = w->v_dense;
  g.block_table = w->block_table;
  g.cu_seqlens_k = w->cu_seqlens_k;
  g.num_seqs = w->p.num_seqs;
  g.num_kv_heads = w->p.num_kv_heads;
  g.head_dim = w->p.head_dim;
  g.block_size = w->p.kv_block_size;
  g.max_blocks_per_seq = w->max_blocks_per_seq;
  g.total_k = w->total_k;
  return launch(b, fn, dims, &g, sizeof g);
}

int ar_family_dense_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                        const ar_workload *w) {
  const ar_dense_variant *v = c->variant;
  ar_dense_args a;
  memset(&a, 0, sizeof a);
  a.out = w->out;
  a.q = w->q;
  a.cu_seqlens_q = w->cu_seqlens_q;
  if (w->p.has_cached) { /* some sequence has a prefix: gather them all */
    if (ar_family_gather_run(b, k->fn[0], v->gather_dims, w) != 0) return -1;
    a.k = w->k_dense;
    a.v = w->v_dense;
    a.cu_seqlens_k = w->cu_seqlens_k;
  } else {
    a.k = w->k_new;
    a.v = w->v_new;
    a.cu_seqlens_k = w->cu_seqlens_new;
  }
  a.lse = 0;
  a.sinks = w->p.has_sinks ? w->sinks : 0;
  a.softmax_scale = w->softmax_scale;
  a.num_seqs = w->p.num_seqs;
  a.num_q_heads = w->p.num_q_heads;
  a.num_kv_heads = w->p.num_kv_heads;
  a.head_dim = w->p.head_dim;
  a.max_seqlen_q = w->seqlen_q;
  a.window = w->p.sliding_window;
  a.causal = w->p.causal ? 1 : 0;
  return launch(b, k->fn[1], v->dense_dims, &a, sizeof a);
}

/* The ar_paged_args of w, writing out directly (num_splits 1). */
static void paged_args(const ar_workload *w, ar_paged_args *a) {
  memset(a, 0, sizeof *a);
  a->out = w->out;
  a->q = w->q;
  a->k_cache = w->k_cache;
  a->v_cache = w->v_cache;
  a->block_table = w->block_table;
  a->cu_seqlens_q = w->cu_seqlens_q;
  a->seq_lens_k = w->seq_lens_k;
  a->sinks = w->p.has_sinks ? w->sinks : 0;
  a->part_out = w->part_out;
  a->part_ml = w->part_ml;
  a->softmax_scale = w->softmax_scale;
  a->num_seqs = w->p.num_seqs;
  a->num_q_heads = w->p.num_q_heads;
  a->num_kv_heads = w->p.num_kv_heads;
  a->head_dim = w->p.head_dim;
  a->block_size = w->p.kv_block_size;
  a->max_blocks_per_seq = w->max_blocks_per_seq;
  a->max_seqlen_q = w->seqlen_q;
  a->window = w->p.sliding_window;
  a->causal = w->p.causal ? 1 : 0;
  a->num_splits = 1;
  a->total_q = w->total_q;
}

int ar_family_paged_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                        const ar_workload *w) {
  const ar_paged_variant *v = c->variant;
  ar_paged_args a;
  paged_args(w, &a);
  return launch(b, k->fn[0], v->paged_dims, &a, sizeof a);
}

/* Pre-1345 (ATOM attention_mha.py f16bec50, rope_cache): every prefill with
** a cached prefix gathered it into dense K/V, also when the Triton path then
** read the paged cache: the gather's time is paid for nothing. */
int ar_family_paged_gather_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                               const ar_workload *w) {
  const ar_paged_variant *v = c->variant;
  ar_paged_args a;
  if (w->cached > 0 && ar_family_gather_run(b, k->fn[0], v->gather_dims, w) != 0) return -1;
  paged_args(w, &a);
  return launch(b, k->fn[1], v->paged_dims, &a, sizeof a);
}

static int64_t next_pow2(int64_t n) {
  int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

/*
** aiter unified_attention.py select_3d_config, gfx12 branch (aiter e4048607;
** since 57de65d1): waves_per_eu 2 for the shuffled cache (ATOM's) with
** head_dim < 128 and bf16/fp16 pages <= 64 or fp8 pages <= 128, else 1; occ
** = 4 x waves_per_eu (one warp); segments = max(1, (4 CU) / 4 * occ /
** (num_seqs x Hkv)), capped at ceil(sk / page), rounded up to a power of
** two.  With a window aiter uses 1 (ATOM never sends one to 3D).
*/
int32_t ar_aiter_segments(const attnroute_problem *p, int32_t seqlen_k, int32_t cu_count) {
  int64_t wpe = 1, occ, programs, seg, cap, page = p->kv_block_size > 0 ? p->kv_block_size : 1;
  if (p->sliding_window > 0) return 1;
  if (p->head_dim < 128) {
    if ((p->kv_dtype == ATTNROUTE_DTYPE_BF16 || p->kv_dtype == ATTNROUTE_DTYPE_FP16) && page <= 64)
      wpe = 2;
    else if (p->kv_dtype == ATTNROUTE_DTYPE_FP8_E4M3 && page <= 128)
      wpe = 2;
  }
  occ = wpe * 4;
  programs = (int64_t)p->num_seqs * p->num_kv_heads;
  seg = (int64_t)(cu_count > 0 ? cu_count : 1) * 4 / 4 * occ / (programs > 0 ? programs : 1);
  if (seg < 1) seg = 1;
  cap = ((int64_t)(seqlen_k > 0 ? seqlen_k : 1) + page - 1) / page;
  if (seg > cap) seg = cap;
  seg = next_pow2(seg);
  return seg > 0x40000000 ? 0x40000000 : (int32_t)seg;
}

/*
** aiter pa_decode_gluon.py get_recommended_splits (e4048607), as ATOM's
** paged_attention_triton calls it with unified attention off: min(ceil(2 x
** multiProcessorCount / (num_seqs x Hkv)), 8) partitions of 256 keys; one
** partition with a window.  Partitions past the context hold no keys, so
** the count is capped at ceil(sk / 256) (they would write nothing).  The
** count is torch's multi_processor_count: on an AMD GPU in WGP mode the WGP
** count, half the CUs aiter keys its other rules on (ar_decode_splits
** passes w->wgp_count there; hip_cu_count.h).
*/
int32_t ar_gluon_splits(const attnroute_problem *p, int32_t seqlen_k, int32_t cu_count) {
  int64_t programs = (int64_t)p->num_seqs * p->num_kv_heads, n, cap;
  if (p->sliding_window > 0) return 1;
  if (programs < 1) programs = 1;
  n = ((int64_t)(cu_count > 0 ? cu_count : 1) * 2 + programs - 1) / programs;
  if (n > 8) n = 8;
  cap = ((int64_t)(seqlen_k > 0 ? seqlen_k : 1) + 255) / 256;
  if (n > cap) n = cap;
  return n < 1 ? 1 : (int32_t)n;
}

/*
** Fixed splits; (num_splits 0 with an aiter rule) aiter's segment or gluon
** count; or (num_splits 0, "auto") enough splits for the decode grid
** (num_splits x Hkv x ceil(sq * Hq/Hkv / 16) row groups x num_seqs blocks,
** kernels/attn_variants.h) to cover the CU count once, without splits
** shorter than AR_DECODE_MIN_KEYS_PER_SPLIT keys; or (AR_DECODE_SPLITS_BALANCED,
** "bal") splits following the batch's contexts: a key budget per block of
** the whole batch's key work over twice the CU count, and enough splits that
** the longest sequence's blocks stay within it (a ragged batch is as slow as
** its longest sequence's blocks), again no split under the minimum keys.
** Clamped to [1, w->max_splits].
*/
int32_t ar_decode_splits(const ar_decode_variant *v, const ar_workload *w) {
  int64_t n = v->num_splits;
  const int64_t cus = w->cu_count > 0 ? w->cu_count : 1;
  if (n == 0 && v->rule == AR_SPLITS_AITER_SEGMENTS) {
    n = ar_aiter_segments(&w->p, w->seqlen_k, w->cu_count);
  } else if (n == 0 && v->rule == AR_SPLITS_GLUON) {
    n = ar_gluon_splits(&w->p, w->seqlen_k, w->wgp_count > 0 ? w->wgp_count : w->cu_count);
  } else if (n == 0) {
    int64_t g = w->p.num_kv_heads > 0 ? w->p.num_q_heads / w->p.num_kv_heads : 1;
    int64_t groups = ((int64_t)w->seqlen_q * g + 15) / 16;
    int64_t work = (int64_t)w->p.num_seqs * w->p.num_kv_heads * groups;
    int64_t by_keys = ((int64_t)w->seqlen_k + AR_DECODE_MIN_KEYS_PER_SPLIT - 1) /
                      AR_DECODE_MIN_KEYS_PER_SPLIT;
    n = work > 0 ? (cus + work - 1) / work : 1;
    if (n > by_keys) n = by_keys;
  } else if (n == AR_DECODE_SPLITS_BALANCED) {
    int64_t longest = w->split_max_keys > 0 ? w->split_max_keys : 1;
    int64_t budget = w->split_key_work / (2 * cus);
    if (budget < AR_DECODE_MIN_KEYS_PER_SPLIT) budget = AR_DECODE_MIN_KEYS_PER_SPLIT;
    n = (longest + budget - 1) / budget;
  }
  if (n > w->max_splits) n = w->max_splits;
  if (n < 1) n = 1;
  return (int32_t)n;
}

int ar_family_decode_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                         const ar_workload *w) {
  const ar_decode_variant *v = c->variant;
  ar_paged_args a;
  if (v->gather_dims && w->cached > 0 && ar_family_gather_run(b, k->fn[2], v->gather_dims, w) != 0)
    return -1;
  paged_args(w, &a);
  a.num_splits = ar_decode_splits(v, w);
  if (launch(b, k->fn[0], v->split_dims, &a, sizeof a) != 0) return -1;
  if (a.num_splits <= 1) return 0; /* the split kernel wrote out itself */
  /* (attn_variants.h: the reduce would be a no-op; skipping it saves a launch) */
  ar_reduce_args r;
  memset(&r, 0, sizeof r);
  r.out = w->out;
  r.part_out = w->part_out;
  r.part_ml = w->part_ml;
  r.sinks = a.sinks;
  r.total_q = w->total_q;
  r.num_q_heads = w->p.num_q_heads;
  r.head_dim = w->p.head_dim;
  r.num_splits = a.num_splits;
  return launch(b, k->fn[1], v->reduce_dims, &r, sizeof r);
}
