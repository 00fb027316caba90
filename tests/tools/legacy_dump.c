/*
** legacy_dump.c -- the runtime's legacy gates, one problem per line, for
** comparison with tools/legacy.py (tests/tools/test_tools.py legacy_vs_c).
**
** stdin:  "num_seqs sq sk q_heads kv_heads head_dim sinks window block dtype step"
** stdout: "<post-1345 route> <pre-1345 route>"
*/
#include <stdio.h>

#include "attnroute.h"

int main(void) {
  int ns, sq, sk, hq, hkv, hd, sinks, window, block, dtype, step;
  while (scanf("%d %d %d %d %d %d %d %d %d %d %d", &ns, &sq, &sk, &hq, &hkv, &hd, &sinks,
               &window, &block, &dtype, &step) == 11) {
    attnroute_problem p;
    attnroute_env env;
    attnroute_problem_init(&p);
    attnroute_env_init(&env);
    p.num_seqs = ns;
    p.max_seqlen_q = sq;
    p.max_seqlen_k = sk;
    p.has_cached = sk > sq;
    p.num_q_heads = hq;
    p.num_kv_heads = hkv;
    p.head_dim = hd;
    p.has_sinks = sinks;
    p.sliding_window = window;
    p.kv_block_size = block;
    p.q_dtype = dtype;
    p.kv_dtype = dtype;
    env.step = step;
    printf("%d %d\n", attnroute_legacy_route(ATTNROUTE_POLICY_POST_1345, &env, &p),
           attnroute_legacy_route(ATTNROUTE_POLICY_PRE_1345, &env, &p));
  }
  return 0;
}
