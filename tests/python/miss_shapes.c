/*
** miss_shapes.c -- a C engine that loads a compiled table at run time and
** collects its misses through the miss hook, for tests/python's miss loop:
**
**   miss_shapes TABLE.so ARCH CU < problems
**
** Loads TABLE.so (dlopen), finds ATTNROUTE_TABLE_EXPORT_SYMBOL, binds it
** with attnroute_router_init, sets attnroute_miss_shapes as the miss hook
** over a fixed array, and selects every problem read from stdin (one per
** line: num_seqs max_seqlen_q max_seqlen_k num_q_heads num_kv_heads
** head_dim has_sinks sliding_window kv_block_size total_seqlen_q
** total_seqlen_k, the totals 0 when unknown).  Prints one line per
** problem ("<from_table> <candidate name>"), then "miss <shape line>" for
** each distinct missed shape (attnroute_problem_shape_line) and a summary
** line "misses total=N distinct=N dropped=N invalid=N".  Exit 1 with a
** message on a load or bind error.
*/
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "attnroute.h"

#define CAPACITY 256

int main(int argc, char **argv) {
  static attnroute_miss_entry entries[CAPACITY];
  attnroute_miss_set set;
  attnroute_router router;
  attnroute_table_export_fn export_fn;
  void *lib, *sym;
  int status;
  uint32_t i;
  attnroute_problem p;
  char line[512];
  if (argc != 4) {
    fprintf(stderr, "usage: miss_shapes TABLE.so ARCH CU < problems\n");
    return 2;
  }
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "miss_shapes: %s\n", dlerror());
    return 1;
  }
  sym = dlsym(lib, ATTNROUTE_TABLE_EXPORT_SYMBOL);
  if (!sym) {
    fprintf(stderr, "miss_shapes: %s: no %s\n", argv[1], ATTNROUTE_TABLE_EXPORT_SYMBOL);
    return 1;
  }
  *(void **)&export_fn = sym; /* POSIX: dlsym's object pointer as a function pointer */
  status = attnroute_router_init(&router, export_fn(), argv[2], (int32_t)strtol(argv[3], NULL, 10));
  if (status != ATTNROUTE_OK) {
    fprintf(stderr, "miss_shapes: table refused: %s\n", attnroute_status_str(status));
    return 1;
  }
  attnroute_miss_set_init(&set, entries, CAPACITY);
  router.on_miss = attnroute_miss_shapes;
  router.miss_user = &set;

  attnroute_problem_init(&p);
  while (scanf("%d %d %d %d %d %d %d %d %d %d %d", &p.num_seqs, &p.max_seqlen_q,
               &p.max_seqlen_k, &p.num_q_heads, &p.num_kv_heads, &p.head_dim, &p.has_sinks,
               &p.sliding_window, &p.kv_block_size, &p.total_seqlen_q,
               &p.total_seqlen_k) == 11) {
    attnroute_choice c;
    p.has_cached = p.max_seqlen_k > p.max_seqlen_q;
    attnroute_select(&router, &p, &c);
    printf("%d %s\n", c.from_table, c.name);
  }
  for (i = 0; i < set.capacity; i++) {
    if (!set.entries[i].count) continue;
    if (attnroute_problem_shape_line(&set.entries[i].problem, line, sizeof line) >= (int)sizeof line)
      return 1;
    printf("miss %s\n", line);
  }
  printf("misses total=%llu distinct=%u dropped=%llu invalid=%llu\n",
         (unsigned long long)set.total, set.count, (unsigned long long)set.dropped,
         (unsigned long long)set.invalid);
  dlclose(lib);
  return 0;
}
