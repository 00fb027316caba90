/*
** backend_hip.c -- the HIP backend: HIP's module API from C
** (hip/hip_runtime_api.h with __HIP_PLATFORM_AMD__, libamdhip64) on device
** 0, loading code objects (.co / hsaco, aiter's or the project's) as modules
** and launching with an argument buffer (HIP_LAUNCH_PARAM_BUFFER_POINTER),
** the way aiter launches its ASM kernels.  Everything runs on the null
** stream, so copies, fills, launches and events are ordered.  Failures name
** the HIP call, the error and file:line (HIP_TRY).
**
** Waiting (synchronize, elapsed time) polls an event with a deadline
** (AR_HIP_TIMEOUT_S, default 120 s) so a hung kernel is reported instead of
** blocking the tuner forever.  A GPU memory fault, on ROCm, makes the HSA
** runtime abort the process: the tuner must run candidates in a worker
** process to survive one.
*/
#ifndef __HIP_PLATFORM_AMD__
#define __HIP_PLATFORM_AMD__ 1
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <hip/hip_runtime_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "clock.h"
#include "hip_cu_count.h"

typedef struct hip_ctx {
  int device, count;
  ar_device_info info;
  hipDeviceptr_t flush_buf; /* written between timed repetitions */
  size_t flush_bytes;
  uint32_t flush_stamp;     /* changes every flush */
  hipEvent_t wait_event; /* recorded by synchronize() */
  double timeout_s;
  hipStream_t capture;   /* graph capture stream (created on first use) */
  int capturing;         /* launches go to `capture` */
  char err[512];
} hip_ctx;

static hip_ctx *H(ar_backend *b) { return (hip_ctx *)b->ctx; }

/* A short description for errors whose hipGetErrorString is only the
** name (older runtimes), or NULL. */
static const char *describe(hipError_t e) {
  switch (e) {
    case hipErrorNoDevice: return "no ROCm-capable device";
    case hipErrorFileNotFound: return "file not found";
    case hipErrorInvalidImage: return "invalid code object";
    case hipErrorInvalidKernelFile: return "invalid kernel file";
    case hipErrorNoBinaryForGpu: return "no code object for this GPU's arch";
    case hipErrorNotFound: return "named symbol not found";
    case hipErrorOutOfMemory: return "out of memory";
    case hipErrorInvalidValue: return "invalid argument";
    case hipErrorInvalidDevicePointer: return "invalid device pointer";
    case hipErrorInvalidResourceHandle: return "invalid resource handle";
    case hipErrorLaunchFailure: return "unspecified launch failure";
    case hipErrorLaunchOutOfResources: return "too many resources requested for launch";
    case hipErrorInvalidConfiguration: return "invalid launch configuration";
    case hipErrorIllegalAddress: return "illegal memory access";
    case hipErrorNotReady: return "not ready";
    case hipErrorInsufficientDriver: return "driver older than the runtime";
    case hipErrorNotInitialized: return "runtime not initialized";
    case hipErrorSharedObjectInitFailed: return "code object initialization failed";
    default: return NULL;
  }
}

/* "hipErrorFileNotFound (file not found)" into out. */
static void error_words(hipError_t e, char *out, size_t len) {
  const char *name = hipGetErrorName(e);
  const char *text = hipGetErrorString(e);
  if (!name) name = "hipErrorUnknown";
  if (!text || strcmp(text, name) == 0 || strncmp(text, "hipError", 8) == 0) text = describe(e);
  if (text && *text) snprintf(out, len, "%s (%s)", name, text);
  else snprintf(out, len, "%s (error %d)", name, (int)e);
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Record "hip: <call> failed: <error> at file:line"; call is printf-style. */
static int hip_fail(hip_ctx *h, hipError_t e, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int hip_fail(hip_ctx *h, hipError_t e, const char *file, int line, const char *fmt, ...) {
  char call[256], words[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(call, sizeof call, fmt, ap);
  va_end(ap);
  error_words(e, words, sizeof words);
  snprintf(h->err, sizeof h->err, "hip: %s failed: %s at %s:%d", call, words, base_name(file),
           line);
  return -1;
}

/* Run a HIP call; on failure record it (described by the printf-style
** arguments after the call) and return -1 from the enclosing function. */
#define HIP_TRY(h, call, ...)                                      \
  do {                                                             \
    hipError_t e_ = (call);                                        \
    if (e_ != hipSuccess) {                                        \
      return hip_fail((h), e_, __FILE__, __LINE__, __VA_ARGS__);   \
    }                                                              \
  } while (0)

/* Wait for ev with the context's deadline. */
static int wait_event(hip_ctx *h, hipEvent_t ev, const char *what) {
  double deadline = ar_clock_s() + h->timeout_s;
  struct timespec nap = {0, 20000}; /* 20 us */
  for (;;) {
    hipError_t e = hipEventQuery(ev);
    if (e == hipSuccess) return 0;
    if (e != hipErrorNotReady) return hip_fail(h, e, __FILE__, __LINE__, "hipEventQuery(%s)", what);
    if (ar_clock_s() > deadline) {
      snprintf(h->err, sizeof h->err,
               "hip: %s did not complete within %.0f s (kernel hung?; AR_HIP_TIMEOUT_S) at %s:%d",
               what, h->timeout_s, base_name(__FILE__), __LINE__);
      return -1;
    }
    nanosleep(&nap, NULL);
  }
}

static int hip_device_info(ar_backend *b, ar_device_info *out) {
  *out = H(b)->info;
  return 0;
}

static int hip_alloc(ar_backend *b, size_t bytes, ar_buf *out) {
  void *p = NULL;
  *out = 0;
  HIP_TRY(H(b), hipMalloc(&p, bytes ? bytes : 4), "hipMalloc(%zu bytes)", bytes);
  *out = (ar_buf)(uintptr_t)p;
  return 0;
}

static void hip_free(ar_backend *b, ar_buf buf) {
  (void)b;
  if (buf) (void)hipFree((void *)(uintptr_t)buf);
}

static int hip_upload(ar_backend *b, ar_buf dst, const void *src, size_t bytes) {
  if (!bytes) return 0;
  HIP_TRY(H(b), hipMemcpyHtoD((hipDeviceptr_t)(uintptr_t)dst, (void *)(uintptr_t)src, bytes),
          "hipMemcpyHtoD(%zu bytes)", bytes);
  return 0;
}

static int hip_download(ar_backend *b, void *dst, ar_buf src, size_t bytes) {
  if (!bytes) return 0;
  HIP_TRY(H(b), hipMemcpyDtoH(dst, (hipDeviceptr_t)(uintptr_t)src, bytes),
          "hipMemcpyDtoH(%zu bytes)", bytes);
  return 0;
}

static int hip_fill32(ar_backend *b, ar_buf dst, uint32_t pattern, size_t bytes) {
  if (bytes % 4) {
    snprintf(H(b)->err, sizeof H(b)->err, "hip: fill32 of %zu bytes: not a multiple of 4",
             bytes);
    return -1;
  }
  if (!bytes) return 0;
  HIP_TRY(H(b), hipMemsetD32((hipDeviceptr_t)(uintptr_t)dst, (int)pattern, bytes / 4),
          "hipMemsetD32(%zu words)", bytes / 4);
  return 0;
}

static int hip_module_load(ar_backend *b, const char *path, void **module) {
  hipModule_t m = NULL;
  *module = NULL;
  HIP_TRY(H(b), hipModuleLoad(&m, path), "hipModuleLoad(%s)", path);
  *module = (void *)m;
  return 0;
}

static int hip_module_function(ar_backend *b, void *module, const char *symbol, void **fn) {
  hipFunction_t f = NULL;
  *fn = NULL;
  HIP_TRY(H(b), hipModuleGetFunction(&f, (hipModule_t)module, symbol),
          "hipModuleGetFunction(%s)", symbol);
  *fn = (void *)f;
  return 0;
}

static void hip_module_unload(ar_backend *b, void *module) {
  (void)b;
  if (module) (void)hipModuleUnload((hipModule_t)module);
}

static int hip_launch(ar_backend *b, void *fn, const unsigned grid[3], const unsigned block[3],
                      unsigned shared_bytes, void *args, size_t args_size) {
  size_t size = args_size;
  void *extra[] = {HIP_LAUNCH_PARAM_BUFFER_POINTER, args, HIP_LAUNCH_PARAM_BUFFER_SIZE, &size,
                   HIP_LAUNCH_PARAM_END};
  HIP_TRY(H(b),
          hipModuleLaunchKernel((hipFunction_t)fn, grid[0], grid[1], grid[2], block[0], block[1],
                                block[2], shared_bytes, H(b)->capturing ? H(b)->capture : NULL,
                                NULL, extra),
          "hipModuleLaunchKernel(grid %ux%ux%u, block %ux%ux%u, %zu arg bytes)", grid[0],
          grid[1], grid[2], block[0], block[1], block[2], args_size);
  return 0;
}

/* Graph capture on a non-blocking stream of our own (the null stream
** cannot be captured); the graph is replayed on the null stream. */
static int hip_graph_begin(ar_backend *b) {
  hip_ctx *h = H(b);
  if (!h->capture)
    HIP_TRY(h, hipStreamCreateWithFlags(&h->capture, hipStreamNonBlocking), "hipStreamCreateWithFlags");
  HIP_TRY(h, hipStreamBeginCapture(h->capture, hipStreamCaptureModeThreadLocal), "hipStreamBeginCapture");
  h->capturing = 1;
  return 0;
}

static int hip_graph_end(ar_backend *b, void **graph) {
  hip_ctx *h = H(b);
  hipGraph_t g = NULL;
  hipGraphExec_t exec = NULL;
  *graph = NULL;
  h->capturing = 0;
  HIP_TRY(h, hipStreamEndCapture(h->capture, &g), "hipStreamEndCapture");
  hipError_t e = hipGraphInstantiate(&exec, g, NULL, NULL, 0);
  (void)hipGraphDestroy(g);
  HIP_TRY(h, e, "hipGraphInstantiate");
  *graph = exec;
  return 0;
}

static int hip_graph_launch(ar_backend *b, void *graph) {
  HIP_TRY(H(b), hipGraphLaunch((hipGraphExec_t)graph, NULL), "hipGraphLaunch");
  return 0;
}

static void hip_graph_destroy(ar_backend *b, void *graph) {
  (void)b;
  if (graph) (void)hipGraphExecDestroy((hipGraphExec_t)graph);
}

static int hip_event_create(ar_backend *b, void **event) {
  hipEvent_t e = NULL;
  *event = NULL;
  HIP_TRY(H(b), hipEventCreate(&e), "hipEventCreate");
  *event = (void *)e;
  return 0;
}

static void hip_event_destroy(ar_backend *b, void *event) {
  (void)b;
  if (event) (void)hipEventDestroy((hipEvent_t)event);
}

static int hip_event_record(ar_backend *b, void *event) {
  HIP_TRY(H(b), hipEventRecord((hipEvent_t)event, NULL), "hipEventRecord");
  return 0;
}

static int hip_event_elapsed_ms(ar_backend *b, void *start, void *end, float *ms) {
  *ms = 0.0f;
  if (wait_event(H(b), (hipEvent_t)end, "the timed work") != 0) return -1;
  HIP_TRY(H(b), hipEventElapsedTime(ms, (hipEvent_t)start, (hipEvent_t)end),
          "hipEventElapsedTime");
  return 0;
}

static int hip_synchronize(ar_backend *b) {
  hip_ctx *h = H(b);
  HIP_TRY(h, hipEventRecord(h->wait_event, NULL), "hipEventRecord");
  if (wait_event(h, h->wait_event, "the enqueued work") != 0) return -1;
  /* Reports errors of earlier asynchronous work, if any. */
  HIP_TRY(h, hipDeviceSynchronize(), "hipDeviceSynchronize");
  return 0;
}

/* Write a buffer larger than the caches between the SMs and HBM.  2x L2 as
** the device reports it, and at least 512 MiB: CDNA3-class parts keep a
** 256 MiB Infinity Cache (MALL) behind L2 that hipDeviceProp_t does not
** report.  Capped at 1/8 of device memory. */
static int hip_flush_cache(ar_backend *b) {
  hip_ctx *h = H(b);
  if (!h->flush_buf) {
    size_t want = (size_t)h->info.l2_bytes * 2;
    if (want < ((size_t)512 << 20)) want = (size_t)512 << 20;
    if (h->info.memory_bytes && want > h->info.memory_bytes / 8)
      want = (size_t)(h->info.memory_bytes / 8);
    want &= ~(size_t)3;
    void *p = NULL;
    HIP_TRY(h, hipMalloc(&p, want), "hipMalloc(%zu bytes, cache flush buffer)", want);
    h->flush_buf = (hipDeviceptr_t)p;
    h->flush_bytes = want;
  }
  h->flush_stamp++;
  HIP_TRY(h, hipMemsetD32(h->flush_buf, (int)h->flush_stamp, h->flush_bytes / 4),
          "hipMemsetD32(%zu words, cache flush)", h->flush_bytes / 4);
  return 0;
}

static const char *hip_error_text(ar_backend *b) { return H(b)->err; }

static void hip_set_error(ar_backend *b, const char *msg) {
  snprintf(H(b)->err, sizeof H(b)->err, "%s", msg);
}

static void hip_destroy(ar_backend *b) {
  if (!b) return;
  hip_ctx *h = H(b);
  if (h) {
    if (h->flush_buf) (void)hipFree((void *)h->flush_buf);
    if (h->wait_event) (void)hipEventDestroy(h->wait_event);
    if (h->capture) (void)hipStreamDestroy(h->capture);
    free(h);
  }
  free(b);
}

/* HIP_VERSION-style integer (major * 10^7 + minor * 10^5 + patch) as text. */
static void version_text(int v, char *out, size_t len) {
  if (v >= 10000000) snprintf(out, len, "%d.%d.%d", v / 10000000, (v / 100000) % 100, v % 100000);
  else snprintf(out, len, "%d", v);
}

static int fill_info(hip_ctx *h) {
  hipDeviceProp_t prop;
  memset(&prop, 0, sizeof prop);
  HIP_TRY(h, hipGetDeviceProperties(&prop, h->device), "hipGetDeviceProperties(%d)", h->device);
  ar_device_info *d = &h->info;
  memset(d, 0, sizeof *d);
  snprintf(d->vendor, sizeof d->vendor, "amd");
  size_t n = strcspn(prop.gcnArchName, ":");
  if (n >= sizeof d->arch) n = sizeof d->arch - 1;
  memcpy(d->arch, prop.gcnArchName, n);
  d->arch[n] = '\0';
  snprintf(d->name, sizeof d->name, "%.*s", (int)sizeof d->name - 1, prop.name);
  d->memory_bytes = (uint64_t)prop.totalGlobalMem;
  d->l2_bytes = prop.l2CacheSize > 0 ? (uint64_t)prop.l2CacheSize : 0;
  int v = 0;
  HIP_TRY(h, hipRuntimeGetVersion(&v), "hipRuntimeGetVersion");
  version_text(v, d->runtime_version, sizeof d->runtime_version);
  v = 0;
  HIP_TRY(h, hipDriverGetVersion(&v), "hipDriverGetVersion");
  version_text(v, d->driver_version, sizeof d->driver_version);
  if (!d->arch[0]) {
    snprintf(h->err, sizeof h->err, "hip: device %d reports no gcnArchName", h->device);
    return -1;
  }
  /* The CU count aiter keys on, and HIP's (WGP) count: hip_cu_count.h.
  ** rocminfo runs once per process. */
  static char *rocminfo_text = NULL;
  static int rocminfo_tried = 0;
  const char *cu_num = getenv("CU_NUM"); /* "" and "0" are unset, as aiter reads it */
  if (!rocminfo_tried && (!cu_num || !cu_num[0] || strcmp(cu_num, "0") == 0)) {
    rocminfo_tried = 1;
    rocminfo_text = ar_rocminfo_run();
  }
  ar_amd_counts cnt;
  char cerr[320];
  if (ar_amd_cu_count(cu_num, rocminfo_text, prop.multiProcessorCount,
                      ar_gfx_major(d->arch), getenv("GPU_ENABLE_WGP_MODE"), &cnt, cerr,
                      sizeof cerr) != 0) {
    snprintf(h->err, sizeof h->err, "hip: device %d: %s", h->device, cerr);
    return -1;
  }
  d->cu_count = cnt.cu_count;
  d->wgp_count = cnt.wgp_count;
  snprintf(d->cu_source, sizeof d->cu_source, "%s", cnt.source);
  /* aiter checks an object's LDS against this attribute (aiter_abi.h). */
  int lds = 0;
  if (hipDeviceGetAttribute(&lds, hipDeviceAttributeMaxSharedMemoryPerBlock, h->device) ==
          hipSuccess && lds > 0)
    d->lds_per_block = lds;
  else
    d->lds_per_block = (int64_t)prop.sharedMemPerBlock;
  d->ordinal = h->device;
  d->device_count = h->count;
  char bus[32] = "";
  if (hipDeviceGetPCIBusId(bus, (int)sizeof bus, h->device) == hipSuccess && bus[0])
    snprintf(d->uuid, sizeof d->uuid, "pci:%.40s", bus);
  return 0;
}

static const ar_backend_ops hip_ops = {
    .version = AR_BACKEND_VERSION,
    .name = "hip",
    .device_info = hip_device_info,
    .alloc = hip_alloc,
    .free = hip_free,
    .upload = hip_upload,
    .download = hip_download,
    .fill32 = hip_fill32,
    .module_load = hip_module_load,
    .module_function = hip_module_function,
    .module_unload = hip_module_unload,
    .launch = hip_launch,
    .event_create = hip_event_create,
    .event_destroy = hip_event_destroy,
    .event_record = hip_event_record,
    .event_elapsed_ms = hip_event_elapsed_ms,
    .synchronize = hip_synchronize,
    .flush_cache = hip_flush_cache,
    .error_text = hip_error_text,
    .set_error = hip_set_error,
    .destroy = hip_destroy,
    .graph_begin = hip_graph_begin,
    .graph_end = hip_graph_end,
    .graph_launch = hip_graph_launch,
    .graph_destroy = hip_graph_destroy,
};

int ar_backend_hip_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  int count = 0;
  hipError_t e = hipGetDeviceCount(&count);
  if (e != hipSuccess || count < 1) {
    char words[160];
    if (e != hipSuccess) error_words(e, words, sizeof words);
    else snprintf(words, sizeof words, "0 devices");
    snprintf(err, errlen, "hip: no AMD GPU found (hipGetDeviceCount: %s)", words);
    return -1;
  }
  if (ordinal < 0 || ordinal >= count) {
    snprintf(err, errlen, "hip: no device %d: %d AMD GPU%s visible", ordinal, count, count == 1 ? "" : "s");
    return -1;
  }

  ar_backend *b = calloc(1, sizeof *b);
  hip_ctx *h = calloc(1, sizeof *h);
  if (!b || !h) {
    free(b);
    free(h);
    snprintf(err, errlen, "hip: out of memory");
    return -1;
  }
  b->ops = &hip_ops;
  b->ctx = h;
  h->device = ordinal;
  h->count = count;
  h->timeout_s = 120.0;
  const char *t = getenv("AR_HIP_TIMEOUT_S");
  if (t && atof(t) > 0) h->timeout_s = atof(t);

  int rc = 0;
  hipError_t se = hipSetDevice(h->device);
  if (se != hipSuccess) rc = hip_fail(h, se, __FILE__, __LINE__, "hipSetDevice(%d)", h->device);
  if (rc == 0) rc = fill_info(h);
  if (rc == 0) {
    se = hipEventCreate(&h->wait_event);
    if (se != hipSuccess) rc = hip_fail(h, se, __FILE__, __LINE__, "hipEventCreate");
  }
  if (rc != 0) {
    snprintf(err, errlen, "%s", h->err);
    hip_destroy(b);
    return -1;
  }

  *out = b;
  return 0;
}
