/*
** lookup.c -- from a problem to a table cell: the class with the problem's
** static features, the domain check, and the three lookups (nearest grid
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

/* The problem's value on each tuned axis (p checked: Hkv > 0). */
static void problem_axes(const attnroute_problem *p, int64_t v[ATTNROUTE_NUM_AXES]) {
  int64_t cached = (int64_t)p->max_seqlen_k - (int64_t)p->max_seqlen_q;
  v[ATTNROUTE_AXIS_NUM_SEQS] = p->num_seqs;
  v[ATTNROUTE_AXIS_SEQLEN_Q] = p->max_seqlen_q;
  v[ATTNROUTE_AXIS_CACHED] = cached > 0 ? cached : 0;
  v[ATTNROUTE_AXIS_Q_HEADS] = p->num_q_heads;
  v[ATTNROUTE_AXIS_GQA] = p->num_kv_heads > 0 ? p->num_q_heads / p->num_kv_heads : 0;
}

enum { AXIS_INSIDE, AXIS_OUTSIDE, AXIS_MALFORMED };

/* Checks that an axis is non-empty, non-negative and strictly ascending,
** whether v lies in [first, last], and the index of the largest grid value
** <= v (*at, set when AXIS_INSIDE).  One pass with a never-taken branch:
** axes are short and this runs on every select. */
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
  if (v < g[0] || v > prev) return AXIS_OUTSIDE;
  *at = below; /* g[0] <= v, and `below` more grid values are */
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
  problem_axes(p, v);
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    int s = axis_scan(c->axis_values[a], c->axis_len[a], v[a], &at[a]);
    malformed |= s == AXIS_MALFORMED;
    outside |= s == AXIS_OUTSIDE;
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
