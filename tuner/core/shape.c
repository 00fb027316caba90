/*
** shape.c -- shape lists, a shape's sequences, comparison, its text forms
** and FLOP count (see shape.h).
*/
#include "shape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ar_shape_list_free(ar_shape_list *l) {
  for (size_t i = 0; i < l->count; i++) free(l->items[i].seqs);
  free(l->items);
  l->items = NULL;
  l->count = l->capacity = 0;
}

int ar_shape_list_push(ar_shape_list *l, const ar_shape *s) {
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? l->capacity * 2 : 64;
    ar_shape *n = realloc(l->items, cap * sizeof *n);
    if (!n) {
      free(s->seqs);
      return -1;
    }
    l->items = n;
    l->capacity = cap;
  }
  l->items[l->count++] = *s;
  return 0;
}

ar_seq ar_shape_seq(const ar_shape *s, int32_t b) {
  if (s->seqs) return s->seqs[b];
  ar_seq q = {s->seqlen_q, s->seqlen_q + s->cached};
  return q;
}

int ar_shape_same(const ar_shape *a, const ar_shape *b) {
  const attnroute_problem *p = &a->p, *q = &b->p;
  if (p->num_seqs != q->num_seqs || p->num_q_heads != q->num_q_heads || p->num_kv_heads != q->num_kv_heads ||
      p->head_dim != q->head_dim || p->q_dtype != q->q_dtype || p->kv_dtype != q->kv_dtype ||
      p->has_sinks != q->has_sinks || p->sliding_window != q->sliding_window ||
      p->kv_block_size != q->kv_block_size || p->causal != q->causal || a->seqlen_q != b->seqlen_q ||
      a->cached != b->cached || !a->seqs != !b->seqs)
    return 0;
  return !a->seqs || memcmp(a->seqs, b->seqs, (size_t)p->num_seqs * sizeof *a->seqs) == 0;
}

char *ar_shape_seqs_text(const ar_shape *s) {
  size_t n = s->seqs ? (size_t)s->p.num_seqs : 0, len = 0;
  char *t = malloc(n * 24 + 1);
  if (!t) return NULL;
  t[0] = '\0';
  for (size_t b = 0; b < n; b++)
    len += (size_t)sprintf(t + len, "%s%d:%d", b ? "," : "", s->seqs[b].sq, s->seqs[b].ctx);
  return t;
}

/* Visible keys summed over the sq query rows of one sequence with `cached`
** prefix keys: row i sees i + cached + 1 keys when causal (all sq + cached
** when not), at most `window` when there is one. */
static double visible_keys(double sq, double cached, int causal, int32_t window) {
  double sk = sq + cached;
  if (!causal) return sq * (window > 0 && window < sk ? window : sk);
  /* rows see a = cached + 1 ... cached + sq keys */
  double a = cached + 1, b = cached + sq;
  if (window <= 0 || b <= window) return (a + b) * sq / 2;
  if (a >= window) return sq * window;
  double below = window - a; /* rows a .. window - 1 see fewer than window */
  return (a + window - 1) * below / 2 + (sq - below) * window;
}

double ar_shape_flops(const ar_shape *s) {
  const attnroute_problem *p = &s->p;
  double visible = 0;
  if (s->seqs) {
    for (int32_t b = 0; b < p->num_seqs; b++)
      visible += visible_keys(s->seqs[b].sq, (double)s->seqs[b].ctx - s->seqs[b].sq, p->causal,
                              p->sliding_window);
  } else {
    visible = p->num_seqs * visible_keys(s->seqlen_q, s->cached, p->causal, p->sliding_window);
  }
  return 4.0 * visible * p->num_q_heads * p->head_dim;
}

void ar_shape_describe(const ar_shape *s, char *buf, size_t len) {
  if (s->seqs) {
    snprintf(buf, len, "ns=%d ragged sq<=%d ctx<=%d (total q %lld, k %lld) hq=%d hkv=%d d=%d sinks=%d win=%d page=%d",
             s->p.num_seqs, s->seqlen_q, s->p.max_seqlen_k, (long long)s->total_q, (long long)s->total_k,
             s->p.num_q_heads, s->p.num_kv_heads, s->p.head_dim, s->p.has_sinks, s->p.sliding_window,
             s->p.kv_block_size);
    return;
  }
  snprintf(buf, len, "ns=%d sq=%d cached=%d hq=%d hkv=%d d=%d sinks=%d win=%d page=%d", s->p.num_seqs,
           s->seqlen_q, s->cached, s->p.num_q_heads, s->p.num_kv_heads, s->p.head_dim, s->p.has_sinks,
           s->p.sliding_window, s->p.kv_block_size);
}
