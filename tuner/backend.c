/*
** backend.c -- open a backend by name.  "auto" takes the first that opens
** of cuda, hip, host, so a machine without a GPU still tunes (for its CPU).
** Backends not compiled in (AR_HAVE_CUDA / AR_HAVE_HIP unset) say so.
*/
#include <stdio.h>
#include <string.h>

#include "backend.h"

#ifndef AR_HAVE_CUDA
int ar_backend_cuda_open(ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  snprintf(err, errlen, "cuda: this attnroute-tune was built without the CUDA backend "
                        "(configure with -DATTNROUTE_CUDA=ON on a machine with the CUDA toolkit)");
  return -1;
}
#endif

#ifndef AR_HAVE_HIP
int ar_backend_hip_open(ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  snprintf(err, errlen, "hip: this attnroute-tune was built without the HIP backend "
                        "(configure with -DATTNROUTE_HIP=ON on a machine with ROCm's HIP)");
  return -1;
}
#endif

int ar_backend_open(const char *name, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  if (strcmp(name, "host") == 0) return ar_backend_host_open(out, err, errlen);
  if (strcmp(name, "cuda") == 0) return ar_backend_cuda_open(out, err, errlen);
  if (strcmp(name, "hip") == 0) return ar_backend_hip_open(out, err, errlen);
  if (strcmp(name, "auto") != 0) {
    snprintf(err, errlen, "unknown backend '%s' (host, cuda, hip, auto)", name);
    return -1;
  }
  char ignored[512];
  if (ar_backend_cuda_open(out, ignored, sizeof ignored) == 0) return 0;
  if (ar_backend_hip_open(out, ignored, sizeof ignored) == 0) return 0;
  return ar_backend_host_open(out, err, errlen);
}
