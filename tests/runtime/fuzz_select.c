/*
** fuzz_select.c -- libFuzzer target (built only where -fsanitize=fuzzer
** works): the input bytes become a small table (one class, candidates,
** axes, cells or tree nodes) and a problem; select must not crash, hang or
** read out of bounds, and its answer must be well formed.  Every array is
** exactly as long as the table says.  The runtime's sources are compiled
** into the target, so libFuzzer sees (and steers by) their coverage.
*/
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

typedef struct bytes {
  const uint8_t *d;
  size_t n;
} bytes;

static uint32_t take(bytes *b, int nbytes) {
  uint32_t v = 0;
  int i;
  for (i = 0; i < nbytes; i++) {
    v = (v << 8) | (b->n ? *b->d : 0);
    if (b->n) {
      b->d++;
      b->n--;
    }
  }
  return v;
}

static int32_t take_i32(bytes *b) { return (int32_t)take(b, 4); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bytes b;
  attnroute_candidate cands[4];
  attnroute_class cls;
  attnroute_table table;
  attnroute_router r;
  attnroute_problem p;
  attnroute_choice c;
  int32_t axes[ATTNROUTE_NUM_AXES][4];
  uint8_t cells[4 * 4 * 4 * 4 * 4 * ATTNROUTE_TOPK];
  attnroute_tree_node nodes[8];
  int a, k, ret;
  size_t f;
  b.d = data;
  b.n = size;

  memset(&cls, 0, sizeof cls);
  for (k = 0; k < 4; k++) {
    cands[k].name = (take(&b, 1) & 7) ? "c" : NULL;
    cands[k].code_hash = "";
    cands[k].legacy_route = (int32_t)(take(&b, 1) % 6) - 1;
    cands[k].caps.head_dim_mask = take(&b, 4);
    cands[k].caps.q_dtype_mask = take(&b, 1);
    cands[k].caps.kv_dtype_mask = take(&b, 1);
    cands[k].caps.block_size_mask = take(&b, 4);
    cands[k].caps.sinks = (int32_t)(take(&b, 1) % 5) - 1;
    cands[k].caps.window = (int32_t)(take(&b, 1) % 5) - 1;
    cands[k].caps.causal = (int32_t)(take(&b, 1) % 5) - 1;
    cands[k].caps.max_seqlen_q = take_i32(&b);
    cands[k].caps.gqa_exact = (int32_t)(take(&b, 1) % 10);
  }
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    cls.axis_len[a] = (int32_t)(take(&b, 1) % 5); /* 0..4 */
    for (k = 0; k < 4; k++) axes[a][k] = take_i32(&b);
    cls.axis_values[a] = take(&b, 1) ? axes[a] : NULL;
  }
  cls.cells = cells; /* filled last, from the bytes left */
  for (k = 0; k < 8; k++) {
    nodes[k].axis = (int32_t)(take(&b, 1) % 8) - 1;
    {
      uint32_t bits = take(&b, 4);
      memcpy(&nodes[k].threshold, &bits, sizeof bits);
    }
    nodes[k].left = (int32_t)(take(&b, 1) % 10) - 1;
    nodes[k].right = (int32_t)(take(&b, 1) % 10) - 1;
    for (a = 0; a < ATTNROUTE_TOPK; a++) nodes[k].leaf[a] = (uint8_t)take(&b, 1);
  }
  cls.nodes = nodes;
  cls.num_nodes = (int32_t)(take(&b, 1) % 9);
  cls.lookup = (int32_t)(take(&b, 1) % 5) - 1;
  cls.ragged_key = (int32_t)(take(&b, 1) % 5) - 1;
  cls.edge_clamp = take(&b, 4);

  for (f = 0; f < sizeof p / sizeof(int32_t); f++) ((int32_t *)&p)[f] = take_i32(&b);
  /* Let the class match the problem most of the time. */
  if (take(&b, 1) & 3) {
    cls.head_dim = p.head_dim;
    cls.q_dtype = p.q_dtype;
    cls.kv_dtype = p.kv_dtype;
    cls.has_sinks = p.has_sinks;
    cls.sliding_window = p.sliding_window;
    cls.kv_block_size = p.kv_block_size;
    cls.causal = p.causal;
  }
  memset(&table, 0, sizeof table);
  table.abi = ATTNROUTE_TABLE_ABI;
  table.struct_size = sizeof table;
  table.arch = "fuzz";
  table.cu_count = 1;
  table.num_candidates = (int32_t)(take(&b, 1) % 6) - 1; /* -1..4 */
  table.candidates = cands;
  table.num_classes = 1;
  table.classes = &cls;
  attnroute_router_init(&r, &table, "fuzz", 1);
  r.policy = (int32_t)(take(&b, 1) % 4) - 1;
  r.env.step = (int32_t)(take(&b, 1) % 4) - 1;
  r.env.use_unified_attn = (int32_t)take(&b, 1) & 1;
  /* The cells (4 KiB) come last, so a short input already sets every field
  ** above: with them first, libFuzzer's default 4096-byte input cap never
  ** reached the problem. */
  for (f = 0; f < sizeof cells; f++) cells[f] = (uint8_t)take(&b, 1);
  ret = attnroute_select(&r, &p, &c);
  tu_check_choice(&r, &p, &c, ret);
  if (check_failures) abort();
  return 0;
}
