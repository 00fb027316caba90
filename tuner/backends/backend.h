/*
** backend.h -- the device abstraction the tuner measures through.
**
** A backend is a small vtable over one device: what the device is, memory,
** fills, code-object modules, launches with an argument buffer (the form
** aiter uses for its ASM kernels), events for timing, graphs, and the text
** of the last error.  Three implementations: backend_host.c (the CPU; "modules" are
** built-in C kernels), backend_cuda.c (CUDA driver API, cubins) and
** backend_hip.c (HIP module API, .co/hsaco).  Every function returns 0 on
** success and -1 on failure, with the failing call named in error_text().
** Slots marked (optional) may be NULL.
*/
#ifndef AR_BACKEND_H
#define AR_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* 2: the graph slots; 3: a static const ops table per backend, set_error,
** no copy slot. */
#define AR_BACKEND_VERSION 3

typedef uint64_t ar_buf; /* device address; on the host backend a host pointer */

/* What the device is: the table key is (arch, cu_count). */
typedef struct ar_device_info {
  char vendor[16];          /* "nvidia", "amd", "host" */
  char arch[32];            /* "sm_90", "gfx1250", "x86_64" */
  int32_t cu_count;         /* SMs, CUs, or CPU cores used */
  char name[128];           /* marketing name */
  uint64_t memory_bytes;
  uint64_t l2_bytes;        /* 0 when unknown */
  char driver_version[32];
  char runtime_version[32];
  /* Which device (appended): its ordinal on the host as opened, how many the
  ** backend sees, and a stable id: "GPU-<uuid>" (cuda), "pci:<bus id>" (hip),
  ** "" on the host, whose "devices" are worker slots on the CPU. */
  int32_t ordinal;
  int32_t device_count;
  char uuid[48];
  /* Appended (hip_cu_count.h).  AMD gfx10+ (gfx1250 included) in WGP mode:
  ** HIP's multiProcessorCount counts WGPs (two CUs each), while aiter keys
  ** its tuned tables and sizes its Triton grids on the Compute Unit count
  ** (CU_NUM, else rocminfo).  cu_count holds the count aiter uses, wgp_count
  ** HIP's multiProcessorCount (0 where it is not a WGP count), cu_source
  ** where cu_count came from. */
  int32_t wgp_count;
  char cu_source[24];       /* "CU_NUM", "rocminfo", "hip x2 (WGP mode)", "hip", "" */
  int64_t lds_per_block;    /* LDS / shared bytes a workgroup may use; 0 unknown */
} ar_device_info;

typedef struct ar_backend ar_backend;

/* One backend's functions: a static const table per backend, shared by all
** its instances; each instance is that table and its private state. */
typedef struct ar_backend_ops {
  int version;      /* the AR_BACKEND_VERSION it was built with; checked when
                       opened (a stale CUDA plugin is refused) */
  const char *name; /* "host", "cuda", "hip" */

  int (*device_info)(ar_backend *b, ar_device_info *out);
  int (*alloc)(ar_backend *b, size_t bytes, ar_buf *out);
  void (*free)(ar_backend *b, ar_buf buf);
  int (*upload)(ar_backend *b, ar_buf dst, const void *src, size_t bytes);
  int (*download)(ar_backend *b, void *dst, ar_buf src, size_t bytes);
  /* Fill bytes (a multiple of 4) with a 32-bit pattern (NaN poisoning). */
  int (*fill32)(ar_backend *b, ar_buf dst, uint32_t pattern, size_t bytes);

  /* Load a code object from a file path (host backend: the name "host"). */
  int (*module_load)(ar_backend *b, const char *path, void **module);
  int (*module_function)(ar_backend *b, void *module, const char *symbol, void **fn);
  void (*module_unload)(ar_backend *b, void *module);
  /* Enqueue fn with its argument buffer (args, args_size bytes). */
  int (*launch)(ar_backend *b, void *fn, const unsigned grid[3], const unsigned block[3],
                unsigned shared_bytes, void *args, size_t args_size);

  int (*event_create)(ar_backend *b, void **event);
  void (*event_destroy)(ar_backend *b, void *event);
  int (*event_record)(ar_backend *b, void *event);
  int (*event_elapsed_ms)(ar_backend *b, void *start, void *end, float *ms);
  int (*synchronize)(ar_backend *b);
  /* (optional) Evict the device's last-level cache; NULL: nothing to do. */
  int (*flush_cache)(ar_backend *b);

  const char *(*error_text)(ar_backend *b);
  /* (optional; NULL: such failures keep the last error text) Make
  ** error_text() return msg (copied, cut to the backend's buffer): for a
  ** failure found on the backend's behalf before any call of it, such as a
  ** candidate's run function refusing a problem.  Callers use
  ** ar_backend_fail(). */
  void (*set_error)(ar_backend *b, const char *msg);
  void (*destroy)(ar_backend *b);

  /* (optional, all four; NULL: no graphs on this backend, the graph timing
  ** policy is refused).  graph_begin starts capturing: every launch until
  ** graph_end goes into one graph (CUDA/HIP stream capture on a stream of
  ** the backend's own) instead of running; graph_end stops, instantiates it
  ** into *graph; graph_launch replays it on the stream the events are
  ** recorded on; graph_destroy frees it. */
  int (*graph_begin)(ar_backend *b);
  int (*graph_end)(ar_backend *b, void **graph);
  int (*graph_launch)(ar_backend *b, void *graph);
  void (*graph_destroy)(ar_backend *b, void *graph);
} ar_backend_ops;

struct ar_backend {
  const ar_backend_ops *ops;
  void *ctx; /* backend-private */
};

/* What a backend is, known without opening it (a dry run plans for a
** backend this machine cannot open): the tuner core asks these instead of
** comparing names. */
typedef struct ar_backend_traits {
  const char *name;
  int on_cpu;        /* its device is this machine's CPU (workers on its cores) */
  int graphs;        /* it can capture and replay graphs */
  const char *unit;  /* what ar_device_info.cu_count counts, one and many */
  const char *units;
} ar_backend_traits;

/* The traits of "host", "cuda" or "hip" (compiled in or not); NULL for any
** other name. */
const ar_backend_traits *ar_backend_traits_of(const char *name);

/* Set b's error text to the printf-style message (through set_error) and
** return -1: how a run function that fails without a backend call says why. */
int ar_backend_fail(ar_backend *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Open a backend on device 0 by name: "host", "cuda", "hip", or "auto"
** (cuda, then hip, then host).  On failure -1 with a message in err (e.g.
** "cuda: cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device)");
** backends not compiled in fail saying so.  For "auto", err also holds, on
** success, which backend was used and why the ones before it were skipped;
** auto fails rather than use the host when ar_gpu_device_node() finds a GPU. */
int ar_backend_open(const char *name, ar_backend **out, char *err, size_t errlen);

/* The same on device `ordinal` (0-based, as the backend numbers them after
** CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES); an ordinal the backend does
** not have fails naming how many it has.  On the host backend the ordinals
** are worker slots, one per online CPU. */
int ar_backend_open_device(const char *name, int ordinal, ar_backend **out, char *err, size_t errlen);
int ar_backend_host_open_device(int ordinal, ar_backend **out, char *err, size_t errlen);
int ar_backend_cuda_open_device(int ordinal, ar_backend **out, char *err, size_t errlen);
int ar_backend_hip_open_device(int ordinal, ar_backend **out, char *err, size_t errlen);

/* A GPU device node of this machine (/dev/nvidiactl, /dev/nvidia0,
** /dev/kfd), or NULL.  $ATTNROUTE_GPU_DEVICE_NODE, when set, is checked
** instead (tests). */
const char *ar_gpu_device_node(void);

#endif /* AR_BACKEND_H */
