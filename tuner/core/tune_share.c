/*
** tune_share.c -- the shared state of a multi-device run (see tune_share.h).
*/
#include "tune_share.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

static size_t share_bytes(size_t nshapes) {
  size_t n = nshapes ? nshapes : 1;
  return sizeof(ar_share) + n * sizeof(size_t) + n * sizeof(atomic_uchar);
}

ar_share *ar_share_create(int ndrivers, const size_t *order, size_t nshapes) {
  if (ndrivers < 1 || ndrivers > AR_MAX_DEVICES) return NULL;
  void *m = mmap(NULL, share_bytes(nshapes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  ar_share *sh = m; /* zero-filled by mmap */
  sh->ndrivers = ndrivers;
  sh->nshapes = nshapes;
  sh->order = (size_t *)(sh + 1);
  sh->claimed = (atomic_uchar *)(sh->order + (nshapes ? nshapes : 1));
  if (nshapes) memcpy(sh->order, order, nshapes * sizeof *order);
  for (size_t i = 0; i < nshapes; i++) atomic_init(&sh->claimed[i], 0);
  atomic_init(&sh->next, 0);
  atomic_init(&sh->registered, 0);
  atomic_init(&sh->done_items, 0);
  atomic_init(&sh->done_work, 0);
  for (int i = 0; i < AR_MAX_DEVICES; i++) atomic_init(&sh->device_ids[i], 0);
  for (int i = 0; i < 5; i++) atomic_init(&sh->counts[i], 0);
  atomic_init(&sh->skipped_shapes, 0);
  atomic_init(&sh->too_large, 0);
  atomic_init(&sh->unrecorded, 0);
  return sh;
}

void ar_share_destroy(ar_share *sh) {
  if (sh) munmap(sh, share_bytes(sh->nshapes));
}

int ar_share_claim(ar_share *sh, size_t s) { return atomic_exchange(&sh->claimed[s], 1) == 0; }

static int owned_by_other_driver(ar_share *sh, int64_t me, int64_t owner) {
  if (owner == 0 || owner == me) return 0;
  for (int i = 0; i < sh->ndrivers; i++)
    if (atomic_load(&sh->device_ids[i]) == owner) return 1;
  return 0;
}

long ar_share_next(ar_share *sh, int64_t me, const int64_t *owner, size_t *own_pos) {
  while (*own_pos < sh->nshapes) {
    size_t s = sh->order[(*own_pos)++];
    if (owner[s] == me && ar_share_claim(sh, s)) return (long)s;
  }
  for (;;) {
    size_t pos = atomic_fetch_add(&sh->next, 1);
    if (pos >= sh->nshapes) return -1;
    size_t s = sh->order[pos];
    if (owned_by_other_driver(sh, me, owner[s])) continue;
    if (ar_share_claim(sh, s)) return (long)s;
  }
}

int ar_share_wait_registered(ar_share *sh, const volatile int *interrupted) {
  struct timespec ts = {0, 10 * 1000 * 1000};
  while (atomic_load(&sh->registered) < sh->ndrivers) {
    if (*interrupted) return -1;
    nanosleep(&ts, NULL);
  }
  return 0;
}

void ar_share_step(ar_share *sh, int status, double work) {
  atomic_fetch_add(&sh->done_items, 1);
  atomic_fetch_add(&sh->done_work, (unsigned long long)(work > 0 ? work * 1e6 : 0));
  if (status >= 0 && status < 5) atomic_fetch_add(&sh->counts[status], 1);
}
