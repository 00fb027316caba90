/*
** bench_select.c -- how long one attnroute_select takes on a table shaped
** like a real one (gpt-oss grid: 8 x 10 x 8 x 4 x 4 cells), per lookup kind
** and for a miss.  A tool, not a test: it prints nanoseconds per call and
** asserts nothing.  Usage: bench_select [iterations]
*/
#include <stdlib.h>
#include <time.h>

#include "test_util.h"

static const int32_t seqs[] = {1, 2, 4, 8, 16, 32, 64, 128};
static const int32_t sqs[] = {1, 16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384};
static const int32_t cached[] = {0, 512, 2048, 4096, 8192, 16384, 32768, 65536};
static const int32_t heads[] = {8, 16, 32, 64};
static const int32_t gqas[] = {1, 4, 8, 16};
static uint8_t cells[8 * 10 * 8 * 4 * 4 * ATTNROUTE_TOPK];
static attnroute_tree_node nodes[63];
static attnroute_candidate cands[4];

/* A full tree of depth 5 over rotating axes. */
static int32_t build(int32_t at, int depth) {
  static int32_t next = 0;
  int32_t me = next++;
  (void)at;
  if (depth == 5) {
    nodes[me].axis = -1;
    memset(nodes[me].leaf, ATTNROUTE_NO_CANDIDATE, ATTNROUTE_TOPK);
    nodes[me].leaf[0] = (uint8_t)(me % 4);
    return me;
  }
  nodes[me].axis = depth % ATTNROUTE_NUM_AXES;
  nodes[me].threshold = 1.5f + (float)depth * 2.0f;
  nodes[me].left = build(me, depth + 1);
  nodes[me].right = build(me, depth + 1);
  return me;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 20000000L, i;
  attnroute_class cls;
  attnroute_table t;
  attnroute_router r;
  attnroute_problem probs[64];
  static const char *const kinds[] = {"nearest_log", "floor", "tree", "miss (no class)"};
  int k;
  tu_rng rng = {42};
  for (i = 0; i < (long)sizeof cells; i++) cells[i] = (uint8_t)(i % 5 == 4 ? 255 : i % 4);
  for (k = 0; k < 4; k++) {
    cands[k].name = "c";
    cands[k].code_hash = "";
    cands[k].legacy_route = k;
    cands[k].caps = tu_caps_any();
  }
  build(0, 0);
  cls = tu_gptoss_class(ATTNROUTE_LOOKUP_NEAREST_LOG);
  cls.axis_len[0] = 8, cls.axis_values[0] = seqs;
  cls.axis_len[1] = 10, cls.axis_values[1] = sqs;
  cls.axis_len[2] = 8, cls.axis_values[2] = cached;
  cls.axis_len[3] = 4, cls.axis_values[3] = heads;
  cls.axis_len[4] = 4, cls.axis_values[4] = gqas;
  cls.cells = cells;
  cls.nodes = nodes;
  cls.num_nodes = 63;
  memset(&t, 0, sizeof t);
  t.abi = ATTNROUTE_TABLE_ABI;
  t.struct_size = sizeof t;
  t.arch = "bench";
  t.cu_count = 1;
  t.num_candidates = 4;
  t.candidates = cands;
  t.num_classes = 1;
  t.classes = &cls;
  for (k = 0; k < 64; k++) {
    attnroute_problem p = tu_gptoss();
    p.num_seqs = tu_range(&rng, 1, 128);
    p.max_seqlen_q = tu_range(&rng, 1, 16384);
    p.max_seqlen_k = p.max_seqlen_q + tu_range(&rng, 0, 65536);
    p.num_kv_heads = 1 << tu_range(&rng, 0, 2);
    p.num_q_heads = p.num_kv_heads * (int32_t)(1u << tu_range(&rng, 2, 3));
    probs[k] = p;
  }
  attnroute_router_init(&r, &t, "bench", 1);
  for (k = 0; k < 4; k++) {
    attnroute_choice c;
    double t0, t1;
    long sum = 0;
    cls.lookup = k < 3 ? k : ATTNROUTE_LOOKUP_NEAREST_LOG;
    cls.head_dim = k < 3 ? 64 : 128; /* the miss: no class for the problems */
    t0 = now_ns();
    for (i = 0; i < iters; i++) {
      attnroute_select(&r, &probs[i & 63], &c);
      sum += c.candidate + c.reason;
    }
    t1 = now_ns();
    printf("%-16s %6.1f ns/select  (checksum %ld)\n", kinds[k], (t1 - t0) / (double)iters, sum);
  }
  return 0;
}
