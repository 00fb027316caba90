/*
** exe_dir.c -- ar_exe_dir (exe_dir.h).
*/
#include "exe_dir.h"

#include <string.h>
#include <unistd.h>

void ar_exe_dir(char *dir, size_t len) {
  ssize_t n = len > 1 ? readlink("/proc/self/exe", dir, len - 1) : -1;
  if (n <= 0) {
    if (len) dir[0] = '\0';
    return;
  }
  dir[n] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
}
