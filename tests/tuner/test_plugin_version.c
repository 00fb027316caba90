/*
** test_plugin_version.c -- the CUDA plugin loader refuses a plugin of
** another backend version before calling into it, naming the plugin file
** and both versions (argv[1]: "stale", the fake reports version
** AR_BACKEND_VERSION - 1; "unversioned", it has no version symbol).  The fake
** libattnroute_cuda.so sits next to this executable, where the loader looks
** first (fake_cuda_plugin.c).
*/
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "backend.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_plugin_version stale|unversioned\n");
    return 2;
  }
  ar_backend *b = NULL;
  char err[1024] = "", want[64];
  CHECK_MSG(ar_backend_open("cuda", &b, err, sizeof err) == -1 && b == NULL, "opened: %s", err);
  CHECK_MSG(strstr(err, "libattnroute_cuda.so") != NULL, "no plugin file named: %s", err);
  snprintf(want, sizeof want, "needs %d", AR_BACKEND_VERSION);
  if (strcmp(argv[1], "stale") == 0) {
    char has[64];
    snprintf(has, sizeof has, "backend version %d", AR_BACKEND_VERSION - 1);
    CHECK_MSG(strstr(err, has) && strstr(err, want), "stale plugin: %s", err);
  } else {
    snprintf(want, sizeof want, "version %d", AR_BACKEND_VERSION);
    CHECK_MSG(strstr(err, "no backend version") && strstr(err, want), "unversioned plugin: %s", err);
  }
  /* auto does not take it either, and says why cuda was skipped. */
  b = NULL;
  int rc = ar_backend_open("auto", &b, err, sizeof err);
  CHECK_MSG(rc == -1 || strstr(err, "version") != NULL, "auto: %d %s", rc, err);
  if (b) b->ops->destroy(b);
  if (check_failures) return 1;
  printf("ok: %s plugin refused\n", argv[1]);
  return 0;
}
