/*
** test_fuzz.c -- a deterministic fuzz loop (fixed seeds, no timing): about
** two million selects over random tables with hostile content (grid values
** up to INT32_MAX, frequent malformations, unknown cap values) and random
** problems, routers and environments with arbitrary int32 fields.  Every
** answer must be well formed (tu_check_choice) and every miss must reach
** the hook exactly once; ASan/UBSan builds turn any bad read, overflow or
** division into a failure.
*/
#include <limits.h>

#include "gen_table.h"
#include "test_util.h"

/* An int32 drawn to hit edges often. */
static int32_t nasty(tu_rng *r) {
  static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, -2, -1, 0, 1, 2, 3, 16, 64,
                                  128, 256, 65535, 65536, INT32_MAX - 1, INT32_MAX};
  switch (tu_below(r, 4)) {
  case 0: return edges[tu_below(r, sizeof edges / sizeof edges[0])];
  case 1: return (int32_t)(uint32_t)tu_next(r);
  case 2: return tu_range(r, 0, 300);
  default: return tu_range(r, -4, 9);
  }
}

static attnroute_problem nasty_problem(tu_rng *r, attnroute_problem p) {
  int f;
  for (f = 0; f < (int)(sizeof p / sizeof(int32_t)); f++)
    if (tu_chance(r, 1, 4)) ((int32_t *)&p)[f] = nasty(r);
  return p;
}

int main(void) {
  gt_options opt;
  tu_rng r;
  long tables, selects = 0, ok = 0;
  attnroute_miss_counter m;
  uint64_t misses = 0;
  memset(&m, 0, sizeof m);
  r.s = 2026;
  for (tables = 0; tables < 4000; tables++) {
    gt_table g;
    attnroute_router router;
    attnroute_env *e = &router.env;
    int i;
    opt.max_grid_value = tu_chance(&r, 1, 2) ? INT32_MAX : 1000;
    opt.malformed_pct = tu_chance(&r, 1, 2) ? 15 : 2;
    opt.hostile_caps = 1;
    gt_make(&g, tu_next(&r), &opt);
    attnroute_router_init(&router, &g.table, "test", 8);
    router.policy = tu_chance(&r, 3, 4) ? tu_range(&r, 0, 1) : nasty(&r);
    if (tu_chance(&r, 1, 2)) {
      e->step = nasty(&r);
      e->force_triton = nasty(&r);
      e->use_unified_attn = nasty(&r);
      e->asm_arch = nasty(&r);
      e->has_alibi = tu_range(&r, 0, 1);
      e->has_dropout = tu_range(&r, 0, 1);
      e->has_cu_seqlens = nasty(&r);
    }
    router.unavailable = tu_chance(&r, 1, 2) ? g.unavailable : NULL;
    router.on_miss = attnroute_miss_count;
    router.miss_user = &m;
    for (i = 0; i < 500; i++) {
      attnroute_choice c;
      attnroute_problem p = gt_problem(&g, tu_next(&r));
      int ret;
      if (tu_chance(&r, 1, 3)) p = nasty_problem(&r, p);
      ret = attnroute_select(&router, &p, &c);
      tu_check_choice(&router, &p, &c, ret);
      selects++;
      if (ret == ATTNROUTE_OK)
        ok++;
      else
        misses++;
      if (check_failures > 40) {
        fprintf(stderr, "stopping at table %ld, problem %d\n", tables, i);
        return check_finish("test_fuzz");
      }
    }
    gt_free(&g);
  }
  CHECK_EQ(m.total, misses);
  CHECK(ok > selects / 50); /* the loop must also reach the table's answers */
  printf("  %ld selects, %ld answered from the table\n", selects, ok);
  return check_finish("test_fuzz");
}
