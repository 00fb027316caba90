/*
** shape.h -- the shapes the tuner measures: one batch of sequences of one
** problem (uniform or ragged), and a growable list of them.  Grid files,
** shape lists (grid.h) and traces (trace.h) parse into these; the planner,
** the worker and the measuring code read them.
*/
#ifndef AR_SHAPE_H
#define AR_SHAPE_H

#include <stddef.h>
#include <stdint.h>
#include "attnroute.h"

/* One sequence of a batch: sq new query tokens attending ctx = cached + sq keys. */
typedef struct ar_seq {
  int32_t sq, ctx;
} ar_seq;

typedef struct ar_shape {
  attnroute_problem p; /* static features, heads, num_seqs; max_seqlen_q/k filled */
  int32_t seqlen_q;    /* uniform: every sequence's sq; ragged: the largest sq */
  int32_t cached;      /* uniform: every sequence's prefix; ragged: max ctx - max sq */
  ar_seq *seqs;        /* ragged: p.num_seqs sequences in batch order, owned by the
                          list holding the shape; NULL: uniform */
  int64_t total_q;     /* new tokens over the batch */
  int64_t total_k;     /* keys (contexts) over the batch */
  int32_t step;        /* attnroute_step from a shape line or trace; AUTO for grids */
  int32_t line;        /* line of the shape list or trace it came from; 0: grid */
} ar_shape;

typedef struct ar_shape_list {
  ar_shape *items;
  size_t count, capacity;
} ar_shape_list;

/* Append a copy of s; the list takes ownership of s->seqs.  0, or -1 when
** out of memory (s->seqs then freed). */
int ar_shape_list_push(ar_shape_list *l, const ar_shape *s);

/* Sequence b of s (uniform or ragged). */
ar_seq ar_shape_seq(const ar_shape *s, int32_t b);

/* Same problem: class, heads and every sequence (batch order). */
int ar_shape_same(const ar_shape *a, const ar_shape *b);

/* The shape table's seqs text of s: "" for a uniform batch, else
** "sq:ctx,sq:ctx,..." in a new buffer (NULL when out of memory); free it. */
char *ar_shape_seqs_text(const ar_shape *s);

void ar_shape_list_free(ar_shape_list *l);

/* Floating-point operations of one call of s: 4 * sq * sk_eff * Hq * D per
** sequence, sk_eff the mean visible keys (summed over a ragged batch). */
double ar_shape_flops(const ar_shape *s);

/* "ns=4 sq=2048 cached=4096 hq=64 hkv=8 d=64 sinks=1 win=-1 page=16"; a
** ragged batch: "ns=3 ragged sq<=16 ctx<=80000 (total q 18, k 112120) ..." */
void ar_shape_describe(const ar_shape *s, char *buf, size_t len);

#endif /* AR_SHAPE_H */
