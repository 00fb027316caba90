/*
** candidates_host.h -- the host backend's candidate table (candidates_host.c),
** for candidates_for_backend("host").
*/
#ifndef AR_CANDIDATES_HOST_H
#define AR_CANDIDATES_HOST_H

#include "candidate.h"

/* The host candidates, in a stable order; *count set. */
const ar_candidate *const *ar_candidates_host(int *count);

#endif /* AR_CANDIDATES_HOST_H */
