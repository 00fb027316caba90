/*
** kernel_path.c -- code-object search path, content hashes and loading
** (see kernel_path.h).
*/
#include "kernel_path.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_hash.h"
#include "exe_dir.h"
#include "host_kernels.h"
#include "launch_fingerprint.h"
#include "sha256.h"

#ifndef AR_HOST_KERNELS_SHA256
#define AR_HOST_KERNELS_SHA256 "unknown"
#endif

#ifndef AR_CUDA_ARCHS
#define AR_CUDA_ARCHS "90"
#endif

static const char *const *kernel_dirs;

void ar_kernel_path_set_dirs(const char *const *dirs) { kernel_dirs = dirs; }

static struct {
  char device[32];  /* "" = none set */
  char built[128];
} cuda_arch = {"", AR_CUDA_ARCHS};

void ar_kernel_path_set_cuda_arch(const char *device_arch, const char *built) {
  snprintf(cuda_arch.device, sizeof cuda_arch.device, "%s", device_arch ? device_arch : "");
  snprintf(cuda_arch.built, sizeof cuda_arch.built, "%s", built ? built : AR_CUDA_ARCHS);
}

/* "90" -> 90 with suffix "" ; "90a" -> 90 with "a".  -1 if not a number. */
static int parse_arch(const char *t, size_t len, char suffix[8]) {
  char buf[16];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, t, len);
  buf[len] = '\0';
  char *end;
  long v = strtol(buf, &end, 10);
  if (end == buf || v <= 0 || v > 10000 || strlen(end) >= 8) return -1;
  snprintf(suffix, 8, "%s", end);
  return (int)v;
}

int ar_cubin_arch(const char *device_arch, const char *built, char *out, size_t outlen, char *err,
                  size_t errlen) {
  const char *d = device_arch && strncmp(device_arch, "sm_", 3) == 0 ? device_arch + 3 : device_arch;
  char dsuf[8] = "";
  int dev = d ? parse_arch(d, strlen(d), dsuf) : -1;
  if (dev < 0 || dsuf[0]) {
    snprintf(err, errlen, "device arch '%s' is not sm_<number>", device_arch ? device_arch : "");
    return -1;
  }
  int best = -1;
  for (const char *t = built; t && *t;) {
    size_t len = strcspn(t, ",; ");
    char suf[8];
    int a = parse_arch(t, len, suf);
    /* an arch-specific build (90a) runs on that arch alone */
    if (a > 0 && !suf[0] && a / 10 == dev / 10 && a <= dev && a > best) best = a;
    t += len;
    t += strspn(t, ",; ");
  }
  if (best < 0) {
    snprintf(err, errlen,
             "no cubin for this device's sm_%d: this build has sm_{%s} (ATTNROUTE_CUDA_ARCHS); "
             "configure with -DATTNROUTE_CUDA_ARCHS=%d",
             dev, built ? built : "", dev);
    return -1;
  }
  snprintf(out, outlen, "sm_%d", best);
  return 0;
}

/* "<base>.cubin" -> "<base>.sm_<arch>.cubin" into name; other names copied. */
static int module_file(const char *module, char *name, size_t len, char *err, size_t errlen) {
  size_t n = strlen(module);
  static const char ext[] = ".cubin";
  if (n <= sizeof ext - 1 || strcmp(module + n - (sizeof ext - 1), ext) != 0 || strstr(module, ".sm_")) {
    snprintf(name, len, "%s", module);
    return 0;
  }
  char arch[32];
  if (cuda_arch.device[0]) {
    char why[256];
    if (ar_cubin_arch(cuda_arch.device, cuda_arch.built, arch, sizeof arch, why, sizeof why)) {
      snprintf(err, errlen, "code object %s: %s", module, why);
      return -1;
    }
  } else {
    size_t first = strcspn(cuda_arch.built, ",; ");
    snprintf(arch, sizeof arch, "sm_%.*s", (int)first, cuda_arch.built);
  }
  snprintf(name, len, "%.*s.%s%s", (int)(n - (sizeof ext - 1)), module, arch, ext);
  return 0;
}

static int try_dir(const char *dir, const char *module, char *out, size_t outlen) {
  if (!dir || !*dir) return -1;
  int n = snprintf(out, outlen, "%s/%s", dir, module);
  if (n < 0 || (size_t)n >= outlen) return -1;
  return access(out, R_OK) == 0 ? 0 : -1;
}

int ar_kernel_path_find(const char *module_name, char *out, size_t outlen, char *err, size_t errlen) {
  char module[512];
  if (module_file(module_name, module, sizeof module, err, errlen)) return -1;
  if (strchr(module, '/')) {
    if (access(module, R_OK) == 0 && snprintf(out, outlen, "%s", module) < (int)outlen) return 0;
    snprintf(err, errlen, "code object %s not readable", module);
    return -1;
  }
  for (const char *const *d = kernel_dirs; d && *d; d++)
    if (try_dir(*d, module, out, outlen) == 0) return 0;
  const char *env = getenv("ATTNROUTE_KERNEL_PATH");
  if (env) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", env);
    for (char *save = NULL, *tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
      if (try_dir(tok, module, out, outlen) == 0) return 0;
  }
  char exe[PATH_MAX], dir[PATH_MAX + 64];
  ar_exe_dir(exe, sizeof exe);
  static const char *const rel[] = {"../kernels", "kernels", "../share/attnroute/kernels"};
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    snprintf(dir, sizeof dir, "%s/%s", exe, rel[i]);
    if (try_dir(dir, module, out, outlen) == 0) return 0;
  }
  snprintf(err, errlen,
           "code object '%s' not found (looked in --kernel-dir, $ATTNROUTE_KERNEL_PATH and %s/{../kernels,"
           "kernels,../share/attnroute/kernels})",
           module, exe);
  return -1;
}

int ar_candidate_code_hash(const ar_candidate *c, char hex[65], char *err, size_t errlen) {
  static const char tag[] = "attnroute-code-hash-2";
  ar_sha256 s;
  ar_sha256_init(&s);
  ar_sha256_update(&s, tag, sizeof tag);
  for (int i = 0; i < AR_MAX_MODULES && c->modules[i]; i++) {
    if (strcmp(c->modules[i], AR_HOST_MODULE) == 0) {
      ar_sha256_update(&s, AR_HOST_KERNELS_SHA256, strlen(AR_HOST_KERNELS_SHA256));
      continue;
    }
    char path[1024], h[65];
    if (ar_kernel_path_find(c->modules[i], path, sizeof path, err, errlen)) return -1;
    if (ar_code_object_hash(path, h, err, errlen)) return -1;
    ar_sha256_update(&s, h, 64);
  }
  for (int i = 0; i < AR_MAX_KERNELS && c->kernels[i]; i++) /* which kernels of them */
    ar_sha256_update(&s, c->kernels[i], strlen(c->kernels[i]) + 1);
  ar_launch_fingerprint(c, &s);
  ar_sha256_hex(&s, hex);
  return 0;
}

static int cache_module(ar_backend *b, ar_module_cache *cache, const char *module, void **out, char *err,
                        size_t errlen) {
  char path[512];
  if (strcmp(module, AR_HOST_MODULE) == 0) snprintf(path, sizeof path, "%s", AR_HOST_MODULE);
  else if (ar_kernel_path_find(module, path, sizeof path, err, errlen))
    return -1;
  for (int i = 0; i < cache->count; i++)
    if (strcmp(cache->paths[i], path) == 0) {
      *out = cache->modules[i];
      return 0;
    }
  if (cache->count == (int)(sizeof cache->modules / sizeof cache->modules[0])) {
    snprintf(err, errlen, "too many code objects");
    return -1;
  }
  if (b->ops->module_load(b, path, out)) {
    snprintf(err, errlen, "%s", b->ops->error_text(b));
    return -1;
  }
  snprintf(cache->paths[cache->count], sizeof cache->paths[0], "%s", path);
  cache->modules[cache->count++] = *out;
  return 0;
}

int ar_candidate_load(ar_backend *b, ar_module_cache *cache, const ar_candidate *c, ar_loaded *out,
                      char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  for (int i = 0; i < AR_MAX_KERNELS && c->kernels[i]; i++) {
    const char *colon = strchr(c->kernels[i], ':');
    int mi = colon ? atoi(c->kernels[i]) : 0;
    const char *symbol = colon ? colon + 1 : c->kernels[i];
    if (mi < 0 || mi >= AR_MAX_MODULES || !c->modules[mi]) {
      snprintf(err, errlen, "%s: kernel '%s' names no module", c->name, c->kernels[i]);
      return -1;
    }
    void *m;
    if (cache_module(b, cache, c->modules[mi], &m, err, errlen)) return -1;
    if (b->ops->module_function(b, m, symbol, &out->fn[i])) {
      snprintf(err, errlen, "%s", b->ops->error_text(b));
      return -1;
    }
  }
  return 0;
}
