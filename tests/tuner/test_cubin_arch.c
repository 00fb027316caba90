/*
** test_cubin_arch.c -- which cubin the tuner loads for a CUDA device
** (kernel_path.h): the device's own arch when the build has it, else the
** highest built arch of the same major below it, else an error naming the
** device's arch and the build's list; arch-neutral module names
** ("attn_gather.cubin") resolved to those files on the kernel path.  No GPU:
** the cubins are empty files in a temporary folder.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "kernel_path.h"

static void pick(const char *device, const char *built, const char *want) {
  char out[32] = "", err[256] = "";
  int rc = ar_cubin_arch(device, built, out, sizeof out, err, sizeof err);
  if (want)
    CHECK_MSG(rc == 0 && strcmp(out, want) == 0, "%s from {%s}: rc %d, %s (%s)", device, built, rc, out, err);
  else
    CHECK_MSG(rc == -1 && strstr(err, device + 3) && strstr(err, "ATTNROUTE_CUDA_ARCHS"),
          "%s from {%s}: rc %d, out %s, err %s", device, built, rc, out, err);
}

static void touch(const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  CHECK_MSG(f != NULL, "cannot create %s", path);
  if (f) fclose(f);
}

int main(void) {
  pick("sm_90", "90", "sm_90");
  pick("sm_90", "80,90", "sm_90");
  pick("sm_86", "80,90", "sm_80");       /* same major, lower minor */
  pick("sm_89", "80;86;90", "sm_86");    /* CMake's list form too */
  pick("sm_80", "86,90", NULL);          /* a later minor does not run on 8.0 */
  pick("sm_100", "90", NULL);            /* nor another major */
  pick("sm_90", "90a", NULL);            /* arch-specific builds are not picked */
  char out[32], err[256];
  CHECK_MSG(ar_cubin_arch("gfx90a", "90", out, sizeof out, err, sizeof err) == -1 && strstr(err, "gfx90a"),
        "non-sm arch: %s", err);

  char dir[] = "/tmp/attnroute-cubin-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  touch(dir, "attn_gather.sm_80.cubin");
  touch(dir, "attn_gather.sm_90.cubin");
  const char *dirs[] = {dir, NULL};
  ar_kernel_path_set_dirs(dirs);
  char path[1024];

  ar_kernel_path_set_cuda_arch(NULL, "80,90"); /* no device yet: the first built */
  CHECK_MSG(ar_kernel_path_find("attn_gather.cubin", path, sizeof path, err, sizeof err) == 0 &&
            strstr(path, "attn_gather.sm_80.cubin"),
        "before a device: %s (%s)", path, err);
  ar_kernel_path_set_cuda_arch("sm_90", "80,90");
  CHECK_MSG(ar_kernel_path_find("attn_gather.cubin", path, sizeof path, err, sizeof err) == 0 &&
            strstr(path, "attn_gather.sm_90.cubin"),
        "sm_90: %s (%s)", path, err);
  ar_kernel_path_set_cuda_arch("sm_86", "80,90");
  CHECK_MSG(ar_kernel_path_find("attn_gather.cubin", path, sizeof path, err, sizeof err) == 0 &&
            strstr(path, "attn_gather.sm_80.cubin"),
        "sm_86: %s (%s)", path, err);
  ar_kernel_path_set_cuda_arch("sm_120", "80,90");
  CHECK_MSG(ar_kernel_path_find("attn_gather.cubin", path, sizeof path, err, sizeof err) == -1 &&
            strstr(err, "attn_gather.cubin") && strstr(err, "sm_120"),
        "sm_120: %s", err);
  /* Names with an arch, and other code objects, are looked for as given. */
  CHECK_MSG(ar_kernel_path_find("attn_gather.sm_90.cubin", path, sizeof path, err, sizeof err) == 0,
        "explicit name: %s", err);
  touch(dir, "attn_gather.hip.co");
  CHECK_MSG(ar_kernel_path_find("attn_gather.hip.co", path, sizeof path, err, sizeof err) == 0,
        "hip object: %s", err);
  ar_kernel_path_set_cuda_arch(NULL, NULL);

  const char *names[] = {"attn_gather.sm_80.cubin", "attn_gather.sm_90.cubin", "attn_gather.hip.co"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  if (check_failures) return 1;
  puts("ok: cubins follow the device's arch and the build's list");
  return 0;
}
