/*
** candidates.c -- the candidate tables of each backend, in one place:
** candidates_for_backend(), the reference kernel of device backends, and
** the candidates a test build adds (ar_candidates_add).  Backends not
** compiled in offer no candidates.
*/
#include <string.h>

#include "candidate.h"
#include "candidates_host.h"
#include "kernel_path.h"
#ifdef AR_HAVE_CUDA
const ar_candidate *const *ar_candidates_cuda(int *count);
const ar_candidate *ar_reference_cuda(void);
#endif
#ifdef AR_HAVE_HIP
#include "hip_candidates.h"
#endif

#define MAX_EXTRA 4
#define MAX_LIST 128

static struct {
  const char *backend;
  const ar_candidate *const *list;
  int count;
} extra[MAX_EXTRA];
static int nextra;

int ar_candidates_add(const char *backend, const ar_candidate *const *list, int count) {
  if (nextra == MAX_EXTRA || count < 0) return -1;
  extra[nextra].backend = backend;
  extra[nextra].list = list;
  extra[nextra].count = count;
  nextra++;
  return 0;
}

static const ar_candidate *const *table_for_backend(const char *backend, int *count) {
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

/* The backend's table followed by the candidates added for it. */
const ar_candidate *const *candidates_for_backend(const char *backend, int *count) {
  const ar_candidate *const *table = table_for_backend(backend, count);
  int added = 0;
  for (int e = 0; e < nextra; e++) added += strcmp(extra[e].backend, backend) == 0;
  if (!table || !added) return table;
  static const char *merged_for[MAX_EXTRA];
  static const ar_candidate *merged[MAX_EXTRA][MAX_LIST];
  int slot = 0;
  while (slot < MAX_EXTRA - 1 && merged_for[slot] && strcmp(merged_for[slot], backend) != 0) slot++;
  merged_for[slot] = backend;
  int n = 0;
  for (int i = 0; i < *count && n < MAX_LIST; i++) merged[slot][n++] = table[i];
  for (int e = 0; e < nextra; e++)
    if (strcmp(extra[e].backend, backend) == 0)
      for (int i = 0; i < extra[e].count && n < MAX_LIST; i++) merged[slot][n++] = extra[e].list[i];
  *count = n;
  return merged[slot];
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

void ar_candidates_for_device(const char *backend, const ar_device_info *dev) {
  if (strcmp(backend, "cuda") == 0) ar_kernel_path_set_cuda_arch(dev->arch, NULL);
#ifdef AR_HAVE_HIP
  if (strcmp(backend, "hip") == 0) ar_hip_set_aiter_arch(dev->arch);
#endif
  (void)backend;
  (void)dev;
}
