/*
** plan_shard.c -- plan hash and --shard split (see plan_shard.h).
*/
#include "plan_shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

void ar_plan_hash(const ar_shape_list *shapes, char hex[65]) {
  ar_sha256 h;
  ar_sha256_init(&h);
  char line[256];
  for (size_t i = 0; i < shapes->count; i++) {
    const ar_shape *s = &shapes->items[i];
    const attnroute_problem *p = &s->p;
    const char *q = attnroute_dtype_name(p->q_dtype), *kv = attnroute_dtype_name(p->kv_dtype);
    int n = snprintf(line, sizeof line,
                     "d=%d q=%s kv=%s sinks=%d win=%d page=%d causal=%d hq=%d hkv=%d ns=%d sq=%d cached=%d\n",
                     (int)p->head_dim, q ? q : "?", kv ? kv : "?", p->has_sinks != 0,
                     p->sliding_window < 0 ? -1 : (int)p->sliding_window, (int)p->kv_block_size, p->causal != 0,
                     (int)p->num_q_heads, (int)p->num_kv_heads, (int)p->num_seqs, (int)s->seqlen_q,
                     (int)s->cached);
    if (n > 0) ar_sha256_update(&h, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    for (int32_t b = 0; s->seqs && b < p->num_seqs; b++) { /* a ragged batch: its sequences too */
      n = snprintf(line, sizeof line, "seq %d:%d\n", (int)s->seqs[b].sq, (int)s->seqs[b].ctx);
      if (n > 0) ar_sha256_update(&h, line, (size_t)n);
    }
  }
  ar_sha256_hex(&h, hex);
}

double ar_plan_shape_weight(const ar_shape *s) { return ar_shape_flops(s) * 4 + 5e10; }

static const ar_shape_list *sort_list; /* qsort has no context argument */

static int heavier_first(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  double wi = ar_plan_shape_weight(&sort_list->items[i]), wj = ar_plan_shape_weight(&sort_list->items[j]);
  if (wi != wj) return wi > wj ? -1 : 1;
  return i < j ? -1 : i > j;
}

int ar_plan_heavy_first(const ar_shape_list *shapes, size_t *order) {
  for (size_t i = 0; i < shapes->count; i++) order[i] = i;
  sort_list = shapes;
  qsort(order, shapes->count, sizeof *order, heavier_first);
  sort_list = NULL;
  return 0;
}

int ar_plan_shard(const ar_shape_list *shapes, int k, int n, unsigned char *keep) {
  if (n < 1 || k < 1 || k > n) return -1;
  size_t count = shapes->count;
  size_t *order = malloc((count ? count : 1) * sizeof *order);
  double *load = calloc((size_t)n, sizeof *load);
  if (!order || !load) {
    free(order);
    free(load);
    return -1;
  }
  ar_plan_heavy_first(shapes, order);
  for (size_t r = 0; r < count; r++) {
    int best = 0;
    for (int part = 1; part < n; part++)
      if (load[part] < load[best]) best = part;
    load[best] += ar_plan_shape_weight(&shapes->items[order[r]]);
    keep[order[r]] = best == k - 1;
  }
  free(order);
  free(load);
  return 0;
}

int ar_plan_parse_shard(const char *text, int *k, int *n) {
  char *end;
  errno = 0;
  long a = strtol(text, &end, 10);
  if (end == text || *end != '/' || errno) return -1;
  const char *second = end + 1;
  long b = strtol(second, &end, 10);
  if (end == second || *end || errno) return -1;
  if (b < 1 || b > 100000 || a < 1 || a > b) return -1;
  *k = (int)a;
  *n = (int)b;
  return 0;
}
