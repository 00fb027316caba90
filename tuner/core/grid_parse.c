/*
** grid_parse.c -- the line-parsing pieces shared by the grid / shape-list
** parser (grid.c) and the trace parser (trace.c); see grid_parse.h.
*/
#include "grid_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ar_parse_fail(ar_parser *ps, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->name, ps->line);
  if (n < 0 || (size_t)n >= ps->errlen) return -1;
  va_start(ap, fmt);
  vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

int ar_parse_int(ar_parser *ps, const char *key, const char *tok, long lo, long hi, int32_t *out) {
  char *end;
  errno = 0;
  long v = strtol(tok, &end, 10);
  if (end == tok) return ar_parse_fail(ps, "%s: '%s' is not an integer", key, tok);
  if (*end == 'k' || *end == 'K') {
    if (v > LONG_MAX / 1024 || v < LONG_MIN / 1024) errno = ERANGE;
    else v *= 1024;
    end++;
  }
  if (*end != '\0') return ar_parse_fail(ps, "%s: '%s' is not an integer", key, tok);
  if (errno == ERANGE || v < lo || v > hi)
    return ar_parse_fail(ps, "%s: %s is out of range [%ld, %ld]", key, tok, lo, hi);
  *out = (int32_t)v;
  return 0;
}

int ar_parse_tokens(char *line, char **tok, int max) {
  int n = 0;
  char *save = NULL;
  for (char *s = strtok_r(line, " \t\r", &save); s; s = strtok_r(NULL, " \t\r", &save)) {
    if (n == max) return -1;
    tok[n++] = s;
  }
  return n;
}

int ar_line_next(ar_line_reader *r, ar_parser *ps, char **line) {
  if (!r->next || !*r->next) return 0;
  const char *s = r->next;
  const char *nl = strchr(s, '\n');
  size_t len = nl ? (size_t)(nl - s) : strlen(s);
  ps->line++;
  if (len + 1 > r->cap) {
    size_t cap = r->cap ? r->cap : 256;
    while (cap < len + 1) cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b) return ar_parse_fail(ps, "out of memory");
    r->buf = b;
    r->cap = cap;
  }
  memcpy(r->buf, s, len);
  r->buf[len] = '\0';
  r->next = s + len + (nl ? 1 : 0);
  char *hash = strchr(r->buf, '#');
  if (hash) *hash = '\0';
  *line = r->buf;
  return 1;
}

void ar_line_reader_free(ar_line_reader *r) {
  free(r->buf);
  r->buf = NULL;
  r->cap = 0;
}

int ar_parse_key(ar_parser *ps, const char *key, const char *val, attnroute_problem *p,
                 ar_shape_keys *k) {
  int32_t v;
  if (strcmp(key, "dtype") == 0 || strcmp(key, "kv_dtype") == 0) {
    int d = attnroute_dtype_parse(val);
    if (d < 0) return ar_parse_fail(ps, "%s: unknown dtype '%s' (bf16, fp16, fp8_e4m3, fp32)", key, val);
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
    if (ar_parse_int(ps, key, val, keys[i].lo, keys[i].hi, &v)) return -1;
    switch (i) {
      case 0: p->head_dim = v; break;
      case 1: p->has_sinks = v; break;
      case 2:
        if (v == 0) return ar_parse_fail(ps, "window: 0 is not a width (use -1 for none)");
        p->sliding_window = v;
        break;
      case 3: p->kv_block_size = v; break;
      case 4: p->causal = v; break;
      case 5: p->num_seqs = v; break;
      case 6: k->seqlen_q = v; break;
      case 7: k->cached = v; break;
      case 8: k->q_heads = v; break;
      case 9: k->kv_heads = v; break;
    }
    return 1;
  }
  return 0;
}

/* A signed length with an optional k suffix, stopping at end; 0 or -1. */
static int parse_len(const char *text, const char *end, long long *out) {
  char buf[32];
  size_t n = (size_t)(end - text);
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, text, n);
  buf[n] = '\0';
  char *stop;
  errno = 0;
  long long v = strtoll(buf, &stop, 10);
  if (stop == buf || errno == ERANGE) return -1;
  if (*stop == 'k' || *stop == 'K') {
    if (v > LLONG_MAX / 1024 || v < LLONG_MIN / 1024) return -1;
    v *= 1024;
    stop++;
  }
  if (*stop != '\0') return -1;
  *out = v;
  return 0;
}

int ar_parse_seq(ar_parser *ps, const char *tok, ar_seq *out) {
  const char *colon = strchr(tok, ':');
  if (!colon) return ar_parse_fail(ps, "sequence '%.40s': expected sq:ctx", tok);
  long long sq, ctx;
  if (parse_len(tok, colon, &sq) || parse_len(colon + 1, colon + 1 + strlen(colon + 1), &ctx))
    return ar_parse_fail(ps, "sequence '%.40s': expected sq:ctx, two integers", tok);
  if (sq <= 0 || ctx <= 0)
    return ar_parse_fail(ps, "sequence '%.40s': lengths must be positive", tok);
  if (sq > (1 << 24) || ctx > (1 << 27))
    return ar_parse_fail(ps, "sequence '%.40s': too long (sq at most %d, ctx at most %d)", tok, 1 << 24,
                         1 << 27);
  if (ctx < sq)
    return ar_parse_fail(ps, "sequence '%.40s': context %lld is below sq %lld (ctx counts the new tokens too)",
                         tok, ctx, sq);
  out->sq = (int32_t)sq;
  out->ctx = (int32_t)ctx;
  return 0;
}

void ar_shape_set_uniform(ar_shape *s, int32_t seqlen_q, int32_t cached) {
  s->seqs = NULL;
  s->seqlen_q = seqlen_q;
  s->cached = cached;
  s->p.max_seqlen_q = seqlen_q;
  s->p.max_seqlen_k = seqlen_q + cached;
  s->p.has_cached = cached > 0;
  s->total_q = (int64_t)s->p.num_seqs * seqlen_q;
  s->total_k = (int64_t)s->p.num_seqs * (seqlen_q + cached);
}

int ar_shape_set_seqs(ar_parser *ps, ar_shape *s, ar_seq *seqs, int32_t n) {
  if (n < 1) {
    free(seqs);
    return ar_parse_fail(ps, "no sequences");
  }
  if (n > AR_MAX_BATCH_SEQS) {
    free(seqs);
    return ar_parse_fail(ps, "%d sequences in one batch (at most %d)", n, AR_MAX_BATCH_SEQS);
  }
  int32_t max_sq = 0, max_ctx = 0;
  int64_t tq = 0, tk = 0;
  int equal = 1, any_cached = 0;
  for (int32_t b = 0; b < n; b++) {
    if (seqs[b].sq > max_sq) max_sq = seqs[b].sq;
    if (seqs[b].ctx > max_ctx) max_ctx = seqs[b].ctx;
    if (seqs[b].ctx > seqs[b].sq) any_cached = 1;
    tq += seqs[b].sq;
    tk += seqs[b].ctx;
    if (seqs[b].sq != seqs[0].sq || seqs[b].ctx != seqs[0].ctx) equal = 0;
  }
  if (tk > AR_MAX_BATCH_TOKENS) {
    free(seqs);
    return ar_parse_fail(ps, "%lld keys over the batch (at most %d)", (long long)tk, AR_MAX_BATCH_TOKENS);
  }
  s->p.num_seqs = n;
  if (equal) {
    int32_t sq = seqs[0].sq, cached = seqs[0].ctx - seqs[0].sq;
    free(seqs);
    ar_shape_set_uniform(s, sq, cached);
    return 0;
  }
  s->seqs = seqs;
  s->seqlen_q = max_sq;
  s->cached = max_ctx - max_sq;
  s->p.max_seqlen_q = max_sq;
  s->p.max_seqlen_k = max_ctx;
  s->p.has_cached = any_cached;
  s->total_q = tq;
  s->total_k = tk;
  return 0;
}
