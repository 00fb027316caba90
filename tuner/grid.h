/*
** grid.h -- what to measure: grid files, shape lists and the embedded grids.
**
** A grid file is line-oriented text; '#' starts a comment.  A `class` line
** opens a section fixing the static features; axis lines that follow list
** values whose cartesian product is measured:
**
**     class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1
**     heads 64/8 8/1            # q_heads/kv_heads pairs
**     num_seqs 1 4 16 64
**     seqlen_q 1 16 128 1024 8192
**     cached 0 1024 32768       # prefix already in the paged cache
**     max_tokens 16384          # optional: skip num_seqs * seqlen_q above this
**
** class keys: head_dim (required), sinks (0/1, default 0), window (-1 or
** width, default -1), block (page size, default 16), dtype and kv_dtype
** (bf16|fp16|fp8_e4m3|fp32, default bf16), causal (0/1, default 1).
** A shape list (--shapes) has one shape per line, all keys on the line:
**
**     head_dim=64 sinks=1 window=-1 block=16 num_seqs=4 seqlen_q=100 cached=3000 q_heads=64 kv_heads=8
**
** Errors name the file and line ("grids/x.grid:7: unknown key 'blok'").
** A key given twice on a line, a shape listed twice (overlapping classes,
** repeated shape lines) and a grid of more than AR_GRID_MAX_SHAPES shapes
** are errors.
*/
#ifndef AR_GRID_H
#define AR_GRID_H

#include <stddef.h>
#include <stdint.h>
#include "attnroute.h"

/* The most shapes one grid or shape list may expand to: 20x the largest
** shipped grid (gpt-oss, 936 shapes, 527 s on an H100), hours of tuning.
** Without a bound, 775 bytes of grid expanded to 8.4M shapes (608 MB). */
#define AR_GRID_MAX_SHAPES 20000

typedef struct ar_shape {
  attnroute_problem p; /* static features, heads, num_seqs; max_seqlen_q/k filled */
  int32_t seqlen_q;
  int32_t cached;
} ar_shape;

typedef struct ar_shape_list {
  ar_shape *items;
  size_t count, capacity;
} ar_shape_list;

/* Parse a grid (or, with is_shape_list, a shape list) from text; `name` is
** used in messages.  Appends to *out.  0, or -1 with err "name:line: ..."
** and nothing appended. */
int ar_grid_parse(const char *text, const char *name, int is_shape_list,
                  ar_shape_list *out, char *err, size_t errlen);

/* Read a file and parse it (file errors name the path). */
int ar_grid_load(const char *path, int is_shape_list, ar_shape_list *out, char *err,
                 size_t errlen);

/* Embedded grids by name ("gpt-oss", "llama", "host-small"); NULL if none. */
const char *ar_grid_builtin(const char *name);
/* Names of the embedded grids, NULL-terminated. */
const char *const *ar_grid_builtin_names(void);

void ar_shape_list_free(ar_shape_list *l);

/* Floating-point operations of one call of s: 4 * sq * sk_eff * Hq * D per
** sequence, sk_eff the mean visible keys. */
double ar_shape_flops(const ar_shape *s);

/* "ns=4 sq=2048 cached=4096 hq=64 hkv=8 d=64 sinks=1 win=-1 page=16" */
void ar_shape_describe(const ar_shape *s, char *buf, size_t len);

/* Name of a dtype ("bf16", ...) and its parse (-1 if unknown). */
const char *ar_dtype_name(int dtype);
int ar_dtype_parse(const char *s);

#endif /* AR_GRID_H */
