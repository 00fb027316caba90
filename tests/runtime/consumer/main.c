/*
** main.c -- the consumer of the installed attnroute runtime (install test):
** header and library agree on the version, and a select answers.
*/
#include <stdio.h>
#include <string.h>

#include "attnroute.h"

int main(void) {
  attnroute_router r;
  attnroute_problem p;
  attnroute_choice c;
  attnroute_router_init(&r, NULL, "sm_90", 132);
  attnroute_problem_init(&p);
  p.num_seqs = 4;
  p.max_seqlen_q = 2048;
  p.max_seqlen_k = 6144;
  p.has_cached = 1;
  p.num_q_heads = 64;
  p.num_kv_heads = 8;
  p.head_dim = 64;
  p.has_sinks = 1;
  if (attnroute_version() != ATTNROUTE_VERSION) return 1;
  if (attnroute_select(&r, &p, &c) != ATTNROUTE_NO_TABLE) return 2;
  if (strcmp(c.name, "legacy:dense_sink_asm") != 0) return 3;
  printf("consumer: %s (%s)\n", c.name, attnroute_status_str(c.reason));
  return 0;
}
