/*
** test_grid_limits.c -- the grid parser's limits and refusals: a grid that
** expands past AR_GRID_MAX_SHAPES (a few hundred bytes once became 8.4M
** shapes), a shape listed twice (it was measured twice, the second result
** replacing the first), a key given twice on a line, a k-suffixed number
** too large to multiply; and the strict flag numbers (tuner/cli/cli_number.c):
** NaN, infinity, blanks, hex and fractions for integers are refused.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_number.h"
#include "grid.h"

#include "../check.h"

/* text must be refused with a message containing needle. */
static void expect_refused(const char *text, int is_list, const char *needle) {
  ar_shape_list l = {0};
  char err[512] = "";
  int rc = ar_grid_parse(text, "t.grid", is_list, &l, err, sizeof err);
  CHECK_MSG(rc == -1, "accepted (%zu shapes): %s", l.count, text);
  CHECK_MSG(strstr(err, needle) != NULL, "message '%s' lacks '%s'", err, needle);
  CHECK_MSG(strncmp(err, "t.grid", 6) == 0, "message does not name the input: %s", err);
  CHECK_MSG(l.count == 0, "%zu shapes left in the list", l.count);
  ar_shape_list_free(&l);
}

/* An axis line of n distinct values starting at first. */
static void axis(char *buf, size_t len, const char *name, int first, int n) {
  size_t o = (size_t)snprintf(buf, len, "%s", name);
  for (int i = 0; i < n && o < len; i++) o += (size_t)snprintf(buf + o, len - o, " %d", first + i);
  if (o < len) snprintf(buf + o, len - o, "\n");
}

static void test_bound(void) {
  char text[8192], line[1024];
  size_t o = (size_t)snprintf(text, sizeof text, "class head_dim=64\nheads");
  for (int h = 1; h <= 32; h++) o += (size_t)snprintf(text + o, sizeof text - o, " %d/1", h);
  o += (size_t)snprintf(text + o, sizeof text - o, "\n");
  axis(line, sizeof line, "num_seqs", 1, 64);
  o += (size_t)snprintf(text + o, sizeof text - o, "%s", line);
  axis(line, sizeof line, "seqlen_q", 1, 64);
  o += (size_t)snprintf(text + o, sizeof text - o, "%s", line);
  axis(line, sizeof line, "cached", 0, 64);
  snprintf(text + o, sizeof text - o, "%s", line);
  CHECK_MSG(strlen(text) < 2000, "the grid is small (%zu bytes)", strlen(text));
  expect_refused(text, 0, "expands to more than 20000 shapes");
  /* max_tokens that cuts it below the bound is accepted. */
  strcat(text, "max_tokens 2\n");
  {
    ar_shape_list l = {0};
    char err[512] = "";
    CHECK_MSG(ar_grid_parse(text, "t.grid", 0, &l, err, sizeof err) == 0, "%s", err);
    CHECK_MSG(l.count == 32 * 3 * 64, "count %zu", l.count); /* (1,1) (1,2) (2,1) */
    ar_shape_list_free(&l);
  }
}

static void test_duplicates(void) {
  expect_refused("class head_dim=64\nheads 8/1\nnum_seqs 1\nseqlen_q 1\ncached 0\n"
                 "class head_dim=64 sinks=0\nheads 8/1\nnum_seqs 1 2\nseqlen_q 1\ncached 0\n",
                 0, "is listed twice");
  expect_refused("head_dim=64 num_seqs=1 seqlen_q=1 cached=0 q_heads=8 kv_heads=1\n"
                 "head_dim=64 num_seqs=2 seqlen_q=1 cached=0 q_heads=8 kv_heads=1\n"
                 "head_dim=64 num_seqs=1 seqlen_q=1 cached=0 q_heads=8 kv_heads=1 window=-1\n",
                 1, "is listed twice");
  expect_refused("head_dim=64 head_dim=128 num_seqs=1 seqlen_q=1 cached=0 q_heads=8 kv_heads=1\n",
                 1, "t.grid:1: 'head_dim' is given twice");
  expect_refused("class head_dim=64 sinks=1 sinks=0\nheads 8/1\nnum_seqs 1\nseqlen_q 1\ncached 0\n",
                 0, "t.grid:1: class: 'sinks' is given twice");
}

static void test_k_overflow(void) {
  /* Multiplying these by 1024 overflows a 64-bit long: refused, not computed. */
  expect_refused("class head_dim=64\nheads 8/1\nnum_seqs 1\nseqlen_q 9007199254740993k\ncached 0\n",
                 0, "out of range");
  expect_refused("class head_dim=64\nheads 8/1\nnum_seqs 1\nseqlen_q 1\ncached -9007199254740993k\n",
                 0, "out of range");
}

static void test_cli_numbers(void) {
  static const char *const bad[] = {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e400",
                                    "", " 5", "5 ", "0x10", "5s", "1,5", "--5", NULL};
  double d = 42;
  int64_t i = 42;
  for (int k = 0; bad[k]; k++) {
    CHECK_MSG(ar_cli_parse_number(bad[k], 0, 1e9, &d) == -1, "number '%s' accepted", bad[k]);
    CHECK_MSG(ar_cli_parse_integer(bad[k], 0, 1000000, &i) == -1, "integer '%s' accepted", bad[k]);
  }
  CHECK_MSG(d == 42 && i == 42, "outputs untouched on failure");
  CHECK_MSG(ar_cli_parse_number("1.5", 1, 2, &d) == 0 && d == 1.5, "1.5");
  CHECK_MSG(ar_cli_parse_number("2e1", 1, 100, &d) == 0 && d == 20, "2e1");
  CHECK_MSG(ar_cli_parse_number("0.5", 1, 2, &d) == -1, "below the range");
  CHECK_MSG(ar_cli_parse_number("2.0001", 1, 2, &d) == -1, "above the range");
  CHECK_MSG(ar_cli_parse_integer("1.5", 0, 9, &i) == -1, "a fraction as an integer");
  CHECK_MSG(ar_cli_parse_integer("1e3", 0, 9999, &i) == -1, "an exponent as an integer");
  CHECK_MSG(ar_cli_parse_integer("-3", -5, 5, &i) == 0 && i == -3, "-3");
  CHECK_MSG(ar_cli_parse_integer("9223372036854775807", 1, INT64_MAX, &i) == 0 && i == INT64_MAX, "max");
  CHECK_MSG(ar_cli_parse_integer("9223372036854775808", 1, INT64_MAX, &i) == -1, "past int64");
  CHECK_MSG(ar_cli_parse_integer("0", 1, 5, &i) == -1, "below the range");
}

int main(void) {
  test_bound();
  test_duplicates();
  test_k_overflow();
  test_cli_numbers();
  if (check_failures) fprintf(stderr, "test_grid_limits: %ld failure(s)\n", check_failures);
  else printf("test_grid_limits: ok\n");
  return check_failures != 0;
}
