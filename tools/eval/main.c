/*
** main.c -- attnroute-eval: how good a table is on shapes it was not tuned
** on.  Loads a table exported with `attnroute_gen.py --text`, reads an eval
** db (attnroute-tune --shapes on tools/attnroute_evalset.py's shapes) and
** reports the regret time(pick) / time(oracle) of the table's picks
** (through the runtime's attnroute_select) and of the legacy gates
** pre-1345 and post-1345; on a db with trace calls (attnroute-tune
** --trace) the table scored on the calls instead (trace.h).  Exit: 0 done, 2 bad input or usage, 1 other
** failure (out of memory, cannot write).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaldb.h"
#include "regret.h"
#include "report.h"
#include "report_trace.h"
#include "table_text.h"
#include "trace.h"

#ifndef AR_EVAL_VERSION
#define AR_EVAL_VERSION "attnroute-eval"
#endif

static void usage(FILE *f) {
  fputs("usage: attnroute-eval --db EVAL.db --table TABLE.txt [--json] [--worst N]\n"
        "                      [--device ARCH:CU] [--fallback pre-1345|post-1345] [--allow-stale]\n"
        "                      [--include-grid] [--trace NAME] [--by-shape] [--unified-attn on|off]\n"
        "                      (--flag VALUE or --flag=VALUE)\n"
        "       attnroute-eval --help | --version\n"
        "\n"
        "Regret of a dispatch table against the oracle (fastest ok candidate) and\n"
        "the legacy gates, on the shapes of an eval db.\n"
        "\n"
        "  --db EVAL.db       attnroute db measured on shapes the table was not tuned on\n"
        "                     (tools/attnroute_evalset.py, then attnroute-tune --shapes)\n"
        "  --table TABLE.txt  the table, from attnroute_gen.py DB --text TABLE.txt\n"
        "  --json             JSON instead of text\n"
        "  --worst N          list the N shapes with the table's highest regret (default 10)\n"
        "  --device ARCH:CU   use the db's measurements of this device class (default: the\n"
        "                     table's own)\n"
        "  --fallback POLICY  legacy policy answering the table's misses (default post-1345)\n"
        "  --allow-stale      use measurements of a candidate under another code hash\n"
        "  --include-grid     keep shapes that are grid points of the table (left out by\n"
        "                     default: the table was tuned on them)\n"
        "  --trace NAME       score only the calls of this trace (default: every trace)\n"
        "  --by-shape         score a db with trace calls by its shapes, as one without\n"
        "  --unified-attn on|off  ATOM_USE_UNIFIED_ATTN for the legacy gates (default off,\n"
        "                     ATOM's default; on is the configuration PR #1345 changed)\n"
        "\n"
        "On a db with trace calls (trace_call rows: attnroute-tune --trace) the table\n"
        "is scored on the calls: each selected at its step (prefill/decode, also what\n"
        "the legacy gates get) with its ragged totals, per policy (table, pre-1345,\n"
        "post-1345, the best candidate of each call) the total time over the calls\n"
        "every pick ran ok on, regrets; each policy over all the calls its own pick\n"
        "ran ok on, and why its other picks were not timed (no stand-in for the legacy\n"
        "route, or the stand-in failed); the share of calls the table answered and why\n"
        "not, per class, heads and step, and the worst calls.\n"
        "\n"
        "A shape is evaluated when every table candidate has a measurement on it and\n"
        "some candidate is ok.  A pick that is not ok on the shape is a failed pick\n"
        "(regret infinite), counted apart.  Exit status: 0 done, 2 bad input, 1 other\n"
        "failure.\n",
        f);
}

static int bad(const char *fmt, const char *arg) {
  fprintf(stderr, "attnroute-eval: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see --help)\n");
  return 2;
}

/* The trace report (trace_name NULL: every trace).  The exit status. */
static int run_trace(const attnroute_table *t, const ar_evaldb *db, int policy, const attnroute_env *legacy_env,
                     const char *trace_name, int json, const ar_report_opts *ro) {
  ar_trace_eval ev;
  char err[1024];
  int32_t trace = -1;
  int rc;
  size_t i;
  if (trace_name) {
    for (i = 0; i < db->ntraces && strcmp(db->traces[i], trace_name) != 0; i++) continue;
    if (i == db->ntraces) {
      fprintf(stderr, "attnroute-eval: %s: no trace '%s' (the db has %zu trace(s)%s", ro->db_path, trace_name,
              db->ntraces, db->ntraces ? ":" : "");
      for (i = 0; i < db->ntraces; i++) fprintf(stderr, " %s", db->traces[i]);
      fprintf(stderr, ")\n");
      return 2;
    }
    trace = (int32_t)i;
  }
  if (ar_trace_run(&ev, t, db, policy, trace, legacy_env, err, sizeof err)) {
    fprintf(stderr, "attnroute-eval: %s\n", err);
    return strstr(err, "out of memory") ? 1 : 2;
  }
  rc = json ? ar_trace_report_json(stdout, &ev, ro) : ar_trace_report_text(stdout, &ev, ro);
  if (rc) fprintf(stderr, "attnroute-eval: out of memory\n");
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "attnroute-eval: cannot write the report: %s\n", strerror(errno));
    rc = -1;
  }
  if (ev.scored == 0 && rc == 0)
    fprintf(stderr, "attnroute-eval: warning: no call of %s could be scored (every table candidate measured, "
                    "every policy's pick ok)\n", ro->db_path);
  ar_trace_free(&ev);
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *db_path = NULL, *table_path = NULL, *device = NULL, *trace_name = NULL;
  int json = 0, allow_stale = 0, include_grid = 0, by_shape = 0, policy = ATTNROUTE_POLICY_POST_1345, rc, i;
  size_t worst = 10;
  char arch[128], err[1024];
  int32_t cu = 0;
  ar_text_table table;
  ar_evaldb db;
  ar_eval ev;
  ar_report_opts ro;
  attnroute_env legacy_env;

  attnroute_env_init(&legacy_env);

  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *eq = strchr(argv[i], '='), *inline_value = NULL;
    char name[64];
    if (a[0] == '-' && a[1] == '-' && eq && (size_t)(eq - a) < sizeof name) { /* --flag=value */
      memcpy(name, a, (size_t)(eq - a));
      name[eq - a] = '\0';
      a = name;
      inline_value = eq + 1;
    }
    int has_value = inline_value || i + 1 < argc;
    int is_switch = !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "--version") || !strcmp(a, "--json") ||
                    !strcmp(a, "--allow-stale") || !strcmp(a, "--include-grid") || !strcmp(a, "--by-shape");
    if (is_switch && inline_value) return bad("%s takes no value", a);
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--version")) {
      printf("%s (runtime %d, table ABI %d)\n", AR_EVAL_VERSION, attnroute_version(), ATTNROUTE_TABLE_ABI);
      return 0;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--allow-stale")) {
      allow_stale = 1;
    } else if (!strcmp(a, "--include-grid")) {
      include_grid = 1;
    } else if (!strcmp(a, "--by-shape")) {
      by_shape = 1;
    } else if (!strcmp(a, "--db") || !strcmp(a, "--table") || !strcmp(a, "--worst") || !strcmp(a, "--device") ||
               !strcmp(a, "--fallback") || !strcmp(a, "--trace") ||
               !strcmp(a, "--unified-attn")) {
      const char *v;
      if (!has_value) return bad("%s needs a value", a);
      v = inline_value ? inline_value : argv[++i];
      if (!strcmp(a, "--db")) db_path = v;
      else if (!strcmp(a, "--table")) table_path = v;
      else if (!strcmp(a, "--device")) device = v;
      else if (!strcmp(a, "--trace")) trace_name = v;
      else if (!strcmp(a, "--unified-attn")) {
        if (strcmp(v, "on") && strcmp(v, "off")) return bad("--unified-attn '%s': expected on or off", v);
        legacy_env.use_unified_attn = !strcmp(v, "on");
      } else if (!strcmp(a, "--fallback")) {
        policy = attnroute_policy_parse(v);
        if (policy < 0) return bad("--fallback '%s': expected pre-1345 or post-1345", v);
      } else {
        char *end;
        unsigned long long n;
        errno = 0;
        n = strtoull(v, &end, 10);
        if (!*v || *end || v[0] == '-' || errno == ERANGE || n > 100000000ull)
          return bad("--worst '%s': expected a count 0..100000000", v);
        worst = (size_t)n;
      }
    } else {
      return bad("unknown argument '%s'", a);
    }
  }
  if (!db_path) return bad("%s", "--db EVAL.db is required");
  if (!table_path) return bad("%s", "--table TABLE.txt is required");
  if (trace_name && by_shape) return bad("%s", "--trace and --by-shape exclude each other");
  if (device) {
    const char *colon = strrchr(device, ':');
    char *end;
    long v;
    if (!colon || colon == device || (size_t)(colon - device) >= sizeof arch)
      return bad("--device '%s': expected ARCH:CU, e.g. sm_90:132", device);
    errno = 0;
    v = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno == ERANGE || v < 0 || v > 0x7fffffffL)
      return bad("--device '%s': expected ARCH:CU, e.g. sm_90:132", device);
    memcpy(arch, device, (size_t)(colon - device));
    arch[colon - device] = '\0';
    cu = (int32_t)v;
  }

  if (ar_table_text_load(table_path, &table, err, sizeof err)) {
    fprintf(stderr, "attnroute-eval: %s\n", err);
    return strstr(err, "out of memory") ? 1 : 2;
  }
  rc = ar_evaldb_load(db_path, &table.table, device ? arch : NULL, cu, allow_stale, &db, err, sizeof err);
  if (rc) {
    fprintf(stderr, "attnroute-eval: %s\n", err);
    ar_table_text_free(&table);
    return rc;
  }
  ro.table_path = table_path;
  ro.db_path = db_path;
  ro.worst = worst;
  if (trace_name || (db.ncalls && !by_shape)) {
    rc = run_trace(&table.table, &db, policy, &legacy_env, trace_name, json, &ro);
    ar_evaldb_free(&db);
    ar_table_text_free(&table);
    return rc;
  }
  if (ar_eval_run(&ev, &table.table, &db, policy, &legacy_env, include_grid, err, sizeof err)) {
    fprintf(stderr, "attnroute-eval: %s\n", err);
    ar_evaldb_free(&db);
    ar_table_text_free(&table);
    return strstr(err, "out of memory") ? 1 : 2;
  }
  rc = json ? ar_report_json(stdout, &ev, &ro) : ar_report_text(stdout, &ev, &ro);
  if (rc) fprintf(stderr, "attnroute-eval: out of memory\n");
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "attnroute-eval: cannot write the report: %s\n", strerror(errno));
    rc = -1;
  }
  if (ev.evaluated == 0 && rc == 0)
    fprintf(stderr, "attnroute-eval: warning: no shape of %s could be evaluated (off the table's grid, every "
                    "table candidate measured, one ok)\n", db_path);
  ar_eval_free(&ev);
  ar_evaldb_free(&db);
  ar_table_text_free(&table);
  return rc ? 1 : 0;
}
