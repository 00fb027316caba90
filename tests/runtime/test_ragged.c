/*
** test_ragged.c -- ragged batches and the edge rules in the runtime:
** attnroute_problem_check on consistent and inconsistent totals, the cell
** each ragged key (longest, mean, equiv) looks a ragged batch up in, the
** edge clamp per axis and side (and OUT_OF_DOMAIN where no bit is set),
** and the extremes (INT32_MAX totals and sequences, every clamp bit).
*/
#include <limits.h>
#include <stdlib.h>

#include "test_util.h"

/* A batch of n sequences, the longest sq new tokens and sk keys, with totals. */
static attnroute_problem batch(int32_t n, int32_t sq, int32_t sk, int32_t tq, int32_t tk) {
  attnroute_problem p = tu_gptoss();
  p.num_seqs = n;
  p.max_seqlen_q = sq;
  p.max_seqlen_k = sk;
  p.has_cached = sk > sq;
  p.total_seqlen_q = tq;
  p.total_seqlen_k = tk;
  return p;
}

static void test_check(void) {
  attnroute_problem p;
  p = batch(3, 1, 100, 0, 0);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_OK); /* uniform: totals unknown */
  p = batch(3, 1, 100, 3, 102);                        /* 1:100 1:1 1:1 */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_OK);
  p = batch(3, 1, 100, 3, 300);                        /* every sequence the longest */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_OK);
  p = batch(3, 1, 100, 3, 101);                        /* below max + 2 x 1 */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  p = batch(3, 1, 100, 3, 301);                        /* above 3 x max */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  p = batch(3, 8, 100, 2, 0);                          /* fewer tokens than sequences */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  p = batch(3, 8, 100, 25, 0);                         /* above 3 x 8 */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  p = batch(3, 8, 100, 10, 0);                         /* 8 + 1 + 1: consistent */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_OK);
  p = batch(3, 8, 8, 20, 18);                          /* fewer keys than queries */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  p = batch(3, 8, 8, 18, 18);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_OK);
  p = batch(3, 1, 100, -3, 0);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  p = batch(3, 1, 100, 0, -102);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  p = batch(3, 1, 100, INT32_MIN, INT32_MIN);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  /* No overflow at the extremes: n x max far above INT32_MAX. */
  p = batch(INT32_MAX, 1, INT32_MAX, INT32_MAX, INT32_MAX);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM); /* keys < max + n - 1 */
  p = batch(2, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM); /* the other sequence needs 1 */
  p = batch(1, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_OK);
  p = batch(1, 5, 9, 4, 9); /* one sequence: the total is the maximum */
  CHECK_EQ(attnroute_problem_check(&p), ATTNROUTE_BAD_PROBLEM);
  /* Defaults. */
  attnroute_problem_init(&p);
  CHECK_EQ(p.total_seqlen_q, 0);
  CHECK_EQ(p.total_seqlen_k, 0);
}

/* A class over num_seqs {1, 4, 16}, seqlen_q {1}, cached {0, 1024, 65536},
** heads 64/8; cell (ns i, cached j) ranks candidate 3 * i + j first. */
static const int32_t ns_axis[] = {1, 4, 16}, sq_axis[] = {1}, cached_axis[] = {0, 1024, 65536},
                     hq_axis[] = {64}, gqa_axis[] = {8};
static uint8_t cells[9 * ATTNROUTE_TOPK];
static attnroute_candidate cands[9];
static attnroute_class cls;
static attnroute_table table;
static const char *const names[9] = {"n1c0", "n1c1k", "n1c64k", "n4c0",  "n4c1k",
                                     "n4c64k", "n16c0", "n16c1k", "n16c64k"};

static void setup(int32_t key, uint32_t clamp) {
  int i;
  for (i = 0; i < 9; i++) {
    cands[i].name = names[i];
    cands[i].code_hash = "";
    cands[i].legacy_route = -1;
    cands[i].caps = tu_caps_any();
    cells[i * ATTNROUTE_TOPK] = (uint8_t)i;
    memset(cells + i * ATTNROUTE_TOPK + 1, ATTNROUTE_NO_CANDIDATE, ATTNROUTE_TOPK - 1);
  }
  cls = tu_gptoss_class(ATTNROUTE_LOOKUP_NEAREST_LOG);
  cls.axis_len[ATTNROUTE_AXIS_NUM_SEQS] = 3;
  cls.axis_values[ATTNROUTE_AXIS_NUM_SEQS] = ns_axis;
  cls.axis_len[ATTNROUTE_AXIS_SEQLEN_Q] = 1;
  cls.axis_values[ATTNROUTE_AXIS_SEQLEN_Q] = sq_axis;
  cls.axis_len[ATTNROUTE_AXIS_CACHED] = 3;
  cls.axis_values[ATTNROUTE_AXIS_CACHED] = cached_axis;
  cls.axis_len[ATTNROUTE_AXIS_Q_HEADS] = 1;
  cls.axis_values[ATTNROUTE_AXIS_Q_HEADS] = hq_axis;
  cls.axis_len[ATTNROUTE_AXIS_GQA] = 1;
  cls.axis_values[ATTNROUTE_AXIS_GQA] = gqa_axis;
  cls.cells = cells;
  cls.ragged_key = key;
  cls.edge_clamp = clamp;
  memset(&table, 0, sizeof table);
  table.abi = ATTNROUTE_TABLE_ABI;
  table.struct_size = sizeof table;
  table.arch = "x86_64";
  table.cu_count = 4;
  table.num_candidates = 9;
  table.candidates = cands;
  table.num_classes = 1;
  table.classes = &cls;
}

/* The name select answers p with (the table's candidate, or "legacy:..."). */
static const char *pick(const attnroute_problem *p, int *reason) {
  attnroute_router r;
  attnroute_choice c;
  int ret;
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  ret = attnroute_select(&r, p, &c);
  tu_check_choice(&r, p, &c, ret);
  if (reason) *reason = ret;
  return c.name;
}

static void test_keys(void) {
  /* 16 decode sequences: one of 65537 keys, fifteen of 2 (1 cached each). */
  attnroute_problem p = batch(16, 1, 65537, 16, 65537 + 15 * 2);
  attnroute_problem u = batch(16, 1, 65537, 0, 0);
  int reason;
  setup(ATTNROUTE_RAGGED_LONGEST, 0);
  CHECK_STR(pick(&p, &reason), "n16c64k"); /* every sequence as the longest */
  CHECK_EQ(reason, ATTNROUTE_OK);
  setup(ATTNROUTE_RAGGED_MEAN, 0);
  /* mean cached ceil((65567 - 16) / 16) = 4097: nearest 1024 in log2 */
  CHECK_STR(pick(&p, &reason), "n16c1k");
  CHECK_STR(pick(&u, &reason), "n16c64k"); /* totals unknown: the longest */
  setup(ATTNROUTE_RAGGED_EQUIV, 0);
  /* ceil(65567 / 65537) = 2 sequences of the longest: nearest 1 in log2 */
  CHECK_STR(pick(&p, &reason), "n1c64k");
  CHECK_STR(pick(&u, &reason), "n16c64k");
  /* Only total_k known: total_q taken as n x max sq (16), the same. */
  p.total_seqlen_q = 0;
  CHECK_STR(pick(&p, &reason), "n1c64k");
  setup(ATTNROUTE_RAGGED_MEAN, 0);
  CHECK_STR(pick(&p, &reason), "n16c1k");
  /* Only total_q known of a prefill-free batch: keys taken as n x max. */
  p = batch(4, 8, 8, 11, 0);
  setup(ATTNROUTE_RAGGED_MEAN, ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_SEQLEN_Q));
  CHECK_STR(pick(&p, &reason), "n4c1k"); /* (32 - 11) / 4 -> 6 cached: snapped to 1024 */
  /* An unknown key is a malformed class. */
  setup(ATTNROUTE_NUM_RAGGED_KEYS, 0);
  p = batch(1, 1, 1, 0, 0);
  pick(&p, &reason);
  CHECK_EQ(reason, ATTNROUTE_EMPTY_CELL);
  setup(-1, 0x3ffu);
  pick(&p, &reason);
  CHECK_EQ(reason, ATTNROUTE_EMPTY_CELL);
}

static void test_edges(void) {
  attnroute_problem p = batch(64, 1, 200001, 0, 0); /* ns and cached above the grid */
  int reason;
  setup(ATTNROUTE_RAGGED_LONGEST, 0);
  pick(&p, &reason);
  CHECK_EQ(reason, ATTNROUTE_OUT_OF_DOMAIN);
  setup(ATTNROUTE_RAGGED_LONGEST, ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_NUM_SEQS));
  pick(&p, &reason);
  CHECK_EQ(reason, ATTNROUTE_OUT_OF_DOMAIN); /* cached still outside */
  setup(ATTNROUTE_RAGGED_LONGEST,
        ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_NUM_SEQS) | ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_CACHED));
  CHECK_STR(pick(&p, &reason), "n16c64k");
  CHECK_EQ(reason, ATTNROUTE_OK);
  /* A below bit does not answer above the edge, nor the other way round. */
  setup(ATTNROUTE_RAGGED_LONGEST, 0x3ffu & ~ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_CACHED));
  pick(&p, &reason);
  CHECK_EQ(reason, ATTNROUTE_OUT_OF_DOMAIN);
  /* Heads outside: only their own bits answer. */
  p = batch(4, 1, 1025, 0, 0);
  p.num_q_heads = 128;
  p.num_kv_heads = 8;
  setup(ATTNROUTE_RAGGED_LONGEST, ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_NUM_SEQS));
  pick(&p, &reason);
  CHECK_EQ(reason, ATTNROUTE_OUT_OF_DOMAIN);
  setup(ATTNROUTE_RAGGED_LONGEST, ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_Q_HEADS) |
                                      ATTNROUTE_EDGE_ABOVE(ATTNROUTE_AXIS_GQA));
  CHECK_STR(pick(&p, &reason), "n4c1k");
  p.num_q_heads = 8; /* gqa 1 below {8}, heads 8 below {64} */
  p.num_kv_heads = 8;
  pick(&p, &reason);
  CHECK_EQ(reason, ATTNROUTE_OUT_OF_DOMAIN);
  setup(ATTNROUTE_RAGGED_LONGEST, ATTNROUTE_EDGE_BELOW(ATTNROUTE_AXIS_Q_HEADS) |
                                      ATTNROUTE_EDGE_BELOW(ATTNROUTE_AXIS_GQA));
  CHECK_STR(pick(&p, &reason), "n4c1k");
  /* Below the first num_seqs / seqlen_q value of a grid that does not start at 1. */
  {
    static const int32_t ns_high[] = {8, 32}, sq_high[] = {16};
    attnroute_problem q = batch(2, 4, 4, 0, 0);
    setup(ATTNROUTE_RAGGED_LONGEST, 0);
    cls.axis_values[ATTNROUTE_AXIS_NUM_SEQS] = ns_high;
    cls.axis_len[ATTNROUTE_AXIS_NUM_SEQS] = 2;
    cls.axis_values[ATTNROUTE_AXIS_SEQLEN_Q] = sq_high;
    pick(&q, &reason);
    CHECK_EQ(reason, ATTNROUTE_OUT_OF_DOMAIN);
    cls.edge_clamp = ATTNROUTE_EDGE_BELOW(ATTNROUTE_AXIS_NUM_SEQS) | ATTNROUTE_EDGE_BELOW(ATTNROUTE_AXIS_SEQLEN_Q);
    CHECK_STR(pick(&q, &reason), "n1c0"); /* ns 8 is index 0, cached 0 */
    /* Clamped, then the prefix snap: 3 cached tokens look up as 1024. */
    q = batch(2, 4, 7, 0, 0);
    CHECK_STR(pick(&q, &reason), "n1c1k");
  }
  /* Bits past the axes change nothing; extremes do not overflow. */
  setup(ATTNROUTE_RAGGED_EQUIV, 0xffffffffu);
  p = batch(INT32_MAX, INT32_MAX, INT32_MAX, 0, 0);
  CHECK_STR(pick(&p, &reason), "n16c0");
  p = batch(1, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
  CHECK_STR(pick(&p, &reason), "n1c0");
  setup(ATTNROUTE_RAGGED_MEAN, 0xffffffffu);
  p = batch(INT32_MAX, 1, INT32_MAX, INT32_MAX, 0);
  CHECK_STR(pick(&p, &reason), "n16c64k");
  CHECK_EQ(reason, ATTNROUTE_OK);
}

int main(void) {
  test_check();
  test_keys();
  test_edges();
  return check_finish("test_ragged");
}
