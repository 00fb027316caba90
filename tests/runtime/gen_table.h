/*
** gen_table.h -- random attnroute tables and problems for the reference and
** fuzz tests.  Every array is malloc'd at exactly the size its table claims,
** so ASan catches any read past it; "malformed" means inconsistent content
** (non-ascending or negative axes, NULL arrays, zero lengths, bad candidate
** indices, cyclic or dangling trees, bad node axes, NaN thresholds, bad
** caps), never a lying length.
*/
#ifndef ATTNROUTE_GEN_TABLE_H
#define ATTNROUTE_GEN_TABLE_H

#include <stdint.h>

#include "attnroute.h"

#define GT_MAX_CANDIDATES 8
#define GT_MAX_CLASSES 4

typedef struct gt_options {
  int32_t max_grid_value; /* largest grid value drawn (>= 16) */
  int malformed_pct;      /* chance (percent) of each kind of malformation */
  int hostile_caps;       /* draw caps with unknown cap values, odd masks */
} gt_options;

typedef struct gt_table {
  attnroute_table table;
  attnroute_candidate cand[GT_MAX_CANDIDATES];
  attnroute_class cls[GT_MAX_CLASSES];
  int32_t *axis[GT_MAX_CLASSES][ATTNROUTE_NUM_AXES];
  uint8_t *cells[GT_MAX_CLASSES];
  attnroute_tree_node *nodes[GT_MAX_CLASSES];
  unsigned char unavailable[GT_MAX_CANDIDATES];
} gt_table;

/* Fill *g with a random table for arch "test", 8 CUs.  Free with gt_free. */
void gt_make(gt_table *g, uint64_t seed, const gt_options *opt);
void gt_free(gt_table *g);

/* A random problem, usually aimed at one of g's classes and near its grid
** (sometimes outside it, sometimes invalid).  g may be NULL. */
attnroute_problem gt_problem(const gt_table *g, uint64_t seed);

#endif /* ATTNROUTE_GEN_TABLE_H */
