/*
** test_trace.c -- the trace parser and the ragged shape-list form: calls,
** classes, identical calls sharing one shape, equal sequences as a uniform
** batch, every bad input named by file:line, seeded sampling, and a
** deterministic mutation fuzz (no crash, no leak: shapes or a message).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "trace.h"

#include "../check.h"

static const char *good =
    "# a comment\n"
    "\n"
    "attnroute-trace 1   # magic\n"
    "class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 q_heads=64 kv_heads=8\n"
    "prefill 2048:10240 512:512\n"
    "decode 1:27001 1:5120 1:80000\n"
    "decode 1:27001 1:5120 1:80000\n"
    "decode 1:300 1:300\n"
    "class head_dim=64 sinks=1 window=128 block=16 q_heads=8 kv_heads=1\n"
    "decode 1:27001 1:5120 1:80000\n"
    "prefill 16:16\n";

static void test_good(void) {
  ar_trace t;
  char err[256] = "";
  CHECK_MSG(ar_trace_parse(good, "g.trace", &t, err, sizeof err) == 0, "%s", err);
  CHECK_MSG(t.ncalls == 6, "calls %zu", t.ncalls);
  CHECK_MSG(t.shapes.count == 5, "shapes %zu (identical calls share one)", t.shapes.count);
  if (t.ncalls == 6 && t.shapes.count == 5) {
    CHECK_MSG(t.calls[1].shape == t.calls[2].shape && t.calls[1].shape != t.calls[4].shape, "dedup by class too");
    CHECK_MSG(t.calls[0].step == ATTNROUTE_STEP_PREFILL && t.calls[1].step == ATTNROUTE_STEP_DECODE, "steps");
    CHECK_MSG(t.calls[0].line == 5 && t.calls[5].line == 11, "lines %d %d", t.calls[0].line, t.calls[5].line);
    const ar_shape *p = &t.shapes.items[t.calls[0].shape];
    CHECK_MSG(p->seqs && p->p.num_seqs == 2 && p->seqlen_q == 2048 && p->p.max_seqlen_k == 10240 &&
              p->cached == 10240 - 2048 && p->total_q == 2560 && p->total_k == 10752 && p->p.has_cached,
          "ragged prefill");
    CHECK_MSG(p->seqs[1].sq == 512 && p->seqs[1].ctx == 512, "batch order");
    const ar_shape *d = &t.shapes.items[t.calls[1].shape];
    CHECK_MSG(d->seqs && d->p.num_seqs == 3 && d->seqlen_q == 1 && d->p.max_seqlen_k == 80000 &&
              d->total_k == 27001 + 5120 + 80000 && d->line == 6,
          "ragged decode");
    CHECK_MSG(d->p.num_q_heads == 64 && d->p.num_kv_heads == 8 && d->p.has_sinks && d->p.sliding_window == -1, "class");
    const ar_shape *u = &t.shapes.items[t.calls[3].shape];
    CHECK_MSG(!u->seqs && u->p.num_seqs == 2 && u->seqlen_q == 1 && u->cached == 299, "equal sequences: uniform");
    const ar_shape *w = &t.shapes.items[t.calls[4].shape];
    CHECK_MSG(w->p.sliding_window == 128 && w->p.num_q_heads == 8 && w->p.num_kv_heads == 1, "second class");
    for (size_t i = 0; i < t.shapes.count; i++)
      CHECK_MSG(attnroute_problem_check(&t.shapes.items[i].p) == ATTNROUTE_OK, "shape %zu invalid", i);
    char *txt = ar_shape_seqs_text(d);
    CHECK_MSG(txt && strcmp(txt, "1:27001,1:5120,1:80000") == 0, "seqs text %s", txt ? txt : "(null)");
    free(txt);
    txt = ar_shape_seqs_text(u);
    CHECK_MSG(txt && txt[0] == '\0', "uniform seqs text");
    free(txt);
  }
  ar_trace_free(&t);
}

static void expect_error(const char *text, const char *needle) {
  ar_trace t;
  char err[256] = "";
  int rc = ar_trace_parse(text, "b.trace", &t, err, sizeof err);
  CHECK_MSG(rc == -1, "accepted: %s", text);
  CHECK_MSG(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
  CHECK_MSG(t.ncalls == 0 && t.shapes.count == 0 && !t.calls, "left something behind");
  ar_trace_free(&t);
}

#define HEAD "attnroute-trace 1\nclass head_dim=64 q_heads=8 kv_heads=1\n"

static void test_errors(void) {
  expect_error(HEAD "decode 0:5\n", "b.trace:3: sequence '0:5': lengths must be positive");
  expect_error(HEAD "decode 1:-5\n", "b.trace:3: sequence '1:-5': lengths must be positive");
  expect_error(HEAD "prefill 9:5\n", "b.trace:3: sequence '9:5': context 5 is below sq 9");
  expect_error(HEAD "decode\n", "b.trace:3: 'decode' call has no sequences");
  expect_error("attnroute-trace 1\ndecode 1:5\n", "b.trace:2: 'decode' call before any 'class' line");
  expect_error(HEAD "chunk 1:5\n", "b.trace:3: unknown word 'chunk'");
  expect_error(HEAD "decode 1:5 x\n", "b.trace:3: sequence 'x': expected sq:ctx");
  expect_error(HEAD "decode 1:5:6\n", "b.trace:3: sequence '1:5:6': expected sq:ctx, two integers");
  expect_error(HEAD "decode 1:99999999999999999999\n", "b.trace:3:");
  expect_error(HEAD "decode 1:200000000\n", "b.trace:3: sequence '1:200000000': too long");
  expect_error("# c\nclass head_dim=64 q_heads=8 kv_heads=1\n", "b.trace:2: not a trace");
  expect_error("attnroute-trace 2\n", "b.trace:1: trace version 2 is not supported");
  expect_error("attnroute-trace\n", "b.trace:1: 'attnroute-trace' takes one value");
  expect_error(HEAD "attnroute-trace 1\n", "b.trace:3: a second 'attnroute-trace' line");
  expect_error("attnroute-trace 1\nclass head_dim=64 q_heads=8\n", "b.trace:2: class: q_heads and kv_heads are required");
  expect_error("attnroute-trace 1\nclass q_heads=8 kv_heads=1\n", "b.trace:2: class: head_dim is required");
  expect_error("attnroute-trace 1\nclass head_dim=64 q_heads=8 kv_heads=3\n", "not a multiple");
  expect_error("attnroute-trace 1\nclass head_dim=64 q_heads=8 kv_heads=1 blok=16\n", "b.trace:2: class: unknown key 'blok'");
  expect_error("attnroute-trace 1\nclass head_dim=64 q_heads=8 kv_heads=1 num_seqs=2\n", "'num_seqs' is not a class key");
  expect_error("attnroute-trace 1\nclass head_dim=64 window=0 q_heads=8 kv_heads=1\n", "b.trace:2: window: 0");
  expect_error(HEAD, "b.trace: no calls");
  expect_error("# only comments\n\n", "b.trace: empty");
  expect_error("", "b.trace: empty");
  /* A batch whose keys overflow the int32 cu_seqlens_k. */
  {
    size_t n = 40;
    char *big = malloc(256 + n * 16);
    int len = sprintf(big, HEAD "decode");
    for (size_t i = 0; i < n; i++) len += sprintf(big + len, " 1:100000000");
    sprintf(big + len, "\n");
    expect_error(big, "b.trace:3: 4000000000 keys over the batch");
    free(big);
  }
}

static void test_shape_list(void) {
  ar_shape_list l = {0};
  char err[256] = "";
  const char *text =
      "head_dim=64 sinks=1 window=-1 block=16 q_heads=64 kv_heads=8 seqs=1:27000,1:5120,1:80000 step=decode\n"
      "head_dim=64 q_heads=64 kv_heads=8 seqs=100:4096,3:3\n"
      "head_dim=64 q_heads=64 kv_heads=8 seqs=1:2k,1:2k\n"
      "head_dim=64 q_heads=64 kv_heads=8 num_seqs=2 seqlen_q=1 cached=10 step=prefill\n";
  CHECK_MSG(ar_grid_parse(text, "r.shapes", 1, &l, err, sizeof err) == 0, "%s", err);
  CHECK_MSG(l.count == 4, "count %zu", l.count);
  if (l.count == 4) {
    const ar_shape *a = &l.items[0], *b = &l.items[1], *c = &l.items[2], *d = &l.items[3];
    CHECK_MSG(a->seqs && a->p.num_seqs == 3 && a->p.max_seqlen_k == 80000 && a->step == ATTNROUTE_STEP_DECODE &&
              a->line == 1,
          "ragged decode line");
    CHECK_MSG(b->seqs && b->seqlen_q == 100 && b->step == ATTNROUTE_STEP_PREFILL && b->total_q == 103, "default step");
    CHECK_MSG(!c->seqs && c->p.num_seqs == 2 && c->seqlen_q == 1 && c->cached == 2047 && c->step == ATTNROUTE_STEP_DECODE,
          "equal list is uniform");
    CHECK_MSG(!d->seqs && d->step == ATTNROUTE_STEP_PREFILL && d->total_k == 22, "uniform with step");
  }
  ar_shape_list_free(&l);

  static const struct {
    const char *line, *needle;
  } bad[] = {
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=1:5 num_seqs=1\n", "s.txt:1: seqs= replaces num_seqs"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=1:5 cached=0\n", "seqs= replaces"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=1:5 seqs=1:6\n", "s.txt:1: 'seqs' is given twice"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=\n", "s.txt:1: seqs: no sequences"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=,\n", "seqs: no sequences"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=0:5\n", "lengths must be positive"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=6:5\n", "context 5 is below sq 6"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=1:5 step=chunk\n", "step: 'chunk' is not prefill or decode"},
      {"head_dim=64 q_heads=8 kv_heads=1\n", "num_seqs is required (or seqs=sq:ctx,...)"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=1:5,1:9\nhead_dim=64 q_heads=8 kv_heads=1 seqs=1:9,1:5\n"
       "head_dim=64 q_heads=8 kv_heads=1 seqs=1:5,1:9\n",
       "s.txt:3: shape ns=2 ragged sq<=1 ctx<=9"},
      {"head_dim=64 q_heads=8 kv_heads=1 seqs=1:5,1:5\nhead_dim=64 q_heads=8 kv_heads=1 num_seqs=2 seqlen_q=1 cached=4\n",
       "s.txt:2: shape ns=2 sq=1 cached=4"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ar_shape_list m = {0};
    char e[256] = "";
    CHECK_MSG(ar_grid_parse(bad[i].line, "s.txt", 1, &m, e, sizeof e) == -1, "accepted %s", bad[i].line);
    CHECK_MSG(strstr(e, bad[i].needle) != NULL, "error '%s' lacks '%s'", e, bad[i].needle);
    ar_shape_list_free(&m);
  }
}

static void test_context_cap(void) {
  ar_shape_list l = {0};
  char err[256] = "";
  const char *g =
      "class head_dim=64\nheads 8/1\nnum_seqs 1 8 256\nseqlen_q 1\ncached 1000 131071\n"
      "max_context_tokens 1048576\n";
  CHECK_MSG(ar_grid_parse(g, "c.grid", 0, &l, err, sizeof err) == 0, "%s", err);
  /* 1 x 1001, 1 x 131072, 8 x 1001, 8 x 131072 (= 1M, kept), 256 x 1001; 256 x 131072 cut */
  CHECK_MSG(l.count == 5, "count %zu", l.count);
  for (size_t i = 0; i < l.count; i++)
    CHECK_MSG(l.items[i].total_k <= 1048576 && l.items[i].total_k == (int64_t)l.items[i].p.num_seqs * l.items[i].p.max_seqlen_k,
          "cap kept");
  ar_shape_list_free(&l);
  ar_shape_list m = {0};
  CHECK_MSG(ar_grid_parse("class head_dim=64\nmax_context_tokens 1 2\n", "c.grid", 0, &m, err, sizeof err) == -1 &&
            strstr(err, "c.grid:2: 'max_context_tokens' takes one value"),
        "%s", err);
  ar_shape_list_free(&m);
}

static void test_sample(void) {
  ar_trace t;
  char err[256] = "";
  size_t n = 1000;
  char *text = malloc(256 + n * 24);
  int len = sprintf(text, HEAD);
  for (size_t i = 0; i < n; i++) len += sprintf(text + len, "decode 1:%zu 1:7\n", 8 + i);
  CHECK_MSG(ar_trace_parse(text, "s.trace", &t, err, sizeof err) == 0 && t.ncalls == n, "%s", err);
  size_t *a = NULL, *b = NULL, *c = NULL, na = 0, nb = 0, nc = 0;
  CHECK_MSG(ar_trace_sample(&t, 50, 7, &a, &na) == 0 && ar_trace_sample(&t, 50, 7, &b, &nb) == 0 &&
            ar_trace_sample(&t, 50, 8, &c, &nc) == 0,
        "sample");
  CHECK_MSG(na == 50 && nb == 50 && nc == 50, "counts");
  CHECK_MSG(memcmp(a, b, na * sizeof *a) == 0, "same seed, same calls");
  CHECK_MSG(memcmp(a, c, na * sizeof *a) != 0, "another seed, other calls");
  for (size_t i = 1; i < na; i++) CHECK_MSG(a[i] > a[i - 1] && a[i] < n, "ascending, in range");
  /* spread over the whole trace, not a prefix */
  CHECK_MSG(a[na - 1] > n / 2 && a[0] < n / 2, "spread %zu..%zu", a[0], a[na - 1]);
  free(a);
  free(b);
  free(c);
  CHECK_MSG(ar_trace_sample(&t, 0, 1, &a, &na) == 0 && na == n && a[n - 1] == n - 1, "0 = all");
  free(a);
  CHECK_MSG(ar_trace_sample(&t, 5000, 1, &a, &na) == 0 && na == n, "more than there are = all");
  free(a);
  ar_trace_free(&t);
  free(text);
}

static void test_fuzz(void) {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  size_t len = strlen(good);
  char *buf = malloc(len * 2 + 1);
  static const char alphabet[] = "0123456789 \n\t#:=/-kKclassprefilldecodeq_heads\xff";
  for (int iter = 0; iter < 20000; iter++) {
    memcpy(buf, good, len + 1);
    size_t n = len;
    int edits = 1 + (int)(s % 6);
    for (int e = 0; e < edits; e++) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      size_t at = (size_t)(s >> 8) % (n ? n : 1);
      switch (s % 3) {
        case 0: buf[at] = alphabet[(s >> 32) % (sizeof alphabet - 1)]; break;
        case 1: memmove(buf + at, buf + at + 1, n - at); n--; break;
        default:
          if (n < len * 2) {
            memmove(buf + at + 1, buf + at, n - at + 1);
            buf[at] = alphabet[(s >> 40) % (sizeof alphabet - 1)];
            n++;
          }
      }
    }
    buf[n] = '\0';
    ar_trace t;
    char err[256] = "";
    int rc = ar_trace_parse(buf, "fuzz", &t, err, sizeof err);
    CHECK_MSG(rc == 0 ? t.ncalls > 0 && t.shapes.count > 0 : err[0] != '\0', "iteration %d: rc %d, no message", iter, rc);
    for (size_t i = 0; i < t.ncalls; i++) CHECK_MSG(t.calls[i].shape < t.shapes.count, "call names a shape");
    for (size_t i = 0; i < t.shapes.count; i++) {
      const ar_shape *sh = &t.shapes.items[i];
      CHECK_MSG(attnroute_problem_check(&sh->p) == ATTNROUTE_OK, "fuzz produced an invalid problem");
      for (int32_t b = 0; sh->seqs && b < sh->p.num_seqs; b++)
        CHECK_MSG(sh->seqs[b].sq >= 1 && sh->seqs[b].ctx >= sh->seqs[b].sq && sh->seqs[b].sq <= sh->seqlen_q &&
                  sh->seqs[b].ctx <= sh->p.max_seqlen_k,
              "fuzz produced a bad sequence");
    }
    ar_trace_free(&t);
  }
  free(buf);
}

int main(void) {
  test_good();
  test_errors();
  test_shape_list();
  test_context_cap();
  test_sample();
  test_fuzz();
  if (check_failures) fprintf(stderr, "%ld failure(s)\n", check_failures);
  else printf("ok\n");
  return check_failures ? 1 : 0;
}
