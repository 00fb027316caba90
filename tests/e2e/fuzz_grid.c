/*
** fuzz_grid.c -- libFuzzer target for the grid and shape-list parser
** (tuner/core/grid.c) and the trace parser (tuner/core/trace.c): the first byte picks
** grid, shape list or trace, the rest is the text.  A parse must succeed with a bounded, duplicate-free list of valid
** shapes, or fail with a message naming the input; it must never crash,
** read out of bounds (ASan) or overflow (UBSan).  Without -DAR_LIBFUZZER the
** same check runs on mutations of the embedded grids, a ragged shape list
** and a trace (a short CI mode):
**
**     fuzz_grid ITERATIONS
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "splitmix.h"
#include "trace.h"

/* Every shape of a parse must be a valid batch. */
static int shape_bad(const ar_shape *s) {
  int bad = s->seqlen_q < 1 || s->cached < 0 || s->p.num_seqs < 1 || s->p.head_dim < 1 ||
            s->p.num_kv_heads < 1 || s->p.num_q_heads % s->p.num_kv_heads != 0 ||
            s->p.max_seqlen_k != s->seqlen_q + s->cached;
  int64_t tq = 0, tk = 0;
  for (int32_t b = 0; s->seqs && b < s->p.num_seqs && !bad; b++) {
    bad = s->seqs[b].sq < 1 || s->seqs[b].ctx < s->seqs[b].sq || s->seqs[b].sq > s->seqlen_q ||
          s->seqs[b].ctx > s->p.max_seqlen_k;
    tq += s->seqs[b].sq;
    tk += s->seqs[b].ctx;
  }
  if (s->seqs && !bad) bad = tq != s->total_q || tk != s->total_k;
  return bad;
}

/* A trace parse: calls naming valid shapes, or a message naming the input. */
static int check_trace(const char *text) {
  ar_trace t;
  char err[512];
  int bad = 0;
  if (ar_trace_parse(text, "fuzz.trace", &t, err, sizeof err) != 0) {
    bad = strncmp(err, "fuzz.trace", 10) != 0 || t.ncalls || t.shapes.count;
    if (bad) fprintf(stderr, "trace: message does not name the input: %s\n", err);
    return bad;
  }
  bad = t.ncalls == 0 || t.shapes.count == 0 || t.shapes.count > t.ncalls;
  for (size_t i = 0; i < t.ncalls && !bad; i++) bad = t.calls[i].shape >= t.shapes.count;
  for (size_t i = 0; i < t.shapes.count && !bad; i++) bad = shape_bad(&t.shapes.items[i]);
  if (bad) fprintf(stderr, "trace: accepted an invalid trace (%zu calls)\n", t.ncalls);
  ar_trace_free(&t);
  return bad;
}

/* 0 when the parser behaved. */
static int check_one(const uint8_t *data, size_t size) {
  ar_shape_list l = {0};
  char err[512];
  char *text;
  int is_list, rc, bad = 0;
  if (size == 0) return 0;
  is_list = data[0] & 1;
  text = malloc(size);
  if (!text) return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  if (data[0] & 2) {
    bad = check_trace(text);
    free(text);
    return bad;
  }
  rc = ar_grid_parse(text, "fuzz.grid", is_list, &l, err, sizeof err);
  if (rc != 0) {
    bad = strncmp(err, "fuzz.grid", 9) != 0;
    if (bad) fprintf(stderr, "message does not name the input: %s\n", err);
  } else {
    bad = l.count == 0 || l.count > AR_GRID_MAX_SHAPES;
    for (size_t i = 0; i < l.count && !bad; i++) bad = shape_bad(&l.items[i]);
    if (bad) fprintf(stderr, "accepted an invalid shape list (%zu shapes)\n", l.count);
  }
  ar_shape_list_free(&l);
  free(text);
  return bad;
}

#ifdef AR_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (check_one(data, size)) abort();
  return 0;
}
#else
static uint64_t rng_state = 20261201u;

static uint32_t rnd(void) { return (uint32_t)(ar_splitmix64(&rng_state) >> 16); }

/* Seeds besides the embedded grids: mode byte, text. */
static const char ragged_list[] =
    "head_dim=64 sinks=1 window=-1 block=16 q_heads=64 kv_heads=8 seqs=1:27000,1:5120,1:80000 step=decode\n"
    "head_dim=64 q_heads=8 kv_heads=1 seqs=100:4096,3:3,16:16\n"
    "head_dim=64 q_heads=8 kv_heads=1 num_seqs=2 seqlen_q=1 cached=10 step=prefill\n";
static const char trace_text[] =
    "# trace\nattnroute-trace 1\n"
    "class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 q_heads=64 kv_heads=8\n"
    "prefill 2048:10240 512:512\ndecode 1:27001 1:5120 1:80000\ndecode 1:27001 1:5120 1:80000\n"
    "class head_dim=64 window=128 q_heads=8 kv_heads=1\ndecode 1:5 1:5\nprefill 16:300 1:40\n";

int main(int argc, char **argv) {
  static const char punct[] = " =/#\n-0123456789k:,";
  long iterations = argc > 1 ? atol(argv[1]) : 20000;
  const char *const *names = ar_grid_builtin_names();
  int nnames = 0, failures = 0;
  while (names[nnames]) nnames++;
  for (long it = 0; it < iterations; it++) {
    int pick = (int)(it % (nnames + 2));
    const char *seed = pick < nnames ? ar_grid_builtin(names[pick]) : pick == nnames ? ragged_list : trace_text;
    size_t n = strlen(seed) + 1;
    uint8_t *buf = malloc(n + 64);
    if (!buf) return 1;
    buf[0] = (uint8_t)(pick < nnames ? 0 : pick == nnames ? 1 : 2);
    memcpy(buf + 1, seed, n - 1);
    for (int m = 1 + (int)(rnd() % 6); m > 0; m--) {
      size_t at = 1 + rnd() % (n - 1);
      switch (rnd() % 4) {
        case 0: buf[at] = (uint8_t)rnd(); break;
        case 1: buf[at] = (uint8_t)punct[rnd() % (sizeof punct - 1)]; break;
        case 2: n = at + 1; break; /* truncate */
        default: { /* duplicate a range over another place */
          size_t from = 1 + rnd() % (n - 1), len = rnd() % 64;
          if (from + len > n) len = n - from;
          memmove(buf + at, buf + from, at + len <= n ? len : n - at);
        }
      }
    }
    failures += check_one(buf, n);
    free(buf);
  }
  printf("fuzz_grid: %ld mutated grids, shape lists and traces, %d failures\n", iterations, failures);
  return failures != 0;
}
#endif
