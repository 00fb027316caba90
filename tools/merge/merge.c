/*
** merge.c -- attnroute-merge's checks and copy (rules in merge.h).
**
** Inputs are read through read-only connections for the checks, then
** ATTACHed read-only ("file:PATH?mode=ro") to the output's connection for
** the copy, which is plain SQL: column lists come from the output schema,
** and a column an older input lacks (schema 1) takes its default, so every
** version this build reads merges the same way.
*/
#define _POSIX_C_SOURCE 200809L
#include "merge.h"

#include <sqlite3.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define AR_MERGE_APPLICATION_ID 1095914580
#define MAX_EXAMPLES 5

/* The tables this build knows how to merge (others in an input: refused). */
static const char *const known_tables[] = {"device", "candidate", "shape", "run", "measurement", "trace_call", NULL};

typedef struct merge_ctx {
  const ar_merge_opts *o;
  FILE *report, *errors;
  sqlite3 *out;
  char tmp_path[PATH_MAX];
  int has_trace_call;
  /* totals */
  long long copied, duplicates, conflicts, split_dropped, trace_conflicts;
  int examples;
} merge_ctx;

static int fail(merge_ctx *m, int code, const char *fmt, ...) {
  va_list ap;
  fprintf(m->errors, "attnroute-merge: ");
  va_start(ap, fmt);
  vfprintf(m->errors, fmt, ap);
  va_end(ap);
  fputc('\n', m->errors);
  return code;
}

/* "file:PATH?immutable=1" with PATH absolute and percent-encoded (sqlite3_free
** it): without a -wal file beside it the file is the whole db, and an
** immutable connection leaves no -wal / -shm files next to an input; with
** one (a tuner still running, or killed), "?mode=ro", which reads the WAL. */
static char *ro_uri(const char *path) {
  char abs[PATH_MAX];
  if (path[0] != '/') {
    if (!getcwd(abs, sizeof abs)) return NULL;
    size_t n = strlen(abs);
    if (n + 1 + strlen(path) + 1 > sizeof abs) return NULL;
    abs[n] = '/';
    strcpy(abs + n + 1, path);
  } else {
    if (strlen(path) + 1 > sizeof abs) return NULL;
    strcpy(abs, path);
  }
  static const char hex[] = "0123456789ABCDEF";
  char *enc = malloc(3 * strlen(abs) + 1), *e = enc;
  if (!enc) return NULL;
  for (const unsigned char *p = (const unsigned char *)abs; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/-._~", *p)) {
      *e++ = (char)*p;
    } else {
      *e++ = '%';
      *e++ = hex[*p >> 4];
      *e++ = hex[*p & 15];
    }
  }
  *e = 0;
  char wal[PATH_MAX + 8];
  struct stat sb;
  snprintf(wal, sizeof wal, "%s-wal", abs);
  int has_wal = stat(wal, &sb) == 0;
  char *uri = sqlite3_mprintf("file://%s?%s", enc, has_wal ? "mode=ro" : "immutable=1");
  free(enc);
  return uri;
}

static int64_t one_int(sqlite3 *db, const char *sql, int *ok) {
  sqlite3_stmt *st = NULL;
  int64_t v = 0;
  *ok = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
    *ok = 1;
  }
  sqlite3_finalize(st);
  return v;
}

static int has_column(sqlite3 *db, const char *schema, const char *table, const char *column) {
  char *sql = sqlite3_mprintf("SELECT 1 FROM pragma_table_info(%Q, %Q) WHERE name = %Q", table, schema, column);
  int ok = 0;
  int64_t v = one_int(db, sql, &ok);
  sqlite3_free(sql);
  return ok && v == 1;
}

static int has_table(sqlite3 *db, const char *schema, const char *table) {
  char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\".sqlite_master WHERE type = 'table' AND name = %Q",
                              schema, table);
  int ok = 0;
  int64_t v = one_int(db, sql, &ok);
  sqlite3_free(sql);
  return ok && v > 0;
}

/* ------------------------------------------------------------------ checks */

typedef struct shard_seen {
  char plan_hash[80];
  int k, n, input;
  long long plan_shapes;
} shard_seen;

typedef struct class_seen {
  char vendor[32], arch[48];
  int cu_count, input;
} class_seen;

typedef struct check_state {
  shard_seen *shards;
  int nshards, cap_shards;
  class_seen classes[64];
  int nclasses;
} check_state;

static int check_input(merge_ctx *m, int i, check_state *cs) {
  const char *path = m->o->inputs[i];
  struct stat sb;
  if (stat(path, &sb) != 0) return fail(m, 2, "%s: %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode)) return fail(m, 2, "%s: not a regular file", path);
  char *uri = ro_uri(path);
  if (!uri) return fail(m, 1, "%s: path too long or out of memory", path);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
  sqlite3_free(uri);
  int code = 0, ok = 0;
  if (rc != SQLITE_OK) {
    code = fail(m, 2, "%s: cannot open as SQLite: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    goto done;
  }
  sqlite3_busy_timeout(db, 10000);
  int64_t app = one_int(db, "PRAGMA application_id", &ok);
  if (!ok) {
    code = fail(m, 2, "%s: not an attnroute db (%s)", path, sqlite3_errmsg(db));
    goto done;
  }
  if (app != AR_MERGE_APPLICATION_ID) {
    code = fail(m, 2, "%s: not an attnroute db (application_id %lld)", path, (long long)app);
    goto done;
  }
  int64_t version = one_int(db, "PRAGMA user_version", &ok);
  if (!ok || version < 1 || version > AR_STORE_SCHEMA_VERSION) {
    code = fail(m, 2, "%s: schema version %lld not supported (this attnroute-merge reads 1..%d)", path,
                (long long)version, AR_STORE_SCHEMA_VERSION);
    goto done;
  }
  /* Tables we would not copy: refuse rather than lose them. */
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", -1,
                     &st, NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    int known = 0;
    for (int k = 0; known_tables[k]; k++) known |= strcmp(t, known_tables[k]) == 0;
    if (!known) {
      code = fail(m, 2, "%s: table '%s' is not known to this attnroute-merge (a newer attnroute wrote it)", path, t);
      break;
    }
  }
  sqlite3_finalize(st);
  if (code) goto done;
  /* Device classes. */
  sqlite3_prepare_v2(db, "SELECT DISTINCT vendor, arch, cu_count FROM device", -1, &st, NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0), *a = (const char *)sqlite3_column_text(st, 1);
    int cu = sqlite3_column_int(st, 2), found = 0;
    for (int k = 0; k < cs->nclasses; k++)
      found |= !strcmp(cs->classes[k].vendor, v) && !strcmp(cs->classes[k].arch, a) && cs->classes[k].cu_count == cu;
    if (!found && cs->nclasses < 64) {
      class_seen *c = &cs->classes[cs->nclasses++];
      snprintf(c->vendor, sizeof c->vendor, "%s", v);
      snprintf(c->arch, sizeof c->arch, "%s", a);
      c->cu_count = cu;
      c->input = i;
    }
  }
  sqlite3_finalize(st);
  st = NULL;
  /* Plan identity of its runs (schema 2). */
  if (has_column(db, "main", "run", "shard_count")) {
    sqlite3_prepare_v2(db, "SELECT DISTINCT plan_hash, plan_shapes, shard_index, shard_count FROM run"
                           " WHERE plan_hash != ''", -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      if (cs->nshards == cs->cap_shards) {
        cs->cap_shards = cs->cap_shards ? 2 * cs->cap_shards : 16;
        shard_seen *grown = realloc(cs->shards, (size_t)cs->cap_shards * sizeof *grown);
        if (!grown) {
          code = fail(m, 1, "out of memory");
          break;
        }
        cs->shards = grown;
      }
      shard_seen *s = &cs->shards[cs->nshards++];
      snprintf(s->plan_hash, sizeof s->plan_hash, "%s", (const char *)sqlite3_column_text(st, 0));
      s->k = sqlite3_column_int(st, 2);
      s->n = sqlite3_column_int(st, 3);
      s->input = i;
      s->plan_shapes = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
  }
done:
  sqlite3_close(db);
  return code;
}

/* The shard rules over what check_input collected, plan by plan: a plan
** that has shards must have each part 1..N in exactly one input, all with
** the same N, and no unsharded run next to them. */
static int check_plan(merge_ctx *m, const check_state *cs, const shard_seen *first, int nplans) {
  const char *const *in = m->o->inputs;
  const char *other = nplans > 1 ? " (the inputs hold shards of several plans: a shard of another grid?"
                                   " every plan's shards must all be given)"
                                 : "";
  int n = first->n;
  for (int i = 0; i < cs->nshards; i++) {
    const shard_seen *s = &cs->shards[i];
    if (strcmp(s->plan_hash, first->plan_hash) != 0) continue;
    if (s->n == 0)
      return fail(m, 2, "%s holds an unsharded run of plan %.12s, which overlaps its shards (%s holds shard %d/%d)",
                  in[s->input], s->plan_hash, in[first->input], first->k, first->n);
    if (s->n != n)
      return fail(m, 2, "overlapping shards: %s holds shard %d/%d and %s shard %d/%d of the same plan %.12s",
                  in[s->input], s->k, s->n, in[first->input], first->k, first->n, s->plan_hash);
  }
  int *owner = malloc((size_t)n * sizeof *owner);
  if (!owner) return fail(m, 1, "out of memory");
  for (int k = 0; k < n; k++) owner[k] = -1;
  int code = 0;
  for (int i = 0; i < cs->nshards && !code; i++) {
    const shard_seen *s = &cs->shards[i];
    if (strcmp(s->plan_hash, first->plan_hash)) continue;
    if (owner[s->k - 1] >= 0 && owner[s->k - 1] != s->input)
      code = fail(m, 2, "overlapping shards: shard %d/%d of plan %.12s is in both %s and %s", s->k, n, s->plan_hash,
                  in[owner[s->k - 1]], in[s->input]);
    owner[s->k - 1] = s->input;
  }
  if (!code) {
    char missing[512] = "";
    size_t used = 0;
    int nmissing = 0;
    for (int k = 0; k < n; k++)
      if (owner[k] < 0) {
        nmissing++;
        if (used < sizeof missing - 16)
          used += (size_t)snprintf(missing + used, sizeof missing - used, "%s%d/%d", used ? ", " : "", k + 1, n);
      }
    if (nmissing)
      code = fail(m, 2, "missing shards of plan %.12s: %s (%d of %d; give every shard's db)%s", first->plan_hash,
                  missing, nmissing, n, other);
  }
  if (!code && !m->o->quiet)
    fprintf(m->report, "plan %.12s: shards 1..%d of %d, one per input (%lld shapes in the plan)\n",
            first->plan_hash, n, n, first->plan_shapes);
  free(owner);
  return code;
}

static int check_shards(merge_ctx *m, const check_state *cs) {
  int nplans = 0;
  for (int i = 0; i < cs->nshards; i++) {
    if (cs->shards[i].n == 0) continue;
    int seen = 0;
    for (int k = 0; k < i && !seen; k++)
      seen = cs->shards[k].n > 0 && !strcmp(cs->shards[k].plan_hash, cs->shards[i].plan_hash);
    nplans += !seen;
  }
  for (int i = 0; i < cs->nshards; i++) {
    if (cs->shards[i].n == 0) continue;
    int seen = 0;
    for (int k = 0; k < i && !seen; k++)
      seen = cs->shards[k].n > 0 && !strcmp(cs->shards[k].plan_hash, cs->shards[i].plan_hash);
    if (seen) continue;
    int code = check_plan(m, cs, &cs->shards[i], nplans);
    if (code) return code;
  }
  return 0; /* unsharded runs of plans without shards: run dbs, merged as they are */
}

static int check_classes(merge_ctx *m, const check_state *cs) {
  if (cs->nclasses <= 1 || m->o->allow_mixed_devices) return 0;
  fprintf(m->errors, "attnroute-merge: the inputs hold %d device classes:\n", cs->nclasses);
  for (int k = 0; k < cs->nclasses; k++)
    fprintf(m->errors, "  %s %s:%d (first in %s)\n", cs->classes[k].vendor, cs->classes[k].arch,
            cs->classes[k].cu_count, m->o->inputs[cs->classes[k].input]);
  fprintf(m->errors, "attnroute-merge: a table is per device class: merge one class, or pass "
                     "--allow-mixed-devices (then attnroute_gen.py --device ARCH:CU picks one)\n");
  return 2;
}

/* ------------------------------------------------------------------- copy */

static int exec(merge_ctx *m, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(m->out, sql, NULL, NULL, &err) == SQLITE_OK) return 0;
  fail(m, 1, "%s: %s (while: %.120s)", m->tmp_path, err ? err : sqlite3_errmsg(m->out), sql);
  sqlite3_free(err);
  return 1;
}

/* The output table's columns except id, with each one's expression over
** input row s (its column, or the default when the input lacks it), and
** the mapped id for the foreign keys in maps ("device_id=map_device", ...). */
typedef struct cols {
  char names[1024], exprs[2048], match[4096];
} cols;

static const char *map_for(const char *column) {
  if (!strcmp(column, "device_id")) return "map_device";
  if (!strcmp(column, "candidate_id")) return "map_candidate";
  if (!strcmp(column, "shape_id")) return "map_shape";
  if (!strcmp(column, "run_id")) return "map_run";
  return NULL;
}

static int column_lists(merge_ctx *m, const char *table, const char *alias, const char *dst, cols *c,
                        const char *const *match_only) {
  char *sql = sqlite3_mprintf("SELECT name, dflt_value FROM pragma_table_info(%Q, 'main') WHERE name != 'id'"
                              " ORDER BY cid", table);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(m->out, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) return fail(m, 1, "reading the columns of %s: %s", table, sqlite3_errmsg(m->out));
  c->names[0] = c->exprs[0] = c->match[0] = 0;
  size_t nn = 0, ne = 0, nm = 0;
  int code = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *dflt = (const char *)sqlite3_column_text(st, 1);
    char expr[256];
    const char *map = map_for(name);
    if (has_column(m->out, "src", table, name)) {
      if (map) snprintf(expr, sizeof expr, "(SELECT dst FROM temp.%s WHERE src = %s.%s)", map, alias, name);
      else snprintf(expr, sizeof expr, "%s.\"%s\"", alias, name);
    } else if (dflt) {
      snprintf(expr, sizeof expr, "%s", dflt);
    } else if (!strcmp(name, "ended_at") || !strcmp(name, "git_revision")) {
      snprintf(expr, sizeof expr, "NULL");
    } else {
      code = fail(m, 2, "an input's %s table lacks the column %s, which has no default", table, name);
      break;
    }
    nn += (size_t)snprintf(c->names + nn, sizeof c->names - nn, "%s\"%s\"", nn ? ", " : "", name);
    ne += (size_t)snprintf(c->exprs + ne, sizeof c->exprs - ne, "%s%s", ne ? ", " : "", expr);
    int in_match = !match_only;
    for (int k = 0; match_only && match_only[k]; k++) in_match |= !strcmp(match_only[k], name);
    if (in_match)
      nm += (size_t)snprintf(c->match + nm, sizeof c->match - nm, "%s%s.\"%s\" IS %s", nm ? " AND " : "", dst, name,
                             expr);
    if (nn >= sizeof c->names - 1 || ne >= sizeof c->exprs - 1 || nm >= sizeof c->match - 1) {
      code = fail(m, 1, "too many columns in %s", table);
      break;
    }
  }
  sqlite3_finalize(st);
  return code;
}

static long long count_sql(merge_ctx *m, const char *sql) {
  int ok = 0;
  int64_t v = one_int(m->out, sql, &ok);
  return ok ? (long long)v : -1;
}

/* Insert-or-find rows of table (key = match columns); fill temp.map_<table>. */
static int copy_keyed(merge_ctx *m, const char *table, const char *const *key) {
  cols c;
  if (column_lists(m, table, "s", "d", &c, key)) return 2;
  char *sql = sqlite3_mprintf(
      "DELETE FROM temp.map_%s;"
      "INSERT INTO main.%s (%s) SELECT %s FROM src.%s s WHERE NOT EXISTS (SELECT 1 FROM main.%s d WHERE %s);"
      "INSERT INTO temp.map_%s (src, dst) SELECT s.id, (SELECT d.id FROM main.%s d WHERE %s ORDER BY d.id LIMIT 1)"
      " FROM src.%s s;",
      table, table, c.names, c.exprs, table, table, c.match, table, table, c.match, table);
  int code = exec(m, sql);
  sqlite3_free(sql);
  return code;
}

static int copy_candidates(merge_ctx *m, int input) {
  static const char *const key[] = {"name", "code_hash", NULL};
  if (copy_keyed(m, "candidate", key)) return 1;
  /* Same name and code hash must be the same candidate. */
  cols c;
  if (column_lists(m, "candidate", "s", "d", &c, NULL)) return 2;
  char *sql = sqlite3_mprintf("SELECT s.name, s.code_hash FROM src.candidate s JOIN temp.map_candidate mc ON"
                              " mc.src = s.id JOIN main.candidate d ON d.id = mc.dst WHERE NOT (%s) LIMIT 1",
                              c.match);
  sqlite3_stmt *st = NULL;
  int code = 0;
  if (sqlite3_prepare_v2(m->out, sql, -1, &st, NULL) != SQLITE_OK)
    code = fail(m, 1, "checking candidates: %s", sqlite3_errmsg(m->out));
  else if (sqlite3_step(st) == SQLITE_ROW)
    code = fail(m, 2, "%s: candidate %s (code_hash %.12s) is described differently in an earlier input "
                      "(family, params, legacy route or caps): a changed candidate needs a new name or code hash",
                m->o->inputs[input], (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  sqlite3_free(sql);
  return code;
}

static int copy_runs(merge_ctx *m) {
  cols c;
  if (column_lists(m, "run", "s", "d", &c, NULL)) return 2;
  char *sql = sqlite3_mprintf(
      "DELETE FROM temp.map_run;"
      "INSERT INTO main.run (%s) SELECT %s FROM src.run s WHERE NOT EXISTS (SELECT 1 FROM main.run d WHERE %s);"
      "INSERT INTO temp.map_run (src, dst) SELECT s.id, (SELECT d.id FROM main.run d WHERE %s ORDER BY d.id LIMIT 1)"
      " FROM src.run s;",
      c.names, c.exprs, c.match, c.match);
  int code = exec(m, sql);
  sqlite3_free(sql);
  return code;
}

/* The result columns two measurements of one key are compared on. */
#define SAME_RESULT                                                                                  \
  "e.status IS n.status AND e.median_us IS n.median_us AND e.p10_us IS n.p10_us AND e.p90_us IS "   \
  "n.p90_us AND e.reps IS n.reps AND e.rel_err IS n.rel_err AND e.message IS n.message AND "        \
  "e.measured_at IS n.measured_at"

static int copy_measurements(merge_ctx *m, int input, long long *added, long long *dups, long long *confl) {
  cols c;
  if (column_lists(m, "measurement", "s", "d", &c, NULL)) return 2;
  /* The input's measurements with mapped ids, in a temp table shaped like measurement. */
  char *sql = sqlite3_mprintf("DROP TABLE IF EXISTS temp.incoming;"
                              "CREATE TEMP TABLE incoming AS SELECT * FROM main.measurement WHERE 0;"
                              "INSERT INTO temp.incoming (%s) SELECT %s FROM src.measurement s;",
                              c.names, c.exprs);
  int code = exec(m, sql);
  sqlite3_free(sql);
  if (code) return code;
  long long total = count_sql(m, "SELECT count(*) FROM temp.incoming");
  *dups = count_sql(m, "SELECT count(*) FROM temp.incoming n JOIN main.measurement e ON e.device_id = n.device_id"
                       " AND e.candidate_id = n.candidate_id AND e.shape_id = n.shape_id WHERE " SAME_RESULT);
  *confl = count_sql(m, "SELECT count(*) FROM temp.incoming n JOIN main.measurement e ON e.device_id = n.device_id"
                        " AND e.candidate_id = n.candidate_id AND e.shape_id = n.shape_id WHERE NOT (" SAME_RESULT ")");
  /* First conflicts, for the report. */
  sqlite3_stmt *st = NULL;
  if (*confl > 0 && m->examples < MAX_EXAMPLES &&
      sqlite3_prepare_v2(m->out,
                         "SELECT c.name, n.shape_id, e.status, e.median_us, e.measured_at, n.status, n.median_us,"
                         " n.measured_at, n.measured_at >= e.measured_at FROM temp.incoming n JOIN main.measurement e"
                         " ON e.device_id = n.device_id AND e.candidate_id = n.candidate_id AND e.shape_id ="
                         " n.shape_id JOIN main.candidate c ON c.id = n.candidate_id WHERE NOT (" SAME_RESULT ")"
                         " LIMIT 5",
                         -1, &st, NULL) == SQLITE_OK) {
    while (m->examples < MAX_EXAMPLES && sqlite3_step(st) == SQLITE_ROW) {
      m->examples++;
      if (!m->o->quiet)
        fprintf(m->report, "  conflict: %s on shape %lld: %s %.4g us (%s) vs %s %.4g us (%s) in %s: kept the %s\n",
                (const char *)sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1),
                (const char *)sqlite3_column_text(st, 2), sqlite3_column_double(st, 3),
                (const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5),
                sqlite3_column_double(st, 6), (const char *)sqlite3_column_text(st, 7), m->o->inputs[input],
                sqlite3_column_int(st, 8) ? "latter (newer)" : "former (newer)");
    }
  }
  sqlite3_finalize(st);
  cols mc;
  if (column_lists(m, "measurement", "n", "e", &mc, NULL)) return 2;
  char set[2048];
  size_t used = 0;
  {
    char names[1024];
    snprintf(names, sizeof names, "%s", mc.names);
    for (char *tok = strtok(names, ", "); tok; tok = strtok(NULL, ", "))
      used += (size_t)snprintf(set + used, sizeof set - used, "%s%s = excluded.%s", used ? ", " : "", tok, tok);
  }
  sql = sqlite3_mprintf(
      "INSERT INTO main.measurement AS e (%s) SELECT %s FROM temp.incoming n WHERE true"
      " ON CONFLICT (device_id, candidate_id, shape_id) DO UPDATE SET %s"
      " WHERE excluded.measured_at >= e.measured_at AND NOT (e.status IS excluded.status AND e.median_us IS"
      " excluded.median_us AND e.p10_us IS excluded.p10_us AND e.p90_us IS excluded.p90_us AND e.reps IS"
      " excluded.reps AND e.rel_err IS excluded.rel_err AND e.message IS excluded.message AND e.measured_at IS"
      " excluded.measured_at);",
      mc.names, mc.names, set);
  code = exec(m, sql);
  sqlite3_free(sql);
  *added = total - *dups - *confl;
  return code;
}

static int copy_trace_calls(merge_ctx *m, int input) {
  if (!m->has_trace_call || !has_table(m->out, "src", "trace_call")) return 0;
  cols c;
  if (column_lists(m, "trace_call", "s", "d", &c, NULL)) return 2;
  static const char *const key[] = {"trace", "call_index", NULL};
  cols k;
  if (column_lists(m, "trace_call", "s", "d", &k, key)) return 2;
  char *sql = sqlite3_mprintf("SELECT count(*) FROM src.trace_call s JOIN main.trace_call d ON %s WHERE NOT (%s)",
                              k.match, c.match);
  long long conflicts = count_sql(m, sql);
  sqlite3_free(sql);
  if (conflicts > 0) {
    m->trace_conflicts += conflicts;
    if (!m->o->quiet)
      fprintf(m->report, "  %s: %lld trace call(s) already in an earlier input with another shape or step: "
                         "kept the earlier\n", m->o->inputs[input], conflicts);
  }
  sql = sqlite3_mprintf("INSERT INTO main.trace_call (%s) SELECT %s FROM src.trace_call s WHERE NOT EXISTS"
                        " (SELECT 1 FROM main.trace_call d WHERE %s);",
                        c.names, c.exprs, k.match);
  int code = exec(m, sql);
  sqlite3_free(sql);
  return code;
}

/* Devices by their identity (the UNIQUE key); how cu_count was counted
** (schema v3: wgp_count, cu_source) is not part of it.  A merged row that
** has no counts yet (from a v1/v2 input, or recorded before v3) takes the
** first input row mapped to it that has them; rows with counts keep theirs. */
static int copy_devices(merge_ctx *m) {
  static const char *const key[] = {"vendor", "arch", "cu_count", "name", "memory_bytes", "driver_version",
                                    "runtime_version", "host", "device_index", "uuid", NULL};
  if (copy_keyed(m, "device", key)) return 1;
  if (!has_column(m->out, "src", "device", "wgp_count") || !has_column(m->out, "src", "device", "cu_source"))
    return 0; /* a v1/v2 input: its rows have the defaults */
  return exec(m,
              "UPDATE main.device SET (wgp_count, cu_source) = ("
              " SELECT s.wgp_count, s.cu_source FROM temp.map_device mp JOIN src.device s ON s.id = mp.src"
              " WHERE mp.dst = main.device.id AND (s.wgp_count != 0 OR s.cu_source != '') ORDER BY s.id LIMIT 1)"
              " WHERE wgp_count = 0 AND cu_source = '' AND id IN ("
              " SELECT mp.dst FROM temp.map_device mp JOIN src.device s ON s.id = mp.src"
              " WHERE s.wgp_count != 0 OR s.cu_source != '')");
}

static int copy_input(merge_ctx *m, int i) {
  char *uri = ro_uri(m->o->inputs[i]);
  if (!uri) return fail(m, 1, "%s: path too long", m->o->inputs[i]);
  sqlite3_stmt *st = NULL;
  int code = 0;
  if (sqlite3_prepare_v2(m->out, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
    code = fail(m, 1, "%s: cannot attach: %s", m->o->inputs[i], sqlite3_errmsg(m->out));
  sqlite3_finalize(st);
  sqlite3_free(uri);
  if (code) return code;
  long long added = 0, dups = 0, confl = 0;
  /* One transaction per input (DETACH cannot run inside one); the whole
  ** merge is atomic by the rename of the finished file. */
  code = exec(m, "BEGIN IMMEDIATE");
  if (!code) code = copy_devices(m);
  if (!code) code = copy_candidates(m, i);
  if (!code) code = copy_keyed(m, "shape", NULL);
  if (!code) code = copy_runs(m);
  if (!code) code = copy_measurements(m, i, &added, &dups, &confl);
  if (!code) code = copy_trace_calls(m, i);
  if (!code && !m->o->quiet)
    fprintf(m->report, "%s: %lld runs, %lld devices, %lld measurements: %lld new, %lld duplicate, %lld conflicting\n",
            m->o->inputs[i], count_sql(m, "SELECT count(*) FROM src.run"),
            count_sql(m, "SELECT count(*) FROM src.device"), added + dups + confl, added, dups, confl);
  m->copied += added;
  m->duplicates += dups;
  m->conflicts += confl;
  if (!code) code = exec(m, "COMMIT");
  else sqlite3_exec(m->out, "ROLLBACK", NULL, NULL, NULL);
  if (exec(m, "DETACH DATABASE src") && !code) code = 1;
  return code;
}

/* One device per (class, shape): drop the rows of the other devices. */
static int resolve_splits(merge_ctx *m) {
  static const char ranked[] =
      "WITH per AS (SELECT d.vendor, d.arch, d.cu_count, m.shape_id, m.device_id, count(*) AS n,"
      " max(m.measured_at) AS t FROM main.measurement m JOIN main.device d ON d.id = m.device_id"
      " GROUP BY d.vendor, d.arch, d.cu_count, m.shape_id, m.device_id),"
      " ranked AS (SELECT *, row_number() OVER (PARTITION BY vendor, arch, cu_count, shape_id"
      " ORDER BY n DESC, t DESC, device_id) AS rk FROM per) ";
  char sql[2048];
  snprintf(sql, sizeof sql, "%s SELECT count(DISTINCT shape_id), coalesce(sum(n), 0) FROM ranked WHERE rk > 1",
           ranked);
  sqlite3_stmt *st = NULL;
  long long shapes = 0, rows = 0;
  if (sqlite3_prepare_v2(m->out, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    shapes = sqlite3_column_int64(st, 0);
    rows = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  if (!rows) return 0;
  snprintf(sql, sizeof sql,
           "DELETE FROM main.measurement WHERE (device_id, shape_id) IN (%s SELECT device_id, shape_id FROM ranked"
           " WHERE rk > 1)",
           ranked);
  if (exec(m, sql)) return 1;
  m->split_dropped = rows;
  if (!m->o->quiet)
    fprintf(m->report, "split: %lld shape(s) were measured on several devices of one class; kept each shape's "
                       "device with the most of its candidates, left out %lld measurement(s) of the others\n",
            shapes, rows);
  return 0;
}

static int build(merge_ctx *m) {
  char err[1024];
  ar_store *st = NULL;
  if (ar_store_open(m->tmp_path, &st, err, sizeof err)) return fail(m, 1, "%s", err);
  ar_store_close(st);
  if (sqlite3_open_v2(m->tmp_path, &m->out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
    return fail(m, 1, "%s: %s", m->tmp_path, sqlite3_errmsg(m->out));
  sqlite3_busy_timeout(m->out, 10000);
  m->has_trace_call = has_table(m->out, "main", "trace_call");
  if (exec(m, "PRAGMA foreign_keys = ON;"
              "CREATE TEMP TABLE map_device (src INTEGER PRIMARY KEY, dst INTEGER);"
              "CREATE TEMP TABLE map_candidate (src INTEGER PRIMARY KEY, dst INTEGER);"
              "CREATE TEMP TABLE map_shape (src INTEGER PRIMARY KEY, dst INTEGER);"
              "CREATE TEMP TABLE map_run (src INTEGER PRIMARY KEY, dst INTEGER);"))
    return 1;
  int code = 0;
  for (int i = 0; i < m->o->ninputs && !code; i++) code = copy_input(m, i);
  if (!code) code = resolve_splits(m);
  if (!code && count_sql(m, "SELECT count(*) FROM pragma_foreign_key_check") != 0)
    code = fail(m, 1, "%s: the merged rows break a foreign key (an input is inconsistent)", m->tmp_path);
  if (!code && !m->o->quiet) {
    fprintf(m->report,
            "merged %d input(s) into %s: %lld measurements (%lld shapes, %lld candidates, %lld devices, %lld runs); "
            "%lld duplicate(s) kept once, %lld conflict(s) resolved to the newer, %lld left out by the one-device "
            "rule\n",
            m->o->ninputs, m->o->out, count_sql(m, "SELECT count(*) FROM measurement"),
            count_sql(m, "SELECT count(DISTINCT shape_id) FROM measurement"),
            count_sql(m, "SELECT count(DISTINCT candidate_id) FROM measurement"),
            count_sql(m, "SELECT count(*) FROM device"), count_sql(m, "SELECT count(*) FROM run"), m->duplicates,
            m->conflicts, m->split_dropped);
  }
  sqlite3_close(m->out);
  m->out = NULL;
  return code;
}

static void remove_tmp(const char *path) {
  char side[PATH_MAX + 8];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
}

int ar_merge(const ar_merge_opts *o, FILE *report, FILE *errors) {
  merge_ctx m;
  memset(&m, 0, sizeof m);
  m.o = o;
  m.report = report;
  m.errors = errors;
  if (o->ninputs < 1) return fail(&m, 2, "no input db (usage: attnroute-merge OUT IN...)");
  struct stat so, si;
  int out_exists = stat(o->out, &so) == 0;
  for (int i = 0; i < o->ninputs; i++) {
    if (out_exists && stat(o->inputs[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
      return fail(&m, 2, "%s is both the output and an input; merge into a new file", o->out);
    for (int k = 0; k < i; k++)
      if (!strcmp(o->inputs[k], o->inputs[i])) return fail(&m, 2, "%s is given twice", o->inputs[i]);
  }
  if (out_exists && !o->force)
    return fail(&m, 2, "%s exists; attnroute-merge writes a new db (remove it, or pass --force to replace it)",
                o->out);
  if (out_exists && !S_ISREG(so.st_mode)) return fail(&m, 2, "%s: not a regular file", o->out);
  check_state cs;
  memset(&cs, 0, sizeof cs);
  int code = 0;
  for (int i = 0; i < o->ninputs && !code; i++) code = check_input(&m, i, &cs);
  if (!code) code = check_classes(&m, &cs);
  if (!code) code = check_shards(&m, &cs);
  free(cs.shards);
  if (code) return code;
  if ((size_t)snprintf(m.tmp_path, sizeof m.tmp_path, "%s.merge-%ld.tmp", o->out, (long)getpid()) >=
      sizeof m.tmp_path)
    return fail(&m, 2, "%s: path too long", o->out);
  remove_tmp(m.tmp_path);
  code = build(&m);
  if (!code && out_exists) { /* a stale WAL beside the old OUT must not meet the new file */
    char side[PATH_MAX + 8];
    snprintf(side, sizeof side, "%s-wal", o->out);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", o->out);
    unlink(side);
  }
  if (!code && rename(m.tmp_path, o->out) != 0)
    code = fail(&m, 1, "renaming %s to %s: %s", m.tmp_path, o->out, strerror(errno));
  if (code) {
    remove_tmp(m.tmp_path);
    return code;
  }
  return 0;
}
