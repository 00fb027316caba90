/*
** select_c.c -- attnroute_select timed from C on a compiled table, for
** bench/select_bench.py (built by it on the fly):
**
**   select_c TABLE.so ARCH CU REPS < problems
**
** Loads the table (dlopen, ATTNROUTE_TABLE_EXPORT_SYMBOL), reads problems
** (num_seqs max_seqlen_q max_seqlen_k has_cached num_q_heads num_kv_heads
** head_dim has_sinks sliding_window kv_block_size step, one per line), then
** REPS times selects every problem once and records the mean time of a
** select in that pass; prints "median_ns MEDIAN min_ns MIN hits H of N".
*/
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "attnroute.h"

#define MAX_PROBLEMS 4096
#define MAX_REPS 1001

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  static attnroute_problem problems[MAX_PROBLEMS];
  static int32_t steps[MAX_PROBLEMS];
  static double pass_ns[MAX_REPS];
  attnroute_router r;
  attnroute_table_export_fn export_fn;
  void *lib, *sym;
  int n = 0, reps, i, k, hits = 0;
  volatile int32_t sink = 0;
  if (argc != 5) {
    fprintf(stderr, "usage: select_c TABLE.so ARCH CU REPS < problems\n");
    return 2;
  }
  reps = atoi(argv[4]);
  if (reps < 1 || reps > MAX_REPS) reps = 101;
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib || !(sym = dlsym(lib, ATTNROUTE_TABLE_EXPORT_SYMBOL))) {
    fprintf(stderr, "select_c: %s: %s\n", argv[1], dlerror());
    return 1;
  }
  *(void **)&export_fn = sym;
  if (attnroute_router_init(&r, export_fn(), argv[2], (int32_t)atoi(argv[3])) != ATTNROUTE_OK) {
    fprintf(stderr, "select_c: table refused for %s:%s\n", argv[2], argv[3]);
    return 1;
  }
  for (;;) {
    attnroute_problem *p = &problems[n];
    attnroute_problem_init(p);
    if (n >= MAX_PROBLEMS ||
        scanf("%d %d %d %d %d %d %d %d %d %d %d", &p->num_seqs, &p->max_seqlen_q,
              &p->max_seqlen_k, &p->has_cached, &p->num_q_heads, &p->num_kv_heads,
              &p->head_dim, &p->has_sinks, &p->sliding_window, &p->kv_block_size,
              &steps[n]) != 11)
      break;
    n++;
  }
  if (n == 0) return 2;
  for (k = 0; k < reps; k++) {
    double t0 = now_ns();
    for (i = 0; i < n; i++) {
      attnroute_choice c;
      r.env.step = steps[i];
      attnroute_select(&r, &problems[i], &c);
      sink += c.candidate;
      if (k == 0) hits += c.from_table;
    }
    pass_ns[k] = (now_ns() - t0) / n;
  }
  qsort(pass_ns, (size_t)reps, sizeof pass_ns[0], cmp_double);
  printf("median_ns %.1f min_ns %.1f hits %d of %d\n", pass_ns[reps / 2], pass_ns[0], hits, n);
  dlclose(lib);
  return sink == 12345678 ? 3 : 0;
}
