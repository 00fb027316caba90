/*
** evaldb.c -- an attnroute db read as an evaluation set (see evaldb.h):
** opened and checked by the store (ar_store_open_readonly), then the device
** class, and per shape the measurement of every table candidate (the newest
** one, under the table's code hash).
*/
#include "evaldb.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store.h"

static const char *const status_names[AR_NUM_MEAS] = {
    "none",
#define AR__MEAS_TEXT(name, text) text,
    AR_STATUS_LIST(AR__MEAS_TEXT)
#undef AR__MEAS_TEXT
};

const char *ar_meas_status_name(int status) {
  return (status >= 0 && status < AR_NUM_MEAS) ? status_names[status] : "unknown";
}

static int say(char *err, size_t errlen, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return rc;
}

/* A shape's dtype text as the store writes it (attnroute_dtype_name), or -1. */
static int dtype_code(const unsigned char *text) { return attnroute_dtype_parse((const char *)text); }

static int status_code(const unsigned char *text) {
  int i;
  if (!text) return -1;
  for (i = AR_MEAS_OK; i < AR_NUM_MEAS; i++)
    if (strcmp((const char *)text, status_names[i]) == 0) return i;
  return -1;
}

/* Column i as an int32 in [lo, hi]; 0 when it is not one. */
static int col_i32(sqlite3_stmt *st, int i, int64_t lo, int64_t hi, int32_t *out) {
  sqlite3_int64 v;
  if (sqlite3_column_type(st, i) != SQLITE_INTEGER) return 0;
  v = sqlite3_column_int64(st, i);
  if (v < lo || v > hi) return 0;
  *out = (int32_t)v;
  return 1;
}

/* A ragged shape's seqs text "sq:ctx,..." (schema v2) into the problem's
** totals; 0 when it is malformed or disagrees with num_seqs and the maxima
** (each 1 <= sq <= ctx, as many as num_seqs, the largest equal to the
** maxima).  Empty text: a uniform batch, totals 0. */
static int parse_seqs(const unsigned char *text, attnroute_problem *p) {
  const char *c = (const char *)text;
  int64_t tq = 0, tk = 0, n = 0, mq = 0, mk = 0;
  if (!c || !*c) return 1;
  for (;;) {
    int64_t v[2];
    int i;
    for (i = 0; i < 2; i++) {
      if (*c < '0' || *c > '9') return 0;
      v[i] = 0;
      while (*c >= '0' && *c <= '9') {
        v[i] = v[i] * 10 + (*c++ - '0');
        if (v[i] > INT32_MAX) return 0;
      }
      if (i == 0 && *c++ != ':') return 0;
    }
    if (v[0] < 1 || v[1] < v[0]) return 0;
    tq += v[0];
    tk += v[1];
    n++;
    if (v[0] > mq) mq = v[0];
    if (v[1] > mk) mk = v[1];
    if (tk > INT32_MAX) return 0;
    if (!*c) break;
    if (*c++ != ',') return 0;
  }
  if (n != p->num_seqs || mq != p->max_seqlen_q || mk != p->max_seqlen_k) return 0;
  p->total_seqlen_q = (int32_t)tq;
  p->total_seqlen_k = (int32_t)tk;
  p->has_cached = tk > tq;
  return 1;
}

/* The shape columns 0..11 of the row query (and the seqs column 17) as a
** problem; 0 if not valid. */
static int row_problem(sqlite3_stmt *st, ar_eval_shape *s) {
  attnroute_problem *p = &s->p;
  int32_t sinks, window, causal, sq, sk;
  attnroute_problem_init(p);
  if (!col_i32(st, 0, 1, INT32_MAX, &p->head_dim)) return 0;
  p->q_dtype = dtype_code(sqlite3_column_text(st, 1));
  p->kv_dtype = dtype_code(sqlite3_column_text(st, 2));
  if (p->q_dtype < 0 || p->kv_dtype < 0) return 0;
  if (!col_i32(st, 3, INT32_MIN, INT32_MAX, &sinks) || !col_i32(st, 4, INT32_MIN, INT32_MAX, &window) ||
      !col_i32(st, 5, 1, INT32_MAX, &p->kv_block_size) || !col_i32(st, 6, INT32_MIN, INT32_MAX, &causal) ||
      !col_i32(st, 7, 1, INT32_MAX, &p->num_seqs) || !col_i32(st, 8, 1, INT32_MAX, &sq) ||
      !col_i32(st, 9, 1, INT32_MAX, &sk) || !col_i32(st, 10, 1, INT32_MAX, &p->num_q_heads) ||
      !col_i32(st, 11, 1, INT32_MAX, &p->num_kv_heads))
    return 0;
  p->has_sinks = sinks != 0;
  p->sliding_window = window > 0 ? window : -1;
  p->causal = causal != 0;
  p->max_seqlen_q = sq;
  p->max_seqlen_k = sk;
  p->has_cached = sk > sq;
  s->cached = sk - sq;
  if (sk < sq || !parse_seqs(sqlite3_column_text(st, 17), p)) return 0;
  s->ragged = p->total_seqlen_q != 0;
  return attnroute_problem_check(p) == ATTNROUTE_OK;
}

/* %s: "s.seqs" (schema v2) or "''" (v1). */
static const char *const row_query =
    "SELECT s.head_dim, s.q_dtype, s.kv_dtype, s.has_sinks, s.sliding_window, s.kv_block_size,"
    "       s.causal, s.num_seqs, s.seqlen_q, s.seqlen_k, s.num_q_heads, s.num_kv_heads, s.id,"
    "       c.name, c.code_hash, m.status, m.median_us, %s"
    " FROM measurement m"
    " JOIN device d ON d.id = m.device_id"
    " JOIN candidate c ON c.id = m.candidate_id"
    " JOIN shape s ON s.id = m.shape_id"
    " WHERE d.arch = ?1 AND d.cu_count = ?2"
    " ORDER BY s.id, m.measured_at, m.id";

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
  if (ok) *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return ok;
}

/* Picks the device class: the requested one, else the table's. */
static int choose_device(sqlite3 *db, const char *path, const attnroute_table *t, const char *want_arch,
                         int32_t want_cu, ar_evaldb *out, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  char have[1024];
  size_t hl = 0;
  int found = 0, n = 0, rc;
  const char *arch = want_arch ? want_arch : t->arch;
  int32_t cu = want_arch ? want_cu : t->cu_count;
  have[0] = '\0';
  if (sqlite3_prepare_v2(db,
                         "SELECT DISTINCT d.arch, d.cu_count FROM device d"
                         " WHERE EXISTS (SELECT 1 FROM measurement m WHERE m.device_id = d.id)"
                         " ORDER BY 1, 2",
                         -1, &st, NULL) != SQLITE_OK)
    return say(err, errlen, 2, "%s: not an attnroute db (%s)", path, sqlite3_errmsg(db));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *a = (const char *)sqlite3_column_text(st, 0);
    sqlite3_int64 c = sqlite3_column_int64(st, 1);
    if (!a) continue;
    n++;
    if (strcmp(a, arch) == 0 && c == cu) found = 1;
    if (hl < sizeof have - 1) {
      int w = snprintf(have + hl, sizeof have - hl, "%s%s:%lld", hl ? ", " : "", a, (long long)c);
      if (w > 0) hl += (size_t)w;
      if (hl >= sizeof have) hl = sizeof have - 1;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return say(err, errlen, 2, "%s: cannot read devices: %s", path, sqlite3_errmsg(db));
  if (n == 0) return say(err, errlen, 2, "%s: no measurements", path);
  if (!found) {
    if (want_arch) return say(err, errlen, 2, "%s: no measurements on device class %s:%d (the db has %s)", path, arch, cu, have);
    return say(err, errlen, 2,
               "%s: no measurements on the table's device class %s:%d (the db has %s); pass --device "
               "ARCH:CU to evaluate the table on another device's measurements",
               path, arch, cu, have);
  }
  if (strlen(arch) >= sizeof out->arch) return say(err, errlen, 2, "arch name too long");
  strcpy(out->arch, arch);
  out->cu_count = cu;
  return 0;
}

/* Growing arrays of shapes and their measurement rows. */
static int grow(ar_evaldb *out, size_t *cap) {
  size_t ncap = *cap ? *cap * 2 : 256;
  ar_eval_shape *s;
  ar_meas *m;
  if (ncap > SIZE_MAX / sizeof(ar_meas) / (size_t)out->num_candidates) return -1;
  s = realloc(out->shapes, ncap * sizeof *s);
  if (!s) return -1;
  out->shapes = s;
  m = realloc(out->meas, ncap * (size_t)out->num_candidates * sizeof *m);
  if (!m) return -1;
  out->meas = m;
  *cap = ncap;
  return 0;
}

typedef struct names {
  char **v;
  size_t n, cap;
} names;

static int names_add(names *ns, const char *s) {
  size_t i;
  for (i = 0; i < ns->n; i++)
    if (strcmp(ns->v[i], s) == 0) return 0;
  if (ns->n == ns->cap) {
    size_t cap = ns->cap ? ns->cap * 2 : 16;
    char **v = realloc(ns->v, cap * sizeof *v);
    if (!v) return -1;
    ns->v = v;
    ns->cap = cap;
  }
  ns->v[ns->n] = malloc(strlen(s) + 1);
  if (!ns->v[ns->n]) return -1;
  strcpy(ns->v[ns->n++], s);
  return 0;
}

static void names_free(names *ns) {
  size_t i;
  for (i = 0; i < ns->n; i++) free(ns->v[i]);
  free(ns->v);
}

static int read_rows(sqlite3 *db, const char *path, const attnroute_table *t, int allow_stale, ar_evaldb *out,
                     char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int32_t nc = t->num_candidates, k;
  int rc, result = 0, cur_valid = 0;
  sqlite3_int64 cur_id = 0;
  int have_cur = 0;
  unsigned char *matched = NULL; /* per candidate of the current shape: row under the table's hash */
  unsigned char *hash_ok = NULL, *hash_other = NULL; /* per candidate over the db */
  names foreign = {NULL, 0, 0};

  matched = calloc((size_t)nc, 1);
  hash_ok = calloc((size_t)nc, 1);
  hash_other = calloc((size_t)nc, 1);
  if (!matched || !hash_ok || !hash_other) {
    result = say(err, errlen, 1, "out of memory");
    goto done;
  }
  {
    char sql[1024];
    /* The seqs column by its presence: a schema 2 db written before shape.seqs
    ** joined schema 2 has none (its shapes are all uniform). */
    sqlite3_stmt *probe = NULL;
    int has_seqs = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('shape') WHERE name = 'seqs'", -1, &probe, NULL) ==
        SQLITE_OK)
      has_seqs = sqlite3_step(probe) == SQLITE_ROW;
    sqlite3_finalize(probe);
    snprintf(sql, sizeof sql, row_query, has_seqs ? "s.seqs" : "''");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
      result = say(err, errlen, 2, "%s: not an attnroute db (%s)", path, sqlite3_errmsg(db));
      goto done;
    }
  }
  sqlite3_bind_text(st, 1, out->arch, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, out->cu_count);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_int64 id = sqlite3_column_int64(st, 12);
    const char *name = (const char *)sqlite3_column_text(st, 13);
    const char *hash = (const char *)sqlite3_column_text(st, 14);
    int status = status_code(sqlite3_column_text(st, 15));
    ar_meas *m;
    int match;
    if (!have_cur || id != cur_id) {
      if (have_cur && cur_valid) out->count++;
      have_cur = 1;
      cur_id = id;
      if (out->count == cap && grow(out, &cap)) {
        result = say(err, errlen, 1, "out of memory");
        goto done;
      }
      cur_valid = row_problem(st, &out->shapes[out->count]);
      if (!cur_valid) {
        out->invalid_shapes++;
      } else {
        out->shapes[out->count].shape_id = id;
        for (k = 0; k < nc; k++) {
          out->meas[out->count * (size_t)nc + (size_t)k].status = AR_MEAS_NONE;
          out->meas[out->count * (size_t)nc + (size_t)k].median_us = NAN;
        }
        memset(matched, 0, (size_t)nc);
      }
    }
    if (!name || !hash) {
      result = say(err, errlen, 2, "%s: candidate row without name or code hash", path);
      goto done;
    }
    if (status < 0) {
      result = say(err, errlen, 2, "%s: shape %lld: unknown measurement status '%s'", path, (long long)id,
                   (const char *)sqlite3_column_text(st, 15));
      goto done;
    }
    for (k = 0; k < nc; k++)
      if (strcmp(t->candidates[k].name, name) == 0) break;
    if (k == nc) {
      if (names_add(&foreign, name)) {
        result = say(err, errlen, 1, "out of memory");
        goto done;
      }
      continue;
    }
    match = strcmp(t->candidates[k].code_hash ? t->candidates[k].code_hash : "", hash) == 0;
    if (match) hash_ok[k] = 1;
    else hash_other[k] = 1;
    if (!cur_valid) continue;
    if (!match && (!allow_stale || matched[k])) continue;
    if (match) matched[k] = 1;
    m = &out->meas[out->count * (size_t)nc + (size_t)k];
    m->status = status;
    m->median_us = sqlite3_column_type(st, 16) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 16);
  }
  if (rc != SQLITE_DONE) {
    result = say(err, errlen, 2, "%s: cannot read measurements: %s", path, sqlite3_errmsg(db));
    goto done;
  }
  if (have_cur && cur_valid) out->count++;
  out->foreign_candidates = foreign.n;
  for (k = 0; k < nc; k++) {
    if (hash_other[k] && !hash_ok[k]) {
      size_t l = strlen(out->stale_names);
      out->stale++;
      if (l + 1 < sizeof out->stale_names)
        snprintf(out->stale_names + l, sizeof out->stale_names - l, "%s%s", l ? ", " : "", t->candidates[k].name);
    }
  }
  if (out->stale && !allow_stale)
    result = say(err, errlen, 2,
                 "%s: %zu table candidate(s) measured only under another code hash than the table's "
                 "(%s): the db measured other code; re-tune, or pass --allow-stale",
                 path, out->stale, out->stale_names);
done:
  sqlite3_finalize(st);
  free(matched);
  free(hash_ok);
  free(hash_other);
  names_free(&foreign);
  return result;
}

/* Index of the shape with db id `id` (shapes are in id order), or -1. */
static int64_t shape_index(const ar_evaldb *out, sqlite3_int64 id) {
  size_t lo = 0, hi = out->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (out->shapes[mid].shape_id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < out->count && out->shapes[lo].shape_id == id ? (int64_t)lo : -1;
}

/* The trace_call rows, when the db has the table (schema v2). */
static int read_calls(sqlite3 *db, const char *path, ar_evaldb *out, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int rc, result = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trace_call'", -1, &st,
                         NULL) != SQLITE_OK)
    return say(err, errlen, 2, "%s: cannot read the schema: %s", path, sqlite3_errmsg(db));
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return 0;
  if (sqlite3_prepare_v2(db, "SELECT trace, call_index, step, shape_id FROM trace_call ORDER BY trace, call_index",
                         -1, &st, NULL) != SQLITE_OK)
    return say(err, errlen, 2, "%s: cannot read trace_call: %s", path, sqlite3_errmsg(db));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *trace = (const char *)sqlite3_column_text(st, 0);
    const char *step = (const char *)sqlite3_column_text(st, 2);
    ar_eval_call *c;
    if (!trace || !step || sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
        sqlite3_column_type(st, 3) != SQLITE_INTEGER || (strcmp(step, "prefill") != 0 && strcmp(step, "decode") != 0)) {
      result = say(err, errlen, 2, "%s: trace_call row %s #%lld: malformed (trace, call_index, step, shape_id)", path,
                   trace ? trace : "(null)", (long long)sqlite3_column_int64(st, 1));
      goto done;
    }
    if (out->ncalls == cap) {
      size_t ncap = cap ? cap * 2 : 256;
      ar_eval_call *v = realloc(out->calls, ncap * sizeof *v);
      if (!v) {
        result = say(err, errlen, 1, "out of memory");
        goto done;
      }
      out->calls = v;
      cap = ncap;
    }
    if (out->ntraces == 0 || strcmp(out->traces[out->ntraces - 1], trace) != 0) {
      char **v = realloc(out->traces, (out->ntraces + 1) * sizeof *v);
      if (!v) {
        result = say(err, errlen, 1, "out of memory");
        goto done;
      }
      out->traces = v;
      out->traces[out->ntraces] = malloc(strlen(trace) + 1);
      if (!out->traces[out->ntraces]) {
        result = say(err, errlen, 1, "out of memory");
        goto done;
      }
      strcpy(out->traces[out->ntraces++], trace);
    }
    c = &out->calls[out->ncalls++];
    c->trace = (int32_t)(out->ntraces - 1);
    c->call_index = sqlite3_column_int64(st, 1);
    c->step = strcmp(step, "prefill") == 0 ? ATTNROUTE_STEP_PREFILL : ATTNROUTE_STEP_DECODE;
    c->shape = shape_index(out, sqlite3_column_int64(st, 3));
  }
  if (rc != SQLITE_DONE) result = say(err, errlen, 2, "%s: cannot read trace_call: %s", path, sqlite3_errmsg(db));
done:
  sqlite3_finalize(st);
  return result;
}

int ar_evaldb_load(const char *path, const attnroute_table *t, const char *device_arch, int32_t device_cu,
                   int allow_stale, ar_evaldb *out, char *err, size_t errlen) {
  ar_store *store = NULL;
  sqlite3 *db;
  int64_t version = 0;
  int rc;
  memset(out, 0, sizeof *out);
  if (!t || t->num_candidates <= 0 || !t->candidates) return say(err, errlen, 2, "table has no candidates");
  out->num_candidates = t->num_candidates;
  /* The store's checks: a regular SQLite file, an attnroute db of a schema
  ** version this build reads (an older one is read as it is), not corrupt;
  ** nothing is written.  Its messages name the file. */
  if (ar_store_open_readonly(path, &store, err, errlen) != 0) return 2;
  db = ar_store_sqlite(store);
  if (!db) { /* a zero-byte or empty SQLite file */
    rc = say(err, errlen, 2, "%s: an empty db (no schema, no measurements)", path);
    goto done;
  }
  if (!pragma_int(db, "PRAGMA user_version", &version)) {
    rc = say(err, errlen, 2, "%s: cannot read the schema version: %s", path, sqlite3_errmsg(db));
    goto done;
  }
  out->schema = (int32_t)version;
  if ((rc = choose_device(db, path, t, device_arch, device_cu, out, err, errlen)) != 0) goto done;
  rc = read_rows(db, path, t, allow_stale, out, err, errlen);
  if (rc == 0) rc = read_calls(db, path, out, err, errlen);
done:
  ar_store_close(store);
  if (rc) ar_evaldb_free(out);
  return rc;
}

void ar_evaldb_free(ar_evaldb *db) {
  size_t i;
  if (!db) return;
  free(db->shapes);
  free(db->meas);
  free(db->calls);
  for (i = 0; i < db->ntraces; i++) free(db->traces[i]);
  free(db->traces);
  memset(db, 0, sizeof *db);
}
