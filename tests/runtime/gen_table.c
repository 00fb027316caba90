/*
** gen_table.c -- random attnroute tables and problems for the reference and
** fuzz tests (see gen_table.h).
*/
#include "gen_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static const char *const names[GT_MAX_CANDIDATES] = {"c0", "c1", "c2", "c3",
                                                     "c4", "c5", "c6", "c7"};
static const int32_t head_dims[] = {64, 128, 80, 64};
static const int32_t windows[] = {-1, 0, 128, -7, 4096};
static const int32_t blocks[] = {16, 64, 256, 16, 48};

#define PICK(r, arr) (arr)[tu_below((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))]

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) abort();
  return p;
}

static int32_t cap_value(tu_rng *r, const gt_options *opt) {
  if (opt->hostile_caps && tu_chance(r, 1, 10)) return tu_range(r, -2, 5);
  if (tu_chance(r, 3, 4)) return ATTNROUTE_CAP_OPTIONAL;
  return tu_range(r, 0, 2);
}

static attnroute_caps random_caps(tu_rng *r, const gt_options *opt) {
  attnroute_caps c = tu_caps_any();
  if (tu_chance(r, 1, 4))
    c.head_dim_mask = tu_chance(r, 1, 2) ? (1u << 3) | (1u << 7) : (uint32_t)tu_next(r);
  if (tu_chance(r, 1, 5)) c.q_dtype_mask = (uint32_t)tu_below(r, 16);
  if (tu_chance(r, 1, 5)) c.kv_dtype_mask = (uint32_t)tu_below(r, 16);
  if (tu_chance(r, 1, 5)) c.block_size_mask = (uint32_t)tu_below(r, 512);
  if (opt->hostile_caps && tu_chance(r, 1, 10)) c.block_size_mask = (uint32_t)tu_next(r);
  c.sinks = cap_value(r, opt);
  c.window = cap_value(r, opt);
  c.causal = cap_value(r, opt);
  if (tu_chance(r, 1, 5)) c.max_seqlen_q = tu_range(r, 1, opt->max_grid_value);
  if (opt->hostile_caps && tu_chance(r, 1, 20)) c.max_seqlen_q = tu_range(r, INT32_MIN, -1);
  if (tu_chance(r, 1, 5)) c.gqa_exact = tu_range(r, 1, 8);
  if (opt->hostile_caps && tu_chance(r, 1, 20)) c.gqa_exact = (int32_t)tu_next(r);
  return c;
}

/* One slot of a ranking: mostly a real candidate, sometimes none, sometimes
** an index past the table's candidates. */
static uint8_t random_slot(tu_rng *r, int32_t nc) {
  uint32_t x = tu_below(r, 20);
  if (x < 12) return (uint8_t)tu_below(r, (uint32_t)nc);
  if (x < 17) return ATTNROUTE_NO_CANDIDATE;
  return (uint8_t)tu_range(r, nc, 254);
}

static void random_ranking(tu_rng *r, uint8_t *slots, int32_t nc) {
  int i;
  int empty = tu_chance(r, 1, 10);
  for (i = 0; i < ATTNROUTE_TOPK; i++)
    slots[i] = empty ? ATTNROUTE_NO_CANDIDATE : random_slot(r, nc);
}

static int pct(tu_rng *r, const gt_options *opt) { return tu_chance(r, (uint32_t)opt->malformed_pct, 100); }

/* An ascending axis of len values in [0, max]; the length actually used is
** returned (the values may run out of room). */
static int32_t make_axis(tu_rng *r, int32_t *v, int32_t len, int32_t first, int32_t max) {
  int32_t i;
  v[0] = first;
  for (i = 1; i < len; i++) {
    int64_t step = 1 + (int64_t)tu_below(r, (uint32_t)(v[i - 1] < 64 ? 8 : v[i - 1]));
    int64_t next = (int64_t)v[i - 1] + step;
    if (next > max) return i;
    v[i] = (int32_t)next;
  }
  return len;
}

static void malform_axis(tu_rng *r, attnroute_class *c, int a, int32_t *v) {
  int32_t len = c->axis_len[a];
  switch (tu_below(r, 5)) {
  case 0: c->axis_values[a] = NULL; break;
  case 1: c->axis_len[a] = tu_chance(r, 1, 2) ? 0 : -3; break;
  case 2: v[0] = -1 - (int32_t)tu_below(r, 5); break;
  case 3:
    if (len >= 2) {
      int32_t i = (int32_t)tu_below(r, (uint32_t)(len - 1)), t = v[i];
      v[i] = v[i + 1];
      v[i + 1] = t;
    }
    break;
  default:
    if (len >= 2) v[len - 1] = v[len - 2];
    break;
  }
}

static float random_threshold(tu_rng *r, const gt_options *opt, const attnroute_class *c) {
  uint32_t x = tu_below(r, 10);
  if (pct(r, opt)) {
    static const float bad[3] = {0.0f, 1e30f, -1e30f};
    if (tu_chance(r, 1, 3)) return (float)NAN;
    return tu_chance(r, 1, 2) ? (float)INFINITY * (tu_chance(r, 1, 2) ? 1 : -1)
                              : bad[tu_below(r, 3)];
  }
  if (x < 3) return (float)tu_range(r, 0, 16); /* exact: 1 + v a power of two */
  if (x < 7) {
    int a = (int)tu_below(r, ATTNROUTE_NUM_AXES);
    if (c->axis_values[a] && c->axis_len[a] > 0) {
      int32_t v = c->axis_values[a][tu_below(r, (uint32_t)c->axis_len[a])];
      return (float)log2(1.0 + (double)v);
    }
  }
  return (float)(tu_below(r, 2000)) / 100.0f - 1.0f;
}

typedef struct tree_ctx {
  tu_rng *r;
  const gt_options *opt;
  const attnroute_class *c;
  attnroute_tree_node *nodes;
  int32_t n, cap, nc;
} tree_ctx;

/* Builds a subtree in nodes [t->n, limit); returns its root. */
static int32_t build_tree(tree_ctx *t, int depth, int32_t limit) {
  int32_t me = t->n++;
  attnroute_tree_node *node = &t->nodes[me];
  random_ranking(t->r, node->leaf, t->nc);
  if (me + 3 > limit || depth >= 5 || tu_chance(t->r, 1, 3)) {
    node->axis = -1;
    return me;
  }
  node->axis = (int32_t)tu_below(t->r, ATTNROUTE_NUM_AXES);
  node->threshold = random_threshold(t->r, t->opt, t->c);
  node->left = build_tree(t, depth + 1, limit - 1); /* leave room for the right */
  node->right = build_tree(t, depth + 1, limit);
  return me;
}

static void make_tree(tu_rng *r, const gt_options *opt, gt_table *g, int i, int32_t nc) {
  attnroute_class *c = &g->cls[i];
  int32_t cap = 1 + (int32_t)tu_below(r, 15), k;
  g->nodes[i] = (attnroute_tree_node *)xcalloc((size_t)cap, sizeof(attnroute_tree_node));
  c->nodes = g->nodes[i];
  if (!tu_chance(r, (uint32_t)(3 * opt->malformed_pct), 100)) {
    tree_ctx t;
    t.r = r;
    t.opt = opt;
    t.c = c;
    t.nodes = g->nodes[i];
    t.n = 0;
    t.cap = cap;
    t.nc = nc;
    build_tree(&t, 0, cap);
    c->num_nodes = t.n;
    return;
  }
  /* Garbage: any axis, any links, cycles likely. */
  for (k = 0; k < cap; k++) {
    attnroute_tree_node *node = &g->nodes[i][k];
    static const int32_t axes[] = {-1, 0, 1, 2, 3, 4, 5, -2, 100};
    node->axis = PICK(r, axes);
    node->threshold = random_threshold(r, opt, c);
    node->left = tu_range(r, -2, cap + 1);
    node->right = tu_range(r, -2, cap + 1);
    random_ranking(r, node->leaf, nc);
  }
  c->num_nodes = tu_chance(r, 1, 10) ? 0 : cap;
  if (tu_chance(r, 1, 10)) c->nodes = NULL;
}

static void make_class(tu_rng *r, const gt_options *opt, gt_table *g, int i, int32_t nc) {
  attnroute_class *c = &g->cls[i];
  int a;
  int64_t ncells = 1;
  c->head_dim = PICK(r, head_dims);
  c->q_dtype = tu_chance(r, 3, 4) ? ATTNROUTE_DTYPE_BF16 : tu_range(r, 0, 3);
  c->kv_dtype = tu_chance(r, 3, 4) ? ATTNROUTE_DTYPE_BF16 : tu_range(r, 0, 3);
  c->has_sinks = tu_chance(r, 1, 2) ? 0 : tu_range(r, 1, 3);
  c->sliding_window = PICK(r, windows);
  c->kv_block_size = PICK(r, blocks);
  c->causal = tu_chance(r, 1, 5) ? 0 : tu_range(r, 1, 2);
  {
    uint32_t x = tu_below(r, 20);
    c->lookup = x < 8 ? ATTNROUTE_LOOKUP_NEAREST_LOG : x < 14 ? ATTNROUTE_LOOKUP_FLOOR
                                                              : ATTNROUTE_LOOKUP_TREE;
    if (pct(r, opt)) c->lookup = tu_chance(r, 1, 2) ? -1 : ATTNROUTE_NUM_LOOKUPS;
  }
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    int32_t len = 1 + (int32_t)tu_below(r, 5);
    int32_t first = a == ATTNROUTE_AXIS_CACHED ? tu_range(r, 0, 2) : tu_range(r, 1, 3);
    int32_t *v = (int32_t *)xcalloc((size_t)len, sizeof(int32_t));
    g->axis[i][a] = v;
    if (tu_chance(r, 1, 8)) first = tu_range(r, 0, opt->max_grid_value / 2);
    c->axis_len[a] = make_axis(r, v, len, first, opt->max_grid_value);
    c->axis_values[a] = v;
    if (pct(r, opt)) malform_axis(r, c, a, v);
    ncells *= c->axis_len[a] > 0 ? c->axis_len[a] : 1;
  }
  g->cells[i] = (uint8_t *)xcalloc((size_t)ncells * ATTNROUTE_TOPK, 1);
  {
    int64_t k;
    for (k = 0; k < ncells; k++) random_ranking(r, g->cells[i] + k * ATTNROUTE_TOPK, nc);
  }
  c->cells = pct(r, opt) ? NULL : g->cells[i];
  if (c->lookup == ATTNROUTE_LOOKUP_TREE) make_tree(r, opt, g, i, nc);
  c->ragged_key = tu_range(r, 0, ATTNROUTE_NUM_RAGGED_KEYS - 1);
  if (pct(r, opt)) c->ragged_key = tu_chance(r, 1, 2) ? -1 : ATTNROUTE_NUM_RAGGED_KEYS;
  switch (tu_below(r, 4)) {
  case 0: c->edge_clamp = 0; break;
  case 1: c->edge_clamp = 0x3ffu; break;
  case 2: c->edge_clamp = (uint32_t)tu_next(r); break; /* bits past the axes too */
  default: c->edge_clamp = (uint32_t)tu_below(r, 1024); break;
  }
}

void gt_make(gt_table *g, uint64_t seed, const gt_options *opt) {
  tu_rng rng;
  tu_rng *r = &rng;
  int32_t nc, ncls, k;
  rng.s = seed;
  memset(g, 0, sizeof *g);
  nc = 1 + (int32_t)tu_below(r, GT_MAX_CANDIDATES);
  for (k = 0; k < nc; k++) {
    g->cand[k].name = pct(r, opt) ? NULL : names[k];
    g->cand[k].code_hash = "";
    g->cand[k].legacy_route = tu_range(r, -1, 3);
    g->cand[k].caps = random_caps(r, opt);
    g->unavailable[k] = tu_chance(r, 1, 10);
  }
  ncls = 1 + (int32_t)tu_below(r, GT_MAX_CLASSES);
  for (k = 0; k < ncls; k++) make_class(r, opt, g, k, nc);
  g->table.abi = ATTNROUTE_TABLE_ABI;
  g->table.struct_size = (uint32_t)sizeof(attnroute_table);
  g->table.arch = "test";
  g->table.cu_count = 8;
  g->table.device_name = "test device";
  g->table.provenance = "tests/runtime/gen_table.c";
  g->table.num_candidates = nc;
  g->table.candidates = pct(r, opt) ? NULL : g->cand;
  g->table.num_classes = ncls;
  g->table.classes = g->cls;
  if (pct(r, opt)) g->table.num_classes = tu_chance(r, 1, 2) ? 0 : -1;
}

void gt_free(gt_table *g) {
  int i, a;
  for (i = 0; i < GT_MAX_CLASSES; i++) {
    for (a = 0; a < ATTNROUTE_NUM_AXES; a++) free(g->axis[i][a]);
    free(g->cells[i]);
    free(g->nodes[i]);
  }
  memset(g, 0, sizeof *g);
}

/* A value for axis a of class c: on the grid, next to it, between its ends,
** or outside. */
static int64_t axis_target(tu_rng *r, const attnroute_class *c, int a) {
  const int32_t *v = c ? c->axis_values[a] : NULL;
  int32_t len = c ? c->axis_len[a] : 0;
  uint32_t x = tu_below(r, 40);
  if (!v || len <= 0) return tu_range(r, 0, 300);
  if (x < 18) return v[tu_below(r, (uint32_t)len)];
  if (x < 26) return (int64_t)v[tu_below(r, (uint32_t)len)] + (tu_chance(r, 1, 2) ? 1 : -1);
  if (x < 39) {
    int64_t lo = v[0], hi = v[len - 1];
    if (hi < lo) hi = lo;
    return lo + (int64_t)(tu_next(r) % (uint64_t)(hi - lo + 1));
  }
  return tu_chance(r, 1, 2) ? (int64_t)v[len - 1] + 1 + tu_below(r, 100) : (int64_t)v[0] - 1;
}

static int32_t clamp32(int64_t v) {
  return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

attnroute_problem gt_problem(const gt_table *g, uint64_t seed) {
  tu_rng rng;
  tu_rng *r = &rng;
  attnroute_problem p;
  const attnroute_class *c = NULL;
  int64_t t[ATTNROUTE_NUM_AXES], sq, sk, hq, hkv;
  int a;
  rng.s = seed;
  attnroute_problem_init(&p);
  if (g && g->table.num_classes > 0 && tu_chance(r, 9, 10))
    c = &g->cls[tu_below(r, (uint32_t)g->table.num_classes)];
  if (c) {
    p.head_dim = c->head_dim;
    p.q_dtype = c->q_dtype;
    p.kv_dtype = c->kv_dtype;
    p.has_sinks = c->has_sinks ? tu_range(r, 1, 5) : 0;
    if (c->sliding_window > 0) {
      p.sliding_window = c->sliding_window;
    } else {
      static const int32_t none[] = {-1, 0, -3, INT32_MIN};
      p.sliding_window = PICK(r, none); /* every "no window" spelling */
    }
    p.kv_block_size = c->kv_block_size;
    p.causal = c->causal ? tu_range(r, 1, 7) : 0;
  } else {
    p.head_dim = PICK(r, head_dims);
    p.q_dtype = tu_range(r, 0, 3);
    p.kv_dtype = tu_range(r, 0, 3);
    p.has_sinks = tu_range(r, 0, 1);
    p.sliding_window = PICK(r, windows);
    p.kv_block_size = PICK(r, blocks);
    p.causal = tu_range(r, 0, 1);
  }
  if (tu_chance(r, 1, 10)) { /* perturb one static feature */
    switch (tu_below(r, 7)) {
    case 0: p.head_dim = PICK(r, head_dims); break;
    case 1: p.q_dtype = tu_range(r, 0, 3); break;
    case 2: p.kv_dtype = tu_range(r, 0, 3); break;
    case 3: p.has_sinks = !p.has_sinks; break;
    case 4: p.sliding_window = PICK(r, windows); break;
    case 5: p.kv_block_size = PICK(r, blocks); break;
    default: p.causal = !p.causal; break;
    }
  }
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) t[a] = axis_target(r, c, a);
  sq = t[ATTNROUTE_AXIS_SEQLEN_Q];
  sk = sq + (t[ATTNROUTE_AXIS_CACHED] > 0 ? t[ATTNROUTE_AXIS_CACHED] : 0);
  /* Hq on target; the GQA ratio the divisor of Hq nearest its target. */
  hq = t[ATTNROUTE_AXIS_Q_HEADS] > 0 ? t[ATTNROUTE_AXIS_Q_HEADS] : 1;
  {
    int64_t want = t[ATTNROUTE_AXIS_GQA], best = 1, d;
    for (d = 1; d * d <= hq && d <= 512; d++) {
      if (hq % d) continue;
      if (llabs(d - want) < llabs(best - want)) best = d;
      if (llabs(hq / d - want) < llabs(best - want)) best = hq / d;
    }
    hkv = hq / best;
  }
  p.num_seqs = clamp32(t[ATTNROUTE_AXIS_NUM_SEQS]);
  p.max_seqlen_q = clamp32(sq);
  p.max_seqlen_k = clamp32(sk);
  p.has_cached = tu_chance(r, 1, 10) ? tu_range(r, 0, 1) : sk > sq;
  p.num_q_heads = clamp32(hq);
  p.num_kv_heads = clamp32(hkv);
  if (tu_chance(r, 1, 2)) { /* a ragged batch: totals some batch has */
    int64_t n = p.num_seqs > 0 ? p.num_seqs : 1, mq = p.max_seqlen_q > 0 ? p.max_seqlen_q : 1;
    int64_t mk = p.max_seqlen_k > mq ? p.max_seqlen_k : mq, lo, hi, tq = 0;
    lo = mq + n - 1;
    hi = n * mq;
    if (tu_chance(r, 3, 4) && lo <= INT32_MAX) {
      if (hi > INT32_MAX) hi = INT32_MAX;
      tq = lo + (int64_t)(tu_next(r) % (uint64_t)(hi - lo + 1));
      p.total_seqlen_q = (int32_t)tq;
    }
    lo = mk + n - 1 > tq ? mk + n - 1 : tq;
    hi = n * mk;
    if (tu_chance(r, 3, 4) && lo <= INT32_MAX && lo <= hi) {
      if (hi > INT32_MAX) hi = INT32_MAX;
      p.total_seqlen_k = (int32_t)(lo + (int64_t)(tu_next(r) % (uint64_t)(hi - lo + 1)));
    }
    if (tu_chance(r, 1, 10)) { /* inconsistent totals */
      switch (tu_below(r, 5)) {
      case 0: p.total_seqlen_q = -1 - (int32_t)tu_below(r, 5); break;
      case 1: p.total_seqlen_q = p.max_seqlen_q > 1 ? p.max_seqlen_q - 1 : INT32_MAX; break;
      case 2: p.total_seqlen_k = clamp32(n * mk + 1); break;
      case 3: p.total_seqlen_k = tq > 1 ? (int32_t)(tq - 1) : -7; break;
      default: p.total_seqlen_k = INT32_MIN; break;
      }
    }
  }
  if (tu_chance(r, 1, 20)) { /* an invalid call */
    switch (tu_below(r, 6)) {
    case 0: p.num_seqs = 0; break;
    case 1: p.max_seqlen_k = p.max_seqlen_q - 1; break;
    case 2: p.num_kv_heads = p.num_q_heads + 1; break;
    case 3: p.q_dtype = 9; break;
    case 4: p.kv_block_size = -16; break;
    default: p.head_dim = 0; break;
    }
  }
  return p;
}
