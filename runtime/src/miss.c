/*
** miss.c -- the ready-made miss hook: counts misses by reason and keeps the
** last ATTNROUTE_MISS_RING problems.
*/
#include <stddef.h>

#include "attnroute.h"

/*
** An attnroute_miss_fn; user points to an attnroute_miss_counter.  Counts
** every call in `total`, in `by_reason` when choice->reason is a status, and
** copies a non-NULL problem into the ring.  NULL user is ignored.
*/
void attnroute_miss_count(void *user, const attnroute_problem *problem,
                          const attnroute_choice *choice) {
  attnroute_miss_counter *m = (attnroute_miss_counter *)user;
  if (!m) return;
  m->total++;
  if (choice && choice->reason >= 0 && choice->reason < ATTNROUTE_NUM_STATUS)
    m->by_reason[choice->reason]++;
  if (problem) {
    uint32_t slot = m->next % ATTNROUTE_MISS_RING;
    m->recent[slot] = *problem;
    m->next = (slot + 1) % ATTNROUTE_MISS_RING;
  }
}
