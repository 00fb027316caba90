/*
** backend_host.c -- the host (CPU) backend: the tuner's vtable over plain C.
**
** Memory is 64-byte aligned host memory (an ar_buf is the pointer value),
** copies are memcpy, the only "module" is the built-in one named "host" whose
** functions are the C kernels of host_kernels.c, a launch calls the kernel
** synchronously with the argument buffer (after checking its size against
** the kernel's struct), and events are CLOCK_MONOTONIC timestamps.
** flush_cache writes a buffer twice the last-level cache so every timed
** repetition starts cold, as on a GPU after its L2 flush.
**
** The kernels are single-threaded, so device_info reports cu_count = 1: a
** table built on the host is keyed by (uname machine, 1), e.g. ("x86_64", 1).
** Its "devices" (ordinals 0 .. online CPUs - 1) are worker slots: --devices
** 0,1 runs two single-threaded workers side by side.
*/
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "host_kernels.h"

#define HOST_LLC_DEFAULT ((size_t)32 << 20)

typedef struct host_ctx {
  char err[512];
  int ordinal;              /* worker slot (--devices on the host) */
  unsigned char *flush_buf; /* lazily allocated, 2 x LLC */
  size_t flush_bytes;
  unsigned char flush_round;
} host_ctx;

static char host_module; /* the one module handle: its address */

static host_ctx *ctx_of(ar_backend *b) { return (host_ctx *)b->ctx; }

/* Record "host: <call>: <message> (file:line)" as the error text; return -1. */
static int host_fail_at(ar_backend *b, const char *file, int line, const char *call,
                        const char *fmt, ...) {
  host_ctx *c = ctx_of(b);
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(c->err, sizeof c->err, "host: %s: %s (%s:%d)", call, msg, file, line);
  return -1;
}
#define HOST_FAIL(b, call, ...) host_fail_at((b), __FILE__, __LINE__, (call), __VA_ARGS__)

/* Copy src into dst[n], truncating; always terminated. */
static void copy_str(char *dst, size_t n, const char *src) {
  size_t len = src ? strlen(src) : 0;
  if (len >= n) len = n - 1;
  if (len) memcpy(dst, src, len);
  dst[len] = 0;
}

/* Size in bytes of the last-level cache, or 0 when unknown. */
static size_t llc_bytes(void) {
  long v = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
  v = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (v <= 0) v = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
  if (v > 0) return (size_t)v;
  static const char *paths[] = {"/sys/devices/system/cpu/cpu0/cache/index3/size",
                                "/sys/devices/system/cpu/cpu0/cache/index2/size"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    FILE *f = fopen(paths[i], "r");
    if (!f) continue;
    unsigned long n = 0;
    char unit = 0;
    int got = fscanf(f, "%lu%c", &n, &unit);
    fclose(f);
    if (got >= 1 && n > 0) {
      if (unit == 'K') n <<= 10;
      else if (unit == 'M') n <<= 20;
      return (size_t)n;
    }
  }
  return 0;
}

static void cpu_model_name(char *dst, size_t n) {
  copy_str(dst, n, "cpu");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) != 0) continue;
    char *colon = strchr(line, ':');
    if (!colon) continue;
    char *s = colon + 1;
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strcspn(s, "\r\n");
    s[len] = 0;
    if (len) copy_str(dst, n, s);
    break;
  }
  fclose(f);
}

static int host_device_info(ar_backend *b, ar_device_info *out) {
  memset(out, 0, sizeof *out);
  out->ordinal = ctx_of(b)->ordinal;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  out->device_count = ncpu > 0 ? (int32_t)ncpu : 1;
  copy_str(out->vendor, sizeof out->vendor, "host");
  struct utsname u;
  if (uname(&u) == 0) {
    copy_str(out->arch, sizeof out->arch, u.machine);
    copy_str(out->driver_version, sizeof out->driver_version, u.release);
  } else {
    copy_str(out->arch, sizeof out->arch, "unknown");
    copy_str(out->driver_version, sizeof out->driver_version, "unknown");
  }
  out->cu_count = 1; /* single-threaded kernels */
  cpu_model_name(out->name, sizeof out->name);
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
  if (pages > 0 && psize > 0) out->memory_bytes = (uint64_t)pages * (uint64_t)psize;
#ifdef _SC_LEVEL2_CACHE_SIZE
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 > 0) out->l2_bytes = (uint64_t)l2;
#endif
#if defined(__clang__)
  copy_str(out->runtime_version, sizeof out->runtime_version, "clang " __clang_version__);
#elif defined(__GNUC__)
  copy_str(out->runtime_version, sizeof out->runtime_version, "gcc " __VERSION__);
#else
  copy_str(out->runtime_version, sizeof out->runtime_version, "cc");
#endif
  return 0;
}

static int host_alloc(ar_backend *b, size_t bytes, ar_buf *out) {
  *out = 0;
  size_t rounded = (bytes + 63) & ~(size_t)63;
  if (rounded < bytes) return HOST_FAIL(b, "alloc", "%zu bytes: size overflows", bytes);
  if (rounded == 0) rounded = 64;
  void *p = aligned_alloc(64, rounded);
  if (!p) return HOST_FAIL(b, "alloc", "out of memory allocating %zu bytes", bytes);
  *out = (ar_buf)(uintptr_t)p;
  return 0;
}

static void host_free(ar_backend *b, ar_buf buf) {
  (void)b;
  free((void *)(uintptr_t)buf);
}

static int host_upload(ar_backend *b, ar_buf dst, const void *src, size_t bytes) {
  if (bytes && (!dst || !src)) return HOST_FAIL(b, "upload", "null buffer");
  if (bytes) memcpy((void *)(uintptr_t)dst, src, bytes);
  return 0;
}

static int host_download(ar_backend *b, void *dst, ar_buf src, size_t bytes) {
  if (bytes && (!dst || !src)) return HOST_FAIL(b, "download", "null buffer");
  if (bytes) memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return 0;
}

static int host_fill32(ar_backend *b, ar_buf dst, uint32_t pattern, size_t bytes) {
  if (bytes % 4) return HOST_FAIL(b, "fill32", "%zu bytes is not a multiple of 4", bytes);
  if (bytes && !dst) return HOST_FAIL(b, "fill32", "null buffer");
  unsigned char *p = (unsigned char *)(uintptr_t)dst;
  for (size_t i = 0; i < bytes; i += 4) memcpy(p + i, &pattern, 4);
  return 0;
}

static int host_module_load(ar_backend *b, const char *path, void **module) {
  *module = NULL;
  if (!path || strcmp(path, AR_HOST_MODULE) != 0)
    return HOST_FAIL(b, "module_load",
                     "no module '%s': the host backend has only the built-in module \"host\"",
                     path ? path : "(null)");
  *module = &host_module;
  return 0;
}

static int host_module_function(ar_backend *b, void *module, const char *symbol, void **fn) {
  *fn = NULL;
  if (module != &host_module)
    return HOST_FAIL(b, "module_function", "not a host module handle");
  const ar_host_kernel *k = ar_host_kernel_find(symbol);
  if (!k)
    return HOST_FAIL(b, "module_function", "no kernel '%s' in module \"host\"",
                     symbol ? symbol : "(null)");
  *fn = (void *)k; /* the table entry, so launch can check the argument size */
  return 0;
}

static void host_module_unload(ar_backend *b, void *module) {
  (void)b;
  (void)module;
}

static int host_launch(ar_backend *b, void *fn, const unsigned grid[3], const unsigned block[3],
                       unsigned shared_bytes, void *args, size_t args_size) {
  (void)grid;
  (void)block;
  (void)shared_bytes;
  int count;
  const ar_host_kernel *table = ar_host_kernels(&count);
  const ar_host_kernel *k = NULL;
  for (int i = 0; i < count; i++)
    if (fn == (const void *)&table[i]) k = &table[i];
  if (!k) return HOST_FAIL(b, "launch", "not a host kernel handle");
  if (!args) return HOST_FAIL(b, "launch", "%s: null argument buffer", k->symbol);
  if (args_size != k->args_size)
    return HOST_FAIL(b, "launch", "%s: argument buffer is %zu bytes, the kernel takes %zu",
                     k->symbol, args_size, k->args_size);
  k->fn(args);
  return 0;
}

static int host_event_create(ar_backend *b, void **event) {
  *event = calloc(1, sizeof(struct timespec));
  if (!*event) return HOST_FAIL(b, "event_create", "out of memory");
  return 0;
}

static void host_event_destroy(ar_backend *b, void *event) {
  (void)b;
  free(event);
}

static int host_event_record(ar_backend *b, void *event) {
  if (!event) return HOST_FAIL(b, "event_record", "null event");
  if (clock_gettime(CLOCK_MONOTONIC, (struct timespec *)event) != 0)
    return HOST_FAIL(b, "event_record", "clock_gettime(CLOCK_MONOTONIC) failed");
  return 0;
}

static int host_event_elapsed_ms(ar_backend *b, void *start, void *end, float *ms) {
  if (!start || !end) return HOST_FAIL(b, "event_elapsed_ms", "null event");
  const struct timespec *s = start, *e = end;
  double d = (double)(e->tv_sec - s->tv_sec) * 1e3 + (double)(e->tv_nsec - s->tv_nsec) * 1e-6;
  *ms = (float)d;
  return 0;
}

static int host_synchronize(ar_backend *b) {
  (void)b;
  return 0;
}

static int host_flush_cache(ar_backend *b) {
  host_ctx *c = ctx_of(b);
  if (!c->flush_buf) {
    size_t llc = llc_bytes();
    c->flush_bytes = 2 * (llc ? llc : HOST_LLC_DEFAULT);
    c->flush_buf = malloc(c->flush_bytes);
    if (!c->flush_buf)
      return HOST_FAIL(b, "flush_cache", "out of memory allocating %zu bytes", c->flush_bytes);
  }
  memset(c->flush_buf, ++c->flush_round, c->flush_bytes);
  return 0;
}

static const char *host_error_text(ar_backend *b) { return ctx_of(b)->err; }

static void host_set_error(ar_backend *b, const char *msg) {
  snprintf(ctx_of(b)->err, sizeof ctx_of(b)->err, "%s", msg);
}

static void host_destroy(ar_backend *b) {
  if (!b) return;
  host_ctx *c = ctx_of(b);
  if (c) free(c->flush_buf);
  free(c);
  free(b);
}

static const ar_backend_ops host_ops = {
    .version = AR_BACKEND_VERSION,
    .name = "host",
    .device_info = host_device_info,
    .alloc = host_alloc,
    .free = host_free,
    .upload = host_upload,
    .download = host_download,
    .fill32 = host_fill32,
    .module_load = host_module_load,
    .module_function = host_module_function,
    .module_unload = host_module_unload,
    .launch = host_launch,
    .event_create = host_event_create,
    .event_destroy = host_event_destroy,
    .event_record = host_event_record,
    .event_elapsed_ms = host_event_elapsed_ms,
    .synchronize = host_synchronize,
    .flush_cache = host_flush_cache,
    .error_text = host_error_text,
    .set_error = host_set_error,
    .destroy = host_destroy,
};

int ar_backend_host_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu < 1) ncpu = 1;
  if (ordinal < 0 || ordinal >= ncpu) {
    if (err && errlen)
      snprintf(err, errlen, "host: no device %d: the host backend has %ld (one worker slot per online CPU)",
               ordinal, ncpu);
    return -1;
  }
  ar_backend *b = calloc(1, sizeof *b);
  host_ctx *c = calloc(1, sizeof *c);
  if (!b || !c) {
    free(b);
    free(c);
    if (err && errlen) snprintf(err, errlen, "host: out of memory opening the backend");
    return -1;
  }
  b->ops = &host_ops;
  b->ctx = c;
  c->ordinal = ordinal;
  *out = b;
  return 0;
}
