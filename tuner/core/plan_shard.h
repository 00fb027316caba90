/*
** plan_shard.h -- a plan's identity and its deterministic split.
**
** The plan hash is SHA-256 over one canonical line per shape, in plan order
** (every field that makes a shape: dtypes, sinks, window, page size,
** causality, heads, batch), so a reordered or edited grid is another plan
** while comments and spacing are not.  --shard K/N keeps the shapes of one
** of N parts: shapes are dealt heaviest first (estimated work, ties by plan
** order) to the part with the least work so far (ties: the lowest part), so
** the parts take about equal time; the split depends on the plan alone,
** never on a db, so a resumed shard measures the same shapes.
*/
#ifndef AR_PLAN_SHARD_H
#define AR_PLAN_SHARD_H

#include <stddef.h>

#include "grid.h"

/* 64 hex digits + NUL. */
void ar_plan_hash(const ar_shape_list *shapes, char hex[65]);

/* Estimated work of one shape, the weight the split balances (backend-free). */
double ar_plan_shape_weight(const ar_shape *s);

/* keep[i] = 1 for the shapes of part k (1-based) of n, else 0.  0, or -1
** when k, n are out of range (1 <= k <= n) or memory runs out. */
int ar_plan_shard(const ar_shape_list *shapes, int k, int n, unsigned char *keep);

/* order[0..count) = shape indices, heaviest first (ties by index). 0 or -1. */
int ar_plan_heavy_first(const ar_shape_list *shapes, size_t *order);

/* Parse "K/N" (1 <= K <= N <= 100000).  0, or -1. */
int ar_plan_parse_shard(const char *text, int *k, int *n);

#endif /* AR_PLAN_SHARD_H */
