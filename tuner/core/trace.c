/*
** trace.c -- the trace parser (format in trace.h), the de-duplication of
** identical calls into one shape each, and seeded call sampling.
*/
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid_parse.h"
#include "splitmix.h"

#define MAX_TOKENS (AR_MAX_BATCH_SEQS + 1)

void ar_trace_free(ar_trace *t) {
  ar_shape_list_free(&t->shapes);
  free(t->calls);
  memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- dedup */

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

static uint64_t shape_hash(const ar_shape *s) {
  const attnroute_problem *p = &s->p;
  const int32_t f[] = {p->num_seqs, p->num_q_heads, p->num_kv_heads, p->head_dim, p->q_dtype,
                       p->kv_dtype, p->has_sinks, p->sliding_window, p->kv_block_size, p->causal,
                       s->seqlen_q, s->cached};
  uint64_t h = 0x243f6a8885a308d3ull;
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) h = mix(h, (uint32_t)f[i]);
  if (s->seqs)
    for (int32_t b = 0; b < p->num_seqs; b++)
      h = mix(h, (uint64_t)(uint32_t)s->seqs[b].sq << 32 | (uint32_t)s->seqs[b].ctx);
  return h;
}

/* Open-addressing set of shape indices (SIZE_MAX = empty). */
typedef struct shape_set {
  size_t *slot;
  uint64_t *hash;
  size_t cap, used;
} shape_set;

static int set_grow(shape_set *set, const ar_shape_list *l) {
  size_t cap = set->cap ? set->cap * 2 : 1024;
  size_t *slot = malloc(cap * sizeof *slot);
  uint64_t *hash = malloc(cap * sizeof *hash);
  if (!slot || !hash) {
    free(slot);
    free(hash);
    return -1;
  }
  for (size_t i = 0; i < cap; i++) slot[i] = SIZE_MAX;
  for (size_t i = 0; i < set->cap; i++) {
    if (set->slot[i] == SIZE_MAX) continue;
    size_t j = set->hash[i] & (cap - 1);
    while (slot[j] != SIZE_MAX) j = (j + 1) & (cap - 1);
    slot[j] = set->slot[i];
    hash[j] = set->hash[i];
  }
  (void)l;
  free(set->slot);
  free(set->hash);
  set->slot = slot;
  set->hash = hash;
  set->cap = cap;
  return 0;
}

/* Index of the shape equal to s in l, adding s (the list takes its seqs)
** when there is none; SIZE_MAX when out of memory (s->seqs freed). */
static size_t set_intern(shape_set *set, ar_shape_list *l, ar_shape *s) {
  if ((set->used + 1) * 2 > set->cap && set_grow(set, l)) {
    free(s->seqs);
    return SIZE_MAX;
  }
  uint64_t h = shape_hash(s);
  size_t j = h & (set->cap - 1);
  for (; set->slot[j] != SIZE_MAX; j = (j + 1) & (set->cap - 1)) {
    if (set->hash[j] == h && ar_shape_same(&l->items[set->slot[j]], s)) {
      free(s->seqs);
      return set->slot[j];
    }
  }
  if (ar_shape_list_push(l, s)) return SIZE_MAX;
  set->slot[j] = l->count - 1;
  set->hash[j] = h;
  set->used++;
  return l->count - 1;
}

/* ---------------------------------------------------------------- parse */

typedef struct trace_state {
  int have_magic, have_class;
  attnroute_problem cls; /* current class, heads included */
  size_t cap;
  shape_set set;
} trace_state;

static int parse_class(ar_parser *ps, trace_state *st, char **tok, int n) {
  attnroute_problem p;
  attnroute_problem_init(&p);
  p.head_dim = 0;
  ar_shape_keys k = {-1, -1, 0, 0};
  for (int i = 1; i < n; i++) {
    char *eq = strchr(tok[i], '=');
    if (!eq) return ar_parse_fail(ps, "class: expected key=value, got '%s'", tok[i]);
    *eq = '\0';
    if (strcmp(tok[i], "num_seqs") == 0 || strcmp(tok[i], "seqlen_q") == 0 || strcmp(tok[i], "cached") == 0)
      return ar_parse_fail(ps, "class: '%s' is not a class key (each call gives its sequences)", tok[i]);
    int r = ar_parse_key(ps, tok[i], eq + 1, &p, &k);
    if (r < 0) return -1;
    if (r == 0)
      return ar_parse_fail(ps,
                           "class: unknown key '%s' (head_dim, sinks, window, block, dtype, kv_dtype, causal, "
                           "q_heads, kv_heads)",
                           tok[i]);
  }
  if (!p.head_dim) return ar_parse_fail(ps, "class: head_dim is required");
  if (!k.q_heads || !k.kv_heads) return ar_parse_fail(ps, "class: q_heads and kv_heads are required");
  if (k.q_heads % k.kv_heads)
    return ar_parse_fail(ps, "class: %d q heads are not a multiple of %d kv heads", k.q_heads, k.kv_heads);
  p.num_q_heads = k.q_heads;
  p.num_kv_heads = k.kv_heads;
  st->cls = p;
  st->have_class = 1;
  return 0;
}

static int parse_call(ar_parser *ps, trace_state *st, ar_trace *t, int step, char **tok, int n) {
  if (!st->have_class) return ar_parse_fail(ps, "'%s' call before any 'class' line", tok[0]);
  if (n < 2) return ar_parse_fail(ps, "'%s' call has no sequences (expected sq:ctx ...)", tok[0]);
  ar_seq *seqs = malloc((size_t)(n - 1) * sizeof *seqs);
  if (!seqs) return ar_parse_fail(ps, "out of memory");
  for (int i = 1; i < n; i++)
    if (ar_parse_seq(ps, tok[i], &seqs[i - 1])) {
      free(seqs);
      return -1;
    }
  ar_shape s;
  memset(&s, 0, sizeof s);
  s.p = st->cls;
  if (ar_shape_set_seqs(ps, &s, seqs, n - 1)) return -1;
  s.step = step;
  s.line = ps->line;
  if (t->ncalls == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 256;
    ar_trace_call *c = realloc(t->calls, cap * sizeof *c);
    if (!c) {
      free(s.seqs);
      return ar_parse_fail(ps, "out of memory");
    }
    t->calls = c;
    st->cap = cap;
  }
  size_t idx = set_intern(&st->set, &t->shapes, &s);
  if (idx == SIZE_MAX) return ar_parse_fail(ps, "out of memory");
  t->calls[t->ncalls].step = step;
  t->calls[t->ncalls].line = ps->line;
  t->calls[t->ncalls].shape = idx;
  t->ncalls++;
  return 0;
}

static int parse_line(ar_parser *ps, trace_state *st, ar_trace *t, char **tok, int n) {
  if (!st->have_magic) {
    if (strcmp(tok[0], "attnroute-trace") != 0)
      return ar_parse_fail(ps, "not a trace: the first line must be 'attnroute-trace %d', got '%.40s'",
                           AR_TRACE_VERSION, tok[0]);
    int32_t v;
    if (n != 2) return ar_parse_fail(ps, "'attnroute-trace' takes one value, the version");
    if (ar_parse_int(ps, "attnroute-trace", tok[1], 1, 1000000, &v)) return -1;
    if (v != AR_TRACE_VERSION)
      return ar_parse_fail(ps, "trace version %d is not supported (this build reads version %d)", v,
                           AR_TRACE_VERSION);
    st->have_magic = 1;
    return 0;
  }
  if (strcmp(tok[0], "class") == 0) return parse_class(ps, st, tok, n);
  if (strcmp(tok[0], "prefill") == 0) return parse_call(ps, st, t, ATTNROUTE_STEP_PREFILL, tok, n);
  if (strcmp(tok[0], "decode") == 0) return parse_call(ps, st, t, ATTNROUTE_STEP_DECODE, tok, n);
  if (strcmp(tok[0], "attnroute-trace") == 0) return ar_parse_fail(ps, "a second 'attnroute-trace' line");
  return ar_parse_fail(ps, "unknown word '%.40s' (class, prefill, decode)", tok[0]);
}

int ar_trace_parse(const char *text, const char *name, ar_trace *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  ar_parser ps = {name, 0, err, errlen};
  trace_state st;
  memset(&st, 0, sizeof st);
  ar_line_reader rd = {text, NULL, 0};
  char **tok = malloc(MAX_TOKENS * sizeof *tok);
  char *line;
  int got = 0, rc = -1;
  if (!tok) {
    snprintf(err, errlen, "%s: out of memory", name);
    goto done;
  }
  while ((got = ar_line_next(&rd, &ps, &line)) == 1) {
    int n = ar_parse_tokens(line, tok, MAX_TOKENS);
    if (n < 0) {
      ar_parse_fail(&ps, "more than %d sequences in one call", AR_MAX_BATCH_SEQS);
      goto done;
    }
    if (n && parse_line(&ps, &st, out, tok, n)) goto done;
  }
  if (got < 0) goto done;
  if (!st.have_magic) {
    snprintf(err, errlen, "%s: empty (no 'attnroute-trace %d' line)", name, AR_TRACE_VERSION);
    goto done;
  }
  if (out->ncalls == 0) {
    snprintf(err, errlen, "%s: no calls", name);
    goto done;
  }
  rc = 0;
done:
  free(tok);
  free(st.set.slot);
  free(st.set.hash);
  ar_line_reader_free(&rd);
  if (rc) ar_trace_free(out);
  return rc;
}

int ar_trace_load(const char *path, ar_trace *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  char *buf = ar_text_load(path, (size_t)1 << 30, "trace", err, errlen);
  if (!buf) return -1;
  int rc = ar_trace_parse(buf, path, out, err, errlen);
  free(buf);
  return rc;
}

/* ---------------------------------------------------------------- sample */

/* Selection sampling (Knuth's algorithm S): call i is kept with probability
** (still needed) / (still left), so exactly n are kept, in order. */
int ar_trace_sample(const ar_trace *t, size_t n, uint64_t seed, size_t **picked, size_t *count) {
  size_t total = t->ncalls, want = n == 0 || n > total ? total : n;
  *picked = malloc((want ? want : 1) * sizeof **picked);
  *count = 0;
  if (!*picked) return -1;
  uint64_t s = seed ^ 0x5851f42d4c957f2dull;
  size_t k = 0;
  for (size_t i = 0; i < total && k < want; i++) {
    uint64_t left = total - i, need = want - k;
    /* keep when a uniform draw in [0, left) falls below need */
    uint64_t r = ar_splitmix64(&s) % left; /* bias below 2^-40 for any real trace */
    if (r < need) (*picked)[k++] = i;
  }
  *count = k;
  return 0;
}
