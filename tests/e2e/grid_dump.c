/*
** grid_dump.c -- the C grid parser's reading of grid files, for comparison
** with tools/attnroute_evalset.py's (test_grid_python.py):
**   grid_dump FILE...
** prints, per file, "== FILE" and then either every shape the grid expands
** to as its attnroute_problem_shape_line (grid order) or one line
** "error: MESSAGE" (the parser's message, "FILE:LINE: ...").  Exit 0 unless
** the arguments are wrong (2).
*/
#include <stdio.h>
#include <stdlib.h>

#include "grid.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: grid_dump FILE...\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    ar_shape_list l = {0};
    char err[512];
    printf("== %s\n", argv[i]);
    if (ar_grid_load(argv[i], 0, &l, err, sizeof err) != 0) {
      printf("error: %s\n", err);
      continue;
    }
    for (size_t k = 0; k < l.count; k++) {
      char line[512];
      int n = attnroute_problem_shape_line(&l.items[k].p, line, sizeof line);
      if (n < 0 || (size_t)n >= sizeof line) printf("error: shape %zu has no shape line\n", k);
      else printf("%s\n", line);
    }
    ar_shape_list_free(&l);
  }
  return 0;
}
