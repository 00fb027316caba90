/* main.c -- reads the table generated at build time; exit 0 when it is the
** fixture's (4 candidates, 2 classes, keyed gfx1250:256) and, when linked
** with the runtime (CONSUMER_SELECT), the router binds it and answers. */
#include <string.h>

#include "consumer_table.h"

int main(void) {
  if (!(consumer_table.num_candidates == 4 && consumer_table.num_classes == 2 &&
        strcmp(consumer_table.arch, "gfx1250") == 0 && consumer_table.cu_count == 256))
    return 1;
#ifdef CONSUMER_SELECT
  attnroute_router r;
  attnroute_problem p;
  attnroute_choice c;
  if (attnroute_router_init(&r, &consumer_table, "gfx1250", 256) != ATTNROUTE_OK) return 2;
  attnroute_problem_init(&p);
  p.num_seqs = 1;
  p.max_seqlen_q = 1;
  p.max_seqlen_k = 4096;
  p.has_cached = 1;
  p.num_q_heads = 64;
  p.num_kv_heads = 8;
  p.head_dim = 64;
  p.has_sinks = 1;
  attnroute_select(&r, &p, &c);
  if (!c.name || !c.name[0]) return 3;
#endif
  return 0;
}
