/*
** grid.c -- parser for grid files and shape lists (format in grid.h), the
** shape descriptions and FLOP counts the planner and progress use.
*/
#include "grid.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AXIS 64
#define MAX_HEADS 32

static const char *const dtype_names[ATTNROUTE_NUM_DTYPES] = {"bf16", "fp16", "fp8_e4m3", "fp32"};

const char *ar_dtype_name(int dtype) {
  return (dtype >= 0 && dtype < ATTNROUTE_NUM_DTYPES) ? dtype_names[dtype] : "unknown";
}

int ar_dtype_parse(const char *s) {
  for (int i = 0; i < ATTNROUTE_NUM_DTYPES; i++)
    if (strcmp(s, dtype_names[i]) == 0) return i;
  return -1;
}

void ar_shape_list_free(ar_shape_list *l) {
  free(l->items);
  l->items = NULL;
  l->count = l->capacity = 0;
}

static int list_push(ar_shape_list *l, const ar_shape *s) {
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? l->capacity * 2 : 64;
    ar_shape *n = realloc(l->items, cap * sizeof *n);
    if (!n) return -1;
    l->items = n;
    l->capacity = cap;
  }
  l->items[l->count++] = *s;
  return 0;
}

/* Parser state: the current line for messages. */
typedef struct parser {
  const char *name;
  int line;
  char *err;
  size_t errlen;
} parser;

static int fail(parser *ps, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->name, ps->line);
  if (n < 0 || (size_t)n >= ps->errlen) return -1;
  va_start(ap, fmt);
  vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* An integer with an optional k suffix (x1024), in [lo, hi]. */
static int parse_int(parser *ps, const char *key, const char *tok, long lo, long hi, int32_t *out) {
  char *end;
  errno = 0;
  long v = strtol(tok, &end, 10);
  if (end == tok) return fail(ps, "%s: '%s' is not an integer", key, tok);
  if (*end == 'k' || *end == 'K') {
    if (v > LONG_MAX / 1024 || v < LONG_MIN / 1024) errno = ERANGE;
    else v *= 1024; /* only when it fits */
    end++;
  }
  if (*end != '\0') return fail(ps, "%s: '%s' is not an integer", key, tok);
  if (errno == ERANGE || v < lo || v > hi)
    return fail(ps, "%s: %s is out of range [%ld, %ld]", key, tok, lo, hi);
  *out = (int32_t)v;
  return 0;
}

/* Split line into whitespace tokens in place (comments already cut). */
static int tokenize(char *line, char **tok, int max) {
  int n = 0;
  for (char *s = strtok(line, " \t\r"); s; s = strtok(NULL, " \t\r")) {
    if (n == max) return -1;
    tok[n++] = s;
  }
  return n;
}

/* One key=value of a class or shape line into p / seqlen_q / cached.
** Returns 1 when the key was recognised, 0 when not, -1 on a bad value. */
static int apply_key(parser *ps, const char *key, const char *val, attnroute_problem *p,
                     int32_t *seqlen_q, int32_t *cached, int32_t *q_heads, int32_t *kv_heads) {
  int32_t v;
  if (strcmp(key, "dtype") == 0 || strcmp(key, "kv_dtype") == 0) {
    int d = ar_dtype_parse(val);
    if (d < 0) return fail(ps, "%s: unknown dtype '%s' (bf16, fp16, fp8_e4m3, fp32)", key, val);
    if (key[0] == 'd') p->q_dtype = d;
    else p->kv_dtype = d;
    return 1;
  }
  static const struct {
    const char *key;
    long lo, hi;
  } keys[] = {{"head_dim", 1, 1024},     {"sinks", 0, 1},          {"window", -1, 1 << 30},
              {"block", 1, 1 << 20},     {"causal", 0, 1},         {"num_seqs", 1, 1 << 20},
              {"seqlen_q", 1, 1 << 24},  {"cached", 0, 1 << 26},   {"q_heads", 1, 4096},
              {"kv_heads", 1, 4096}};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (strcmp(key, keys[i].key) != 0) continue;
    if (parse_int(ps, key, val, keys[i].lo, keys[i].hi, &v)) return -1;
    switch (i) {
      case 0: p->head_dim = v; break;
      case 1: p->has_sinks = v; break;
      case 2:
        if (v == 0) return fail(ps, "window: 0 is not a width (use -1 for none)");
        p->sliding_window = v;
        break;
      case 3: p->kv_block_size = v; break;
      case 4: p->causal = v; break;
      case 5: p->num_seqs = v; break;
      case 6: *seqlen_q = v; break;
      case 7: *cached = v; break;
      case 8: *q_heads = v; break;
      case 9: *kv_heads = v; break;
    }
    return 1;
  }
  return 0;
}

/* Whether key tok[i] (its '=' already cut) was given before, in tok[from..i). */
static int key_repeated(char **tok, int from, int i) {
  for (int j = from; j < i; j++)
    if (strcmp(tok[j], tok[i]) == 0) return 1;
  return 0;
}

static void shape_finish(ar_shape *s, int32_t seqlen_q, int32_t cached, int32_t hq, int32_t hkv) {
  s->seqlen_q = seqlen_q;
  s->cached = cached;
  s->p.num_q_heads = hq;
  s->p.num_kv_heads = hkv;
  s->p.max_seqlen_q = seqlen_q;
  s->p.max_seqlen_k = seqlen_q + cached;
  s->p.has_cached = cached > 0;
}

/* A grid section being collected. */
typedef struct section {
  int open;
  int class_line;
  attnroute_problem p;
  int32_t heads[MAX_HEADS][2];
  int nheads;
  int32_t num_seqs[MAX_AXIS], seqlen_q[MAX_AXIS], cached[MAX_AXIS];
  int nns, nsq, ncached;
  int32_t max_tokens; /* 0 = no cap */
} section;

static int section_emit(parser *ps, section *sec, ar_shape_list *out) {
  if (!sec->open) return 0;
  ps->line = sec->class_line;
  if (!sec->nheads) return fail(ps, "class has no 'heads' line");
  if (!sec->nns) return fail(ps, "class has no 'num_seqs' line");
  if (!sec->nsq) return fail(ps, "class has no 'seqlen_q' line");
  if (!sec->ncached) return fail(ps, "class has no 'cached' line");
  /* Count first (at most 32 x 64^3 products): a few hundred bytes of grid
  ** must not expand into millions of shapes and gigabytes. */
  size_t count = 0;
  for (int a = 0; a < sec->nns; a++)
    for (int b = 0; b < sec->nsq; b++)
      if (!sec->max_tokens || (int64_t)sec->num_seqs[a] * sec->seqlen_q[b] <= sec->max_tokens)
        count += (size_t)sec->nheads * (size_t)sec->ncached;
  if (out->count + count > AR_GRID_MAX_SHAPES)
    return fail(ps, "the grid expands to more than %d shapes (this class: %zu); split it or "
                    "thin its axes", AR_GRID_MAX_SHAPES, count);
  for (int h = 0; h < sec->nheads; h++)
    for (int a = 0; a < sec->nns; a++)
      for (int b = 0; b < sec->nsq; b++)
        for (int c = 0; c < sec->ncached; c++) {
          if (sec->max_tokens && (int64_t)sec->num_seqs[a] * sec->seqlen_q[b] > sec->max_tokens)
            continue;
          ar_shape s;
          s.p = sec->p;
          s.p.num_seqs = sec->num_seqs[a];
          shape_finish(&s, sec->seqlen_q[b], sec->cached[c], sec->heads[h][0], sec->heads[h][1]);
          if (list_push(out, &s)) return fail(ps, "out of memory");
        }
  sec->open = 0;
  return 0;
}

static int parse_axis(parser *ps, char **tok, int n, int32_t *vals, int *count, long lo, long hi) {
  if (n < 2) return fail(ps, "'%s' needs at least one value", tok[0]);
  if (n - 1 > MAX_AXIS) return fail(ps, "'%s' has more than %d values", tok[0], MAX_AXIS);
  for (int i = 1; i < n; i++) {
    if (parse_int(ps, tok[0], tok[i], lo, hi, &vals[i - 1])) return -1;
    for (int j = 0; j < i - 1; j++)
      if (vals[j] == vals[i - 1]) return fail(ps, "'%s': value %s is listed twice", tok[0], tok[i]);
  }
  *count = n - 1;
  return 0;
}

static int parse_class_line(parser *ps, section *sec, char **tok, int n) {
  memset(sec, 0, sizeof *sec);
  sec->open = 1;
  sec->class_line = ps->line;
  attnroute_problem_init(&sec->p);
  sec->p.head_dim = 0;
  for (int i = 1; i < n; i++) {
    char *eq = strchr(tok[i], '=');
    if (!eq) return fail(ps, "class: expected key=value, got '%s'", tok[i]);
    *eq = '\0';
    if (key_repeated(tok, 1, i)) return fail(ps, "class: '%s' is given twice", tok[i]);
    int32_t unused_sq = 0, unused_c = 0, unused_hq = 0, unused_hkv = 0;
    if (strcmp(tok[i], "num_seqs") == 0 || strcmp(tok[i], "seqlen_q") == 0 ||
        strcmp(tok[i], "cached") == 0 || strcmp(tok[i], "q_heads") == 0 ||
        strcmp(tok[i], "kv_heads") == 0)
      return fail(ps, "class: '%s' is an axis, give it its own line", tok[i]);
    int r = apply_key(ps, tok[i], eq + 1, &sec->p, &unused_sq, &unused_c, &unused_hq, &unused_hkv);
    if (r < 0) return -1;
    if (r == 0)
      return fail(ps, "class: unknown key '%s' (head_dim, sinks, window, block, dtype, kv_dtype, causal)",
                  tok[i]);
  }
  if (sec->p.head_dim == 0) return fail(ps, "class: head_dim is required");
  return 0;
}

static int parse_heads(parser *ps, section *sec, char **tok, int n) {
  if (n < 2) return fail(ps, "'heads' needs at least one q/kv pair");
  if (n - 1 > MAX_HEADS) return fail(ps, "'heads' has more than %d pairs", MAX_HEADS);
  for (int i = 1; i < n; i++) {
    char *slash = strchr(tok[i], '/');
    if (!slash) return fail(ps, "heads: expected q_heads/kv_heads, got '%s'", tok[i]);
    *slash = '\0';
    int32_t hq, hkv;
    if (parse_int(ps, "heads", tok[i], 1, 4096, &hq) || parse_int(ps, "heads", slash + 1, 1, 4096, &hkv))
      return -1;
    if (hq % hkv) return fail(ps, "heads: %d q heads are not a multiple of %d kv heads", hq, hkv);
    sec->heads[i - 1][0] = hq;
    sec->heads[i - 1][1] = hkv;
  }
  sec->nheads = n - 1;
  return 0;
}

static int parse_grid_line(parser *ps, section *sec, char **tok, int n, ar_shape_list *out) {
  if (strcmp(tok[0], "class") == 0) {
    if (section_emit(ps, sec, out)) return -1;
    return parse_class_line(ps, sec, tok, n);
  }
  if (!sec->open) return fail(ps, "'%s' before any 'class' line", tok[0]);
  if (strcmp(tok[0], "heads") == 0) return parse_heads(ps, sec, tok, n);
  if (strcmp(tok[0], "num_seqs") == 0)
    return parse_axis(ps, tok, n, sec->num_seqs, &sec->nns, 1, 1 << 20);
  if (strcmp(tok[0], "seqlen_q") == 0)
    return parse_axis(ps, tok, n, sec->seqlen_q, &sec->nsq, 1, 1 << 24);
  if (strcmp(tok[0], "cached") == 0)
    return parse_axis(ps, tok, n, sec->cached, &sec->ncached, 0, 1 << 26);
  if (strcmp(tok[0], "max_tokens") == 0) {
    if (n != 2) return fail(ps, "'max_tokens' takes one value");
    return parse_int(ps, "max_tokens", tok[1], 1, INT32_MAX, &sec->max_tokens);
  }
  return fail(ps, "unknown line '%s' (class, heads, num_seqs, seqlen_q, cached, max_tokens)", tok[0]);
}

static int parse_shape_line(parser *ps, char **tok, int n, ar_shape_list *out) {
  ar_shape s;
  attnroute_problem_init(&s.p);
  s.p.head_dim = 0;
  s.p.num_seqs = 0;
  int32_t sq = -1, cached = -1, hq = 0, hkv = 0;
  for (int i = 0; i < n; i++) {
    char *eq = strchr(tok[i], '=');
    if (!eq) return fail(ps, "expected key=value, got '%s'", tok[i]);
    *eq = '\0';
    if (key_repeated(tok, 0, i)) return fail(ps, "'%s' is given twice", tok[i]);
    int r = apply_key(ps, tok[i], eq + 1, &s.p, &sq, &cached, &hq, &hkv);
    if (r < 0) return -1;
    if (r == 0) return fail(ps, "unknown key '%s'", tok[i]);
  }
  if (!s.p.head_dim) return fail(ps, "head_dim is required");
  if (!s.p.num_seqs) return fail(ps, "num_seqs is required");
  if (sq < 0) return fail(ps, "seqlen_q is required");
  if (cached < 0) return fail(ps, "cached is required");
  if (!hq || !hkv) return fail(ps, "q_heads and kv_heads are required");
  if (out->count >= AR_GRID_MAX_SHAPES) return fail(ps, "more than %d shapes", AR_GRID_MAX_SHAPES);
  if (hq % hkv) return fail(ps, "%d q heads are not a multiple of %d kv heads", hq, hkv);
  shape_finish(&s, sq, cached, hq, hkv);
  if (list_push(out, &s)) return fail(ps, "out of memory");
  return 0;
}

/* Order shapes by every field that identifies them in the db. */
static int shape_cmp(const void *pa, const void *pb) {
  const ar_shape *a = *(const ar_shape *const *)pa, *b = *(const ar_shape *const *)pb;
  const int64_t ka[] = {a->p.head_dim, a->p.q_dtype, a->p.kv_dtype, a->p.has_sinks != 0,
                        a->p.sliding_window < 0 ? -1 : a->p.sliding_window, a->p.kv_block_size,
                        a->p.causal != 0, a->p.num_seqs, a->seqlen_q, a->cached, a->p.num_q_heads,
                        a->p.num_kv_heads};
  const int64_t kb[] = {b->p.head_dim, b->p.q_dtype, b->p.kv_dtype, b->p.has_sinks != 0,
                        b->p.sliding_window < 0 ? -1 : b->p.sliding_window, b->p.kv_block_size,
                        b->p.causal != 0, b->p.num_seqs, b->seqlen_q, b->cached, b->p.num_q_heads,
                        b->p.num_kv_heads};
  for (size_t i = 0; i < sizeof ka / sizeof ka[0]; i++)
    if (ka[i] != kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return 0;
}

/* A shape listed twice would be measured twice, the second result silently
** replacing the first: refuse it, naming the shape. */
static int refuse_duplicates(const char *name, const ar_shape_list *out, size_t start, char *err,
                             size_t errlen) {
  size_t n = out->count - start;
  if (n < 2) return 0;
  const ar_shape **order = malloc(n * sizeof *order);
  if (!order) {
    snprintf(err, errlen, "%s: out of memory", name);
    return -1;
  }
  for (size_t i = 0; i < n; i++) order[i] = &out->items[start + i];
  qsort(order, n, sizeof *order, shape_cmp);
  int rc = 0;
  for (size_t i = 1; i < n && !rc; i++) {
    if (shape_cmp(&order[i - 1], &order[i]) != 0) continue;
    char desc[160];
    ar_shape_describe(order[i], desc, sizeof desc);
    snprintf(err, errlen, "%s: shape %s is listed twice (overlapping classes or repeated lines)",
             name, desc);
    rc = -1;
  }
  free(order);
  return rc;
}

static int parse_into(const char *text, const char *name, int is_shape_list, ar_shape_list *out,
                      char *err, size_t errlen) {
  parser ps = {name, 0, err, errlen};
  section sec;
  memset(&sec, 0, sizeof sec);
  size_t start_count = out->count;
  const char *s = text;
  char line[4096];
  while (*s) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    ps.line++;
    if (len >= sizeof line) return fail(&ps, "line longer than %zu characters", sizeof line - 1);
    memcpy(line, s, len);
    line[len] = '\0';
    s += len + (nl ? 1 : 0);
    if (memchr(line, '\0', len)) return fail(&ps, "NUL byte in text");
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *tok[160];
    int n = tokenize(line, tok, 160);
    if (n < 0) return fail(&ps, "too many fields");
    if (n == 0) continue;
    int r = is_shape_list ? parse_shape_line(&ps, tok, n, out) : parse_grid_line(&ps, &sec, tok, n, out);
    if (r) return -1;
  }
  if (!is_shape_list && section_emit(&ps, &sec, out)) return -1;
  if (refuse_duplicates(name, out, start_count, err, errlen)) return -1;
  if (out->count == start_count) {
    ps.line = 0;
    snprintf(err, errlen, "%s: no shapes (empty %s)", name, is_shape_list ? "shape list" : "grid");
    return -1;
  }
  return 0;
}

int ar_grid_parse(const char *text, const char *name, int is_shape_list, ar_shape_list *out,
                  char *err, size_t errlen) {
  size_t start = out->count;
  if (parse_into(text, name, is_shape_list, out, err, errlen) == 0) return 0;
  out->count = start; /* nothing appended on error */
  return -1;
}

int ar_grid_load(const char *path, int is_shape_list, ar_shape_list *out, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  int rc = -1;
  if (!buf) {
    snprintf(err, errlen, "%s: out of memory", path);
    fclose(f);
    return -1;
  }
  for (;;) {
    if (len + 1 >= cap) {
      if (cap >= (size_t)64 << 20) {
        snprintf(err, errlen, "%s: larger than 64 MiB, not a grid", path);
        goto done;
      }
      char *n = realloc(buf, cap * 2);
      if (!n) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto done;
      }
      buf = n;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - 1 - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
    goto done;
  }
  buf[len] = '\0';
  if (strlen(buf) != len) {
    snprintf(err, errlen, "%s: contains NUL bytes, not a text grid", path);
    goto done;
  }
  rc = ar_grid_parse(buf, path, is_shape_list, out, err, errlen);
done:
  free(buf);
  fclose(f);
  return rc;
}

double ar_shape_flops(const ar_shape *s) {
  const attnroute_problem *p = &s->p;
  double sq = s->seqlen_q, sk = (double)s->seqlen_q + s->cached, visible = 0;
  /* Sum over query rows of visible keys: row i sees min(sk, i + cached + 1)
  ** keys when causal, capped by the window. */
  if (!p->causal) {
    double w = p->sliding_window > 0 ? p->sliding_window : sk;
    visible = sq * (w < sk ? w : sk);
  } else {
    for (int32_t i = 0; i < s->seqlen_q; i++) {
      double v = (double)i + s->cached + 1;
      if (p->sliding_window > 0 && v > p->sliding_window) v = p->sliding_window;
      visible += v;
    }
  }
  (void)sq;
  return 4.0 * visible * p->num_q_heads * p->head_dim * p->num_seqs;
}

void ar_shape_describe(const ar_shape *s, char *buf, size_t len) {
  snprintf(buf, len, "ns=%d sq=%d cached=%d hq=%d hkv=%d d=%d sinks=%d win=%d page=%d", s->p.num_seqs,
           s->seqlen_q, s->cached, s->p.num_q_heads, s->p.num_kv_heads, s->p.head_dim, s->p.has_sinks,
           s->p.sliding_window, s->p.kv_block_size);
}
