/*
** test_grid.c -- the grid / shape-list parser: expansions, the token cap,
** every error naming file and line, the embedded grids, and a deterministic
** mutation fuzz (no crash, no leak, an error or shapes for every input).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"

#include "../check.h"

static const char *good =
    "# comment\n"
    "class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1\n"
    "heads 64/8 8/1   # TP1 and TP8\n"
    "num_seqs 1 4\n"
    "seqlen_q 1 2k\n"
    "cached 0 32k\n"
    "max_tokens 4096\n"
    "\n"
    "class head_dim=128 window=128 block=64\n"
    "heads 32/8\n"
    "num_seqs 2\n"
    "seqlen_q 16\n"
    "cached 512\n";

static void test_good(void) {
  ar_shape_list l = {0};
  char err[256] = "";
  int rc = ar_grid_parse(good, "good.grid", 0, &l, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  /* class 1: 2 heads x (ns 1: sq 1, 2k; ns 4: sq 1, 2k but 4*2048 > 4096 cut) x 2 cached = 2*3*2 = 12 */
  CHECK_MSG(l.count == 13, "count %zu", l.count);
  if (l.count == 13) {
    const ar_shape *s = &l.items[1];
    CHECK_MSG(s->p.head_dim == 64 && s->p.has_sinks == 1 && s->p.kv_block_size == 16, "class fields");
    CHECK_MSG(s->p.num_q_heads == 64 && s->p.num_kv_heads == 8, "heads");
    CHECK_MSG(s->cached == 32768 && s->seqlen_q == 1 && s->p.max_seqlen_k == 32769 && s->p.has_cached, "k suffix");
    for (size_t i = 0; i < 12; i++)
      CHECK_MSG((long)l.items[i].p.num_seqs * l.items[i].seqlen_q <= 4096, "max_tokens respected");
    const ar_shape *last = &l.items[12];
    CHECK_MSG(last->p.head_dim == 128 && last->p.sliding_window == 128 && last->p.has_sinks == 0 &&
              last->p.kv_block_size == 64 && last->p.causal == 1,
          "second class");
    CHECK_MSG(attnroute_problem_check(&last->p) == ATTNROUTE_OK, "valid problem");
  }
  ar_shape_list_free(&l);

  const char *shapes = "head_dim=64 sinks=1 block=16 num_seqs=3 seqlen_q=100 cached=900 q_heads=64 kv_heads=8\n";
  rc = ar_grid_parse(shapes, "s.txt", 1, &l, err, sizeof err);
  CHECK_MSG(rc == 0 && l.count == 1, "%s", err);
  if (l.count == 1) CHECK_MSG(l.items[0].p.max_seqlen_k == 1000 && l.items[0].p.num_seqs == 3, "shape");
  ar_shape_list_free(&l);
}

static void expect_error(const char *text, int shapes, const char *needle) {
  ar_shape_list l = {0};
  char err[256] = "";
  int rc = ar_grid_parse(text, "g.grid", shapes, &l, err, sizeof err);
  CHECK_MSG(rc == -1, "accepted: %s", text);
  CHECK_MSG(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
  ar_shape_list_free(&l);
}

static void test_errors(void) {
  expect_error("heads 8/1\n", 0, "g.grid:1: 'heads' before any 'class' line");
  expect_error("class sinks=1\n", 0, "g.grid:1: class: head_dim is required");
  expect_error("class head_dim=64\nheads 8/1\nnum_seqs 1\nseqlen_q 1\n", 0, "g.grid:1: class has no 'cached'");
  expect_error("class head_dim=64\nnum_seqs 1 1\n", 0, "g.grid:2: 'num_seqs': value 1 is listed twice");
  expect_error("class head_dim=64\nnum_seqs 0\n", 0, "g.grid:2: num_seqs: 0 is out of range");
  expect_error("class head_dim=64\nnum_seqs 99999999999999999999\n", 0, "out of range");
  expect_error("class head_dim=64\nnum_seqs 1k5\n", 0, "'1k5' is not an integer");
  expect_error("class head_dim=64 dtype=int4\n", 0, "unknown dtype 'int4'");
  expect_error("class head_dim=64 window=0\n", 0, "window: 0 is not a width");
  expect_error("class head_dim=64 num_seqs=4\n", 0, "'num_seqs' is an axis");
  expect_error("class head_dim=64\nfoo 1\n", 0, "g.grid:2: unknown line 'foo'");
  expect_error("class head_dim=64\nheads 8\n", 0, "expected q_heads/kv_heads");
  expect_error("class head_dim=64\nmax_tokens 1 2\n", 0, "'max_tokens' takes one value");
  /* Lines after a second class are counted on from it (the first class's
  ** expansion used to set the count back to its own class line). */
  expect_error("# a\n# b\nclass head_dim=64\nheads 8/1\nnum_seqs 1\nseqlen_q 1\ncached 0\n"
               "class head_dim=128\nheads 8/1\nnum_seqs x\n",
               0, "g.grid:10: num_seqs: 'x' is not an integer");
  expect_error("# nothing\n\n", 0, "no shapes");
  expect_error("head_dim=64 num_seqs=1 seqlen_q=1 cached=0 q_heads=8\n", 1, "q_heads and kv_heads are required");
  expect_error("head_dim=64 num_seqs=1 seqlen_q=1 q_heads=8 kv_heads=1\n", 1, "cached is required");
  expect_error("head_dim=64 bogus=1\n", 1, "unknown key 'bogus'");
  expect_error("head_dim64\n", 1, "expected key=value");
  /* max_tokens can empty a class: still a grid, but with no shapes at all it is refused */
  expect_error("class head_dim=64\nheads 8/1\nnum_seqs 4\nseqlen_q 8\ncached 0\nmax_tokens 16\n", 0, "no shapes");
}

static void test_builtin(void) {
  int n = 0;
  for (const char *const *name = ar_grid_builtin_names(); *name; name++, n++) {
    ar_shape_list l = {0};
    char err[256] = "";
    CHECK_MSG(ar_grid_parse(ar_grid_builtin(*name), *name, 0, &l, err, sizeof err) == 0, "%s: %s", *name, err);
    for (size_t i = 0; i < l.count; i++)
      CHECK_MSG(attnroute_problem_check(&l.items[i].p) == ATTNROUTE_OK, "%s shape %zu invalid", *name, i);
    ar_shape_list_free(&l);
  }
  CHECK_MSG(n >= 3, "%d embedded grids", n);
  CHECK_MSG(ar_grid_builtin("gpt-oss") && ar_grid_builtin("host-small") && !ar_grid_builtin("nope"), "names");
}

/* Mutate the good grid byte by byte and by splicing: every input must give
** either shapes or an error message, and never crash (ASan/UBSan in CI). */
static void test_fuzz(void) {
  uint64_t s = 0x2545F4914F6CDD1Dull;
  size_t len = strlen(good);
  char *buf = malloc(len * 2 + 1);
  static const char alphabet[] = "0123456789 \n\t#=/-kKclassheadsnum_seqscachedxX\xff";
  for (int iter = 0; iter < 20000; iter++) {
    memcpy(buf, good, len + 1);
    size_t n = len;
    int edits = 1 + (int)(s % 6);
    for (int e = 0; e < edits; e++) {
      s ^= s << 13; s ^= s >> 7; s ^= s << 17;
      size_t at = (size_t)(s >> 8) % (n ? n : 1);
      switch (s % 3) {
        case 0: buf[at] = alphabet[(s >> 32) % (sizeof alphabet - 1)]; break;
        case 1: memmove(buf + at, buf + at + 1, n - at); n--; break;
        default:
          if (n < len * 2) { memmove(buf + at + 1, buf + at, n - at + 1); buf[at] = alphabet[(s >> 40) % (sizeof alphabet - 1)]; n++; }
      }
    }
    buf[n] = '\0';
    ar_shape_list l = {0};
    char err[256] = "";
    int rc = ar_grid_parse(buf, "fuzz", (int)(s >> 63), &l, err, sizeof err);
    CHECK_MSG(rc == 0 ? l.count > 0 : err[0] != '\0', "iteration %d: rc %d, no message", iter, rc);
    for (size_t i = 0; i < l.count; i++)
      CHECK_MSG(attnroute_problem_check(&l.items[i].p) == ATTNROUTE_OK, "fuzz produced an invalid problem");
    ar_shape_list_free(&l);
  }
  free(buf);
}

int main(void) {
  test_good();
  test_errors();
  test_builtin();
  test_fuzz();
  if (check_failures) fprintf(stderr, "%ld failure(s)\n", check_failures);
  else printf("ok\n");
  return check_failures ? 1 : 0;
}
