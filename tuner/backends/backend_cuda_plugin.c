/*
** backend_cuda_plugin.c -- load the CUDA backend (libattnroute_cuda.so)
** with dlopen, so the tuner itself does not depend on libcuda: without the
** NVIDIA driver, --backend cuda fails with a clear message and the host
** backend still works.  The plugin is looked for next to the executable,
** then in <exe>/../lib/attnroute, then on the loader's path, and refused
** (naming the file and both versions) unless its
** ar_backend_cuda_plugin_version() is this build's AR_BACKEND_VERSION.
*/
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "exe_dir.h"

typedef int (*open_fn)(int, ar_backend **, char *, size_t);
typedef int (*version_fn)(void);

int ar_backend_cuda_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  *out = NULL;
  char exe[PATH_MAX], path[PATH_MAX + 64];
  ar_exe_dir(exe, sizeof exe);
  const char *const where[] = {"%s/libattnroute_cuda.so", "%s/../lib/attnroute/libattnroute_cuda.so"};
  void *h = NULL;
  char first_error[512] = "";
  for (size_t i = 0; i < sizeof where / sizeof where[0] && !h; i++) {
    snprintf(path, sizeof path, where[i], exe);
    if (access(path, R_OK) != 0) continue;
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h && !first_error[0]) snprintf(first_error, sizeof first_error, "%s", dlerror());
  }
  if (!h && !first_error[0]) {
    h = dlopen("libattnroute_cuda.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) snprintf(first_error, sizeof first_error, "%s", dlerror());
  }
  if (!h) {
    snprintf(err, errlen, "cuda: cannot load the CUDA backend plugin: %s (is the NVIDIA driver installed?)",
             first_error);
    return -1;
  }
  /* Which file was loaded (the loader's path search may have found it). */
  char file[PATH_MAX + 64];
  Dl_info info;
  void *sym = dlsym(h, "ar_backend_cuda_open_device");
  snprintf(file, sizeof file, "%s", sym && dladdr(sym, &info) && info.dli_fname ? info.dli_fname : path);
  /* The vtable's layout must be this build's: checked before anything of the
  ** plugin's is called, since an older plugin's backend is another struct. */
  version_fn version = (version_fn)dlsym(h, "ar_backend_cuda_plugin_version");
  if (!version || version() != AR_BACKEND_VERSION) {
    if (version)
      snprintf(err, errlen, "cuda: the CUDA backend plugin %s has backend version %d, this attnroute-tune "
               "needs %d (install the libattnroute_cuda.so built with it)", file, version(), AR_BACKEND_VERSION);
    else
      snprintf(err, errlen, "cuda: the CUDA backend plugin %s has no backend version (older than version %d "
               "this attnroute-tune needs; install the libattnroute_cuda.so built with it)", file,
               AR_BACKEND_VERSION);
    dlclose(h);
    return -1;
  }
  open_fn open = (open_fn)sym;
  if (!open) {
    snprintf(err, errlen, "cuda: the CUDA backend plugin %s has no ar_backend_cuda_open_device", file);
    dlclose(h);
    return -1;
  }
  return open(ordinal, out, err, errlen); /* the plugin stays loaded for the process's life */
}
