/*
** test_lookup.c -- select on small hand-written tables with known answers:
** class matching (booleans, "no window" spellings, first class wins), the
** domain of each axis, nearest-in-log2 (including exact ties, which go to
** the lower grid value), floor, and decision trees (including a threshold
** hit exactly).  Candidate k of the grid tables answers cell k only, so the
** chosen index is the cell index.
*/
#include "test_util.h"

#define NCAND 27
static attnroute_candidate cands[NCAND];
static const char *const names[NCAND] = {
    "k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11", "k12", "k13",
    "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23", "k24", "k25", "k26"};

static const int32_t seqs[] = {1, 4, 16}, sqs[] = {1, 128, 2048}, cached[] = {0, 1024, 8192},
                     heads[] = {64}, gqas[] = {8};
static const int32_t tie_seqs[] = {1, 7, 16}; /* (1+3)^2 == (1+1)(1+7): v = 3 ties */
static const int32_t tie_sqs[] = {3, 8};      /* (1+5)^2 == (1+3)(1+8): v = 5 ties */
static const int32_t any_cached[] = {0, 100000};
static uint8_t cells[NCAND * ATTNROUTE_TOPK];
static uint8_t tie_cells[3 * 2 * ATTNROUTE_TOPK];

/*   0: sq <= 127 (log2(1+sq) <= 7)?  -> 1 : 2
**   1: leaf {0}
**   2: cached == 0 (log2(1+c) <= 0.5)? -> 3 : 4
**   3: leaf {1}
**   4: leaf {2, none, 3} */
static const attnroute_tree_node tree[] = {
    {ATTNROUTE_AXIS_SEQLEN_Q, 7.0f, 1, 2, {255, 255, 255, 255}},
    {-1, 0.0f, 0, 0, {0, 255, 255, 255}},
    {ATTNROUTE_AXIS_CACHED, 0.5f, 3, 4, {255, 255, 255, 255}},
    {-1, 0.0f, 0, 0, {1, 255, 255, 255}},
    {-1, 0.0f, 0, 0, {2, 255, 3, 255}},
};

static attnroute_class grid_class(int32_t lookup) {
  attnroute_class c = tu_gptoss_class(lookup);
  c.axis_len[0] = 3, c.axis_values[0] = seqs;
  c.axis_len[1] = 3, c.axis_values[1] = sqs;
  c.axis_len[2] = 3, c.axis_values[2] = cached;
  c.axis_len[3] = 1, c.axis_values[3] = heads;
  c.axis_len[4] = 1, c.axis_values[4] = gqas;
  c.cells = cells;
  return c;
}

static attnroute_table table_of(attnroute_class *classes, int32_t n) {
  attnroute_table t;
  memset(&t, 0, sizeof t);
  t.abi = ATTNROUTE_TABLE_ABI;
  t.struct_size = sizeof(attnroute_table);
  t.arch = "sm_90";
  t.cu_count = 132;
  t.device_name = "test";
  t.provenance = "tests/runtime/test_lookup.c";
  t.num_candidates = NCAND;
  t.candidates = cands;
  t.num_classes = n;
  t.classes = classes;
  return t;
}

static attnroute_problem prob(int32_t n, int32_t sq, int32_t cached_tokens) {
  attnroute_problem p = tu_gptoss();
  p.num_seqs = n;
  p.max_seqlen_q = sq;
  p.max_seqlen_k = sq + cached_tokens;
  p.has_cached = cached_tokens > 0;
  return p;
}

/* The candidate the router picks (from the table), or -1 - reason. */
static int32_t pick(const attnroute_router *r, attnroute_problem p) {
  attnroute_choice c;
  int s = attnroute_select(r, &p, &c);
  if (s != ATTNROUTE_OK) return -1 - s;
  CHECK_EQ(c.from_table, 1);
  CHECK_EQ(c.route, -1);
  CHECK(c.candidate >= 0 && c.candidate < NCAND && c.name == names[c.candidate]);
  return c.candidate;
}

#define MISS(status) (-1 - (status))
#define CELL(i, j, k) ((i) * 9 + (j) * 3 + (k))

static void test_grid(void) {
  attnroute_class nearest = grid_class(ATTNROUTE_LOOKUP_NEAREST_LOG);
  attnroute_class floor_ = grid_class(ATTNROUTE_LOOKUP_FLOOR);
  attnroute_table tn = table_of(&nearest, 1), tf = table_of(&floor_, 1);
  attnroute_router rn, rf;
  CHECK_EQ(attnroute_router_init(&rn, &tn, "sm_90", 132), ATTNROUTE_OK);
  CHECK_EQ(attnroute_router_init(&rf, &tf, "sm_90", 132), ATTNROUTE_OK);

  /* On the grid both lookups agree. */
  CHECK_EQ(pick(&rn, prob(1, 1, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rf, prob(1, 1, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rn, prob(4, 128, 1024)), CELL(1, 1, 1));
  CHECK_EQ(pick(&rf, prob(16, 2048, 8192)), CELL(2, 2, 2));
  CHECK_EQ(pick(&rn, prob(16, 1, 8192)), CELL(2, 0, 2));

  /* Nearest in log2(1 + v): 2 is nearer 1 than 4 (9 <= 2*5), 3 nearer 4. */
  CHECK_EQ(pick(&rn, prob(2, 1, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rn, prob(3, 1, 0)), CELL(1, 0, 0));
  CHECK_EQ(pick(&rf, prob(3, 1, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rf, prob(15, 1, 0)), CELL(1, 0, 0));
  CHECK_EQ(pick(&rn, prob(15, 1, 0)), CELL(2, 0, 0));
  /* sq 15: 16^2 = 256 <= 2*129 -> 1; sq 16: 17^2 = 289 > 258 -> 128 */
  CHECK_EQ(pick(&rn, prob(1, 15, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rn, prob(1, 16, 0)), CELL(0, 1, 0));
  CHECK_EQ(pick(&rf, prob(1, 127, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rf, prob(1, 2047, 0)), CELL(0, 1, 0));
  /* cached = sk - sq.  A prefix, however short, is never looked up as "no
  ** prefix": below the first positive grid value (1024) it is taken as
  ** 1024 by both lookups, though 31 is nearer 0 in log2(1 + c). */
  CHECK_EQ(pick(&rn, prob(1, 1, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rf, prob(1, 1, 0)), CELL(0, 0, 0));
  CHECK_EQ(pick(&rn, prob(1, 1, 1)), CELL(0, 0, 1));
  CHECK_EQ(pick(&rf, prob(1, 1, 1)), CELL(0, 0, 1));
  CHECK_EQ(pick(&rn, prob(1, 1, 31)), CELL(0, 0, 1));
  CHECK_EQ(pick(&rf, prob(1, 1, 1023)), CELL(0, 0, 1));
  /* Above it, the lookups as usual: (1+c)^2 <= 1025*8193 -> c <= 2896 to 1024. */
  CHECK_EQ(pick(&rn, prob(1, 1, 2896)), CELL(0, 0, 1));
  CHECK_EQ(pick(&rn, prob(1, 1, 2897)), CELL(0, 0, 2));
  CHECK_EQ(pick(&rf, prob(1, 1, 8191)), CELL(0, 0, 1));

  /* Outside the grid on each axis. */
  CHECK_EQ(pick(&rn, prob(17, 1, 0)), MISS(ATTNROUTE_OUT_OF_DOMAIN));
  CHECK_EQ(pick(&rf, prob(17, 1, 0)), MISS(ATTNROUTE_OUT_OF_DOMAIN));
  CHECK_EQ(pick(&rn, prob(1, 2049, 0)), MISS(ATTNROUTE_OUT_OF_DOMAIN));
  CHECK_EQ(pick(&rn, prob(1, 1, 8193)), MISS(ATTNROUTE_OUT_OF_DOMAIN));
  {
    attnroute_problem p = prob(1, 1, 0);
    p.num_q_heads = 32;
    p.num_kv_heads = 4; /* gqa 8 in range, heads not */
    CHECK_EQ(pick(&rn, p), MISS(ATTNROUTE_OUT_OF_DOMAIN));
    p.num_q_heads = 64;
    p.num_kv_heads = 16; /* heads in range, gqa 4 not */
    CHECK_EQ(pick(&rn, p), MISS(ATTNROUTE_OUT_OF_DOMAIN));
  }
}

static void test_ties(void) {
  attnroute_class c = grid_class(ATTNROUTE_LOOKUP_NEAREST_LOG);
  attnroute_table t;
  attnroute_router r;
  c.axis_values[0] = tie_seqs;
  c.axis_values[1] = tie_sqs;
  c.axis_len[1] = 2;
  c.axis_values[2] = any_cached;
  c.axis_len[2] = 1; /* only {0} */
  c.cells = tie_cells;
  t = table_of(&c, 1);
  CHECK_EQ(attnroute_router_init(&r, &t, "sm_90", 132), ATTNROUTE_OK);
  CHECK_EQ(pick(&r, prob(3, 3, 0)), 0);  /* tie on seqs -> 1 (row 0) */
  CHECK_EQ(pick(&r, prob(4, 3, 0)), 2);  /* past the tie -> 7 (row 1) */
  CHECK_EQ(pick(&r, prob(2, 5, 0)), 0);  /* tie on sq -> 3 (col 0) */
  CHECK_EQ(pick(&r, prob(3, 5, 0)), 0);
  CHECK_EQ(pick(&r, prob(3, 6, 0)), 1);  /* past the tie -> 8 (col 1) */
  CHECK_EQ(pick(&r, prob(7, 5, 0)), 2);
  CHECK_EQ(pick(&r, prob(7, 6, 0)), 3);
}

static void test_tree(void) {
  attnroute_class c = grid_class(ATTNROUTE_LOOKUP_TREE);
  attnroute_table t;
  attnroute_router r;
  c.cells = NULL; /* trees need no cells */
  c.nodes = tree;
  c.num_nodes = 5;
  c.axis_values[1] = sqs;
  c.axis_values[2] = any_cached;
  c.axis_len[2] = 2;
  t = table_of(&c, 1);
  CHECK_EQ(attnroute_router_init(&r, &t, "sm_90", 132), ATTNROUTE_OK);
  CHECK_EQ(pick(&r, prob(1, 1, 0)), 0);
  CHECK_EQ(pick(&r, prob(1, 127, 5)), 0);  /* log2(128) == 7 exactly: left */
  CHECK_EQ(pick(&r, prob(1, 128, 0)), 1);  /* log2(129) > 7: right, then cached 0 */
  CHECK_EQ(pick(&r, prob(1, 128, 1)), 2);  /* cached 1: log2(2) = 1 > 0.5 */
  CHECK_EQ(pick(&r, prob(16, 2048, 99999)), 2);
  CHECK_EQ(pick(&r, prob(16, 2048, 100001)), MISS(ATTNROUTE_OUT_OF_DOMAIN)); /* domain first */
  {
    attnroute_choice ch;
    attnroute_problem p = prob(1, 128, 1);
    unsigned char unavailable[NCAND] = {0};
    unavailable[2] = 1; /* leaf {2, none, 3}: rank 2 answers */
    r.unavailable = unavailable;
    CHECK_EQ(attnroute_select(&r, &p, &ch), ATTNROUTE_OK);
    CHECK_EQ(ch.candidate, 3);
    CHECK_EQ(ch.rank, 2);
    r.unavailable = NULL;
  }
}

static void test_classes(void) {
  attnroute_class cls[3];
  attnroute_table t;
  attnroute_router r;
  attnroute_problem p;
  cls[0] = grid_class(ATTNROUTE_LOOKUP_FLOOR);
  cls[0].sliding_window = 128;
  cls[0].cells = cells + 5 * ATTNROUTE_TOPK; /* answers 5 + cell */
  cls[0].axis_len[0] = 1;
  cls[0].axis_len[1] = 1;
  cls[0].axis_len[2] = 1;
  cls[1] = grid_class(ATTNROUTE_LOOKUP_FLOOR);
  cls[1].sliding_window = 0; /* same as -1 */
  cls[1].has_sinks = 3;      /* same as 1 */
  cls[1].causal = 9;         /* same as 1 */
  cls[2] = grid_class(ATTNROUTE_LOOKUP_FLOOR);
  cls[2].cells = cells + 1 * ATTNROUTE_TOPK; /* shadowed by class 1 */
  t = table_of(cls, 3);
  CHECK_EQ(attnroute_router_init(&r, &t, "sm_90", 132), ATTNROUTE_OK);

  CHECK_EQ(pick(&r, prob(1, 1, 0)), 0); /* class 1, not 2 */
  p = prob(1, 1, 0);
  p.sliding_window = INT32_MIN;
  p.has_sinks = -1;
  p.causal = 2;
  CHECK_EQ(pick(&r, p), 0);
  p.sliding_window = 128;
  CHECK_EQ(pick(&r, p), 5); /* class 0 */
  p.sliding_window = 127;
  CHECK_EQ(pick(&r, p), MISS(ATTNROUTE_NO_CLASS));
#define NO_CLASS_IF(field, value)                                           \
  do {                                                                      \
    p = prob(1, 1, 0);                                                      \
    p.field = (value);                                                      \
    CHECK_EQ(pick(&r, p), MISS(ATTNROUTE_NO_CLASS));                        \
  } while (0)
  NO_CLASS_IF(head_dim, 128);
  NO_CLASS_IF(q_dtype, ATTNROUTE_DTYPE_FP16);
  NO_CLASS_IF(kv_dtype, ATTNROUTE_DTYPE_FP8_E4M3);
  NO_CLASS_IF(has_sinks, 0);
  NO_CLASS_IF(kv_block_size, 64);
  NO_CLASS_IF(causal, 0);
#undef NO_CLASS_IF
  /* Invalid problems are caught before any class. */
  p = prob(1, 1, 0);
  p.num_kv_heads = 3;
  CHECK_EQ(pick(&r, p), MISS(ATTNROUTE_BAD_PROBLEM));
}

int main(void) {
  int k;
  for (k = 0; k < NCAND; k++) {
    cands[k].name = names[k];
    cands[k].code_hash = "";
    cands[k].legacy_route = -1;
    cands[k].caps = tu_caps_any();
    cells[k * ATTNROUTE_TOPK] = (uint8_t)k;
    memset(cells + k * ATTNROUTE_TOPK + 1, ATTNROUTE_NO_CANDIDATE, ATTNROUTE_TOPK - 1);
  }
  for (k = 0; k < 6; k++) {
    tie_cells[k * ATTNROUTE_TOPK] = (uint8_t)k;
    memset(tie_cells + k * ATTNROUTE_TOPK + 1, ATTNROUTE_NO_CANDIDATE, ATTNROUTE_TOPK - 1);
  }
  test_grid();
  test_ties();
  test_tree();
  test_classes();
  return check_finish("test_lookup");
}
