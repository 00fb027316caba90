/*
** main.c -- attnroute-tune's command line: parse and validate flags, then
** hand the job to ar_tune_run (tune.c).  Bad flags change nothing and exit 2.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_number.h"
#include "grid.h"
#include "tune.h"

#ifndef AR_TUNER_VERSION
#define AR_TUNER_VERSION "attnroute-tune 0.1.0"
#endif

static volatile int interrupted;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: attnroute-tune [options]\n"
          "\n"
          "Measure attention candidates over a grid of shapes and store every\n"
          "measurement in an SQLite db; gen/attnroute_gen.py turns the db into a table.\n"
          "Re-running resumes: what the db already holds is skipped.\n"
          "\n"
          "What to measure:\n"
          "  --grid FILE|builtin:NAME  grid file (format: grids/*.grid, tuner/grid.h) or an\n"
          "                            embedded grid: builtin:gpt-oss, builtin:llama,\n"
          "                            builtin:host-small.  Default: builtin:gpt-oss on a GPU,\n"
          "                            builtin:host-small on the host backend\n"
          "  --shapes FILE             a shape list (one shape per line) instead of a grid\n"
          "  --candidates GLOB         only candidates whose name matches (repeatable)\n"
          "  --list-candidates         print the backend's candidates and exit\n"
          "Where:\n"
          "  --db FILE                 measurement db (default attnroute.db; created if absent)\n"
          "  --backend NAME            host, cuda, hip or auto (default auto: cuda, hip, host)\n"
          "  --kernel-dir DIR          where code objects are (repeatable; also\n"
          "                            $ATTNROUTE_KERNEL_PATH, then next to the binary)\n"
          "  --aiter-hsa DIR           aiter's hsa folder (hip backend; default $AITER_ASM_DIR)\n"
          "How:\n"
          "  --warmup N --min-reps N --min-ms MS --max-reps N --max-ms MS\n"
          "                            timing policy (defaults depend on the backend)\n"
          "  --no-flush                do not evict the cache before each repetition\n"
          "  --tolerance X             max relative error against the reference (0.02)\n"
          "  --timeout S               per measurement, before the worker is killed (60)\n"
          "  --retry-failed            measure again what is recorded fault or timeout\n"
          "  --seed N                  input seed (default: fresh each run)\n"
          "  --dry-run                 print the plan (shapes x candidates, work) and exit\n"
          "  --quiet                   no progress output\n"
          "  --help, --version\n"
          "\n"
          "Exit codes: 0 done; 1 backend or db error; 2 bad flag or input (nothing\n"
          "written); 3 done but some shapes could not be set up (re-run); 130 interrupted\n"
          "(everything measured so far is kept; re-run to resume).\n");
}

/* Parse a number for flag; exit 2 with a message when it is not one. */
static double number(const char *flag, const char *v, double lo, double hi) {
  double x;
  if (ar_cli_parse_number(v, lo, hi, &x)) {
    fprintf(stderr, "attnroute-tune: %s: '%s' is not a number in [%g, %g]\n", flag, v, lo, hi);
    exit(AR_EXIT_USAGE);
  }
  return x;
}

/* The same for an integer flag. */
static int64_t integer(const char *flag, const char *v, int64_t lo, int64_t hi) {
  int64_t x;
  if (ar_cli_parse_integer(v, lo, hi, &x)) {
    fprintf(stderr, "attnroute-tune: %s: '%s' is not an integer in [%lld, %lld]\n", flag, v,
            (long long)lo, (long long)hi);
    exit(AR_EXIT_USAGE);
  }
  return x;
}

static void push(const char **list, const char *flag, const char *v) {
  int n = 0;
  while (list[n]) n++;
  if (n == AR_MAX_LIST) {
    fprintf(stderr, "attnroute-tune: %s given more than %d times\n", flag, AR_MAX_LIST);
    exit(AR_EXIT_USAGE);
  }
  list[n] = v;
}

/* The command line as one string, for the run's provenance. */
static char *join_args(int argc, char **argv) {
  size_t len = 1;
  for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
  char *s = malloc(len), *p = s;
  if (!s) return NULL;
  for (int i = 0; i < argc; i++) p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
  *p = '\0';
  return s;
}

int main(int argc, char **argv) {
  ar_tune_opts o;
  memset(&o, 0, sizeof o);
  o.db_path = "attnroute.db";
  o.backend = "auto";
  o.timeout_s = 60;
  int warmup = -1, min_reps = -1, max_reps = -1, no_flush = 0;
  double min_ms = -1, max_ms = -1, tol = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return AR_EXIT_OK;
    }
    if (!strcmp(a, "--version")) {
      printf("%s (runtime %d, table ABI %d)\n", AR_TUNER_VERSION, attnroute_version(), ATTNROUTE_TABLE_ABI);
      return AR_EXIT_OK;
    }
    if (!strcmp(a, "--dry-run")) { o.dry_run = 1; continue; }
    if (!strcmp(a, "--quiet")) { o.quiet = 1; continue; }
    if (!strcmp(a, "--retry-failed")) { o.retry_failed = 1; continue; }
    if (!strcmp(a, "--list-candidates")) { o.list_candidates = 1; continue; }
    if (!strcmp(a, "--no-flush")) { no_flush = 1; continue; }
    if (a[0] != '-' || a[1] != '-') {
      fprintf(stderr, "attnroute-tune: unexpected argument '%s' (see --help)\n", a);
      return AR_EXIT_USAGE;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "attnroute-tune: %s needs a value (see --help)\n", a);
      return AR_EXIT_USAGE;
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--grid")) o.grid_path = v;
    else if (!strcmp(a, "--shapes")) o.shapes_path = v;
    else if (!strcmp(a, "--db")) o.db_path = v;
    else if (!strcmp(a, "--backend")) {
      if (strcmp(v, "host") && strcmp(v, "cuda") && strcmp(v, "hip") && strcmp(v, "auto")) {
        fprintf(stderr, "attnroute-tune: --backend: '%s' is not one of host, cuda, hip, auto\n", v);
        return AR_EXIT_USAGE;
      }
      o.backend = v;
    } else if (!strcmp(a, "--kernel-dir")) push(o.kernel_dirs, a, v);
    else if (!strcmp(a, "--aiter-hsa")) o.aiter_hsa = v;
    else if (!strcmp(a, "--candidates")) push(o.patterns, a, v);
    else if (!strcmp(a, "--warmup")) warmup = (int)integer(a, v, 0, 1000);
    else if (!strcmp(a, "--min-reps")) min_reps = (int)integer(a, v, 1, 100000);
    else if (!strcmp(a, "--max-reps")) max_reps = (int)integer(a, v, 1, 100000);
    else if (!strcmp(a, "--min-ms")) min_ms = number(a, v, 0, 1e6);
    else if (!strcmp(a, "--max-ms")) max_ms = number(a, v, 0, 1e7);
    else if (!strcmp(a, "--tolerance")) tol = number(a, v, 1e-6, 1);
    else if (!strcmp(a, "--timeout")) o.timeout_s = number(a, v, 1, 86400);
    else if (!strcmp(a, "--seed")) o.seed = (uint64_t)integer(a, v, 1, INT64_MAX);
    else {
      fprintf(stderr, "attnroute-tune: unknown option '%s' (see --help)\n", a);
      return AR_EXIT_USAGE;
    }
  }
  if (!o.db_path[0]) {
    fprintf(stderr, "attnroute-tune: --db: the path is empty\n");
    return AR_EXIT_USAGE;
  }
  if (o.grid_path && o.shapes_path) {
    fprintf(stderr, "attnroute-tune: give --grid or --shapes, not both\n");
    return AR_EXIT_USAGE;
  }
  o.warmup = warmup;
  o.min_reps = min_reps;
  o.max_reps = max_reps;
  o.min_ms = min_ms;
  o.max_ms = max_ms;
  o.tolerance = tol;
  o.no_flush = no_flush;
  if (max_reps > 0 && min_reps > 0 && max_reps < min_reps) {
    fprintf(stderr, "attnroute-tune: --max-reps %d is below --min-reps %d\n", max_reps, min_reps);
    return AR_EXIT_USAGE;
  }
  char *cmd = join_args(argc, argv);
  o.command_line = cmd ? cmd : "attnroute-tune";
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int rc = ar_tune_run(&o, &interrupted);
  free(cmd);
  return rc;
}
