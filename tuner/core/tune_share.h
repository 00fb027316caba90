/*
** tune_share.h -- what the drivers of a multi-device run (--devices) share.
**
** attnroute-tune --devices 0,1,2 forks one driver process per device; each
** starts its own worker on its device, opens its own db connection and
** measures whole shapes (every candidate of a shape on one device).  They
** share one anonymous shared mapping, made before the fork: the queue of
** shapes (heaviest first), a claim flag per shape, the device row of each
** driver (a shape already partly measured on one of them goes back to it),
** and progress counters the parent draws.
*/
#ifndef AR_TUNE_SHARE_H
#define AR_TUNE_SHARE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "outcome.h"

#define AR_MAX_DEVICES 64

typedef struct ar_share {
  int ndrivers;
  size_t nshapes;
  atomic_size_t next;                  /* next position in order[] */
  atomic_int registered;               /* drivers done starting (ok or not) */
  atomic_llong device_ids[AR_MAX_DEVICES]; /* device row of driver i; 0 = not (yet) started */
  atomic_size_t done_items;
  atomic_ullong done_work;             /* estimated seconds done, in microseconds */
  atomic_size_t counts[AR_NUM_STATUS]; /* by ar_status */
  atomic_size_t skipped_shapes, too_large, unrecorded; /* summed over the drivers */
  size_t *order;                       /* nshapes positions, heaviest first */
  atomic_uchar *claimed;               /* per shape: taken by a driver */
} ar_share;

/* Map a share for ndrivers over the shapes in order[] (copied).  NULL on failure. */
ar_share *ar_share_create(int ndrivers, const size_t *order, size_t nshapes);
void ar_share_destroy(ar_share *sh);

/* Claim shape s; 1 when this caller got it. */
int ar_share_claim(ar_share *sh, size_t s);

/* Next shape for the driver whose device row is me, or -1 when none is left:
** first the shapes owner[] gives to me, then the queue, skipping shapes
** whose owner is another started driver of this run.  owner[s] = device row
** that holds earlier measurements of shape s (0 = none). */
long ar_share_next(ar_share *sh, int64_t me, const int64_t *owner, size_t *own_pos);

/* Wait until every driver has registered (started or failed); -1 when
** interrupted. */
int ar_share_wait_registered(ar_share *sh, const volatile int *interrupted);

void ar_share_step(ar_share *sh, int status, double work);

#endif /* AR_TUNE_SHARE_H */
