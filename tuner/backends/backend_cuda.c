/*
** backend_cuda.c -- the CUDA backend: the driver API (cuda.h, libcuda) on
** one device (0 unless opened with an ordinal), loading cubins as modules and launching with an argument buffer
** (CU_LAUNCH_PARAM_BUFFER_POINTER), the form aiter uses for ASM objects.
** Everything runs on the legacy default stream of the primary context,
** except launches under graph capture (graph_begin .. graph_end: a
** non-blocking stream of its own, as capture needs); the instantiated graph
** is replayed on the legacy stream.
** Failures name the driver call, the error and file:line (CU_TRY).
*/
#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

typedef struct cuda_ctx {
  int ordinal, count;
  CUdevice dev;
  CUcontext ctx;
  ar_device_info info;
  CUdeviceptr flush_buf; /* 2x L2, written between timed repetitions */
  size_t flush_bytes;
  CUstream capture;      /* graph capture stream (created on first use) */
  int capturing;         /* launches go to `capture` */
  char err[512];
} cuda_ctx;

static void set_error(cuda_ctx *c, const char *call, CUresult r, const char *file, int line) {
  const char *name = NULL, *text = NULL;
  if (cuGetErrorName(r, &name) != CUDA_SUCCESS) name = "unknown error";
  if (cuGetErrorString(r, &text) != CUDA_SUCCESS) text = "";
  snprintf(c->err, sizeof c->err, "cuda: %s failed: %s (%s) at %s:%d", call, name, text, file, line);
}

/* Run a driver call; on failure record which one and return -1. */
#define CU_TRY(c, call)                                   \
  do {                                                    \
    CUresult r_ = (call);                                 \
    if (r_ != CUDA_SUCCESS) {                             \
      set_error((c), #call, r_, __FILE__, __LINE__);      \
      return -1;                                          \
    }                                                     \
  } while (0)

static cuda_ctx *C(ar_backend *b) { return (cuda_ctx *)b->ctx; }

static int cu_device_info(ar_backend *b, ar_device_info *out) {
  *out = C(b)->info;
  return 0;
}

static int cu_alloc(ar_backend *b, size_t bytes, ar_buf *out) {
  CUdeviceptr p;
  CU_TRY(C(b), cuMemAlloc(&p, bytes ? bytes : 4));
  *out = (ar_buf)p;
  return 0;
}

static void cu_free(ar_backend *b, ar_buf buf) {
  (void)b;
  if (buf) cuMemFree((CUdeviceptr)buf);
}

static int cu_upload(ar_backend *b, ar_buf dst, const void *src, size_t bytes) {
  CU_TRY(C(b), cuMemcpyHtoD((CUdeviceptr)dst, src, bytes));
  return 0;
}

static int cu_download(ar_backend *b, void *dst, ar_buf src, size_t bytes) {
  CU_TRY(C(b), cuMemcpyDtoH(dst, (CUdeviceptr)src, bytes));
  return 0;
}

static int cu_fill32(ar_backend *b, ar_buf dst, uint32_t pattern, size_t bytes) {
  CU_TRY(C(b), cuMemsetD32((CUdeviceptr)dst, pattern, bytes / 4));
  return 0;
}

static int cu_module_load(ar_backend *b, const char *path, void **module) {
  CUmodule m;
  CUresult r = cuModuleLoad(&m, path);
  if (r != CUDA_SUCCESS) {
    char call[300];
    snprintf(call, sizeof call, "cuModuleLoad(%s)", path);
    set_error(C(b), call, r, __FILE__, __LINE__);
    return -1;
  }
  *module = m;
  return 0;
}

static int cu_module_function(ar_backend *b, void *module, const char *symbol, void **fn) {
  CUfunction f;
  CUresult r = cuModuleGetFunction(&f, (CUmodule)module, symbol);
  if (r != CUDA_SUCCESS) {
    char call[300];
    snprintf(call, sizeof call, "cuModuleGetFunction(%s)", symbol);
    set_error(C(b), call, r, __FILE__, __LINE__);
    return -1;
  }
  *fn = f;
  return 0;
}

static void cu_module_unload(ar_backend *b, void *module) {
  (void)b;
  if (module) cuModuleUnload((CUmodule)module);
}

static int cu_launch(ar_backend *b, void *fn, const unsigned grid[3], const unsigned block[3],
                     unsigned shared_bytes, void *args, size_t args_size) {
  CUfunction f = (CUfunction)fn;
  if (shared_bytes > 48 * 1024)
    CU_TRY(C(b), cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, (int)shared_bytes));
  void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, args, CU_LAUNCH_PARAM_BUFFER_SIZE, &args_size,
                   CU_LAUNCH_PARAM_END};
  CU_TRY(C(b), cuLaunchKernel(f, grid[0], grid[1], grid[2], block[0], block[1], block[2], shared_bytes,
                              C(b)->capturing ? C(b)->capture : NULL, NULL, extra));
  return 0;
}

static int cu_graph_begin(ar_backend *b) {
  cuda_ctx *c = C(b);
  if (!c->capture) CU_TRY(c, cuStreamCreate(&c->capture, CU_STREAM_NON_BLOCKING));
  CU_TRY(c, cuStreamBeginCapture(c->capture, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
  c->capturing = 1;
  return 0;
}

static int cu_graph_end(ar_backend *b, void **graph) {
  cuda_ctx *c = C(b);
  CUgraph g = NULL;
  CUgraphExec exec = NULL;
  *graph = NULL;
  c->capturing = 0;
  CU_TRY(c, cuStreamEndCapture(c->capture, &g));
  CUresult r = cuGraphInstantiate(&exec, g, 0);
  cuGraphDestroy(g);
  if (r != CUDA_SUCCESS) {
    set_error(c, "cuGraphInstantiate", r, __FILE__, __LINE__);
    return -1;
  }
  *graph = exec;
  return 0;
}

static int cu_graph_launch(ar_backend *b, void *graph) {
  CU_TRY(C(b), cuGraphLaunch((CUgraphExec)graph, NULL));
  return 0;
}

static void cu_graph_destroy(ar_backend *b, void *graph) {
  (void)b;
  if (graph) cuGraphExecDestroy((CUgraphExec)graph);
}

static int cu_event_create(ar_backend *b, void **event) {
  CUevent e;
  CU_TRY(C(b), cuEventCreate(&e, CU_EVENT_DEFAULT));
  *event = e;
  return 0;
}

static void cu_event_destroy(ar_backend *b, void *event) {
  (void)b;
  if (event) cuEventDestroy((CUevent)event);
}

static int cu_event_record(ar_backend *b, void *event) {
  CU_TRY(C(b), cuEventRecord((CUevent)event, NULL));
  return 0;
}

static int cu_event_elapsed_ms(ar_backend *b, void *start, void *end, float *ms) {
  CU_TRY(C(b), cuEventSynchronize((CUevent)end));
  CU_TRY(C(b), cuEventElapsedTime(ms, (CUevent)start, (CUevent)end));
  return 0;
}

static int cu_synchronize(ar_backend *b) {
  CU_TRY(C(b), cuCtxSynchronize());
  return 0;
}

static int cu_flush_cache(ar_backend *b) {
  cuda_ctx *c = C(b);
  if (!c->flush_buf) return 0;
  CU_TRY(c, cuMemsetD32Async(c->flush_buf, 0x5a5a5a5a, c->flush_bytes / 4, NULL));
  return 0;
}

static const char *cu_error_text(ar_backend *b) { return C(b)->err; }

static void cu_set_error(ar_backend *b, const char *msg) {
  snprintf(C(b)->err, sizeof C(b)->err, "%s", msg);
}

static void cu_destroy(ar_backend *b) {
  cuda_ctx *c = C(b);
  if (c->flush_buf) cuMemFree(c->flush_buf);
  if (c->capture) cuStreamDestroy(c->capture);
  cuCtxSynchronize();
  cuDevicePrimaryCtxRelease(c->dev);
  free(c);
  free(b);
}

/* Fill info from the device's attributes.  arch is "sm_XY". */
static int query_info(cuda_ctx *c) {
  ar_device_info *d = &c->info;
  int major = 0, minor = 0, sms = 0, l2 = 0, drv = 0;
  size_t mem = 0;
  memset(d, 0, sizeof *d);
  snprintf(d->vendor, sizeof d->vendor, "nvidia");
  CU_TRY(c, cuDeviceGetName(d->name, (int)sizeof d->name, c->dev));
  CU_TRY(c, cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, c->dev));
  CU_TRY(c, cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, c->dev));
  CU_TRY(c, cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, c->dev));
  CU_TRY(c, cuDeviceGetAttribute(&l2, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, c->dev));
  CU_TRY(c, cuDeviceTotalMem(&mem, c->dev));
  CU_TRY(c, cuDriverGetVersion(&drv));
  snprintf(d->arch, sizeof d->arch, "sm_%d%d", major, minor);
  d->cu_count = sms;
  d->memory_bytes = mem;
  d->l2_bytes = (uint64_t)l2;
  snprintf(d->driver_version, sizeof d->driver_version, "cuda driver %d.%d", drv / 1000, (drv % 1000) / 10);
  snprintf(d->runtime_version, sizeof d->runtime_version, "cuda toolkit %d.%d", CUDA_VERSION / 1000,
           (CUDA_VERSION % 1000) / 10);
  d->ordinal = c->ordinal;
  d->device_count = c->count;
  CUuuid u;
  CU_TRY(c, cuDeviceGetUuid(&u, c->dev));
  const unsigned char *b = (const unsigned char *)u.bytes;
  snprintf(d->uuid, sizeof d->uuid,
           "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return 0;
}

static int open_device(cuda_ctx *c) {
  int count = 0;
  CU_TRY(c, cuInit(0));
  CU_TRY(c, cuDeviceGetCount(&count));
  if (count < 1) {
    snprintf(c->err, sizeof c->err, "cuda: no CUDA device found");
    return -1;
  }
  c->count = count;
  if (c->ordinal < 0 || c->ordinal >= count) {
    snprintf(c->err, sizeof c->err, "cuda: no device %d: %d CUDA device%s visible", c->ordinal, count,
             count == 1 ? "" : "s");
    return -1;
  }
  CU_TRY(c, cuDeviceGet(&c->dev, c->ordinal));
  CU_TRY(c, cuDevicePrimaryCtxRetain(&c->ctx, c->dev));
  CU_TRY(c, cuCtxSetCurrent(c->ctx));
  if (query_info(c)) return -1;
  c->flush_bytes = c->info.l2_bytes ? (size_t)c->info.l2_bytes * 2 : (size_t)128 << 20;
  CU_TRY(c, cuMemAlloc(&c->flush_buf, c->flush_bytes));
  return 0;
}

static const ar_backend_ops cu_ops = {
    .version = AR_BACKEND_VERSION,
    .name = "cuda",
    .device_info = cu_device_info,
    .alloc = cu_alloc,
    .free = cu_free,
    .upload = cu_upload,
    .download = cu_download,
    .fill32 = cu_fill32,
    .module_load = cu_module_load,
    .module_function = cu_module_function,
    .module_unload = cu_module_unload,
    .launch = cu_launch,
    .event_create = cu_event_create,
    .event_destroy = cu_event_destroy,
    .event_record = cu_event_record,
    .event_elapsed_ms = cu_event_elapsed_ms,
    .synchronize = cu_synchronize,
    .flush_cache = cu_flush_cache,
    .error_text = cu_error_text,
    .set_error = cu_set_error,
    .destroy = cu_destroy,
    .graph_begin = cu_graph_begin,
    .graph_end = cu_graph_end,
    .graph_launch = cu_graph_launch,
    .graph_destroy = cu_graph_destroy,
};

/* The plugin loader (backend_cuda_plugin.c) checks this first. */
int ar_backend_cuda_plugin_version(void);
int ar_backend_cuda_plugin_version(void) { return AR_BACKEND_VERSION; }

int ar_backend_cuda_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  ar_backend *b = calloc(1, sizeof *b);
  cuda_ctx *c = calloc(1, sizeof *c);
  if (!b || !c) {
    free(b);
    free(c);
    snprintf(err, errlen, "cuda: out of host memory");
    return -1;
  }
  c->ordinal = ordinal;
  if (open_device(c)) {
    snprintf(err, errlen, "%s", c->err);
    if (c->flush_buf) cuMemFree(c->flush_buf);
    free(c);
    free(b);
    return -1;
  }
  b->ops = &cu_ops;
  b->ctx = c;
  *out = b;
  return 0;
}
