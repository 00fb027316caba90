/*
** select_check.c -- a generated table, read through the runtime.
**
** Built with a header generated at build time from the fixture db
** (attnroute_generate_table) and the expectations of expect.py, which come
** from the db's best_ok view.  For every point of every class grid,
** attnroute_select must answer from the table with the fixture's fastest
** candidate, or fall back to the legacy policy where the fixture has none.
** CHECK_TABLE names the table; TREE_LOOKUP relaxes the empty-cell check (a
** tree answers everywhere in its domain).
*/
#include <stdio.h>
#include <string.h>

#include "attnroute.h"
#include TABLE_HEADER

typedef struct point {
  int ns, sq, sk, hq, hkv, hd, q_dtype, kv_dtype, sinks, window, block, causal;
  const char *best;
} point;

static const point points[] = {
#include "fixture_expect.inc"
};

int main(void) {
  attnroute_router r;
  int i, n = (int)(sizeof(points) / sizeof(points[0])), failures = 0, answered = 0;
  int rc = attnroute_router_init(&r, &CHECK_TABLE, CHECK_TABLE.arch, CHECK_TABLE.cu_count);
  if (rc != ATTNROUTE_OK) {
    printf("FAIL router_init: %s\n", attnroute_status_str(rc));
    return 1;
  }
  for (i = 0; i < n; i++) {
    const point *t = &points[i];
    attnroute_problem p;
    attnroute_choice c;
    attnroute_problem_init(&p);
    p.num_seqs = t->ns;
    p.max_seqlen_q = t->sq;
    p.max_seqlen_k = t->sk;
    p.has_cached = t->sk > t->sq;
    p.num_q_heads = t->hq;
    p.num_kv_heads = t->hkv;
    p.head_dim = t->hd;
    p.q_dtype = t->q_dtype;
    p.kv_dtype = t->kv_dtype;
    p.has_sinks = t->sinks;
    p.sliding_window = t->window;
    p.kv_block_size = t->block;
    p.causal = t->causal;
    attnroute_select(&r, &p, &c);
    if (t->best) {
      if (!c.from_table || strcmp(c.name, t->best) != 0) {
        printf("FAIL ns=%d sq=%d sk=%d hq=%d hkv=%d hd=%d: got %s (%s), want %s\n", t->ns,
               t->sq, t->sk, t->hq, t->hkv, t->hd, c.name, attnroute_status_str(c.reason),
               t->best);
        failures++;
      }
      answered++;
    } else if (!TREE_LOOKUP && c.from_table) {
      printf("FAIL ns=%d sq=%d sk=%d: empty cell answered %s\n", t->ns, t->sq, t->sk, c.name);
      failures++;
    }
  }
  printf("%d points, %d with a best candidate, %d failures\n", n, answered, failures);
  return failures != 0 || answered == 0;
}
