/*
** lookup.c -- from a problem to a table cell: the class with the problem's
** static features, the problem's axis values under the class's ragged key,
** the domain check with the class's edge rules, and the three lookups (nearest grid
** point in log2(1 + v), floor grid point, decision tree), all three after
** the prefix snap (a short cached prefix is looked up as the shortest tuned
** one, never as "no prefix").  Every table field
** is distrusted: a malformed class answers ATTNROUTE_EMPTY_CELL, never a
** crash or an endless loop.
*/
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

static int32_t window_norm(int32_t w) { return ATTNROUTE__HAS_WINDOW(w) ? w : -1; }

/*
** First class of t matching p's static features, or NULL.
*/
const attnroute_class *attnroute__class_find(const attnroute_table *t,
                                             const attnroute_problem *p) {
  int32_t i;
  if (!t || !p || !t->classes || t->num_classes <= 0) return NULL;
  for (i = 0; i < t->num_classes; i++) {
    const attnroute_class *c = &t->classes[i];
    if (c->head_dim == p->head_dim && c->q_dtype == p->q_dtype &&
        c->kv_dtype == p->kv_dtype && (c->has_sinks != 0) == (p->has_sinks != 0) &&
        window_norm(c->sliding_window) == window_norm(p->sliding_window) &&
        c->kv_block_size == p->kv_block_size && (c->causal != 0) == (p->causal != 0))
      return c;
  }
  return NULL;
}

/* Ceiling of a / b for a >= 0, b > 0. */
static int64_t div_up(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The problem's value on each tuned axis under ragged key `key` (p checked:
** positive sizes, totals 0 or consistent, so every value is at most the
** LONGEST one).  0 for an unknown key, -1 when it is not one. */
static int problem_axes(int32_t key, const attnroute_problem *p, int64_t v[ATTNROUTE_NUM_AXES]) {
  int64_t n = p->num_seqs, sq = p->max_seqlen_q, sk = p->max_seqlen_k;
  int64_t tq = p->total_seqlen_q > 0 ? p->total_seqlen_q : n * sq;
  int64_t tk = p->total_seqlen_k > 0 ? p->total_seqlen_k : n * sk;
  int64_t cached = sk - sq;
  if (tq > tk) tq = tk; /* only when total_q is unknown: the keys include the queries */
  v[ATTNROUTE_AXIS_NUM_SEQS] = n;
  v[ATTNROUTE_AXIS_SEQLEN_Q] = sq;
  v[ATTNROUTE_AXIS_CACHED] = cached > 0 ? cached : 0;
  v[ATTNROUTE_AXIS_Q_HEADS] = p->num_q_heads;
  v[ATTNROUTE_AXIS_GQA] = p->num_kv_heads > 0 ? p->num_q_heads / p->num_kv_heads : 0;
  switch (key) {
  case ATTNROUTE_RAGGED_LONGEST: return 0;
  case ATTNROUTE_RAGGED_MEAN:
    v[ATTNROUTE_AXIS_SEQLEN_Q] = div_up(tq, n);
    v[ATTNROUTE_AXIS_CACHED] = div_up(tk - tq, n);
    return 0;
  case ATTNROUTE_RAGGED_EQUIV:
    v[ATTNROUTE_AXIS_NUM_SEQS] = div_up(tk, sk);
    return 0;
  default: return -1;
  }
}

enum { AXIS_INSIDE, AXIS_BELOW, AXIS_ABOVE, AXIS_MALFORMED };

/* Checks that an axis is non-empty, non-negative and strictly ascending,
** where v lies against [first, last], and the index of the largest grid
** value <= v (*at: that index when AXIS_INSIDE, 0 when AXIS_BELOW, the last
** when AXIS_ABOVE).  One pass with a never-taken branch: axes are short and
** this runs on every select. */
static int axis_scan(const int32_t *g, int32_t len, int64_t v, int32_t *at) {
  int32_t j, below = 0, prev, v32 = v > INT32_MAX ? INT32_MAX : (int32_t)v;
  if (!g || len < 1 || g[0] < 0) return AXIS_MALFORMED;
  prev = g[0];
  for (j = 1; j < len; j++) {
    int32_t cur = g[j];
    if (cur <= prev) return AXIS_MALFORMED;
    below += cur <= v32;
    prev = cur;
  }
  *at = below; /* g[0] <= v, and `below` more grid values are; 0 below g[0] */
  if (v < g[0]) return AXIS_BELOW;
  if (v > prev) return AXIS_ABOVE;
  return AXIS_INSIDE;
}

/* Moves a floor index to the grid point nearest v in log2(1 + v), ties to
** the lower one.  Exact integer form: log2((1+v)/(1+lo)) <= log2((1+hi)/(1+v))
** iff (1+v)^2 <= (1+lo)(1+hi); every term is below 2^31, so below 2^62. */
static int32_t nearest_log(const int32_t *g, int32_t len, int64_t v, int32_t at) {
  uint64_t x, lo, hi;
  if (at + 1 >= len) return at;
  x = (uint64_t)v + 1u;
  lo = (uint64_t)g[at] + 1u;
  hi = (uint64_t)g[at + 1] + 1u;
  return x * x <= lo * hi ? at : at + 1;
}

/* A cached prefix, however short, is a prefix: a problem with one (which
** needs the gather, or reads through the block table) is never answered by
** the cells tuned without one.  When the cached axis starts at 0, a prefix
** below the first positive grid value is looked up as that value. */
static void snap_prefix(const attnroute_class *c, int64_t v[ATTNROUTE_NUM_AXES],
                        int32_t at[ATTNROUTE_NUM_AXES]) {
  const int32_t *g = c->axis_values[ATTNROUTE_AXIS_CACHED];
  int64_t *cached = &v[ATTNROUTE_AXIS_CACHED];
  if (*cached > 0 && g[0] == 0 && c->axis_len[ATTNROUTE_AXIS_CACHED] > 1 && *cached < g[1]) {
    *cached = g[1];
    at[ATTNROUTE_AXIS_CACHED] = 1;
  }
}

/* Walks the decision tree of c from node 0; at most num_nodes nodes are
** visited, so a cycle ends as ATTNROUTE_EMPTY_CELL.  log2(1 + v) of an axis
** is computed at most once per call. */
static int tree_walk(const attnroute_class *c, const int64_t v[ATTNROUTE_NUM_AXES],
                     const uint8_t **slots) {
  double feature[ATTNROUTE_NUM_AXES];
  unsigned have = 0;
  int32_t n = 0, steps;
  if (!c->nodes || c->num_nodes <= 0) return ATTNROUTE_EMPTY_CELL;
  for (steps = 0; steps < c->num_nodes; steps++) {
    const attnroute_tree_node *node = &c->nodes[n];
    int32_t a = node->axis, next;
    if (a == -1) {
      *slots = node->leaf;
      return ATTNROUTE_OK;
    }
    if (a < 0 || a >= ATTNROUTE_NUM_AXES) return ATTNROUTE_EMPTY_CELL;
    if (!(have & (1u << a))) {
      feature[a] = log2(1.0 + (double)v[a]);
      have |= 1u << a;
    }
    next = feature[a] <= (double)node->threshold ? node->left : node->right;
    if (next < 0 || next >= c->num_nodes) return ATTNROUTE_EMPTY_CELL;
    n = next;
  }
  return ATTNROUTE_EMPTY_CELL;
}

/*
** p's ranking in class c: see internal.h.
*/
int attnroute__class_lookup(const attnroute_class *c, const attnroute_problem *p,
                            const uint8_t **slots) {
  const int64_t limit = (int64_t)(PTRDIFF_MAX / ATTNROUTE_TOPK);
  int64_t v[ATTNROUTE_NUM_AXES], cell = 0, size = 1;
  int32_t at[ATTNROUTE_NUM_AXES];
  int a, malformed = 0, outside = 0;
  if (!c || !p || !slots) return ATTNROUTE_EMPTY_CELL;
  if (problem_axes(c->ragged_key, p, v) != 0) return ATTNROUTE_EMPTY_CELL;
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    int s = axis_scan(c->axis_values[a], c->axis_len[a], v[a], &at[a]);
    malformed |= s == AXIS_MALFORMED;
    if (s == AXIS_BELOW || s == AXIS_ABOVE) {
      uint32_t rule = s == AXIS_BELOW ? ATTNROUTE_EDGE_BELOW(a) : ATTNROUTE_EDGE_ABOVE(a);
      /* Clamped to the edge: at is already the edge index. */
      if (c->edge_clamp & rule) v[a] = c->axis_values[a][at[a]];
      else outside = 1;
    }
  }
  if (malformed) return ATTNROUTE_EMPTY_CELL;
  if (outside) return ATTNROUTE_OUT_OF_DOMAIN;
  snap_prefix(c, v, at);

  switch (c->lookup) {
  case ATTNROUTE_LOOKUP_TREE: return tree_walk(c, v, slots);
  case ATTNROUTE_LOOKUP_NEAREST_LOG:
    for (a = 0; a < ATTNROUTE_NUM_AXES; a++)
      at[a] = nearest_log(c->axis_values[a], c->axis_len[a], v[a], at[a]);
    break;
  case ATTNROUTE_LOOKUP_FLOOR: break;
  default: return ATTNROUTE_EMPTY_CELL;
  }
  if (!c->cells) return ATTNROUTE_EMPTY_CELL;
  /* Row-major, NUM_SEQS slowest; cell < size throughout.  A grid of more
  ** than `limit` cells cannot exist in memory and is refused; size <= 2^31
  ** before each multiplication by a length below 2^31 keeps it exact. */
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    int64_t len = c->axis_len[a];
    if (size > ((int64_t)1 << 31)) return ATTNROUTE_EMPTY_CELL;
    size *= len;
    if (size > limit) return ATTNROUTE_EMPTY_CELL;
    cell = cell * len + at[a];
  }
  *slots = c->cells + (ptrdiff_t)cell * ATTNROUTE_TOPK;
  return ATTNROUTE_OK;
}
