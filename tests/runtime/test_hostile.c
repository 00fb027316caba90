/*
** test_hostile.c -- select on hostile input: NULL everywhere, INT32_MIN /
** INT32_MAX in every field, kv heads that do not divide q heads, grid values
** up to INT32_MAX (exact nearest-log ties with no overflow), and malformed
** tables: cyclic and dangling trees, bad node axes, NaN thresholds, NULL /
** empty / non-ascending / negative axes, NULL cells, unknown lookups, bad
** candidate indices and counts, and a grid whose cell index overflows.
** Every answer must be well formed; where the answer is known it is checked.
*/
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "test_util.h"

#define NCAND 2
static attnroute_candidate cands[NCAND];
static int32_t small_axis[] = {0, 1, 1 << 16, INT32_MAX};
static uint8_t cells[4 * 4 * 4 * 4 * 4 * ATTNROUTE_TOPK];
static attnroute_class cls;
static attnroute_table table;

static void reset(void) {
  int a;
  cands[0].name = "k0";
  cands[0].code_hash = "";
  cands[0].legacy_route = -1;
  cands[0].caps = tu_caps_any();
  cands[1] = cands[0];
  cands[1].name = "k1";
  cls = tu_gptoss_class(ATTNROUTE_LOOKUP_NEAREST_LOG);
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    cls.axis_len[a] = 4;
    cls.axis_values[a] = small_axis;
  }
  memset(cells, 0, sizeof cells);
  cls.cells = cells;
  memset(&table, 0, sizeof table);
  table.abi = ATTNROUTE_TABLE_ABI;
  table.struct_size = sizeof table;
  table.arch = "x86_64";
  table.cu_count = 4;
  table.num_candidates = NCAND;
  table.candidates = cands;
  table.num_classes = 1;
  table.classes = &cls;
}

static int sel(const attnroute_router *r, const attnroute_problem *p, attnroute_choice *c) {
  int ret = attnroute_select(r, p, c);
  tu_check_choice(r, p, c, ret);
  return ret;
}

static attnroute_problem prob(int32_t n, int32_t sq, int32_t sk, int32_t hq, int32_t hkv) {
  attnroute_problem p = tu_gptoss();
  p.num_seqs = n;
  p.max_seqlen_q = sq;
  p.max_seqlen_k = sk;
  p.num_q_heads = hq;
  p.num_kv_heads = hkv;
  return p;
}

static void test_nulls(void) {
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = tu_gptoss();
  reset();
  CHECK_EQ(attnroute_select(NULL, NULL, NULL), ATTNROUTE_BAD_ARGUMENT);
  CHECK_EQ(attnroute_select(NULL, &p, NULL), ATTNROUTE_BAD_ARGUMENT);
  CHECK_EQ(sel(NULL, &p, &c), ATTNROUTE_BAD_ARGUMENT);
  CHECK_EQ(c.route, ATTNROUTE_ROUTE_DENSE_SINK_ASM); /* default policy and env */
  CHECK_EQ(c.candidate, -1);
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  CHECK_EQ(sel(&r, NULL, &c), ATTNROUTE_BAD_ARGUMENT);
  CHECK_EQ(c.route, ATTNROUTE_ROUTE_TRITON_PAGED);
  CHECK_STR(c.name, "legacy:triton_paged");
  CHECK_EQ(attnroute_select(&r, NULL, NULL), ATTNROUTE_BAD_ARGUMENT);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(attnroute_select(&r, &p, NULL), ATTNROUTE_OK);
}

static void test_extremes(void) {
  static const int32_t values[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, 2, 64, INT32_MAX - 1, INT32_MAX};
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem base = tu_gptoss(), p;
  size_t f, v;
  int policy;
  reset();
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  for (policy = -1; policy <= 2; policy++) {
    r.policy = policy;
    for (f = 0; f < sizeof(attnroute_problem) / sizeof(int32_t); f++) {
      for (v = 0; v < sizeof values / sizeof values[0]; v++) {
        int32_t *field;
        p = base;
        field = (int32_t *)&p + f;
        *field = values[v];
        sel(&r, &p, &c);
        attnroute_legacy_route(policy, &r.env, &p);
        attnroute_caps_allow(&cands[0].caps, &p);
      }
    }
  }
  r.policy = ATTNROUTE_POLICY_POST_1345;
  /* Everything at INT32_MAX, still a valid call and inside the grid. */
  p = prob(INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  p = prob(INT32_MAX, 1, INT32_MAX, INT32_MAX, 1); /* cached 2^31 - 2, gqa 2^31 - 1 */
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  p = prob(1, INT32_MAX, INT32_MIN, 64, 8); /* sk - sq would overflow 32 bits */
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_BAD_PROBLEM);
  /* kv heads that do not divide q heads, or exceed them. */
  p = prob(1, 1, 1, 64, 7);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_BAD_PROBLEM);
  CHECK_EQ(c.route, ATTNROUTE_ROUTE_TRITON_PAGED);
  p = prob(1, 1, 1, 8, 64);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_BAD_PROBLEM);
  p = prob(1, 1, 1, INT32_MIN, -1); /* INT32_MIN / -1 must not be evaluated */
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_BAD_PROBLEM);
  p = prob(1, 1, 1, 64, 0);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_BAD_PROBLEM);
}

/* Nearest in log2(1 + v) with grid values up to INT32_MAX: exact, no overflow. */
static void test_big_grid(void) {
  static const int32_t wide[] = {0, INT32_MAX};
  static const int32_t tie[] = {1, INT32_MAX}; /* (1+1)(1+2^31-1) = 2^32 = (1+65535)^2 */
  static const int32_t one[] = {1};
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p;
  int a;
  reset();
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    cls.axis_len[a] = 1;
    cls.axis_values[a] = one;
  }
  cls.axis_values[ATTNROUTE_AXIS_CACHED] = small_axis; /* {0} */
  cls.axis_len[ATTNROUTE_AXIS_NUM_SEQS] = 2;
  cls.axis_values[ATTNROUTE_AXIS_NUM_SEQS] = wide;
  cells[0] = 0;
  cells[1] = cells[2] = cells[3] = ATTNROUTE_NO_CANDIDATE;
  cells[4] = 1;
  cells[5] = cells[6] = cells[7] = ATTNROUTE_NO_CANDIDATE;
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  /* {0, 2^31 - 1}: lower while (1 + v)^2 <= 2^31, i.e. v <= 46339. */
  p = prob(46339, 1, 1, 1, 1);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 0);
  p.num_seqs = 46340;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 1);
  p.num_seqs = INT32_MAX;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 1);
  /* {1, 2^31 - 1}: an exact tie at 65535 goes to the lower value. */
  cls.axis_values[ATTNROUTE_AXIS_NUM_SEQS] = tie;
  p.num_seqs = 65535;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 0);
  p.num_seqs = 65536;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 1);
  p.num_seqs = INT32_MAX;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 1);
  cls.axis_values[ATTNROUTE_AXIS_NUM_SEQS] = tie + 1; /* {2^31 - 1} alone */
  cls.axis_len[ATTNROUTE_AXIS_NUM_SEQS] = 1;
  p.num_seqs = INT32_MAX - 1;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OUT_OF_DOMAIN);
}

static int32_t expect_empty(const char *what) {
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = prob(1, 1, 1, 1, 1);
  int ret;
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  ret = sel(&r, &p, &c);
  if (ret != ATTNROUTE_EMPTY_CELL) fprintf(stderr, "  case: %s -> %d\n", what, ret);
  CHECK_EQ(ret, ATTNROUTE_EMPTY_CELL);
  reset();
  return ret;
}

static void test_malformed_grid(void) {
  static int32_t descending[] = {5, 1, 0, 7}, dup[] = {0, 1, 1, 9}, negative[] = {-1, 0, 1, 2};
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = prob(1, 1, 1, 1, 1);
  int a;
  reset();
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    cls.axis_values[a] = NULL;
    expect_empty("NULL axis");
    cls.axis_len[a] = 0;
    expect_empty("zero-length axis");
    cls.axis_len[a] = INT32_MIN;
    expect_empty("negative-length axis");
    cls.axis_values[a] = descending;
    expect_empty("descending axis");
    cls.axis_values[a] = dup;
    expect_empty("repeated grid value");
    cls.axis_values[a] = negative;
    expect_empty("negative grid value");
  }
  cls.cells = NULL;
  expect_empty("NULL cells");
  cls.lookup = ATTNROUTE_NUM_LOOKUPS;
  expect_empty("unknown lookup");
  cls.lookup = -1;
  expect_empty("negative lookup");
  memset(cells, 200, sizeof cells);
  expect_empty("candidate index past the table");
  memset(cells, NCAND, sizeof cells);
  expect_empty("candidate index == num_candidates");
  table.num_candidates = 0;
  expect_empty("no candidates");
  table.num_candidates = INT32_MIN;
  expect_empty("negative candidate count");
  table.candidates = NULL;
  expect_empty("NULL candidates");

  /* Malformed axes outrank the domain check: a broken class is EMPTY_CELL
  ** even for problems outside its other axes. */
  cls.axis_values[ATTNROUTE_AXIS_GQA] = descending;
  cls.axis_len[ATTNROUTE_AXIS_NUM_SEQS] = 2; /* {0, 1} */
  p.num_seqs = 5;                            /* outside */
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_EMPTY_CELL);
  reset();

  /* Class list problems: no class. */
  table.num_classes = 0;
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_NO_CLASS);
  table.num_classes = -5;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_NO_CLASS);
  table.num_classes = 1;
  table.classes = NULL;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_NO_CLASS);
  reset();
}

/* Five honest axes of 2^20 values: the cell index (2^100) cannot exist; the
** runtime must notice instead of reading far past `cells`. */
static void test_index_overflow(void) {
  const int32_t n = 1 << 20;
  int32_t *axis = (int32_t *)malloc((size_t)n * sizeof(int32_t));
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = prob(n - 1, n - 1, 2 * (n - 1), n - 1, 1);
  int32_t i;
  int a;
  if (!axis) abort();
  for (i = 0; i < n; i++) axis[i] = i;
  reset();
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    cls.axis_len[a] = n;
    cls.axis_values[a] = axis;
  }
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_EMPTY_CELL);
  cls.lookup = ATTNROUTE_LOOKUP_FLOOR;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_EMPTY_CELL);
  free(axis);
  reset();
}

static void test_malformed_tree(void) {
  static attnroute_tree_node nodes[4];
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = prob(1, 1, 1, 1, 1);
  static const attnroute_tree_node leaf = {-1, 0.0f, 0, 0, {1, 255, 255, 255}};
  static const attnroute_tree_node split = {ATTNROUTE_AXIS_SEQLEN_Q, 0.5f, 1, 2, {0, 0, 0, 0}};
  reset();
  cls.lookup = ATTNROUTE_LOOKUP_TREE;
  cls.nodes = nodes;
  cls.num_nodes = 3;
  CHECK_EQ(attnroute_router_init(&r, &table, "x86_64", 4), ATTNROUTE_OK);

  /* A sound tree first: sq 1 -> log2(2) = 1 > 0.5 -> right. */
  nodes[0] = split;
  nodes[1] = leaf;
  nodes[2] = leaf;
  nodes[2].leaf[0] = 0;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 0);
  /* NaN threshold: the comparison is false, so right; +inf: left. */
  nodes[0].threshold = (float)NAN;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 0);
  nodes[0].threshold = (float)INFINITY;
  CHECK_EQ(sel(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, 1);
  nodes[0].threshold = 0.5f;

#define TREE_EMPTY(what)                                                    \
  do {                                                                      \
    int ret_ = sel(&r, &p, &c);                                             \
    if (ret_ != ATTNROUTE_EMPTY_CELL) fprintf(stderr, "  tree case: %s\n", what); \
    CHECK_EQ(ret_, ATTNROUTE_EMPTY_CELL);                                   \
  } while (0)
  nodes[0].right = 0;
  TREE_EMPTY("self loop");
  nodes[0].right = 2;
  nodes[2] = split; /* 2 -> right 2 */
  TREE_EMPTY("loop below the root");
  nodes[2] = split;
  nodes[2].right = 0;
  TREE_EMPTY("cycle through the root");
  nodes[2] = leaf;
  nodes[0].right = 3; /* == num_nodes */
  TREE_EMPTY("child past num_nodes");
  nodes[0].right = -1;
  TREE_EMPTY("negative child");
  nodes[0].right = INT32_MIN;
  TREE_EMPTY("INT32_MIN child");
  nodes[0].right = 2;
  nodes[0].axis = ATTNROUTE_NUM_AXES;
  TREE_EMPTY("node axis past the axes");
  nodes[0].axis = -2;
  TREE_EMPTY("node axis -2");
  nodes[0].axis = INT32_MIN;
  TREE_EMPTY("node axis INT32_MIN");
  nodes[0].axis = ATTNROUTE_AXIS_SEQLEN_Q;
  nodes[2].leaf[0] = 200;
  TREE_EMPTY("leaf with a bad candidate index");
  nodes[2].leaf[0] = ATTNROUTE_NO_CANDIDATE;
  TREE_EMPTY("empty leaf");
  nodes[2].leaf[0] = 0;
  cls.num_nodes = 0;
  TREE_EMPTY("no nodes");
  cls.num_nodes = INT32_MIN;
  TREE_EMPTY("negative node count");
  cls.num_nodes = 1; /* root is a split whose children are out of range */
  TREE_EMPTY("children past a shortened tree");
  cls.num_nodes = 3;
  cls.nodes = NULL;
  TREE_EMPTY("NULL nodes");
#undef TREE_EMPTY
  reset();
}

int main(void) {
  test_nulls();
  test_extremes();
  test_big_grid();
  test_malformed_grid();
  test_index_overflow();
  test_malformed_tree();
  return check_finish("test_hostile");
}
