/*
** test_select_ref.c -- attnroute_select against a brute-force reference
** over random tables and problems (gen_table.c).  The reference is written
** independently of runtime/src: it validates axes with its own loops, finds
** the nearest grid value by computing every log2 distance in double
** precision, the floor by scanning every value, walks trees with a visited
** set instead of a step bound, and builds the cell index from strides.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_table.h"
#include "test_util.h"

typedef struct ref_answer {
  int reason;
  int32_t candidate;
  int32_t rank;
} ref_answer;

static int ref_valid(const attnroute_problem *p) {
  return p->num_seqs >= 1 && p->max_seqlen_q >= 1 && p->max_seqlen_k >= p->max_seqlen_q &&
         p->num_q_heads >= 1 && p->num_kv_heads >= 1 &&
         (p->num_q_heads / p->num_kv_heads) * p->num_kv_heads == p->num_q_heads &&
         p->head_dim >= 1 && p->kv_block_size >= 1 && p->q_dtype >= 0 && p->q_dtype <= 3 &&
         p->kv_dtype >= 0 && p->kv_dtype <= 3;
}

/* A ragged total, by enumeration of what it bounds: the other n - 1
** sequences hold at least 1 and at most max each. */
static int ref_total_ok(int64_t total, int64_t n, int64_t max) {
  int64_t least, most;
  if (total == 0) return 1;
  if (total < 0) return 0;
  least = max + (n - 1) * 1;
  most = max + (n - 1) * max;
  return total >= least && total <= most;
}

static int ref_totals_valid(const attnroute_problem *p) {
  if (!ref_total_ok(p->total_seqlen_q, p->num_seqs, p->max_seqlen_q)) return 0;
  if (!ref_total_ok(p->total_seqlen_k, p->num_seqs, p->max_seqlen_k)) return 0;
  return !(p->total_seqlen_q != 0 && p->total_seqlen_k != 0 && p->total_seqlen_k < p->total_seqlen_q);
}

/* Ceiling of a / b by quotient and remainder. */
static int64_t ref_ceil(int64_t a, int64_t b) { return a / b + (a % b != 0); }

static int truth(int32_t v) { return v ? 1 : 0; }
static int32_t win(int32_t w) { return w < 1 ? -1 : w; }

static int ref_usable(const attnroute_router *r, int32_t k, const attnroute_problem *p) {
  const attnroute_table *t = r->table;
  if (!t->candidates || k >= t->num_candidates) return 0;
  if (r->unavailable && r->unavailable[k] != 0) return 0;
  if (t->candidates[k].name == NULL) return 0;
  return attnroute_caps_allow(&t->candidates[k].caps, p);
}

/* The tree walk with a visited set. */
static const uint8_t *ref_tree(const attnroute_class *c, const double feat[]) {
  char seen[64];
  int32_t n = 0;
  if (c->nodes == NULL || c->num_nodes < 1 || c->num_nodes > 64) return NULL;
  memset(seen, 0, sizeof seen);
  for (;;) {
    const attnroute_tree_node *node;
    if (n < 0 || n >= c->num_nodes || seen[n]) return NULL;
    seen[n] = 1;
    node = c->nodes + n;
    if (node->axis == -1) return node->leaf;
    if (node->axis < 0 || node->axis > 4) return NULL;
    n = feat[node->axis] <= (double)node->threshold ? node->left : node->right;
  }
}

/* What the last ref_select did, for coverage counts. */
static int ref_clamped, ref_ragged;

static ref_answer ref_select(const attnroute_router *r, const attnroute_problem *p) {
  ref_answer ans;
  const attnroute_table *t = r->table;
  const attnroute_class *c = NULL;
  const uint8_t *slots = NULL;
  int64_t val[5];
  int32_t at[5];
  int i, a, bad_axis = 0, outside = 0, named = 0;
  ans.candidate = -1;
  ans.rank = -1;
  ref_clamped = ref_ragged = 0;
  if (!ref_valid(p) || !ref_totals_valid(p)) {
    ans.reason = ATTNROUTE_BAD_PROBLEM;
    goto legacy;
  }
  for (i = 0; t->classes && i < t->num_classes; i++) {
    const attnroute_class *k = &t->classes[i];
    if (k->head_dim != p->head_dim || k->q_dtype != p->q_dtype || k->kv_dtype != p->kv_dtype ||
        truth(k->has_sinks) != truth(p->has_sinks) ||
        win(k->sliding_window) != win(p->sliding_window) ||
        k->kv_block_size != p->kv_block_size || truth(k->causal) != truth(p->causal))
      continue;
    c = k;
    break;
  }
  if (!c) {
    ans.reason = ATTNROUTE_NO_CLASS;
    goto legacy;
  }
  {
    int64_t n = p->num_seqs;
    int64_t tq = p->total_seqlen_q ? p->total_seqlen_q : n * p->max_seqlen_q;
    int64_t tk = p->total_seqlen_k ? p->total_seqlen_k : n * p->max_seqlen_k;
    if (!p->total_seqlen_q && tq > tk) tq = tk; /* the keys include the queries */
    val[0] = p->num_seqs;
    val[1] = p->max_seqlen_q;
    val[2] = (int64_t)p->max_seqlen_k - p->max_seqlen_q;
    val[3] = p->num_q_heads;
    val[4] = p->num_q_heads / p->num_kv_heads;
    if (c->ragged_key == ATTNROUTE_RAGGED_MEAN) {
      val[1] = ref_ceil(tq, n);
      val[2] = ref_ceil(tk - tq, n);
    } else if (c->ragged_key == ATTNROUTE_RAGGED_EQUIV) {
      val[0] = ref_ceil(tk, p->max_seqlen_k);
    } else if (c->ragged_key != ATTNROUTE_RAGGED_LONGEST) {
      bad_axis = 1;
    }
    ref_ragged = (p->total_seqlen_q || p->total_seqlen_k) && c->ragged_key != ATTNROUTE_RAGGED_LONGEST;
  }
  for (a = 0; a < 5; a++) {
    const int32_t *g = c->axis_values[a];
    int32_t len = c->axis_len[a], j;
    if (g == NULL || len <= 0) {
      bad_axis = 1;
      continue;
    }
    for (j = 0; j < len; j++)
      if (g[j] < 0 || (j + 1 < len && g[j + 1] <= g[j])) bad_axis = 1;
    if (val[a] < g[0]) {
      if ((c->edge_clamp >> (2 * a)) & 1u) val[a] = g[0], ref_clamped = 1;
      else outside = 1;
    } else if (val[a] > g[len - 1]) {
      if ((c->edge_clamp >> (2 * a + 1)) & 1u) val[a] = g[len - 1], ref_clamped = 1;
      else outside = 1;
    }
  }
  if (bad_axis) {
    ans.reason = ATTNROUTE_EMPTY_CELL;
    goto legacy;
  }
  if (outside) {
    ans.reason = ATTNROUTE_OUT_OF_DOMAIN;
    goto legacy;
  }
  /* A short prefix is looked up as the first positive cached value. */
  if (val[2] > 0 && c->axis_values[2][0] == 0 && c->axis_len[2] > 1 &&
      val[2] < c->axis_values[2][1])
    val[2] = c->axis_values[2][1];
  if (c->lookup == ATTNROUTE_LOOKUP_TREE) {
    double feat[5];
    for (a = 0; a < 5; a++) feat[a] = log2(1.0 + (double)val[a]);
    slots = ref_tree(c, feat);
  } else if (c->lookup == ATTNROUTE_LOOKUP_NEAREST_LOG || c->lookup == ATTNROUTE_LOOKUP_FLOOR) {
    int64_t stride = 1, idx = 0;
    for (a = 0; a < 5; a++) {
      const int32_t *g = c->axis_values[a];
      int32_t j, best = -1;
      double best_d = 0;
      for (j = 0; j < c->axis_len[a]; j++) {
        if (c->lookup == ATTNROUTE_LOOKUP_FLOOR) {
          if (g[j] <= val[a]) best = j;
        } else {
          double d = fabs(log2(1.0 + (double)val[a]) - log2(1.0 + (double)g[j]));
          if (best < 0 || d < best_d - 1e-12) {
            best = j;
            best_d = d;
          }
        }
      }
      at[a] = best;
    }
    for (a = 4; a >= 0; a--) {
      idx += stride * at[a];
      stride *= c->axis_len[a];
    }
    slots = c->cells ? c->cells + idx * ATTNROUTE_TOPK : NULL;
  }
  if (!slots) {
    ans.reason = ATTNROUTE_EMPTY_CELL;
    goto legacy;
  }
  for (i = 0; i < ATTNROUTE_TOPK; i++) {
    int32_t k = slots[i];
    if (k == 255 || k >= t->num_candidates || !t->candidates) continue;
    named = 1;
    if (ref_usable(r, k, p)) {
      ans.reason = ATTNROUTE_OK;
      ans.candidate = k;
      ans.rank = i;
      return ans;
    }
  }
  ans.reason = named ? ATTNROUTE_UNSUPPORTED : ATTNROUTE_EMPTY_CELL;

legacy:
  if (ans.reason != ATTNROUTE_BAD_PROBLEM) {
    int route = attnroute_legacy_route(r->policy, &r->env, p);
    int32_t k;
    for (k = 0; t->candidates && k < t->num_candidates; k++)
      if (t->candidates[k].legacy_route == route && ref_usable(r, k, p)) {
        ans.candidate = k;
        break;
      }
  }
  return ans;
}

static long misses;
static void on_miss(void *user, const attnroute_problem *p, const attnroute_choice *c) {
  (void)p;
  (void)c;
  CHECK(user == (void *)&misses);
  misses++;
}

int main(void) {
  gt_options opt;
  long tables, n = 0, from_table = 0, expected_misses = 0, clamped_ok = 0, ragged_ok = 0;
  long by_reason[ATTNROUTE_NUM_STATUS];
  tu_rng env_rng;
  memset(by_reason, 0, sizeof by_reason);
  opt.max_grid_value = 100000;
  opt.malformed_pct = 4;
  opt.hostile_caps = 0;
  env_rng.s = 99;
  for (tables = 0; tables < 3000; tables++) {
    gt_table g;
    attnroute_router r;
    int i;
    gt_make(&g, 1000 + (uint64_t)tables, &opt);
    CHECK_EQ(attnroute_router_init(&r, &g.table, "test", 8), ATTNROUTE_OK);
    r.policy = (int32_t)tu_below(&env_rng, 2);
    r.env.step = (int32_t)tu_below(&env_rng, 3);
    r.env.use_unified_attn = (int32_t)tu_below(&env_rng, 2);
    r.unavailable = tu_chance(&env_rng, 1, 3) ? g.unavailable : NULL;
    r.on_miss = on_miss;
    r.miss_user = &misses;
    for (i = 0; i < 150; i++) {
      attnroute_problem p = gt_problem(&g, (uint64_t)tables * 7919u + (uint64_t)i);
      attnroute_choice ch;
      ref_answer want = ref_select(&r, &p);
      int got = attnroute_select(&r, &p, &ch);
      n++;
      CHECK_EQ(got, want.reason);
      CHECK_EQ(ch.reason, want.reason);
      CHECK_EQ(ch.candidate, want.candidate);
      CHECK_EQ(ch.rank, want.rank);
      CHECK_EQ(ch.from_table, want.reason == ATTNROUTE_OK);
      if (want.reason == ATTNROUTE_OK) {
        CHECK_EQ(ch.route, -1);
        CHECK(ch.name == g.table.candidates[want.candidate].name);
        from_table++;
        clamped_ok += ref_clamped;
        ragged_ok += ref_ragged;
      } else {
        int route = attnroute_legacy_route(r.policy, &r.env, &p);
        char legacy[64];
        CHECK_EQ(ch.route, route);
        sprintf(legacy, "legacy:%s", attnroute_route_name(route));
        if (want.candidate >= 0)
          CHECK(ch.name == g.table.candidates[want.candidate].name);
        else
          CHECK_STR(ch.name, legacy);
        expected_misses++;
      }
      if (want.reason >= 0 && want.reason < ATTNROUTE_NUM_STATUS) by_reason[want.reason]++;
      if (check_failures > 40) {
        fprintf(stderr, "stopping: table seed %ld problem %d\n", 1000 + tables, i);
        return check_finish("test_select_ref");
      }
    }
    gt_free(&g);
  }
  CHECK_EQ(misses, expected_misses);
  /* The random inputs must reach every outcome, or the test proves little. */
  {
    int s;
    static const int needed[] = {ATTNROUTE_OK, ATTNROUTE_BAD_PROBLEM, ATTNROUTE_NO_CLASS,
                                 ATTNROUTE_OUT_OF_DOMAIN, ATTNROUTE_EMPTY_CELL,
                                 ATTNROUTE_UNSUPPORTED};
    for (s = 0; s < (int)(sizeof needed / sizeof needed[0]); s++) {
      CHECK(by_reason[needed[s]] > n / 200);
      printf("  %-16s %ld\n", attnroute_status_str(needed[s]), by_reason[needed[s]]);
    }
  }
  /* ... and answer past the grid's edges and under the ragged keys. */
  CHECK(clamped_ok > n / 500);
  CHECK(ragged_ok > n / 500);
  printf("  %ld selects, %ld from the table (%ld past an edge, %ld under a ragged key)\n", n, from_table,
         clamped_ok, ragged_ok);
  return check_finish("test_select_ref");
}
