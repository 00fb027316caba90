/*
** fake_cuda_plugin.c -- a libattnroute_cuda.so from another build, for
** test_plugin_version: with FAKE_VERSION defined it reports that backend
** version, without it it has no version symbol at all (a plugin older than
** the check).  Its open function must never be called: it aborts.
*/
#include <stdlib.h>

#include "backend.h"

#ifdef FAKE_VERSION
int ar_backend_cuda_plugin_version(void);
int ar_backend_cuda_plugin_version(void) { return FAKE_VERSION; }
#endif

int ar_backend_cuda_open_device(int ordinal, ar_backend **out, char *err, size_t errlen);
int ar_backend_cuda_open_device(int ordinal, ar_backend **out, char *err, size_t errlen) {
  (void)ordinal;
  (void)out;
  (void)err;
  (void)errlen;
  abort(); /* a plugin of another version must not be opened */
}
