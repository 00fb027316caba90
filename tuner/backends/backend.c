/*
** backend.c -- open a backend by name.  "auto" takes the first that opens
** of cuda, hip, host, so a machine without a GPU still tunes (for its CPU).
** Backends not compiled in (AR_HAVE_CUDA / AR_HAVE_HIP unset) say so.  Also
** ar_backend_fail (an error text set on a backend's behalf).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

#ifndef AR_HAVE_CUDA
int ar_backend_cuda_open(ar_backend **out, char *err, size_t errlen) {
  return ar_backend_cuda_open_device(0, out, err, errlen);
}

int ar_backend_cuda_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  (void)ordinal;
  *out = NULL;
  snprintf(err, errlen, "cuda: this attnroute-tune was built without the CUDA backend "
                        "(configure with -DATTNROUTE_CUDA=ON on a machine with the CUDA toolkit)");
  return -1;
}
#endif

#ifndef AR_HAVE_HIP
int ar_backend_hip_open(ar_backend **out, char *err, size_t errlen) {
  return ar_backend_hip_open_device(0, out, err, errlen);
}

int ar_backend_hip_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  (void)ordinal;
  *out = NULL;
  snprintf(err, errlen, "hip: this attnroute-tune was built without the HIP backend "
                        "(configure with -DATTNROUTE_HIP=ON on a machine with ROCm's HIP)");
  return -1;
}
#endif

int ar_backend_open(const char *name, ar_backend **out, char *err, size_t errlen) {
  return ar_backend_open_device(name, 0, out, err, errlen);
}

int ar_backend_open_device(const char *name, int ordinal, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  if (strcmp(name, "host") == 0) return ar_backend_host_open_device(ordinal, out, err, errlen);
  if (strcmp(name, "cuda") == 0) return ar_backend_cuda_open_device(ordinal, out, err, errlen);
  if (strcmp(name, "hip") == 0) return ar_backend_hip_open_device(ordinal, out, err, errlen);
  if (strcmp(name, "auto") != 0) {
    snprintf(err, errlen, "unknown backend '%s' (host, cuda, hip, auto)", name);
    return -1;
  }
  /* auto: cuda, then hip, then host; says why each GPU backend was skipped
  ** (in err, also on success), and does not fall back to the host when a
  ** GPU device node exists: a broken driver must not yield a CPU table. */
  char why_cuda[512], why_hip[512];
  if (ar_backend_cuda_open_device(ordinal, out, why_cuda, sizeof why_cuda) == 0) {
    snprintf(err, errlen, "auto: using cuda");
    return 0;
  }
  if (ar_backend_hip_open_device(ordinal, out, why_hip, sizeof why_hip) == 0) {
    snprintf(err, errlen, "auto: using hip (cuda skipped: %.200s)", why_cuda);
    return 0;
  }
  const char *gpu = ar_gpu_device_node();
  if (gpu) {
    snprintf(err, errlen,
             "auto: %s exists, so this machine has a GPU, but no GPU backend opened (%.180s; %.180s); fix the "
             "driver, or pass --backend host to tune the CPU",
             gpu, why_cuda, why_hip);
    return -1;
  }
  if (ar_backend_host_open_device(ordinal, out, err, errlen)) return -1;
  snprintf(err, errlen, "auto: using host (cuda skipped: %.220s; hip skipped: %.220s)", why_cuda, why_hip);
  return 0;
}

const char *ar_gpu_device_node(void) {
  static const char *const nodes[] = {"/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd"};
  const char *forced = getenv("ATTNROUTE_GPU_DEVICE_NODE"); /* tests: pretend this node is the GPU's */
  if (forced) return *forced && access(forced, F_OK) == 0 ? forced : NULL;
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
    if (access(nodes[i], F_OK) == 0) return nodes[i];
  return NULL;
}

int ar_backend_fail(ar_backend *b, const char *fmt, ...) {
  if (!b || !b->set_error) return -1;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  b->set_error(b, msg);
  return -1;
}
