/*
** main.c -- attnroute-merge's command line (the rules are in merge.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: attnroute-merge [options] OUT IN...\n"
          "\n"
          "Merge attnroute measurement dbs -- the shards of one plan (attnroute-tune\n"
          "--shard K/N) or runs on other machines -- into the new db OUT, keeping every\n"
          "run, device and candidate.  Checked first, nothing written on failure:\n"
          "one device class, shards of one plan with every part exactly once.\n"
          "Measurements of one (device, candidate, shape): identical ones kept once, a\n"
          "conflict resolved to the newer; a shape measured on several devices of a class\n"
          "keeps the device that measured most of its candidates.  All counted in the report.\n"
          "\n"
          "  --allow-mixed-devices  merge dbs of several device classes\n"
          "  --force                replace OUT if it exists\n"
          "  --quiet                no report\n"
          "  --help\n"
          "\n"
          "Exit codes: 0 merged; 1 db or file error; 2 bad input (OUT untouched).\n");
}

int main(int argc, char **argv) {
  ar_merge_opts o;
  memset(&o, 0, sizeof o);
  const char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = 0, only_files = 0;
  if (!pos) return 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!only_files && a[0] == '-' && a[1] == '-') {
      if (!strcmp(a, "--")) only_files = 1;
      else if (!strcmp(a, "--help")) {
        usage(stdout);
        free(pos);
        return 0;
      } else if (!strcmp(a, "--allow-mixed-devices")) o.allow_mixed_devices = 1;
      else if (!strcmp(a, "--force")) o.force = 1;
      else if (!strcmp(a, "--quiet")) o.quiet = 1;
      else {
        fprintf(stderr, "attnroute-merge: unknown option '%s' (see --help)\n", a);
        free(pos);
        return 2;
      }
      continue;
    }
    pos[npos++] = a;
  }
  if (npos < 2) {
    fprintf(stderr, "attnroute-merge: give OUT and at least one IN (see --help)\n");
    free(pos);
    return 2;
  }
  o.out = pos[0];
  o.inputs = pos + 1;
  o.ninputs = npos - 1;
  int rc = ar_merge(&o, stdout, stderr);
  free(pos);
  return rc;
}
