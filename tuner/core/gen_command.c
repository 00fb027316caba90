/*
** gen_command.c -- ar_gen_command (gen_command.h).
*/
#include "gen_command.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "exe_dir.h"

void ar_gen_command(char *buf, size_t len) {
  char exe[PATH_MAX], path[PATH_MAX + 32];
  ar_exe_dir(exe, sizeof exe);
  snprintf(path, sizeof path, "%s/attnroute-gen", exe);
  if (exe[0] && access(path, X_OK) == 0) {
    snprintf(buf, len, "%s", path);
    return;
  }
#ifdef AR_GEN_SCRIPT
  if (access(AR_GEN_SCRIPT, R_OK) == 0) {
    snprintf(buf, len, "python3 %s", AR_GEN_SCRIPT);
    return;
  }
#endif
  snprintf(buf, len, "python3 gen/attnroute_gen.py");
}
