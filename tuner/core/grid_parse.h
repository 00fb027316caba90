/*
** grid_parse.h -- the line-parsing pieces grid.c (grids, shape lists) and
** trace.c (traces) share: messages that name "file:line", integers with a
** k suffix, whitespace tokens, text cut into lines, the class keys, one
** "sq:ctx" sequence, and turning a list of sequences into a shape.
** Private to the tuner.
*/
#ifndef AR_GRID_PARSE_H
#define AR_GRID_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "grid.h"

/* The input being parsed and its current line, for messages. */
typedef struct ar_parser {
  const char *name;
  int line;
  char *err;
  size_t errlen;
} ar_parser;

/* Format "name:line: ..." into ps->err; returns -1. */
int ar_parse_fail(ar_parser *ps, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* An integer with an optional k suffix (x1024), in [lo, hi]; 0 or -1. */
int ar_parse_int(ar_parser *ps, const char *key, const char *tok, long lo, long hi, int32_t *out);

/* Split a line (comments already cut) into whitespace tokens in place;
** the count, or -1 when there are more than max. */
int ar_parse_tokens(char *line, char **tok, int max);

/* Walks text line by line: each call copies the next line (without its
** newline, '#' comment cut) into a growing buffer and counts ps->line.
** Returns 1 with *line set, 0 at the end, -1 on a NUL byte or no memory. */
typedef struct ar_line_reader {
  const char *next;
  char *buf;
  size_t cap;
} ar_line_reader;
int ar_line_next(ar_line_reader *r, ar_parser *ps, char **line);
void ar_line_reader_free(ar_line_reader *r);

/* One key=value of a class or shape line.  1 when the key was recognised,
** 0 when not, -1 on a bad value (message in ps).  The class keys and the
** shape keys num_seqs, seqlen_q, cached, q_heads, kv_heads. */
typedef struct ar_shape_keys {
  int32_t seqlen_q, cached, q_heads, kv_heads; /* -1 / 0 when not given */
} ar_shape_keys;
int ar_parse_key(ar_parser *ps, const char *key, const char *val, attnroute_problem *p,
                 ar_shape_keys *k);

/* One "sq:ctx" sequence: 1 <= sq <= ctx; 0 or -1 (message in ps). */
int ar_parse_seq(ar_parser *ps, const char *tok, ar_seq *out);

/* Most sequences in one batch (ragged shape line or trace call). */
#define AR_MAX_BATCH_SEQS 65536
/* Most keys over the whole batch (the int32 cu_seqlens_k must hold them). */
#define AR_MAX_BATCH_TOKENS INT32_MAX

/* Make s a batch of the n sequences seqs[] (heads and class already in
** s->p): fills num_seqs, seqlen_q, cached, totals and the problem's maxima;
** all-equal sequences become a uniform batch (s->seqs NULL, seqs freed),
** otherwise s->seqs takes seqs (malloc'ed; freed with the list).  0, or -1
** (message in ps; seqs freed) when the batch is too large. */
int ar_shape_set_seqs(ar_parser *ps, ar_shape *s, ar_seq *seqs, int32_t n);

/* Uniform batch of s->p.num_seqs x (seqlen_q, cached). */
void ar_shape_set_uniform(ar_shape *s, int32_t seqlen_q, int32_t cached);

#endif /* AR_GRID_PARSE_H */
