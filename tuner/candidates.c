/*
** candidates.c -- the candidate tables of each backend, in one place:
** candidates_for_backend() and the reference kernel of device backends.
** Backends not compiled in offer no candidates.
*/
#include <string.h>

#include "candidate.h"
#include "measure.h"

const ar_candidate *const *ar_candidates_host(int *count);
#ifdef AR_HAVE_CUDA
const ar_candidate *const *ar_candidates_cuda(int *count);
const ar_candidate *ar_reference_cuda(void);
#endif
#ifdef AR_HAVE_HIP
const ar_candidate *const *ar_candidates_hip(int *count);
const ar_candidate *ar_reference_hip(void);
#endif

const ar_candidate *const *candidates_for_backend(const char *backend, int *count) {
  *count = 0;
  if (strcmp(backend, "host") == 0) return ar_candidates_host(count);
#ifdef AR_HAVE_CUDA
  if (strcmp(backend, "cuda") == 0) return ar_candidates_cuda(count);
#endif
#ifdef AR_HAVE_HIP
  if (strcmp(backend, "hip") == 0) return ar_candidates_hip(count);
#endif
  return NULL;
}

const ar_candidate *ar_reference_candidate(const char *backend) {
#ifdef AR_HAVE_CUDA
  if (strcmp(backend, "cuda") == 0) return ar_reference_cuda();
#endif
#ifdef AR_HAVE_HIP
  if (strcmp(backend, "hip") == 0) return ar_reference_hip();
#endif
  (void)backend;
  return NULL;
}
