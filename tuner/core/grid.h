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
**     max_context_tokens 1048576 # optional: skip num_seqs * (cached + seqlen_q) above this
**
** class keys: head_dim (required), sinks (0/1, default 0), window (-1 or
** width, default -1), block (page size, default 16), dtype and kv_dtype
** (bf16|fp16|fp8_e4m3|fp32, default bf16), causal (0/1, default 1).
** A shape list (--shapes) has one shape per line, all keys on the line:
**
**     head_dim=64 sinks=1 window=-1 block=16 num_seqs=4 seqlen_q=100 cached=3000 q_heads=64 kv_heads=8
**
** or, for a ragged batch, every sequence's sq:ctx (ctx = cached + sq keys)
** in batch order instead of num_seqs / seqlen_q / cached (giving both is an
** error), and optionally the engine's step (default: decode when every sq
** is 1, else prefill):
**
**     head_dim=64 sinks=1 block=16 q_heads=64 kv_heads=8 seqs=1:27000,1:5120,1:80000 step=decode
**
** A ragged list whose sequences are all equal is the uniform batch.
** Traces (one call a line) have their own parser, trace.h.
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
#include "shape.h"

/* The most shapes one grid or shape list may expand to: 20x the largest
** shipped grid (gpt-oss, 936 shapes, 527 s on an H100), hours of tuning.
** Without a bound, 775 bytes of grid expanded to 8.4M shapes (608 MB). */
#define AR_GRID_MAX_SHAPES 20000

/* Parse a grid (or, with is_shape_list, a shape list) from text; `name` is
** used in messages.  Appends to *out.  0, or -1 with err "name:line: ..."
** and nothing appended. */
int ar_grid_parse(const char *text, const char *name, int is_shape_list,
                  ar_shape_list *out, char *err, size_t errlen);

/* A text file's contents (NUL-terminated, malloc'ed), refusing files larger
** than max_bytes or holding NUL bytes ("not a <what>"); NULL with err. */
char *ar_text_load(const char *path, size_t max_bytes, const char *what, char *err, size_t errlen);

/* Read a file and parse it (file errors name the path). */
int ar_grid_load(const char *path, int is_shape_list, ar_shape_list *out, char *err,
                 size_t errlen);

/* Embedded grids by name ("gpt-oss", "llama", "host-small"); NULL if none. */
const char *ar_grid_builtin(const char *name);
/* Names of the embedded grids, NULL-terminated. */
const char *const *ar_grid_builtin_names(void);

#endif /* AR_GRID_H */
