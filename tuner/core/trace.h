/*
** trace.h -- traces: one attention call of a serving engine per line.
**
**     # comments and blank lines anywhere
**     attnroute-trace 1
**     class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 q_heads=64 kv_heads=8
**     prefill 2048:10240 512:512
**     decode 1:27001 1:5120 1:80000
**
** The first non-comment line is the magic and version.  A `class` line (the
** grid class keys of grid.h plus q_heads and kv_heads, both required)
** applies to the calls after it; a trace may hold several.  A call line is
** the engine's step (`prefill` or `decode`) and then each sequence's sq:ctx
** (ctx = keys it attends to = cached + sq, 1 <= sq <= ctx), in batch order.
** tools/attnroute_trace.py writes such files.
**
** Parsing keeps one shape per distinct call (identical calls share it, so
** they are measured once) and, per call, its step, line and shape.  Errors
** name file:line ("t.trace:7: sequence '0:5': lengths must be positive").
*/
#ifndef AR_TRACE_H
#define AR_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

#define AR_TRACE_VERSION 1

typedef struct ar_trace_call {
  int32_t step;  /* ATTNROUTE_STEP_PREFILL or _DECODE */
  int32_t line;  /* in the trace file */
  size_t shape;  /* index into ar_trace.shapes */
} ar_trace_call;

typedef struct ar_trace {
  ar_shape_list shapes; /* distinct calls, in order of first appearance (line = first) */
  ar_trace_call *calls; /* every call, in file order (call_index = position) */
  size_t ncalls;
} ar_trace;

/* Parse trace text (`name` in messages) into *out (zeroed first).  0, or -1
** with err "name:line: ..." and *out empty. */
int ar_trace_parse(const char *text, const char *name, ar_trace *out, char *err, size_t errlen);

/* Read and parse a trace file (errors name the path). */
int ar_trace_load(const char *path, ar_trace *out, char *err, size_t errlen);

void ar_trace_free(ar_trace *t);

/* Choose n of the trace's calls uniformly without replacement, the same
** ones for the same (trace length, n, seed): *picked (malloc'ed, ascending
** call indices) and *count = min(n, ncalls).  n == 0 picks every call.
** 0, or -1 when out of memory. */
int ar_trace_sample(const ar_trace *t, size_t n, uint64_t seed, size_t **picked, size_t *count);

#endif /* AR_TRACE_H */
