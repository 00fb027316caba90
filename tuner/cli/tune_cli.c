/*
** tune_cli.c -- attnroute-tune's command line (ar_tune_cli_main, called
** by main.c): one table of flags (flags[] below: name, kind, where the value
** goes, range, help), parsed as `--flag value` or `--flag=value`, then
** handed to ar_tune_run (tune.c).
** Bad flags change nothing and exit 2; an unknown flag is named with the
** closest known one.  SIGINT exits 130, SIGTERM 143 (128 + signal).
**
** Add a flag: one row in flags[] (a field of ar_tune_opts and a kind); a
** kind that needs its own parsing gets a case in apply().
*/
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune_cli.h"

#include "cli_number.h"
#include "grid.h"
#include "plan_shard.h"
#include "tune.h"

#ifndef AR_TUNER_VERSION
#define AR_TUNER_VERSION "attnroute-tune 0.1.0"
#endif

static volatile int interrupted; /* the signal number, 0 while running */

static void on_signal(int sig) { interrupted = sig; }

typedef enum flag_kind {
  K_SECTION, /* not a flag: a heading in --help */
  K_HELP,
  K_VERSION,
  K_SWITCH,  /* int field set to 1 */
  K_TEXT,    /* const char * field */
  K_LIST,    /* const char *[AR_MAX_LIST + 1] field, repeatable */
  K_CHOICE,  /* const char * field, one of `choices` (comma-separated) */
  K_INT,     /* int field in [lo, hi] (int64 range and cli_number.c's integers) */
  K_REAL,    /* double field in [lo, hi] */
  K_U64,     /* uint64_t field in [lo, hi] */
  K_DEVICE,  /* --device N: devices[0], ndevices 1 */
  K_DEVICES, /* --devices LIST|all */
  K_SHARD    /* --shard K/N: shard_index, shard_count */
} flag_kind;

typedef struct flag_spec {
  const char *name; /* "--grid" (K_SECTION: the heading) */
  flag_kind kind;
  size_t offset;    /* of the field in ar_tune_opts */
  double lo, hi;    /* K_INT, K_REAL, K_U64 */
  const char *choices;
  const char *metavar; /* shown in --help after the name */
  const char *help;
} flag_spec;

#define AT(field) offsetof(ar_tune_opts, field)

static const flag_spec flags[] = {
    {"What to measure:", K_SECTION, 0, 0, 0, NULL, NULL, NULL},
    {"--grid", K_TEXT, AT(grid_path), 0, 0, NULL, "FILE|builtin:NAME",
     "grid file (format: grids/*.grid, tuner/core/grid.h) or an embedded grid: builtin:gpt-oss, "
     "builtin:llama, builtin:host-small.  Default: builtin:gpt-oss on a GPU, builtin:host-small on "
     "the host backend"},
    {"--shapes", K_TEXT, AT(shapes_path), 0, 0, NULL, "FILE", "a shape list (one shape per line) instead of a grid"},
    {"--trace", K_TEXT, AT(trace_path), 0, 0, NULL, "FILE",
     "every call of a trace (format: tuner/core/trace.h) instead of a grid; identical calls are measured once"},
    {"--sample", K_INT, AT(sample), 1, 2147483647, NULL, "N", "with --trace: N of its calls, picked by --seed"},
    {"--trace-name", K_TEXT, AT(trace_name), 0, 0, NULL, "NAME", "with --trace: its name in the db (default: the file name)"},
    {"--candidates", K_LIST, AT(patterns), 0, 0, NULL, "GLOB", "only candidates whose name matches (repeatable)"},
    {"--list-candidates", K_SWITCH, AT(list_candidates), 0, 0, NULL, NULL, "print the backend's candidates and exit"},
    {"Where:", K_SECTION, 0, 0, 0, NULL, NULL, NULL},
    {"--db", K_TEXT, AT(db_path), 0, 0, NULL, "FILE", "measurement db (default attnroute.db; created if absent)"},
    {"--backend", K_CHOICE, AT(backend), 0, 0, "host,cuda,hip,auto", "NAME",
     "host, cuda, hip or auto (default auto: cuda, then hip, then host; says why each was skipped, "
     "and refuses the host when a GPU device is present)"},
    {"--kernel-dir", K_LIST, AT(kernel_dirs), 0, 0, NULL, "DIR",
     "where code objects are (repeatable; also $ATTNROUTE_KERNEL_PATH, then next to the binary and "
     "in ../share/attnroute/kernels)"},
    {"--aiter-hsa", K_TEXT, AT(aiter_hsa), 0, 0, NULL, "DIR", "aiter's hsa folder (hip backend; default $AITER_ASM_DIR)"},
    {"--device", K_DEVICE, AT(devices), 0, 1023, NULL, "N", "measure on device N of the backend (default 0)"},
    {"--devices", K_DEVICES, AT(devices), 0, 1023, NULL, "LIST|all",
     "one worker per device, e.g. 0,1,2,3: whole shapes are dealt to the devices (all of a shape's "
     "candidates on one); on the host backend, side-by-side CPU workers"},
    {"--shard", K_SHARD, AT(shard_index), 0, 0, NULL, "K/N",
     "measure part K (1..N) of the plan split N ways by shape; the split depends on the plan alone, so a "
     "re-run resumes the same part; attnroute-merge joins the parts' dbs"},
    {"How (timing defaults depend on the backend):", K_SECTION, 0, 0, 0, NULL, NULL, NULL},
    {"--warmup", K_INT, AT(warmup), 0, 1000, NULL, "N", "untimed runs before timing"},
    {"--min-reps", K_INT, AT(min_reps), 1, 100000, NULL, "N", "at least N timed repetitions"},
    {"--max-reps", K_INT, AT(max_reps), 1, 100000, NULL, "N", "at most N timed repetitions"},
    {"--min-ms", K_REAL, AT(min_ms), 0, 1e6, NULL, "MS", "time at least MS milliseconds"},
    {"--max-ms", K_REAL, AT(max_ms), 0, 1e7, NULL, "MS", "stop timing after MS milliseconds"},
    {"--no-flush", K_SWITCH, AT(no_flush), 0, 0, NULL, NULL, "do not evict the cache before each repetition"},
    {"--timing", K_CHOICE, AT(timing), 0, 0, "eager,graph", "eager|graph",
     "eager launches (default), or each candidate captured once into a CUDA/HIP graph and the graph "
     "replayed, as engines replay decode steps (cuda, hip; recorded as launch=graph in the timing policy)"},
    {"--tolerance", K_REAL, AT(tolerance), 1e-6, 1, NULL, "X", "max relative error against the reference (0.02)"},
    {"--timeout", K_REAL, AT(timeout_s), 1, 86400, NULL, "S", "per measurement, before the worker is killed (60)"},
    {"--retry-failed", K_SWITCH, AT(retry_failed), 0, 0, NULL, NULL, "measure again what is recorded fault or timeout"},
    {"--seed", K_U64, AT(seed), 1, 9.3e18 /* INT64_MAX */, NULL, "N", "input seed (default: fresh each run)"},
    {"--dry-run", K_SWITCH, AT(dry_run), 0, 0, NULL, NULL,
     "print the plan (shapes x candidates, work) and exit; needs no device for --backend cuda|hip"},
    {"--quiet", K_SWITCH, AT(quiet), 0, 0, NULL, NULL, "no progress output"},
    {"", K_SECTION, 0, 0, 0, NULL, NULL, NULL},
    {"--help", K_HELP, 0, 0, 0, NULL, NULL, "this text"},
    {"--version", K_VERSION, 0, 0, 0, NULL, NULL, "the tuner's, runtime's and table ABI's versions"},
};
#define NFLAGS (sizeof flags / sizeof flags[0])

/* Print `text` from column `col` on, wrapped before column 80. */
static void wrap(FILE *f, const char *text, int col, int at) {
  const int width = 79;
  while (*text) {
    while (*text == ' ') text++;
    int len = (int)strcspn(text, " ");
    if (at > col && at + 1 + len > width) {
      fprintf(f, "\n%*s", col, "");
      at = col;
    } else if (at > col) {
      fputc(' ', f);
      at++;
    }
    fprintf(f, "%.*s", len, text);
    at += len;
    text += len;
  }
  fputc('\n', f);
}

static void usage(FILE *f) {
  fprintf(f, "usage: attnroute-tune [options]   (--flag VALUE or --flag=VALUE)\n"
             "\n"
             "Measure attention candidates over a grid of shapes and store every\n"
             "measurement in an SQLite db; gen/attnroute_gen.py turns the db into a table.\n"
             "Re-running resumes: what the db already holds is skipped.\n");
  for (size_t i = 0; i < NFLAGS; i++) {
    const flag_spec *s = &flags[i];
    if (s->kind == K_SECTION) {
      fprintf(f, "\n%s%s", s->name, *s->name ? "\n" : "");
      continue;
    }
    char head[64];
    int n = snprintf(head, sizeof head, "  %s%s%s", s->name, s->metavar ? " " : "", s->metavar ? s->metavar : "");
    if (n > 28) {
      fprintf(f, "%s\n%28s", head, "");
    } else {
      fprintf(f, "%-28s", head);
    }
    wrap(f, s->help, 28, 28);
  }
  fprintf(f, "\n"
             "Exit codes: 0 done; 1 backend or db error; 2 bad flag or input (nothing\n"
             "written); 3 done but some shapes could not be set up (re-run); 130\n"
             "interrupted by SIGINT, 143 by SIGTERM (everything measured so far is kept;\n"
             "re-run to resume).\n");
}

static int usage_error(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "attnroute-tune: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, " (see --help)\n");
  return AR_EXIT_USAGE;
}

/* Edit distance between a and b (both short), for "did you mean". */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return 64;
  size_t row[64];
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* The known flag closest to `name`, or NULL when none is close. */
static const char *closest_flag(const char *name) {
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; i < NFLAGS; i++) {
    if (flags[i].kind == K_SECTION) continue;
    size_t d = edit_distance(name, flags[i].name);
    if (strncmp(flags[i].name, name, strlen(name)) == 0 && strlen(name) > 3) d = 1; /* a prefix */
    if (d < best_d) {
      best_d = d;
      best = flags[i].name;
    }
  }
  size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
  return best_d <= limit ? best : NULL;
}

/* Parse v as a number for flag (tuner/cli/cli_number.c: strict, finite); -1
** with a message when it is not one in [lo, hi]. */
static int number(const char *flag, const char *v, double lo, double hi, double *out) {
  if (ar_cli_parse_number(v, lo, hi, out) == 0) return 0;
  fprintf(stderr, "attnroute-tune: %s: '%s' is not a number in [%g, %g]\n", flag, v, lo, hi);
  return -1;
}

/* The same for an integer flag. */
static int integer(const char *flag, const char *v, int64_t lo, int64_t hi, int64_t *out) {
  if (ar_cli_parse_integer(v, lo, hi, out) == 0) return 0;
  fprintf(stderr, "attnroute-tune: %s: '%s' is not an integer in [%lld, %lld]\n", flag, v, (long long)lo,
          (long long)hi);
  return -1;
}

/* "0,1,3" or "all" into o; 0, or -1 having said why. */
static int parse_devices(const char *flag, const char *v, ar_tune_opts *o) {
  o->all_devices = 0;
  o->ndevices = 0;
  if (!strcmp(v, "all")) {
    o->all_devices = 1;
    return 0;
  }
  for (const char *p = v;;) {
    size_t len = strcspn(p, ",");
    char item[32];
    int64_t d;
    if (len == 0 || len >= sizeof item) goto bad;
    memcpy(item, p, len);
    item[len] = '\0';
    if (ar_cli_parse_integer(item, 0, 1023, &d)) goto bad;
    for (int i = 0; i < o->ndevices; i++)
      if (o->devices[i] == (int)d) {
        fprintf(stderr, "attnroute-tune: %s: device %lld listed twice in '%s'\n", flag, (long long)d, v);
        return -1;
      }
    if (o->ndevices == AR_MAX_DEVICES) {
      fprintf(stderr, "attnroute-tune: %s: more than %d devices\n", flag, AR_MAX_DEVICES);
      return -1;
    }
    o->devices[o->ndevices++] = (int)d;
    if (!p[len]) return 0;
    p += len + 1;
  }
bad:
  fprintf(stderr, "attnroute-tune: %s: '%s' is not a device list (e.g. 0,1,2,3 or all)\n", flag, v);
  return -1;
}

static const char *devices_flag; /* --device or --devices, whichever was given */

/* Store v for flag s in o; 0, or -1 having said why. */
static int apply(const flag_spec *s, const char *v, ar_tune_opts *o) {
  char *field = (char *)o + s->offset;
  double x;
  int64_t k;
  switch (s->kind) {
  case K_SWITCH: *(int *)field = 1; return 0;
  case K_TEXT: *(const char **)field = v; return 0;
  case K_LIST: {
    const char **list = (const char **)field;
    int n = 0;
    while (list[n]) n++;
    if (n == AR_MAX_LIST) {
      fprintf(stderr, "attnroute-tune: %s given more than %d times\n", s->name, AR_MAX_LIST);
      return -1;
    }
    list[n] = v;
    return 0;
  }
  case K_CHOICE: {
    size_t len = strlen(v);
    for (const char *c = s->choices; *c;) {
      size_t clen = strcspn(c, ",");
      if (clen == len && strncmp(c, v, len) == 0) {
        *(const char **)field = v;
        return 0;
      }
      c += clen + (c[clen] == ',');
    }
    fprintf(stderr, "attnroute-tune: %s: '%s' is not one of %s\n", s->name, v, s->choices);
    return -1;
  }
  case K_INT:
    if (integer(s->name, v, (int64_t)s->lo, (int64_t)s->hi, &k)) return -1;
    *(int *)field = (int)k;
    return 0;
  case K_REAL:
    if (number(s->name, v, s->lo, s->hi, &x)) return -1;
    *(double *)field = x;
    return 0;
  case K_U64:
    if (integer(s->name, v, (int64_t)s->lo, s->hi >= 9.2e18 ? INT64_MAX : (int64_t)s->hi, &k)) return -1;
    *(uint64_t *)field = (uint64_t)k;
    return 0;
  case K_DEVICE:
  case K_DEVICES:
    if (devices_flag && strcmp(devices_flag, s->name)) {
      fprintf(stderr, "attnroute-tune: give --device or --devices, not both\n");
      return -1;
    }
    devices_flag = s->name;
    if (s->kind == K_DEVICES) return parse_devices(s->name, v, o);
    if (integer(s->name, v, (int64_t)s->lo, (int64_t)s->hi, &k)) return -1;
    o->all_devices = 0;
    o->devices[0] = (int)k;
    o->ndevices = 1;
    return 0;
  case K_SHARD:
    if (ar_plan_parse_shard(v, &o->shard_index, &o->shard_count) == 0) return 0;
    fprintf(stderr, "attnroute-tune: --shard: '%s' is not K/N with 1 <= K <= N (e.g. 2/4)\n", v);
    return -1;
  default: return -1;
  }
}

static int takes_value(flag_kind k) { return k >= K_TEXT; }

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

/* Parse argv into o; AR_EXIT_OK to run, -1 after --help/--version (exit 0),
** or AR_EXIT_USAGE. */
static int parse(int argc, char **argv, ar_tune_opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h")) a = "--help";
    if (a[0] != '-' || a[1] != '-' || !a[2])
      return usage_error("unexpected argument '%s'%s", a, a[0] == '-' ? "" : " (flags start with --)");
    char name[64];
    const char *eq = strchr(a, '='), *value = NULL;
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    if (nlen >= sizeof name) nlen = sizeof name - 1;
    memcpy(name, a, nlen);
    name[nlen] = '\0';
    if (eq) value = eq + 1;
    const flag_spec *s = NULL;
    for (size_t k = 0; k < NFLAGS && !s; k++)
      if (flags[k].kind != K_SECTION && !strcmp(flags[k].name, name)) s = &flags[k];
    if (!s) {
      const char *near = closest_flag(name);
      char hint[96] = "";
      if (near) snprintf(hint, sizeof hint, "; did you mean %s?", near);
      return usage_error("unknown option '%s'%s", name, hint);
    }
    if (s->kind == K_HELP) {
      usage(stdout);
      return -1;
    }
    if (s->kind == K_VERSION) {
      printf("%s (runtime %d, table ABI %d)\n", AR_TUNER_VERSION, attnroute_version(), ATTNROUTE_TABLE_ABI);
      return -1;
    }
    if (!takes_value(s->kind)) {
      if (value) return usage_error("%s takes no value (got '%s')", name, value);
    } else if (!value) {
      if (i + 1 >= argc) return usage_error("%s needs a value%s", name, "");
      value = argv[++i];
    }
    if (apply(s, value, o)) return AR_EXIT_USAGE;
  }
  if (!o->db_path[0]) {
    fprintf(stderr, "attnroute-tune: --db: the path is empty\n");
    return AR_EXIT_USAGE;
  }
  if (!!o->grid_path + !!o->shapes_path + !!o->trace_path > 1)
    return usage_error("give one of --grid, --shapes, --trace%s%s", "", "");
  if ((o->sample || o->trace_name) && !o->trace_path)
    return usage_error("--sample and --trace-name need --trace%s%s", "", "");
  if (o->max_reps > 0 && o->min_reps > 0 && o->max_reps < o->min_reps) {
    fprintf(stderr, "attnroute-tune: --max-reps %d is below --min-reps %d\n", o->max_reps, o->min_reps);
    return AR_EXIT_USAGE;
  }
  return AR_EXIT_OK;
}

int ar_tune_cli_main(int argc, char **argv) {
  ar_tune_opts o;
  memset(&o, 0, sizeof o);
  o.db_path = "attnroute.db";
  o.backend = "auto";
  o.timeout_s = 60;
  o.warmup = o.min_reps = o.max_reps = -1;
  o.min_ms = o.max_ms = o.tolerance = -1;
  int prc = parse(argc, argv, &o);
  if (prc != AR_EXIT_OK) return prc < 0 ? AR_EXIT_OK : prc;
  char *cmd = join_args(argc, argv);
  o.command_line = cmd ? cmd : "attnroute-tune";
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int rc = ar_tune_run(&o, &interrupted);
  free(cmd);
  if (rc == AR_EXIT_INTERRUPTED && interrupted) rc = 128 + interrupted; /* 130 SIGINT, 143 SIGTERM */
  return rc;
}
