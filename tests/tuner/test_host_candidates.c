/*
** test_host_candidates.c -- every host candidate, through its family run
** function and the host backend, against the double reference on many
** problems: cached prefixes (sq < sk), decode sq = 1..16, windows, GQA up to
** 8, pages 16/64/256, head dims 16..256, sinks on/off, causal on/off.  Each
** problem gets fresh inputs (its own seed) and a NaN-poisoned output; a
** relative error of 1e-2 or more, or any NaN, fails.  Also checks the
** table itself (names, legacy stand-ins, kernel symbols) and
** ar_decode_splits.  Part "ragged": batches whose sequences each have their
** own sq and context (ragged cu_seqlens, block tables and reference),
** among them split-KV decode over very unequal contexts.  ATTNROUTE_TEST_SEED=<n> reruns with other seeds;
** arguments pick a part of the shapes (see main).
*/
#include <stdint.h>

#include "candidates_host.h"
#include "families.h"
#include "host_kernels.h"
#include "test_host_util.h"

typedef struct shape {
  int ns, sq, cached, hq, hkv, d, page, sinks, window, causal;
} shape;

static const shape fixed[] = {
    /* ns sq cached hq hkv  d page sink win causal */
    {2, 33, 70, 8, 1, 64, 16, 1, -1, 1},    /* GQA 8, cached prefix */
    {1, 1, 300, 8, 1, 64, 256, 1, -1, 1},   /* decode, page 256 */
    {3, 16, 100, 16, 2, 128, 64, 0, -1, 1}, /* D 128, page 64 */
    {2, 7, 40, 4, 4, 64, 16, 1, 8, 1},      /* window with a cached prefix */
    {1, 50, 0, 4, 2, 128, 16, 1, 16, 1},    /* window, no cache: dense reads k_new */
    {2, 64, 0, 8, 8, 64, 64, 0, -1, 0},     /* non-causal, no cache */
    {1, 5, 20, 2, 1, 256, 16, 1, -1, 1},    /* D 256 */
    {2, 3, 29, 3, 1, 48, 16, 0, 5, 0},      /* D 48, window non-causal */
    {1, 17, 0, 2, 2, 16, 256, 1, -1, 1},    /* D 16, one partial page */
    {4, 1, 0, 8, 1, 64, 16, 1, -1, 1},      /* decode with sk = 1 */
};

/* The random parts run only the original split counts (4, 16) of the
** split-KV family; the fixed, decode and ragged parts run every split
** variant (it keeps the sanitizer build inside its time limit). */
static int every_split = 1;

static int extra_split(const ar_candidate *c) {
  const ar_decode_variant *v = c->variant;
  return strcmp(c->family, "paged_decode") == 0 && v->num_splits != 4 && v->num_splits != 16;
}

static uint64_t rng_state;
static int rnd(int lo, int hi) { /* uniform in [lo, hi] */
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return lo + (int)((rng_state >> 33) % (uint64_t)(hi - lo + 1));
}

static shape random_shape(int decode) {
  static const int heads[] = {1, 2, 4, 8, 16}, pages[] = {16, 64, 256};
  static const int dims[] = {64, 128, 64, 128, 32, 80, 256};
  shape s;
  s.ns = rnd(1, 3);
  s.sq = decode ? rnd(1, 16) : rnd(1, 96);
  s.cached = rnd(0, 3) == 0 ? 0 : rnd(1, 400);
  s.hkv = heads[rnd(0, 3)];
  s.hq = s.hkv * heads[rnd(0, 3)];
  if (s.hq > 16) s.hq = s.hkv;
  s.d = dims[rnd(0, 6)];
  s.page = pages[rnd(0, 2)];
  s.sinks = rnd(0, 1);
  s.window = rnd(0, 2) == 0 ? rnd(1, 64) : -1;
  s.causal = rnd(0, 4) != 0;
  return s;
}

static int supports(const ar_candidate *c, const attnroute_problem *p) {
  const attnroute_caps *k = &c->caps;
  if (p->head_dim % 16 || p->head_dim < 16 || p->head_dim > 512) return 0;
  if (!(k->head_dim_mask & (1u << (p->head_dim / 16 - 1)))) return 0;
  if (k->max_seqlen_q && p->max_seqlen_q > k->max_seqlen_q) return 0;
  return 1;
}

static void check_table(const ar_candidate *const *cs, int n) {
  int routes[ATTNROUTE_NUM_ROUTES] = {0};
  CHECK(n >= 6);
  for (int i = 0; i < n; i++) {
    const ar_candidate *c = cs[i];
    CHECK(c && c->name && c->family && c->params && c->run && c->variant);
    for (int j = 0; j < i; j++) CHECK(strcmp(cs[j]->name, c->name) != 0);
    CHECK(strncmp(c->name, c->family, strlen(c->family)) == 0);
    CHECK(c->legacy_route >= -1 && c->legacy_route < ATTNROUTE_NUM_ROUTES);
    if (c->legacy_route >= 0) routes[c->legacy_route]++;
    CHECK(c->modules[0] && strcmp(c->modules[0], "host") == 0 && !c->modules[1]);
    int nk = 0;
    while (nk < AR_MAX_KERNELS && c->kernels[nk]) {
      CHECK(strncmp(c->kernels[nk], "0:", 2) == 0);
      CHECK(ar_host_kernel_find(c->kernels[nk] + 2) != NULL);
      nk++;
    }
    if (!strcmp(c->family, "dense_sink")) CHECK(nk == 2 && c->run == ar_family_dense_run);
    else if (!strcmp(c->family, "paged")) CHECK(nk == 1 && c->run == ar_family_paged_run);
    else if (!strcmp(c->family, "paged_gather")) CHECK(nk == 2 && c->run == ar_family_paged_gather_run);
    else if (!strcmp(c->family, "paged_decode")) {
      const ar_decode_variant *v = c->variant;
      CHECK(nk == (v->gather_dims ? 3 : 2) && c->run == ar_family_decode_run);
      CHECK(c->caps.max_seqlen_q == 16);
    } else CHECK(!"unknown family");
    CHECK(c->caps.head_dim_mask == 0xffffu);
    CHECK(c->caps.q_dtype_mask == 1u << ATTNROUTE_DTYPE_BF16);
    CHECK(c->caps.kv_dtype_mask == 1u << ATTNROUTE_DTYPE_BF16);
    CHECK(c->caps.block_size_mask == 0);
    CHECK(c->caps.sinks == ATTNROUTE_CAP_OPTIONAL && c->caps.window == ATTNROUTE_CAP_OPTIONAL &&
          c->caps.causal == ATTNROUTE_CAP_OPTIONAL);
  }
  CHECK(routes[ATTNROUTE_ROUTE_DENSE_SINK_ASM] == 1);
  CHECK(routes[ATTNROUTE_ROUTE_TRITON_PAGED] == 1);
  CHECK(routes[ATTNROUTE_ROUTE_TRITON_SPLITKV] == 1);
  CHECK(routes[ATTNROUTE_ROUTE_ASM_PAGED_DECODE] == 0);
  CHECK(routes[ATTNROUTE_ROUTE_TRITON_PAGED_GATHER] == 1);
  CHECK(routes[ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER] == 1);
  CHECK(routes[ATTNROUTE_ROUTE_GLUON_PAGED_DECODE] == 1);
  CHECK(routes[ATTNROUTE_ROUTE_DENSE_VARLEN] == 1);
  CHECK(routes[ATTNROUTE_ROUTE_ENGINE_ERROR] == 0);
  for (int i = 0; i < n; i++) {
    const ar_decode_variant *v = cs[i]->variant;
    if (cs[i]->legacy_route == ATTNROUTE_ROUTE_TRITON_SPLITKV)
      CHECK(v->num_splits == 0 && v->rule == AR_SPLITS_AITER_SEGMENTS && !v->gather_dims);
    if (cs[i]->legacy_route == ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER)
      CHECK(v->num_splits == 0 && v->rule == AR_SPLITS_AITER_SEGMENTS && v->gather_dims &&
            cs[i]->kernels[2] != NULL);
    if (cs[i]->legacy_route == ATTNROUTE_ROUTE_GLUON_PAGED_DECODE)
      CHECK(v->num_splits == 0 && v->rule == AR_SPLITS_GLUON);
    if (cs[i]->legacy_route == ATTNROUTE_ROUTE_TRITON_PAGED_GATHER)
      CHECK(cs[i]->run == ar_family_paged_gather_run);
  }
}

/* aiter's split rules on cases worked from the code (families.c cites it). */
static void check_aiter_rules(void) {
  attnroute_problem p;
  memset(&p, 0, sizeof p);
  p.num_seqs = 4;
  p.num_q_heads = 64;
  p.num_kv_heads = 8;
  p.head_dim = 64;
  p.kv_block_size = 64;
  p.kv_dtype = ATTNROUTE_DTYPE_BF16;
  p.sliding_window = -1;
  /* 256 CUs, wpe 2 (bf16, page 64, D 64): occ 8; 256 * 8 / 32 = 64; 4096 / 64
  ** pages = 64 cap; pow2 64. */
  CHECK(ar_aiter_segments(&p, 4096, 256) == 64);
  CHECK(ar_aiter_segments(&p, 1000, 256) == 16); /* cap ceil(1000/64) = 16 */
  CHECK(ar_aiter_segments(&p, 900, 256) == 16);  /* cap 15 -> pow2 16 */
  p.kv_block_size = 128; /* bf16 page 128: wpe 1, occ 4: 256 * 4 / 32 = 32 */
  CHECK(ar_aiter_segments(&p, 1 << 20, 256) == 32);
  p.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3; /* fp8 page 128: wpe 2 */
  CHECK(ar_aiter_segments(&p, 1 << 20, 256) == 64);
  p.kv_block_size = 256; /* fp8 page 256: wpe 1 */
  CHECK(ar_aiter_segments(&p, 1 << 20, 256) == 32);
  p.head_dim = 128; /* D >= 128: wpe 1 whatever the page */
  p.kv_block_size = 16;
  p.kv_dtype = ATTNROUTE_DTYPE_BF16;
  CHECK(ar_aiter_segments(&p, 1 << 20, 256) == 32);
  p.num_seqs = 300; /* 256 * 4 / 2400 = 0 -> 1 */
  CHECK(ar_aiter_segments(&p, 1 << 20, 256) == 1);
  p.num_seqs = 3; /* 1024 / 24 = 42 -> pow2 64 */
  CHECK(ar_aiter_segments(&p, 1 << 20, 256) == 64);
  p.sliding_window = 128;
  CHECK(ar_aiter_segments(&p, 1 << 20, 256) == 1);
  p.sliding_window = -1;
  CHECK(ar_aiter_segments(&p, 1, 0) == 1);
  /* gluon: min(ceil(2 * CUs / (ns * Hkv)), 8), <= ceil(sk / 256), 1 with a window */
  p.num_seqs = 4;
  CHECK(ar_gluon_splits(&p, 1 << 20, 256) == 8);  /* 512 / 32 = 16 -> 8 */
  CHECK(ar_gluon_splits(&p, 1 << 20, 64) == 4);   /* 128 / 32 */
  CHECK(ar_gluon_splits(&p, 1 << 20, 65) == 5);   /* ceil(130 / 32) */
  CHECK(ar_gluon_splits(&p, 600, 256) == 3);      /* ceil(600 / 256) keys */
  p.num_seqs = 1000;
  CHECK(ar_gluon_splits(&p, 1 << 20, 256) == 1);
  p.sliding_window = 64;
  CHECK(ar_gluon_splits(&p, 1 << 20, 256) == 1);
}

static void check_decode_splits(void) {
  ar_workload w;
  memset(&w, 0, sizeof w);
  w.p.num_seqs = 1;
  w.p.num_q_heads = 8;
  w.p.num_kv_heads = 1;
  w.seqlen_q = 1;
  w.seqlen_k = 4096;
  w.max_splits = 16;
  w.cu_count = 132;
  ar_decode_variant v = {NULL, NULL, 16, AR_SPLITS_FILL, NULL};
  CHECK(ar_decode_splits(&v, &w) == 16);
  w.max_splits = 8;
  CHECK(ar_decode_splits(&v, &w) == 8); /* clamped */
  v.num_splits = 0;                     /* auto: 132 CUs over 1 block per split */
  w.max_splits = 64;
  CHECK(ar_decode_splits(&v, &w) == 32); /* 4096 keys / 128 per split */
  w.seqlen_k = 1 << 20;
  CHECK(ar_decode_splits(&v, &w) == 64); /* clamped to max_splits */
  w.max_splits = 256;
  CHECK(ar_decode_splits(&v, &w) == 132);
  w.p.num_seqs = 200;
  CHECK(ar_decode_splits(&v, &w) == 1); /* the batch fills the device */
  w.cu_count = 1;
  w.p.num_seqs = 1;
  CHECK(ar_decode_splits(&v, &w) == 1);
  w.cu_count = 0;
  w.max_splits = 0;
  CHECK(ar_decode_splits(&v, &w) == 1);

  /* Balanced: budget = key work / (2 x CUs), splits = ceil(longest / budget). */
  v.num_splits = AR_DECODE_SPLITS_BALANCED;
  w.max_splits = 64;
  w.cu_count = 132;
  w.p.num_seqs = 9;
  w.split_max_keys = 121000; /* one 121k context among 8 of 27k, Hkv 8, one row group each */
  w.split_key_work = (int64_t)(121000 + 8 * 27000) * 8;
  CHECK(ar_decode_splits(&v, &w) == 12); /* budget 10212 keys */
  w.split_key_work = (int64_t)121000 * 8; /* alone: 3666 keys a block, 33 splits */
  CHECK(ar_decode_splits(&v, &w) == 34);
  w.split_max_keys = 1000;  /* short: never splits below 128 keys */
  w.split_key_work = 1000;
  CHECK(ar_decode_splits(&v, &w) == 8);
  w.split_max_keys = 4096;  /* 256 sequences of 4k: the batch fills the device twice over */
  w.split_key_work = (int64_t)256 * 4096 * 8;
  CHECK(ar_decode_splits(&v, &w) == 1);
  w.split_max_keys = 0;     /* nothing known: one split */
  w.split_key_work = 0;
  CHECK(ar_decode_splits(&v, &w) == 1);

  /* Gluon reads torch's multi_processor_count: the WGP count in WGP mode. */
  v.num_splits = 0;
  v.rule = AR_SPLITS_GLUON;
  w.p.num_seqs = 16;
  w.p.num_kv_heads = 8;
  w.seqlen_k = 1 << 20;
  w.cu_count = 256;
  w.wgp_count = 0;
  CHECK(ar_decode_splits(&v, &w) == 4); /* ceil(2 x 256 / 128) */
  w.wgp_count = 128;
  CHECK(ar_decode_splits(&v, &w) == 2); /* ceil(2 x 128 / 128): gfx1250's WGPs */
}

/* Run every supporting candidate on the batch p (seqs: one per sequence,
** or NULL for the uniform sq / cached); returns the number run. */
static int check_batch(ar_backend *b, const ar_candidate *const *cs, int n, const ar_loaded *ld,
                       const attnroute_problem *p, const ar_seq *seqs, int sq, int cached, uint64_t seed,
                       const char *what) {
  char err[256];
  ar_inputs in;
  ar_workload w;
  if (seqs) CHECK_MSG(ar_inputs_make_ragged(&in, p, seqs, seed, err, sizeof err) == 0, "%s", err);
  else CHECK_MSG(ar_inputs_make(&in, p, sq, cached, seed, err, sizeof err) == 0, "%s", err);
  CHECK_MSG(ar_workload_upload(b, &in, 64, 1, &w, err, sizeof err) == 0, "%s", err);
  size_t no = (size_t)in.total_q * p->num_q_heads * p->head_dim;
  double *ref = malloc(no * sizeof *ref);
  uint16_t *out = malloc(no * 2);
  CHECK(ref && out);
  ar_reference_attention(&in, ref);
  int ran = 0;
  for (int i = 0; i < n; i++) {
    if (!supports(cs[i], &in.p) || (!every_split && extra_split(cs[i]))) continue;
    CHECK(no % 2 == 0); /* D is a multiple of 16 */
    CHECK(b->ops->fill32(b, w.out, 0x7FC07FC0u, no * 2) == 0);
    CHECK_MSG(cs[i]->run(cs[i], b, &ld[i], &w) == 0, "%s: %s", cs[i]->name, b->ops->error_text(b));
    CHECK(b->ops->synchronize(b) == 0);
    CHECK(b->ops->download(b, out, w.out, no * 2) == 0);
    double e = test_rel_err(out, ref, no);
    CHECK_MSG(e < 1e-2, "%s: rel err %g (seed %llu: %s)", cs[i]->name, e, (unsigned long long)seed, what);
    ran++;
  }
  free(ref);
  free(out);
  ar_workload_free(b, &w);
  ar_inputs_free(&in);
  return ran;
}

static attnroute_problem problem_of(const shape *s) {
  attnroute_problem p;
  memset(&p, 0, sizeof p);
  p.num_seqs = s->ns;
  p.num_q_heads = s->hq;
  p.num_kv_heads = s->hkv;
  p.head_dim = s->d;
  p.q_dtype = p.kv_dtype = ATTNROUTE_DTYPE_BF16;
  p.has_sinks = s->sinks;
  p.sliding_window = s->window;
  p.kv_block_size = s->page;
  p.causal = s->causal;
  return p;
}

static int check_shape(ar_backend *b, const ar_candidate *const *cs, int n, const ar_loaded *ld,
                       const shape *s, uint64_t seed) {
  attnroute_problem p = problem_of(s);
  char what[160];
  snprintf(what, sizeof what, "ns %d sq %d cached %d hq %d hkv %d d %d page %d sinks %d window %d causal %d",
           s->ns, s->sq, s->cached, s->hq, s->hkv, s->d, s->page, s->sinks, s->window, s->causal);
  return check_batch(b, cs, n, ld, &p, NULL, s->sq, s->cached, seed, what);
}

/* Ragged batches: fixed ones (decode over very unequal contexts, prefill
** chunks next to decode rows, sequences with and without a prefix, a
** window), then random ones. */
static int check_ragged(ar_backend *b, const ar_candidate *const *cs, int n, const ar_loaded *ld, uint64_t base,
                        int *shapes) {
  static const struct {
    shape cls; /* ns, sq, cached unused */
    int nseq;
    ar_seq seqs[8];
  } fixed_ragged[] = {
      /* decode, one long context among short ones (the split partition per sequence) */
      {{0, 0, 0, 8, 1, 64, 16, 1, -1, 1}, 6, {{1, 1500}, {1, 5}, {1, 300}, {1, 1}, {1, 129}, {1, 700}}},
      {{0, 0, 0, 16, 2, 128, 64, 0, -1, 1}, 3, {{1, 1200}, {1, 17}, {1, 64}}},
      /* speculative decode widths differing per sequence */
      {{0, 0, 0, 8, 2, 64, 16, 1, -1, 1}, 4, {{3, 900}, {16, 16}, {1, 40}, {7, 300}}},
      /* window layer: contexts far longer than the window, and shorter */
      {{0, 0, 0, 8, 1, 64, 16, 1, 128, 1}, 4, {{1, 2000}, {1, 60}, {4, 1000}, {1, 129}}},
      /* prefill chunks next to decode rows; one without a prefix */
      {{0, 0, 0, 8, 1, 64, 16, 1, -1, 1}, 3, {{40, 40}, {1, 500}, {25, 300}}},
      /* every sequence without a prefix but of different lengths (dense reads k_new) */
      {{0, 0, 0, 4, 2, 64, 16, 1, -1, 1}, 3, {{30, 30}, {2, 2}, {17, 17}}},
      /* the longest sq is not in the longest context */
      {{0, 0, 0, 4, 1, 64, 256, 1, 16, 1}, 3, {{60, 60}, {1, 700}, {5, 200}}},
      /* non-causal */
      {{0, 0, 0, 4, 4, 64, 16, 0, -1, 0}, 2, {{9, 80}, {3, 5}}},
  };
  int runs = 0;
  for (size_t i = 0; i < sizeof fixed_ragged / sizeof fixed_ragged[0]; i++, (*shapes)++) {
    attnroute_problem p = problem_of(&fixed_ragged[i].cls);
    p.num_seqs = fixed_ragged[i].nseq;
    char what[64];
    snprintf(what, sizeof what, "fixed ragged batch %zu", i);
    runs += check_batch(b, cs, n, ld, &p, fixed_ragged[i].seqs, 0, 0, base * 1000 + 500 + i, what);
  }
  for (int i = 0; i < 6; i++, (*shapes)++) {
    rng_state = base * 1000 + 600 + (uint64_t)i;
    shape s = random_shape(i % 2 == 0);
    attnroute_problem p = problem_of(&s);
    int ns = rnd(2, 6);
    ar_seq seqs[6];
    for (int k = 0; k < ns; k++) {
      seqs[k].sq = i % 2 == 0 ? rnd(1, 16) : rnd(1, 80);
      seqs[k].ctx = seqs[k].sq + (rnd(0, 2) == 0 ? 0 : rnd(1, rnd(0, 1) ? 50 : 800));
    }
    p.num_seqs = ns;
    char what[160];
    snprintf(what, sizeof what, "random ragged batch %d (%d seqs, hq %d hkv %d d %d page %d window %d causal %d)",
             i, ns, s.hq, s.hkv, s.d, s.page, s.window, s.causal);
    runs += check_batch(b, cs, n, ld, &p, seqs, 0, 0, rng_state, what);
  }
  return runs;
}

int main(int argc, char **argv) {
  int n = 0;
  const ar_candidate *const *cs = ar_candidates_host(&n);
  check_table(cs, n);
  check_decode_splits();
  check_aiter_rules();

  ar_backend *b;
  char err[256];
  CHECK(ar_backend_open("host", &b, err, sizeof err) == 0);
  ar_loaded *ld = calloc((size_t)n, sizeof *ld);
  CHECK(ld);
  for (int i = 0; i < n; i++) CHECK(test_load(b, cs[i], &ld[i]) == 0);

  uint64_t base = 0x5eed;
  const char *env = getenv("ATTNROUTE_TEST_SEED");
  if (env && *env) base = strtoull(env, NULL, 0);
  /* Which shapes: all by default, or one part ("fixed", "decode", "random
  ** FIRST COUNT") so ctest can run the parts as separate entries. */
  const char *part = argc > 1 ? argv[1] : "all";
  int all = !strcmp(part, "all");
  int first = argc > 2 ? atoi(argv[2]) : 0, count = argc > 3 ? atoi(argv[3]) : 60;
  CHECK(all || !strcmp(part, "fixed") || !strcmp(part, "decode") || !strcmp(part, "random") ||
        !strcmp(part, "ragged"));
  int runs = 0, shapes = 0;
  if (all || !strcmp(part, "fixed"))
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++, shapes++)
      runs += check_shape(b, cs, n, ld, &fixed[i], base * 1000 + i);
  if (all || !strcmp(part, "decode"))
    for (int sq = 1; sq <= 16; sq++, shapes++) { /* every decode width */
      rng_state = base * 1000 + 100 + (uint64_t)sq;
      shape s = {2, sq, rnd(0, 200), 8, rnd(0, 1) ? 1 : 2, 64, 16 << (2 * rnd(0, 2)),
                 rnd(0, 1), rnd(0, 3) ? -1 : rnd(1, 40), 1};
      runs += check_shape(b, cs, n, ld, &s, rng_state);
    }
  every_split = 0;
  if (all || !strcmp(part, "random"))
    for (int i = first; i < first + count; i++, shapes++) {
      rng_state = base * 1000 + 200 + (uint64_t)i;
      shape s = random_shape(i % 3 == 0);
      runs += check_shape(b, cs, n, ld, &s, rng_state);
    }
  every_split = 1;
  if (all || !strcmp(part, "ragged")) runs += check_ragged(b, cs, n, ld, base, &shapes);
  free(ld);
  b->ops->destroy(b);
  printf("test_host_candidates: ok (%d shapes, %d candidate runs)\n", shapes, runs);
  return 0;
}
