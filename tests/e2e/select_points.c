/*
** select_points.c -- compiled by test_e2e_host.py against a freshly
** generated table header: reads problems from stdin, one per line
**   head_dim sinks window block causal num_seqs seqlen_q cached q_heads kv_heads
** and prints, per line, the chosen candidate's name and whether the table
** answered ("name from_table reason").
*/
#include <stdio.h>

#include "attnroute.h"
#include "table.h"

int main(void) {
  attnroute_router r;
  if (attnroute_router_init(&r, &ATTNROUTE_E2E_TABLE, ATTNROUTE_E2E_TABLE.arch,
                            ATTNROUTE_E2E_TABLE.cu_count) != ATTNROUTE_OK) {
    fprintf(stderr, "the table was refused for its own device\n");
    return 1;
  }
  int d, sinks, win, block, causal, ns, sq, cached, hq, hkv;
  while (scanf("%d %d %d %d %d %d %d %d %d %d", &d, &sinks, &win, &block, &causal, &ns, &sq, &cached,
               &hq, &hkv) == 10) {
    attnroute_problem p;
    attnroute_problem_init(&p);
    p.head_dim = d;
    p.has_sinks = sinks;
    p.sliding_window = win;
    p.kv_block_size = block;
    p.causal = causal;
    p.num_seqs = ns;
    p.max_seqlen_q = sq;
    p.max_seqlen_k = sq + cached;
    p.has_cached = cached > 0;
    p.num_q_heads = hq;
    p.num_kv_heads = hkv;
    attnroute_choice c;
    attnroute_select(&r, &p, &c);
    printf("%s %d %s\n", c.name, c.from_table, attnroute_status_str(c.reason));
  }
  return 0;
}
