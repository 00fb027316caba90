/*
** grid.c -- parser for grid files and shape lists (format in grid.h).
*/
#include "grid.h"

#include "grid_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AXIS 64
#define MAX_HEADS 32

/* Whether key tok[i] (its '=' already cut) was given before, in tok[from..i). */
static int key_repeated(char **tok, int from, int i) {
  for (int j = from; j < i; j++)
    if (strcmp(tok[j], tok[i]) == 0) return 1;
  return 0;
}

static void shape_finish(ar_shape *s, int32_t seqlen_q, int32_t cached, int32_t hq, int32_t hkv) {
  s->p.num_q_heads = hq;
  s->p.num_kv_heads = hkv;
  s->step = ATTNROUTE_STEP_AUTO;
  s->line = 0;
  ar_shape_set_uniform(s, seqlen_q, cached);
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
  int32_t max_tokens;         /* 0 = no cap */
  int32_t max_context_tokens; /* 0 = no cap */
} section;

/* Expand the open section into out.  Its errors name its class line; on
** success the parser's line is left where it was (the next class line). */
static int section_emit(ar_parser *ps, section *sec, ar_shape_list *out) {
  if (!sec->open) return 0;
  int line = ps->line;
  ps->line = sec->class_line;
  if (!sec->nheads) return ar_parse_fail(ps, "class has no 'heads' line");
  if (!sec->nns) return ar_parse_fail(ps, "class has no 'num_seqs' line");
  if (!sec->nsq) return ar_parse_fail(ps, "class has no 'seqlen_q' line");
  if (!sec->ncached) return ar_parse_fail(ps, "class has no 'cached' line");
  /* Count first (at most 32 x 64^3 products): a few hundred bytes of grid
  ** must not expand into millions of shapes and gigabytes. */
  size_t count = 0;
  for (int a = 0; a < sec->nns; a++)
    for (int b = 0; b < sec->nsq; b++)
      for (int c = 0; c < sec->ncached; c++)
        if ((!sec->max_tokens || (int64_t)sec->num_seqs[a] * sec->seqlen_q[b] <= sec->max_tokens) &&
            (!sec->max_context_tokens ||
             (int64_t)sec->num_seqs[a] * ((int64_t)sec->seqlen_q[b] + sec->cached[c]) <= sec->max_context_tokens))
          count += (size_t)sec->nheads;
  if (out->count + count > AR_GRID_MAX_SHAPES)
    return ar_parse_fail(ps, "the grid expands to more than %d shapes (this class: %zu); split it or "
                             "thin its axes",
                         AR_GRID_MAX_SHAPES, count);
  for (int h = 0; h < sec->nheads; h++)
    for (int a = 0; a < sec->nns; a++)
      for (int b = 0; b < sec->nsq; b++)
        for (int c = 0; c < sec->ncached; c++) {
          if (sec->max_tokens && (int64_t)sec->num_seqs[a] * sec->seqlen_q[b] > sec->max_tokens)
            continue;
          if (sec->max_context_tokens &&
              (int64_t)sec->num_seqs[a] * ((int64_t)sec->seqlen_q[b] + sec->cached[c]) > sec->max_context_tokens)
            continue;
          ar_shape s;
          memset(&s, 0, sizeof s);
          s.p = sec->p;
          s.p.num_seqs = sec->num_seqs[a];
          shape_finish(&s, sec->seqlen_q[b], sec->cached[c], sec->heads[h][0], sec->heads[h][1]);
          if (ar_shape_list_push(out, &s)) return ar_parse_fail(ps, "out of memory");
        }
  sec->open = 0;
  ps->line = line;
  return 0;
}

static int parse_axis(ar_parser *ps, char **tok, int n, int32_t *vals, int *count, long lo, long hi) {
  if (n < 2) return ar_parse_fail(ps, "'%s' needs at least one value", tok[0]);
  if (n - 1 > MAX_AXIS) return ar_parse_fail(ps, "'%s' has more than %d values", tok[0], MAX_AXIS);
  for (int i = 1; i < n; i++) {
    if (ar_parse_int(ps, tok[0], tok[i], lo, hi, &vals[i - 1])) return -1;
    for (int j = 0; j < i - 1; j++)
      if (vals[j] == vals[i - 1]) return ar_parse_fail(ps, "'%s': value %s is listed twice", tok[0], tok[i]);
  }
  *count = n - 1;
  return 0;
}

static int parse_class_line(ar_parser *ps, section *sec, char **tok, int n) {
  memset(sec, 0, sizeof *sec);
  sec->open = 1;
  sec->class_line = ps->line;
  attnroute_problem_init(&sec->p);
  sec->p.head_dim = 0;
  for (int i = 1; i < n; i++) {
    char *eq = strchr(tok[i], '=');
    if (!eq) return ar_parse_fail(ps, "class: expected key=value, got '%s'", tok[i]);
    *eq = '\0';
    if (key_repeated(tok, 1, i)) return ar_parse_fail(ps, "class: '%s' is given twice", tok[i]);
    ar_shape_keys unused = {-1, -1, 0, 0};
    if (strcmp(tok[i], "num_seqs") == 0 || strcmp(tok[i], "seqlen_q") == 0 ||
        strcmp(tok[i], "cached") == 0 || strcmp(tok[i], "q_heads") == 0 ||
        strcmp(tok[i], "kv_heads") == 0)
      return ar_parse_fail(ps, "class: '%s' is an axis, give it its own line", tok[i]);
    int r = ar_parse_key(ps, tok[i], eq + 1, &sec->p, &unused);
    if (r < 0) return -1;
    if (r == 0)
      return ar_parse_fail(ps, "class: unknown key '%s' (head_dim, sinks, window, block, dtype, kv_dtype, causal)",
                           tok[i]);
  }
  if (sec->p.head_dim == 0) return ar_parse_fail(ps, "class: head_dim is required");
  return 0;
}

static int parse_heads(ar_parser *ps, section *sec, char **tok, int n) {
  if (n < 2) return ar_parse_fail(ps, "'heads' needs at least one q/kv pair");
  if (n - 1 > MAX_HEADS) return ar_parse_fail(ps, "'heads' has more than %d pairs", MAX_HEADS);
  for (int i = 1; i < n; i++) {
    char *slash = strchr(tok[i], '/');
    if (!slash) return ar_parse_fail(ps, "heads: expected q_heads/kv_heads, got '%s'", tok[i]);
    *slash = '\0';
    int32_t hq, hkv;
    if (ar_parse_int(ps, "heads", tok[i], 1, 4096, &hq) || ar_parse_int(ps, "heads", slash + 1, 1, 4096, &hkv))
      return -1;
    if (hq % hkv) return ar_parse_fail(ps, "heads: %d q heads are not a multiple of %d kv heads", hq, hkv);
    sec->heads[i - 1][0] = hq;
    sec->heads[i - 1][1] = hkv;
  }
  sec->nheads = n - 1;
  return 0;
}

static int parse_grid_line(ar_parser *ps, section *sec, char **tok, int n, ar_shape_list *out) {
  if (strcmp(tok[0], "class") == 0) {
    if (section_emit(ps, sec, out)) return -1;
    return parse_class_line(ps, sec, tok, n);
  }
  if (!sec->open) return ar_parse_fail(ps, "'%s' before any 'class' line", tok[0]);
  if (strcmp(tok[0], "heads") == 0) return parse_heads(ps, sec, tok, n);
  if (strcmp(tok[0], "num_seqs") == 0)
    return parse_axis(ps, tok, n, sec->num_seqs, &sec->nns, 1, 1 << 20);
  if (strcmp(tok[0], "seqlen_q") == 0)
    return parse_axis(ps, tok, n, sec->seqlen_q, &sec->nsq, 1, 1 << 24);
  if (strcmp(tok[0], "cached") == 0)
    return parse_axis(ps, tok, n, sec->cached, &sec->ncached, 0, 1 << 26);
  if (strcmp(tok[0], "max_tokens") == 0) {
    if (n != 2) return ar_parse_fail(ps, "'max_tokens' takes one value");
    return ar_parse_int(ps, "max_tokens", tok[1], 1, INT32_MAX, &sec->max_tokens);
  }
  if (strcmp(tok[0], "max_context_tokens") == 0) {
    if (n != 2) return ar_parse_fail(ps, "'max_context_tokens' takes one value");
    return ar_parse_int(ps, "max_context_tokens", tok[1], 1, INT32_MAX, &sec->max_context_tokens);
  }
  return ar_parse_fail(ps, "unknown line '%s' (class, heads, num_seqs, seqlen_q, cached, max_tokens, "
                           "max_context_tokens)",
                       tok[0]);
}

/* seqs=sq:ctx,sq:ctx,... into a new array; 0 or -1. */
static int parse_seqs_value(ar_parser *ps, char *val, ar_seq **out, int32_t *count) {
  size_t n = 1;
  for (const char *c = val; *c; c++) n += *c == ',';
  if (n > AR_MAX_BATCH_SEQS)
    return ar_parse_fail(ps, "seqs: %zu sequences in one batch (at most %d)", n, AR_MAX_BATCH_SEQS);
  ar_seq *seqs = malloc(n * sizeof *seqs);
  if (!seqs) return ar_parse_fail(ps, "out of memory");
  int32_t k = 0;
  char *save = NULL;
  for (char *t = strtok_r(val, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (ar_parse_seq(ps, t, &seqs[k])) {
      free(seqs);
      return -1;
    }
    k++;
  }
  if (k == 0) {
    free(seqs);
    return ar_parse_fail(ps, "seqs: no sequences");
  }
  *out = seqs;
  *count = k;
  return 0;
}

/* "prefill" / "decode" as an attnroute_step; -1 otherwise. */
static int parse_step(const char *v) {
  if (strcmp(v, "prefill") == 0) return ATTNROUTE_STEP_PREFILL;
  if (strcmp(v, "decode") == 0) return ATTNROUTE_STEP_DECODE;
  return -1;
}

static int parse_shape_line(ar_parser *ps, char **tok, int n, ar_shape_list *out) {
  ar_shape s;
  memset(&s, 0, sizeof s);
  attnroute_problem_init(&s.p);
  s.p.head_dim = 0;
  s.p.num_seqs = 0;
  ar_shape_keys k = {-1, -1, 0, 0};
  ar_seq *seqs = NULL;
  int32_t nseqs = 0;
  int step = ATTNROUTE_STEP_AUTO;
  for (int i = 0; i < n; i++) {
    char *eq = strchr(tok[i], '=');
    if (!eq) {
      free(seqs);
      return ar_parse_fail(ps, "expected key=value, got '%s'", tok[i]);
    }
    *eq = '\0';
    int r = 1;
    if (key_repeated(tok, 0, i)) r = ar_parse_fail(ps, "'%s' is given twice", tok[i]);
    else if (strcmp(tok[i], "seqs") == 0) {
      r = parse_seqs_value(ps, eq + 1, &seqs, &nseqs) ? -1 : 1;
    } else if (strcmp(tok[i], "step") == 0) {
      step = parse_step(eq + 1);
      if (step < 0) r = ar_parse_fail(ps, "step: '%s' is not prefill or decode", eq + 1);
    } else {
      r = ar_parse_key(ps, tok[i], eq + 1, &s.p, &k);
      if (r == 0) r = ar_parse_fail(ps, "unknown key '%s'", tok[i]);
    }
    if (r < 0) {
      free(seqs);
      return -1;
    }
  }
  const char *missing = !s.p.head_dim ? "head_dim is required"
                        : !k.q_heads || !k.kv_heads ? "q_heads and kv_heads are required"
                                                    : NULL;
  if (!missing && seqs && (s.p.num_seqs || k.seqlen_q >= 0 || k.cached >= 0))
    missing = "seqs= replaces num_seqs, seqlen_q and cached: give one form, not both";
  if (!missing && !seqs)
    missing = !s.p.num_seqs ? "num_seqs is required (or seqs=sq:ctx,...)"
              : k.seqlen_q < 0 ? "seqlen_q is required"
              : k.cached < 0 ? "cached is required"
                             : NULL;
  if (!missing && k.q_heads % k.kv_heads) {
    free(seqs);
    return ar_parse_fail(ps, "%d q heads are not a multiple of %d kv heads", k.q_heads, k.kv_heads);
  }
  if (missing) {
    free(seqs);
    return ar_parse_fail(ps, "%s", missing);
  }
  if (out->count >= AR_GRID_MAX_SHAPES) {
    free(seqs);
    return ar_parse_fail(ps, "more than %d shapes", AR_GRID_MAX_SHAPES);
  }
  s.p.num_q_heads = k.q_heads;
  s.p.num_kv_heads = k.kv_heads;
  if (seqs) {
    if (ar_shape_set_seqs(ps, &s, seqs, nseqs)) return -1;
  } else {
    ar_shape_set_uniform(&s, k.seqlen_q, k.cached);
  }
  s.step = step != ATTNROUTE_STEP_AUTO ? step
           : s.seqlen_q == 1             ? ATTNROUTE_STEP_DECODE
                                         : ATTNROUTE_STEP_PREFILL;
  s.line = ps->line;
  if (ar_shape_list_push(out, &s)) return ar_parse_fail(ps, "out of memory");
  return 0;
}

/* Order shapes by every field that identifies them in the db (a ragged
** batch's sequences last). */
static int shape_cmp(const void *pa, const void *pb) {
  const ar_shape *a = *(const ar_shape *const *)pa, *b = *(const ar_shape *const *)pb;
  const int64_t ka[] = {a->p.head_dim, a->p.q_dtype, a->p.kv_dtype, a->p.has_sinks != 0,
                        a->p.sliding_window < 0 ? -1 : a->p.sliding_window, a->p.kv_block_size,
                        a->p.causal != 0, a->p.num_seqs, a->seqlen_q, a->cached, a->p.num_q_heads,
                        a->p.num_kv_heads, a->seqs != NULL};
  const int64_t kb[] = {b->p.head_dim, b->p.q_dtype, b->p.kv_dtype, b->p.has_sinks != 0,
                        b->p.sliding_window < 0 ? -1 : b->p.sliding_window, b->p.kv_block_size,
                        b->p.causal != 0, b->p.num_seqs, b->seqlen_q, b->cached, b->p.num_q_heads,
                        b->p.num_kv_heads, b->seqs != NULL};
  for (size_t i = 0; i < sizeof ka / sizeof ka[0]; i++)
    if (ka[i] != kb[i]) return ka[i] < kb[i] ? -1 : 1;
  if (!a->seqs) return 0;
  for (int32_t i = 0; i < a->p.num_seqs; i++) {
    if (a->seqs[i].sq != b->seqs[i].sq) return a->seqs[i].sq < b->seqs[i].sq ? -1 : 1;
    if (a->seqs[i].ctx != b->seqs[i].ctx) return a->seqs[i].ctx < b->seqs[i].ctx ? -1 : 1;
  }
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
    char desc[200];
    ar_shape_describe(order[i], desc, sizeof desc);
    const ar_shape *first = order[i - 1]->line && order[i - 1]->line < order[i]->line ? order[i - 1] : order[i];
    const ar_shape *second = first == order[i] ? order[i - 1] : order[i];
    if (first->line)
      snprintf(err, errlen, "%s:%d: shape %s is listed twice (also line %d)", name, second->line, desc,
               first->line);
    else
      snprintf(err, errlen, "%s: shape %s is listed twice (overlapping classes or repeated lines)", name,
               desc);
    rc = -1;
  }
  free(order);
  return rc;
}

static int parse_into(const char *text, const char *name, int is_shape_list, ar_shape_list *out,
                      char *err, size_t errlen) {
  ar_parser ps = {name, 0, err, errlen};
  section sec;
  memset(&sec, 0, sizeof sec);
  size_t start_count = out->count;
  ar_line_reader rd = {text, NULL, 0};
  char *line;
  int got, rc = -1;
  while ((got = ar_line_next(&rd, &ps, &line)) == 1) {
    char *tok[160];
    int n = ar_parse_tokens(line, tok, 160);
    if (n < 0) {
      ar_parse_fail(&ps, "too many fields");
      goto done;
    }
    if (n == 0) continue;
    int r = is_shape_list ? parse_shape_line(&ps, tok, n, out) : parse_grid_line(&ps, &sec, tok, n, out);
    if (r) goto done;
  }
  if (got < 0) goto done;
  if (!is_shape_list && section_emit(&ps, &sec, out)) goto done;
  if (out->count == start_count) {
    snprintf(err, errlen, "%s: no shapes (empty %s)", name, is_shape_list ? "shape list" : "grid");
    goto done;
  }
  if (refuse_duplicates(name, out, start_count, err, errlen)) goto done;
  rc = 0;
done:
  ar_line_reader_free(&rd);
  return rc;
}

int ar_grid_parse(const char *text, const char *name, int is_shape_list, ar_shape_list *out,
                  char *err, size_t errlen) {
  size_t start = out->count;
  if (parse_into(text, name, is_shape_list, out, err, errlen) == 0) return 0;
  for (size_t i = start; i < out->count; i++) free(out->items[i].seqs); /* nothing appended on error */
  out->count = start;
  if (start == 0) ar_shape_list_free(out); /* and nothing held for a caller that bails out */
  return -1;
}

char *ar_text_load(const char *path, size_t max_bytes, const char *what, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) {
    snprintf(err, errlen, "%s: out of memory", path);
    fclose(f);
    return NULL;
  }
  for (;;) {
    if (len + 1 >= cap) {
      if (cap >= max_bytes) {
        snprintf(err, errlen, "%s: larger than %zu MiB, not a %s", path, max_bytes >> 20, what);
        goto fail;
      }
      char *n = realloc(buf, cap * 2);
      if (!n) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
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
    goto fail;
  }
  buf[len] = '\0';
  if (strlen(buf) != len) {
    snprintf(err, errlen, "%s: contains NUL bytes, not a text %s", path, what);
    goto fail;
  }
  fclose(f);
  return buf;
fail:
  free(buf);
  fclose(f);
  return NULL;
}

int ar_grid_load(const char *path, int is_shape_list, ar_shape_list *out, char *err, size_t errlen) {
  char *buf = ar_text_load(path, (size_t)64 << 20, is_shape_list ? "shape list" : "grid", err, errlen);
  if (!buf) return -1;
  int rc = ar_grid_parse(buf, path, is_shape_list, out, err, errlen);
  free(buf);
  return rc;
}
