/*
** roundtrip.c -- the table text format loses nothing: a table exported with
** `attnroute_gen.py --text`, loaded by tools/eval's parser, equals the
** attnroute_table of the header generated from the same db in the same run,
** field by field, and both answer attnroute_select alike on many random
** problems (in, near and outside the grid, any class).
**
**     roundtrip TABLE.txt       (built with -DTABLE_HEADER="h" -DCHECK_TABLE=name)
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attnroute.h"
#include "table_text.h"
#include TABLE_HEADER

#include "../check.h"

static int str_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static void compare_tables(const attnroute_table *h, const attnroute_table *t) {
  int32_t i, j;
  int a;
  CHECK_MSG(h->abi == t->abi && h->struct_size == t->struct_size, "abi/size");
  CHECK_MSG(str_eq(h->arch, t->arch) && h->cu_count == t->cu_count, "device %s:%d vs %s:%d", h->arch, h->cu_count,
        t->arch, t->cu_count);
  CHECK_MSG(str_eq(h->device_name, t->device_name), "device_name '%s' vs '%s'", h->device_name, t->device_name);
  CHECK_MSG(h->memory_mib == t->memory_mib, "memory_mib %d vs %d", h->memory_mib, t->memory_mib);
  CHECK_MSG(str_eq(h->product, t->product), "product '%s' vs '%s'", h->product, t->product);
  CHECK_MSG(str_eq(h->provenance, t->provenance), "provenance differs");
  CHECK_MSG(h->num_candidates == t->num_candidates, "candidates %d vs %d", h->num_candidates, t->num_candidates);
  if (h->num_candidates != t->num_candidates) return;
  for (i = 0; i < h->num_candidates; i++) {
    const attnroute_candidate *x = &h->candidates[i], *y = &t->candidates[i];
    CHECK_MSG(str_eq(x->name, y->name) && str_eq(x->code_hash, y->code_hash) && x->legacy_route == y->legacy_route,
          "candidate %d", i);
    CHECK_MSG(memcmp(&x->caps, &y->caps, sizeof x->caps) == 0, "candidate %d caps", i);
  }
  CHECK_MSG(h->num_classes == t->num_classes, "classes %d vs %d", h->num_classes, t->num_classes);
  if (h->num_classes != t->num_classes) return;
  for (i = 0; i < h->num_classes; i++) {
    const attnroute_class *x = &h->classes[i], *y = &t->classes[i];
    size_t cells = 1;
    CHECK_MSG(x->head_dim == y->head_dim && x->q_dtype == y->q_dtype && x->kv_dtype == y->kv_dtype &&
              x->has_sinks == y->has_sinks && x->sliding_window == y->sliding_window &&
              x->kv_block_size == y->kv_block_size && x->causal == y->causal && x->lookup == y->lookup &&
              x->ragged_key == y->ragged_key && x->edge_clamp == y->edge_clamp,
          "class %d static features / lookup / ragged key / edge rules", i);
    for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
      CHECK_MSG(x->axis_len[a] == y->axis_len[a], "class %d axis %d length", i, a);
      if (x->axis_len[a] != y->axis_len[a]) return;
      CHECK_MSG(memcmp(x->axis_values[a], y->axis_values[a], (size_t)x->axis_len[a] * sizeof(int32_t)) == 0,
            "class %d axis %d values", i, a);
      cells *= (size_t)x->axis_len[a];
    }
    CHECK_MSG(memcmp(x->cells, y->cells, cells * ATTNROUTE_TOPK) == 0, "class %d cells", i);
    CHECK_MSG(x->num_nodes == y->num_nodes, "class %d nodes %d vs %d", i, x->num_nodes, y->num_nodes);
    if (x->num_nodes != y->num_nodes) continue;
    CHECK_MSG((x->nodes == NULL) == (y->nodes == NULL), "class %d nodes pointer", i);
    for (j = 0; j < x->num_nodes; j++) {
      const attnroute_tree_node *p = &x->nodes[j], *q = &y->nodes[j];
      uint32_t pb, qb;
      memcpy(&pb, &p->threshold, 4);
      memcpy(&qb, &q->threshold, 4);
      CHECK_MSG(p->axis == q->axis && pb == qb && p->left == q->left && p->right == q->right &&
                memcmp(p->leaf, q->leaf, ATTNROUTE_TOPK) == 0,
            "class %d node %d (threshold %.9g vs %.9g)", i, j, (double)p->threshold, (double)q->threshold);
    }
  }
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* A value near or between the axis' grid values, now and then outside. */
static int32_t around(const int32_t *v, int32_t n) {
  int32_t base = v[next() % (uint32_t)n];
  switch (next() % 4) {
  case 0: return base;
  case 1: return base + (int32_t)(next() % 7) - 3;
  case 2: return (int32_t)((double)base * (0.5 + (next() % 1000) / 500.0));
  default: return (int32_t)(next() % 40000);
  }
}

static void compare_selects(const attnroute_table *h, const attnroute_table *t, long n) {
  attnroute_router rh, rt;
  long i;
  CHECK_MSG(attnroute_router_init(&rh, h, h->arch, h->cu_count) == ATTNROUTE_OK, "header table refused");
  CHECK_MSG(attnroute_router_init(&rt, t, t->arch, t->cu_count) == ATTNROUTE_OK, "text table refused");
  for (i = 0; i < n; i++) {
    const attnroute_class *c = &h->classes[next() % (uint32_t)h->num_classes];
    attnroute_problem p;
    attnroute_choice a, b;
    int32_t gqa, sq, cached;
    attnroute_problem_init(&p);
    p.head_dim = c->head_dim;
    p.q_dtype = c->q_dtype;
    p.kv_dtype = c->kv_dtype;
    p.has_sinks = next() % 16 ? c->has_sinks : !c->has_sinks;
    p.sliding_window = c->sliding_window;
    p.kv_block_size = c->kv_block_size;
    p.causal = c->causal;
    p.num_seqs = around(c->axis_values[0], c->axis_len[0]);
    sq = around(c->axis_values[1], c->axis_len[1]);
    cached = around(c->axis_values[2], c->axis_len[2]);
    p.num_q_heads = around(c->axis_values[3], c->axis_len[3]);
    gqa = c->axis_values[4][next() % (uint32_t)c->axis_len[4]];
    p.num_kv_heads = gqa > 0 && p.num_q_heads % gqa == 0 ? p.num_q_heads / gqa : 1;
    p.max_seqlen_q = sq;
    p.max_seqlen_k = sq + (cached > 0 ? cached : 0);
    p.has_cached = cached > 0;
    attnroute_select(&rh, &p, &a);
    attnroute_select(&rt, &p, &b);
    CHECK_MSG(a.candidate == b.candidate && a.from_table == b.from_table && a.reason == b.reason &&
              a.route == b.route && a.rank == b.rank && str_eq(a.name, b.name),
          "problem %ld (ns=%d sq=%d sk=%d hq=%d hkv=%d): header %s/%d, text %s/%d", i, p.num_seqs, p.max_seqlen_q,
          p.max_seqlen_k, p.num_q_heads, p.num_kv_heads, a.name, a.reason, b.name, b.reason);
  }
}

int main(int argc, char **argv) {
  ar_text_table t;
  char err[512];
  if (argc != 2) {
    fprintf(stderr, "usage: roundtrip TABLE.txt\n");
    return 2;
  }
  if (ar_table_text_load(argv[1], &t, err, sizeof err)) {
    fprintf(stderr, "FAIL load: %s\n", err);
    return 1;
  }
  compare_tables(&CHECK_TABLE, &t.table);
  if (!check_failures) compare_selects(&CHECK_TABLE, &t.table, 200000);
  ar_table_text_free(&t);
  if (check_failures) {
    fprintf(stderr, "roundtrip: %ld check(s) failed\n", check_failures);
    return 1;
  }
  printf("roundtrip %s: ok\n", argv[1]);
  return 0;
}
