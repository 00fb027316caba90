/*
** legacy_dump.c -- the runtime's legacy gates, one problem per line, for
** comparison with gen/attnroute_gen/legacy.py (tests/tools/test_tools.py legacy_vs_c).
**
** stdin, one call per line, 22 integers: the attnroute_problem fields in
** struct order (num_seqs max_seqlen_q max_seqlen_k has_cached num_q_heads
** num_kv_heads head_dim q_dtype kv_dtype has_sinks sliding_window
** kv_block_size causal), then the attnroute_env fields in struct order
** (step force_triton use_unified_attn asm_arch has_alibi has_dropout
** has_cu_seqlens flash_layout cu_count).
** stdout: "<post-1345 route> <pre-1345 route>" per line.  A line that does
** not hold 22 integers ends the run with exit status 2 naming the line.
*/
#include <stdio.h>

#include "attnroute.h"

#define FIELDS 22

int main(void) {
  char line[1024];
  long lineno = 0;
  while (fgets(line, sizeof line, stdin)) {
    int v[FIELDS], n = 0, used = 0, pos = 0;
    attnroute_problem p;
    attnroute_env env;
    attnroute_problem_init(&p); /* total_seqlen_q/k stay 0: a uniform batch */
    attnroute_env_init(&env);
    lineno++;
    while (n < FIELDS && sscanf(line + pos, "%d%n", &v[n], &used) == 1) {
      pos += used;
      n++;
    }
    if (n != FIELDS) {
      fprintf(stderr, "legacy_dump: stdin:%ld: expected %d integers, read %d\n", lineno, FIELDS, n);
      return 2;
    }
    p.num_seqs = v[0];
    p.max_seqlen_q = v[1];
    p.max_seqlen_k = v[2];
    p.has_cached = v[3];
    p.num_q_heads = v[4];
    p.num_kv_heads = v[5];
    p.head_dim = v[6];
    p.q_dtype = v[7];
    p.kv_dtype = v[8];
    p.has_sinks = v[9];
    p.sliding_window = v[10];
    p.kv_block_size = v[11];
    p.causal = v[12];
    env.step = v[13];
    env.force_triton = v[14];
    env.use_unified_attn = v[15];
    env.asm_arch = v[16];
    env.has_alibi = v[17];
    env.has_dropout = v[18];
    env.has_cu_seqlens = v[19];
    env.flash_layout = v[20];
    env.cu_count = v[21];
    printf("%d %d\n", attnroute_legacy_route(ATTNROUTE_POLICY_POST_1345, &env, &p),
           attnroute_legacy_route(ATTNROUTE_POLICY_PRE_1345, &env, &p));
  }
  return 0;
}
