/*
** candidates.c -- the candidate tables of each backend, in one place:
** candidates_for_backend() and the reference kernel of device backends.
** Backends not compiled in offer no candidates.
*/
#include <string.h>

#include "candidate.h"
#include "measure.h"

const ar_candidate *const *ar_candidates_host(int *count);
const ar_candidate *const *ar_candidates_test(int *count);
#ifdef AR_HAVE_CUDA
const ar_candidate *const *ar_candidates_cuda(int *count);
const ar_candidate *ar_reference_cuda(void);
#endif
#ifdef AR_HAVE_HIP
#include "hip_candidates.h"
#endif

/* Host candidates, plus the deliberately bad ones when tests ask for them. */
static const ar_candidate *const *host_list(int *count) {
  static const ar_candidate *list[64];
  static int n = -1;
  if (n < 0) {
    int nh = 0, nt = 0;
    const ar_candidate *const *h = ar_candidates_host(&nh);
    const ar_candidate *const *t = ar_candidates_test(&nt);
    n = 0;
    for (int i = 0; i < nh && n < 64; i++) list[n++] = h[i];
    for (int i = 0; i < nt && n < 64; i++) list[n++] = t[i];
  }
  *count = n;
  return list;
}

const ar_candidate *const *candidates_for_backend(const char *backend, int *count) {
  *count = 0;
  if (strcmp(backend, "host") == 0) return host_list(count);
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

int ar_candidate_available(const char *backend, const ar_candidate *c, char *why, size_t whylen) {
#ifdef AR_HAVE_HIP
  if (strcmp(backend, "hip") == 0) return ar_hip_candidate_available(c, why, whylen);
#endif
  (void)backend;
  (void)c;
  (void)why;
  (void)whylen;
  return 1;
}

void ar_candidates_configure(const char *aiter_hsa_dir) {
#ifdef AR_HAVE_HIP
  ar_hip_set_aiter_dir(aiter_hsa_dir);
#else
  (void)aiter_hsa_dir;
#endif
}
