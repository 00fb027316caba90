/*
** internal.h -- declarations shared by the runtime's source files.  Not
** installed: engines see attnroute.h only.  Internal names carry the
** attnroute__ prefix (two underscores).
*/
#ifndef ATTNROUTE_INTERNAL_H
#define ATTNROUTE_INTERNAL_H

#include "attnroute.h"

/* "Feature present" for the window: any width <= 0 means no window. */
#define ATTNROUTE__HAS_WINDOW(w) ((w) > 0)

/* The first class of table t whose static features (head dim, q/kv dtype,
** sinks as a boolean, window with any value <= 0 meaning none, page size,
** causal as a boolean) equal those of p; NULL when none does or when the
** table lists no classes. */
const attnroute_class *attnroute__class_find(const attnroute_table *t,
                                             const attnroute_problem *p);

/* Find p's ranking in class c (p must pass attnroute_problem_check).
** Returns ATTNROUTE_OK and sets *slots to ATTNROUTE_TOPK candidate indices
** in rank order; ATTNROUTE_OUT_OF_DOMAIN when an axis value of p (under
** the class's ragged key) lies outside the class's grid past an edge whose
** clamp bit is clear; ATTNROUTE_EMPTY_CELL when the class is malformed
** (NULL or empty or non-ascending or negative axes, unknown lookup or
** ragged key, NULL cells, a tree that does not reach a leaf).  *slots is untouched unless
** ATTNROUTE_OK is returned. */
int attnroute__class_lookup(const attnroute_class *c, const attnroute_problem *p,
                            const uint8_t **slots);

#endif /* ATTNROUTE_INTERNAL_H */
