/*
** test_hip_open.c -- ar_backend_open("hip") on a machine without an AMD GPU
** fails cleanly: -1, *out NULL, and "hip: no AMD GPU found
** (hipGetDeviceCount: ...)", also into small buffers; twice in a row.
** Exits 77 (skipped) when a GPU is present and the backend opens.
*/
#include <stdio.h>
#include <string.h>

#include "backend.h"

#include "../check.h"

int main(void) {
  char err[512];
  ar_backend *b = (ar_backend *)&err; /* must be overwritten with NULL */
  memset(err, 'x', sizeof err);
  int rc = ar_backend_open("hip", &b, err, sizeof err);
  if (rc == 0) {
    ar_device_info d;
    b->ops->device_info(b, &d);
    printf("test_hip_open: an AMD GPU is present (%s, %s, %d CUs): skipped\n", d.name, d.arch,
           d.cu_count);
    b->ops->destroy(b);
    return 77;
  }
  CHECK_MSG(rc == -1, "rc %d", rc);
  CHECK_MSG(b == NULL, "*out not NULL");
  CHECK_MSG(memchr(err, '\0', sizeof err) != NULL, "message not terminated");
  CHECK_MSG(strncmp(err, "hip: no AMD GPU found (hipGetDeviceCount: ", 42) == 0, "message: %s", err);
  CHECK_MSG(err[strlen(err) - 1] == ')', "message: %s", err);
  printf("test_hip_open: %s\n", err);

  /* Again (no state left behind), into a buffer too small for it. */
  char small[12];
  memset(small, 'x', sizeof small);
  b = (ar_backend *)&small;
  rc = ar_backend_open("hip", &b, small, sizeof small);
  CHECK_MSG(rc == -1 && b == NULL, "second open rc %d", rc);
  CHECK_MSG(memchr(small, '\0', sizeof small) != NULL && strncmp(small, "hip: no AMD", 11) == 0,
        "truncated message: %.12s", small);

  if (check_failures) {
    fprintf(stderr, "test_hip_open: %ld failure(s)\n", check_failures);
    return 1;
  }
  return 0;
}
