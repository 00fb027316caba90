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

/* The open function of a backend not compiled in: fails saying how to get it. */
#if !defined(AR_HAVE_CUDA) || !defined(AR_HAVE_HIP)
static int not_built(const char *name, const char *how, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  snprintf(err, errlen, "%s: this attnroute-tune was built without the %s", name, how);
  return -1;
}
#endif

#ifndef AR_HAVE_CUDA
int ar_backend_cuda_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  (void)ordinal;
  return not_built("cuda", "CUDA backend (configure with -DATTNROUTE_CUDA=ON on a machine with the CUDA toolkit)",
                   out, err, errlen);
}
#endif

#ifndef AR_HAVE_HIP
int ar_backend_hip_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  (void)ordinal;
  return not_built("hip", "HIP backend (configure with -DATTNROUTE_HIP=ON on a machine with ROCm's HIP)", out,
                   err, errlen);
}
#endif

int ar_backend_open(const char *name, ar_backend **out, char *err, size_t errlen) {
  return ar_backend_open_device(name, 0, out, err, errlen);
}

static const ar_backend_traits traits[] = {
    {"host", 1, 0, "core", "cores"},
    {"cuda", 0, 1, "SM", "SMs"},
    {"hip", 0, 1, "CU", "CUs"},
};

const ar_backend_traits *ar_backend_traits_of(const char *name) {
  for (size_t i = 0; name && i < sizeof traits / sizeof traits[0]; i++)
    if (strcmp(name, traits[i].name) == 0) return &traits[i];
  return NULL;
}

/* A backend opened from another build (the CUDA plugin is a file of its own)
** must have this build's vtable layout. */
static int checked(int rc, ar_backend **out, char *err, size_t errlen) {
  if (rc != 0 || !*out) return rc ? rc : -1;
  if ((*out)->ops->version != AR_BACKEND_VERSION) {
    snprintf(err, errlen, "%s: backend version %d, this attnroute-tune needs %d (rebuild it)",
             (*out)->ops->name, (*out)->ops->version, AR_BACKEND_VERSION);
    (*out)->ops->destroy(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

static int open_named(const char *name, int ordinal, ar_backend **out, char *err, size_t errlen) {
  if (strcmp(name, "host") == 0) return checked(ar_backend_host_open_device(ordinal, out, err, errlen), out, err, errlen);
  if (strcmp(name, "cuda") == 0) return checked(ar_backend_cuda_open_device(ordinal, out, err, errlen), out, err, errlen);
  if (strcmp(name, "hip") == 0) return checked(ar_backend_hip_open_device(ordinal, out, err, errlen), out, err, errlen);
  return 1; /* not a backend's name */
}

int ar_backend_open_device(const char *name, int ordinal, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  int rc = open_named(name, ordinal, out, err, errlen);
  if (rc <= 0) return rc;
  if (strcmp(name, "auto") != 0) {
    snprintf(err, errlen, "unknown backend '%s' (host, cuda, hip, auto)", name);
    return -1;
  }
  /* auto: cuda, then hip, then host; says why each GPU backend was skipped
  ** (in err, also on success), and does not fall back to the host when a
  ** GPU device node exists: a broken driver must not yield a CPU table. */
  char why_cuda[512], why_hip[512];
  if (open_named("cuda", ordinal, out, why_cuda, sizeof why_cuda) == 0) {
    snprintf(err, errlen, "auto: using cuda");
    return 0;
  }
  if (open_named("hip", ordinal, out, why_hip, sizeof why_hip) == 0) {
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
  if (open_named("host", ordinal, out, err, errlen)) return -1;
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
  if (!b || !b->ops || !b->ops->set_error) return -1;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  b->ops->set_error(b, msg);
  return -1;
}
