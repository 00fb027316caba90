/*
** test_fallback.c -- what happens when the first-ranked candidate cannot
** run: capability limits and engine-unavailable flags move the answer down
** the ranking; when nothing in the cell can run, the legacy policy answers
** (UNSUPPORTED), naming the table's stand-in for the legacy route when that
** one can run.  Also empty and bad cells, the miss hook and the ready-made
** miss counter.  Built twice: against the static and the shared library.
*/
#include "test_util.h"

enum { C_DENSE, C_PAGED, C_SPLIT, C_PADEC, NCAND };
static attnroute_candidate cands[NCAND];
static const int32_t big[] = {1, 100000}, zero_big[] = {0, 100000}, ratio[] = {1, 64};
static uint8_t cells[32 * ATTNROUTE_TOPK];
static attnroute_class cls;
static attnroute_table table;

/* Every cell of the one class gets the same ranking. */
static void set_ranking(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  int k;
  for (k = 0; k < 32; k++) {
    cells[k * 4 + 0] = a;
    cells[k * 4 + 1] = b;
    cells[k * 4 + 2] = c;
    cells[k * 4 + 3] = d;
  }
}

static void setup(void) {
  int a;
  attnroute_caps any = tu_caps_any();
  cands[C_DENSE].name = "dense_sink.gather";
  cands[C_DENSE].legacy_route = ATTNROUTE_ROUTE_DENSE_SINK_ASM;
  cands[C_DENSE].caps = any;
  cands[C_DENSE].caps.head_dim_mask = 1u << 3;
  cands[C_DENSE].caps.sinks = ATTNROUTE_CAP_REQUIRED;
  cands[C_DENSE].caps.max_seqlen_q = 1024;
  cands[C_PAGED].name = "paged.bm64";
  cands[C_PAGED].legacy_route = ATTNROUTE_ROUTE_TRITON_PAGED;
  cands[C_PAGED].caps = any;
  cands[C_SPLIT].name = "paged.splitkv";
  cands[C_SPLIT].legacy_route = ATTNROUTE_ROUTE_TRITON_SPLITKV;
  cands[C_SPLIT].caps = any;
  cands[C_SPLIT].caps.max_seqlen_q = 16;
  cands[C_PADEC].name = "pa_decode";
  cands[C_PADEC].legacy_route = ATTNROUTE_ROUTE_ASM_PAGED_DECODE;
  cands[C_PADEC].caps = any;
  cands[C_PADEC].caps.kv_dtype_mask = 1u << ATTNROUTE_DTYPE_FP8_E4M3;
  for (a = 0; a < NCAND; a++) cands[a].code_hash = "";

  cls = tu_gptoss_class(ATTNROUTE_LOOKUP_FLOOR);
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    cls.axis_len[a] = 2;
    cls.axis_values[a] = big;
  }
  cls.axis_values[ATTNROUTE_AXIS_CACHED] = zero_big;
  cls.axis_values[ATTNROUTE_AXIS_GQA] = ratio;
  cls.cells = cells;

  table.abi = ATTNROUTE_TABLE_ABI;
  table.struct_size = sizeof table;
  table.arch = "gfx1250";
  table.cu_count = 256;
  table.device_name = "test";
  table.provenance = "tests/runtime/test_fallback.c";
  table.num_candidates = NCAND;
  table.candidates = cands;
  table.num_classes = 1;
  table.classes = &cls;
}

static void test_ranking(void) {
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = tu_gptoss(); /* sq 2048: too long for C_DENSE (1024) */
  unsigned char unavailable[NCAND] = {0};
  CHECK_EQ(attnroute_router_init(&r, &table, "gfx1250", 256), ATTNROUTE_OK);
  r.env.use_unified_attn = 1; /* the configuration PR #1345 changed */

  set_ranking(C_DENSE, C_PAGED, 255, 255);
  p.max_seqlen_q = 1024;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, C_DENSE);
  CHECK_EQ(c.rank, 0);
  CHECK_STR(c.name, "dense_sink.gather");
  CHECK_EQ(c.from_table, 1);
  CHECK_EQ(c.route, -1);

  /* First-ranked unsupported: the second answers, from the table. */
  p.max_seqlen_q = 2048;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, C_PAGED);
  CHECK_EQ(c.rank, 1);
  CHECK_STR(c.name, "paged.bm64");
  CHECK_EQ(c.from_table, 1);

  /* First-ranked unavailable on this engine: the same. */
  p.max_seqlen_q = 1024;
  unavailable[C_DENSE] = 1;
  r.unavailable = unavailable;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, C_PAGED);
  CHECK_EQ(c.rank, 1);
  r.unavailable = NULL;

  /* A gap and a bad index in the ranking are skipped; ranks keep slots. */
  set_ranking(255, 77, C_SPLIT, C_PAGED);
  p.max_seqlen_q = 8;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, C_SPLIT);
  CHECK_EQ(c.rank, 2);
  p.max_seqlen_q = 17;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(c.candidate, C_PAGED);
  CHECK_EQ(c.rank, 3);

  /* Nothing in the cell can run: the legacy policy, with its stand-in. */
  set_ranking(C_DENSE, C_SPLIT, C_PADEC, 255);
  p.max_seqlen_q = 2048;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_UNSUPPORTED);
  CHECK_EQ(c.from_table, 0);
  CHECK_EQ(c.reason, ATTNROUTE_UNSUPPORTED);
  CHECK_EQ(c.rank, -1);
  CHECK_EQ(c.route, ATTNROUTE_ROUTE_DENSE_SINK_ASM); /* post-1345 gates pass */
  CHECK_EQ(c.candidate, -1); /* the dense stand-in cannot take sq 2048 */
  CHECK_STR(c.name, "legacy:dense_sink_asm");
  r.policy = ATTNROUTE_POLICY_PRE_1345; /* cached prefix: the gather, then Triton */
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_UNSUPPORTED);
  CHECK_EQ(c.route, ATTNROUTE_ROUTE_TRITON_PAGED_GATHER);
  CHECK_EQ(c.candidate, -1); /* no stand-in for the gather route in this table */
  CHECK_STR(c.name, "legacy:triton_paged_gather");
  p.has_cached = 0; /* sq != sk without a prefix: Triton paged, no gather */
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_UNSUPPORTED);
  CHECK_EQ(c.route, ATTNROUTE_ROUTE_TRITON_PAGED);
  CHECK_EQ(c.candidate, C_PAGED); /* not in the cell, but stands in for the route */
  CHECK_STR(c.name, "paged.bm64");
  CHECK_EQ(c.from_table, 0);
  CHECK_EQ(c.rank, -1);
  unavailable[C_DENSE] = 0;
  unavailable[C_PAGED] = 1;
  r.unavailable = unavailable;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_UNSUPPORTED);
  CHECK_EQ(c.candidate, -1);
  CHECK_STR(c.name, "legacy:triton_paged");
  r.unavailable = NULL;
  r.policy = ATTNROUTE_POLICY_POST_1345;
  p.has_cached = 1;

  /* Empty cells: no slot names a candidate of the table. */
  set_ranking(255, 255, 255, 255);
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_EMPTY_CELL);
  CHECK_EQ(c.candidate, -1);
  CHECK_EQ(c.route, ATTNROUTE_ROUTE_DENSE_SINK_ASM);
  set_ranking(NCAND, 200, 254, 255);
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_EMPTY_CELL);

  /* A candidate without a name cannot be run. */
  set_ranking(C_PAGED, 255, 255, 255);
  cands[C_PAGED].name = NULL;
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_UNSUPPORTED);
  CHECK(c.name != NULL);
  cands[C_PAGED].name = "paged.bm64";

  /* Decode through the legacy stand-in: page 256 with fp8 KV. */
  {
    attnroute_class saved = cls;
    attnroute_problem d = p;
    cls.kv_block_size = 256;
    cls.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3;
    d.kv_block_size = 256;
    d.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3;
    d.max_seqlen_q = 1;
    set_ranking(C_DENSE, 255, 255, 255); /* sinks + D64 + sq 1: supported */
    CHECK_EQ(attnroute_select(&r, &d, &c), ATTNROUTE_OK);
    CHECK_EQ(c.candidate, C_DENSE);
    d.causal = 0; /* no class for it now (ATOM's gates ignore causal) */
    CHECK_EQ(attnroute_select(&r, &d, &c), ATTNROUTE_NO_CLASS);
    CHECK_EQ(c.route, ATTNROUTE_ROUTE_ASM_PAGED_DECODE);
    CHECK_EQ(c.candidate, C_PADEC);
    CHECK_STR(c.name, "pa_decode");
    d.has_sinks = 0; /* pa_persistent_fwd: no gfx1250 code object */
    CHECK_EQ(attnroute_select(&r, &d, &c), ATTNROUTE_NO_CLASS);
    CHECK_EQ(c.route, ATTNROUTE_ROUTE_ENGINE_ERROR);
    CHECK_EQ(c.candidate, -1);
    CHECK_STR(c.name, "legacy:engine_error");
    cls = saved;
  }
}

static int hook_calls;
static void counting_hook(void *user, const attnroute_problem *p, const attnroute_choice *c) {
  attnroute_miss_count(user, p, c);
  hook_calls++;
}

static void test_miss_hook(void) {
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = tu_gptoss();
  attnroute_miss_counter m;
  int i;
  memset(&m, 0, sizeof m);
  CHECK_EQ(attnroute_router_init(&r, &table, "gfx1250", 256), ATTNROUTE_OK);
  r.on_miss = counting_hook;
  r.miss_user = &m;

  set_ranking(C_PAGED, 255, 255, 255);
  CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_OK);
  CHECK_EQ(hook_calls, 0); /* hits are not misses */

  p.num_seqs = 100001; /* out of domain */
  for (i = 0; i < 3; i++) CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_OUT_OF_DOMAIN);
  p.num_seqs = 4;
  p.head_dim = 128;
  CHECK_EQ(attnroute_select(&r, &p, NULL), ATTNROUTE_NO_CLASS); /* out NULL: still a miss */
  CHECK_EQ(attnroute_select(&r, NULL, &c), ATTNROUTE_BAD_ARGUMENT);
  CHECK_EQ(hook_calls, 5);
  CHECK_EQ(m.total, 5);
  CHECK_EQ(m.by_reason[ATTNROUTE_OUT_OF_DOMAIN], 3);
  CHECK_EQ(m.by_reason[ATTNROUTE_NO_CLASS], 1);
  CHECK_EQ(m.by_reason[ATTNROUTE_BAD_ARGUMENT], 1);
  CHECK_EQ(m.by_reason[ATTNROUTE_OK], 0);
  CHECK_EQ(m.next, 4); /* the NULL problem is counted, not kept */
  CHECK_EQ(m.recent[0].num_seqs, 100001);
  CHECK_EQ(m.recent[3].head_dim, 128);

  /* The ring wraps after ATTNROUTE_MISS_RING problems. */
  for (i = 0; i < ATTNROUTE_MISS_RING + 2; i++) {
    p.head_dim = 1000 + i;
    attnroute_select(&r, &p, &c);
  }
  CHECK_EQ(m.total, 5 + ATTNROUTE_MISS_RING + 2);
  CHECK_EQ(m.next, (4 + ATTNROUTE_MISS_RING + 2) % ATTNROUTE_MISS_RING);
  CHECK_EQ(m.recent[(m.next + ATTNROUTE_MISS_RING - 1) % ATTNROUTE_MISS_RING].head_dim,
           1000 + ATTNROUTE_MISS_RING + 1);

  /* The counter itself on odd input. */
  attnroute_miss_count(NULL, &p, &c);
  m.next = 1000; /* a corrupt index is taken modulo the ring */
  attnroute_miss_count(&m, &p, NULL);
  CHECK(m.next < ATTNROUTE_MISS_RING);
  c.reason = 99;
  attnroute_miss_count(&m, NULL, &c);
  CHECK_EQ(m.total, 5 + ATTNROUTE_MISS_RING + 2 + 2);
}

int main(void) {
  setup();
  test_ranking();
  test_miss_hook();
  return check_finish("test_fallback");
}
