/*
** store.c -- the tuner's write path into the attnroute SQLite db.
**
** Opening: a missing or zero-byte file gets the schema (db/schema.sql,
** embedded as ar_store_schema_sql) in one transaction.  An existing file is
** first opened read-only and checked -- an SQLite file at all, our
** application_id, a schema version this build knows, not corrupt (PRAGMA
** integrity_check, which also compares every index with its rows) -- and
** only then reopened read-write, so a file we refuse is never written to.
** The one write before the check: a hot rollback journal left by a process
** killed mid-transaction (typically while creating the schema) is rolled
** back, as any SQLite writer would, restoring the last committed state.
** The read-write connection runs in WAL mode with synchronous=NORMAL,
** foreign keys on and a busy timeout, which also covers the switch to WAL.
** ar_store_open_readonly checks the same way and then only reads: the
** insert-or-find functions find, and nothing is written.  A db of an older
** schema version is upgraded by the read-write open (store_upgrade.c, one
** transaction).
**
** Writing: every statement is prepared once at open and cached in the
** ar_store.  There is no long transaction: each insert runs in autocommit
** mode, so a measurement is committed when ar_store_measurement_put returns
** (the "committed as taken" invariant), and a killed tuner loses at most the
** one in flight.  Every SQLite return code is checked; every message names
** the file.
*/
#define _POSIX_C_SOURCE 200809L
#include "store.h"
#include "store_views.h"

#include <sqlite3.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "store_upgrade.h"
#include "clock.h"

/* PRAGMA application_id of an attnroute db: 0x41525454, "ARTT". */
#define AR_APPLICATION_ID 1095914580

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* The cached statements.  Insert-or-find pairs bind the same parameters in
** the same order (?1..?N) to the INSERT and to the SELECT. */
enum {
  ST_DEVICE_INSERT, ST_DEVICE_FIND, ST_DEVICE_COUNTS,
  ST_CANDIDATE_INSERT, ST_CANDIDATE_FIND,
  ST_SHAPE_INSERT, ST_SHAPE_FIND,
  ST_TRACE_CALL_INSERT, ST_TRACE_CALL_FIND,
  ST_RUN_BEGIN, ST_RUN_END,
  ST_MEASUREMENT_PUT, ST_MEASUREMENT_STATUS, ST_MEASUREMENT_STATUS_CLASS,
  ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
  [ST_DEVICE_INSERT] =
    "INSERT INTO device (vendor, arch, cu_count, name, memory_bytes, driver_version,"
    " runtime_version, host, device_index, uuid)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
  [ST_DEVICE_FIND] =
    "SELECT id FROM device WHERE vendor = ?1 AND arch = ?2 AND cu_count = ?3"
    " AND name = ?4 AND memory_bytes = ?5 AND driver_version = ?6"
    " AND runtime_version = ?7 AND host = ?8 AND device_index = ?9 AND uuid = ?10",
  /* How cu_count was counted: into a new row, or one recorded without it. */
  [ST_DEVICE_COUNTS] =
    "UPDATE device SET wgp_count = ?2, cu_source = ?3"
    " WHERE id = ?1 AND wgp_count = 0 AND cu_source = ''",
  [ST_CANDIDATE_INSERT] =
    "INSERT INTO candidate (name, code_hash, family, params, legacy_route, caps)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
  /* Finds by the key and reports whether the rest matches (?3..?6). */
  [ST_CANDIDATE_FIND] =
    "SELECT id, family = ?3 AND params = ?4 AND legacy_route = ?5 AND caps = ?6,"
    " family, params, legacy_route, caps"
    " FROM candidate WHERE name = ?1 AND code_hash = ?2",
  [ST_SHAPE_INSERT] =
    "INSERT INTO shape (head_dim, q_dtype, kv_dtype, has_sinks, sliding_window,"
    " kv_block_size, causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads, seqs)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING",
  [ST_SHAPE_FIND] =
    "SELECT id FROM shape WHERE head_dim = ?1 AND q_dtype = ?2 AND kv_dtype = ?3"
    " AND has_sinks = ?4 AND sliding_window = ?5 AND kv_block_size = ?6"
    " AND causal = ?7 AND num_seqs = ?8 AND seqlen_q = ?9 AND seqlen_k = ?10"
    " AND num_q_heads = ?11 AND num_kv_heads = ?12 AND seqs = ?13",
  [ST_TRACE_CALL_INSERT] =
    "INSERT INTO trace_call (trace, call_index, step, shape_id) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT DO NOTHING",
  [ST_TRACE_CALL_FIND] =
    "SELECT id, step = ?3 AND shape_id = ?4, step, shape_id FROM trace_call"
    " WHERE trace = ?1 AND call_index = ?2",
  [ST_RUN_BEGIN] =
    "INSERT INTO run (device_id, backend, tuner_version, git_revision, command_line,"
    " timing_policy, plan_hash, plan_shapes, shard_index, shard_count, started_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, " NOW_SQL ")",
  [ST_RUN_END] =
    "UPDATE run SET ended_at = " NOW_SQL " WHERE id = ?1",
  [ST_MEASUREMENT_PUT] =
    "INSERT OR REPLACE INTO measurement (run_id, device_id, candidate_id, shape_id,"
    " status, median_us, p10_us, p90_us, reps, rel_err, message, measured_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, " NOW_SQL ")",
  [ST_MEASUREMENT_STATUS] =
    "SELECT status FROM measurement"
    " WHERE device_id = ?1 AND candidate_id = ?2 AND shape_id = ?3",
  /* Any device of ?1's class; ?1's own row first. */
  [ST_MEASUREMENT_STATUS_CLASS] =
    "SELECT m.status, m.device_id FROM measurement m"
    " JOIN device d ON d.id = m.device_id JOIN device me ON me.id = ?1"
    " WHERE m.candidate_id = ?2 AND m.shape_id = ?3 AND d.vendor = me.vendor"
    " AND d.arch = me.arch AND d.cu_count = me.cu_count"
    " ORDER BY m.device_id = ?1 DESC, m.measured_at DESC LIMIT 1",
};

struct ar_store {
  sqlite3 *db;                  /* read-write connection, NULL until checked */
  sqlite3_stmt *st[ST_COUNT];   /* cached statements */
  int busy_ms;                  /* busy timeout in effect */
  int readonly;                 /* ar_store_open_readonly: find, never insert */
  char *path;                   /* as given to ar_store_open */
  char err[1024];               /* last error, "PATH: ..." */
};

/* ------------------------------------------------------------------------
** Errors.
*/

/* Set s->err to "PATH: " followed by the formatted text. */
static void set_err(ar_store *s, const char *fmt, ...)
{
  int n = snprintf(s->err, sizeof s->err, "%s: ", s->path ? s->path : "(no path)");
  va_list ap;
  if (n < 0 || (size_t)n >= sizeof s->err) return;
  va_start(ap, fmt);
  vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
  va_end(ap);
}

/* Report that `doing` failed with SQLite result code rc on connection db
** (NULL when there is none), worded by the kind of failure.  Returns -1. */
static int db_fail(ar_store *s, sqlite3 *db, int rc, const char *doing)
{
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int sys = db ? sqlite3_system_errno(db) : 0;
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    set_err(s, "database is locked by another process (gave up after %d ms while %s)",
            s->busy_ms, doing);
    break;
  case SQLITE_NOTADB:
    set_err(s, "not an attnroute db (not an SQLite database)");
    break;
  case SQLITE_CORRUPT:
    set_err(s, "database is corrupt (%s, while %s); restore it from a copy or "
               "start a new db", msg, doing);
    break;
  case SQLITE_READONLY:
    set_err(s, "cannot write: %s (while %s)", msg, doing);
    break;
  case SQLITE_FULL:
    set_err(s, "disk or database full while %s (%s)", doing, msg);
    break;
  case SQLITE_CANTOPEN:
    set_err(s, "cannot open (%s%s%s)", msg, sys ? ": " : "", sys ? strerror(sys) : "");
    break;
  case SQLITE_IOERR:
    set_err(s, "I/O error while %s (%s%s%s)", doing, msg, sys ? ": " : "",
            sys ? strerror(sys) : "");
    break;
  default:
    set_err(s, "%s: %s (SQLite error %d)", doing, msg, rc);
    break;
  }
  return -1;
}

/* ------------------------------------------------------------------------
** Small helpers over one connection.
*/

/* Run SQL that returns no rows we need (sqlite3_exec).  Returns an SQLite code. */
static int exec_sql(sqlite3 *db, const char *sql)
{
  return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Run a one-row, one-column query (a PRAGMA, a count).  *text, when given,
** receives up to textlen-1 bytes of the value as text.  Returns an SQLite
** code: SQLITE_OK, or the failing one (SQLITE_DONE when there was no row). */
static int query_one(sqlite3 *db, const char *sql, int64_t *value, char *text,
                     size_t textlen)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (value) *value = sqlite3_column_int64(st, 0);
    if (text && textlen) {
      const unsigned char *t = sqlite3_column_text(st, 0);
      snprintf(text, textlen, "%s", t ? (const char *)t : "");
    }
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st); /* returns the step's error again, already in rc */
  return rc;
}

/* Open the store's file (or uri, when not NULL, with SQLITE_OPEN_URI) with
** flags, extended result codes and the store's busy timeout.  On failure
** reports, closes and returns -1 (*out NULL). */
static int open_conn(ar_store *s, const char *uri, int flags, sqlite3 **out)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(uri ? uri : s->path, &db, flags | (uri ? SQLITE_OPEN_URI : 0), NULL);
  *out = NULL;
  if (rc != SQLITE_OK) {
    db_fail(s, db, rc, "opening");
    sqlite3_close(db);
    return -1;
  }
  sqlite3_extended_result_codes(db, 1);
  rc = sqlite3_busy_timeout(db, s->busy_ms);
  if (rc != SQLITE_OK) {
    db_fail(s, db, rc, "setting the busy timeout");
    sqlite3_close(db);
    return -1;
  }
  *out = db;
  return 0;
}

static int file_exists(const char *path, const char *suffix)
{
  char buf[4096];
  struct stat sb;
  int n = snprintf(buf, sizeof buf, "%s%s", path, suffix);
  if (n < 0 || (size_t)n >= sizeof buf) return 1; /* cannot tell: assume it does */
  return stat(buf, &sb) == 0 || errno != ENOENT;
}

/* "file:PATH?immutable=1" with PATH percent-encoded, in a new buffer. */
static char *immutable_uri(const char *path)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(path);
  char *uri = malloc(3 * n + 32), *o = uri;
  if (!uri) return NULL;
  o += sprintf(o, "file:%s", path[0] == '/' ? "//" : "");
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        strchr("/-._~", *p)) {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  strcpy(o, "?immutable=1");
  return uri;
}

/* Close a connection opened by open_conn; a failure is reported unless an
** error is already being reported (keep the first). */
static int close_conn(ar_store *s, sqlite3 *db, int already_failed)
{
  int rc = sqlite3_close(db);
  if (rc != SQLITE_OK && !already_failed) return db_fail(s, db, rc, "closing");
  return already_failed ? -1 : 0;
}

/* What the header and schema of an open file say. */
typedef struct file_kind {
  int64_t application_id, user_version, objects; /* objects: rows of sqlite_master */
} file_kind;

static int read_kind(ar_store *s, sqlite3 *db, file_kind *k)
{
  int rc = query_one(db, "PRAGMA application_id", &k->application_id, NULL, 0);
  if (rc == SQLITE_OK) rc = query_one(db, "PRAGMA user_version", &k->user_version, NULL, 0);
  if (rc == SQLITE_OK) rc = query_one(db, "SELECT count(*) FROM sqlite_master", &k->objects, NULL, 0);
  if (rc != SQLITE_OK) return db_fail(s, db, rc, "reading the header");
  return 0;
}

static int kind_is_empty(const file_kind *k)
{
  return k->application_id == 0 && k->user_version == 0 && k->objects == 0;
}

/* Refuse a file that is not an attnroute db of a schema version this build
** writes.  Returns 0 when it is one. */
static int check_kind(ar_store *s, const file_kind *k)
{
  if (k->application_id != AR_APPLICATION_ID) {
    set_err(s, "not an attnroute db (application_id %lld, expected %d)",
            (long long)k->application_id, AR_APPLICATION_ID);
    return -1;
  }
  if (k->user_version > AR_STORE_SCHEMA_VERSION) {
    set_err(s, "schema version %lld is newer than this build's %d; use a newer attnroute",
            (long long)k->user_version, AR_STORE_SCHEMA_VERSION);
    return -1;
  }
  if (k->user_version <= 0) {
    set_err(s, "not an attnroute db (application_id matches but user_version is %lld)",
            (long long)k->user_version);
    return -1;
  }
  /* Older versions (>= 1) are upgraded by open_readwrite. */
  return 0;
}

/* ------------------------------------------------------------------------
** Opening.
*/

/* Create the schema in a new, zero-byte or empty-SQLite file, in one
** transaction.  If another process has put something in the file meanwhile,
** change nothing: the read-only check that follows judges it. */
static int create_schema(ar_store *s)
{
  sqlite3 *db;
  file_kind k;
  int rc;
  if (open_conn(s, NULL, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db) != 0) return -1;
  rc = exec_sql(db, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) {
    db_fail(s, db, rc, "starting the transaction that creates the schema");
    return close_conn(s, db, 1);
  }
  if (read_kind(s, db, &k) != 0) {
    exec_sql(db, "ROLLBACK");
    return close_conn(s, db, 1);
  }
  if (kind_is_empty(&k)) {
    rc = exec_sql(db, ar_store_schema_sql);
    if (rc == SQLITE_OK) rc = exec_sql(db, "COMMIT");
    if (rc != SQLITE_OK) {
      db_fail(s, db, rc, "creating the schema");
      exec_sql(db, "ROLLBACK");
      return close_conn(s, db, 1);
    }
  } else {
    rc = exec_sql(db, "ROLLBACK");
    if (rc != SQLITE_OK) {
      db_fail(s, db, rc, "ending the transaction");
      return close_conn(s, db, 1);
    }
  }
  return close_conn(s, db, 0);
}

/* The file's journal mode from its header (bytes 18-19: 1 rollback journal,
** 2 WAL): 2 for WAL, 1 for rollback, 0 when the header cannot be read
** (short or unreadable file; SQLite's open judges it). */
static int header_journal_mode(const char *path)
{
  unsigned char h[20];
  FILE *f = fopen(path, "rb");
  size_t n;
  if (!f) return 0;
  n = fread(h, 1, sizeof h, f);
  fclose(f);
  if (n != sizeof h || memcmp(h, "SQLite format 3", 16) != 0) return 0;
  return h[18] == 2 && h[19] == 2 ? 2 : 1;
}

/* Roll back the hot journal beside the file: a read-write connection does
** it on its first read.  Returns 0, or -1 with the error set. */
static int roll_back_hot_journal(ar_store *s)
{
  sqlite3 *db;
  int64_t n = 0;
  int rc;
  if (open_conn(s, NULL, SQLITE_OPEN_READWRITE, &db) != 0) return -1;
  rc = query_one(db, "SELECT count(*) FROM sqlite_master", &n, NULL, 0);
  if (rc != SQLITE_OK) {
    db_fail(s, db, rc, "rolling back the hot journal a killed writer left");
    return close_conn(s, db, 1);
  }
  return close_conn(s, db, 0);
}

/* Open the file for checking or reading only.  A WAL-mode file with no
** -wal beside it is the whole db: read it as immutable, which, unlike a
** read-only connection to a WAL-mode file, creates no -wal / -shm files
** next to a file we may refuse.  (A writer starting meanwhile writes to its
** WAL, not to the file.)  Anything else gets an ordinary read-only
** connection, which takes locks -- so a rollback-mode file that another
** process is writing (creating the schema) is never read half-written --
** and sees a WAL that is there. */
static int open_for_reading(ar_store *s, sqlite3 **db)
{
  char *uri = NULL;
  int rc;
  if (header_journal_mode(s->path) == 2 && !file_exists(s->path, "-wal")) {
    uri = immutable_uri(s->path);
    if (!uri) {
      set_err(s, "out of memory");
      return -1;
    }
  }
  rc = open_conn(s, uri, SQLITE_OPEN_READONLY, db);
  free(uri);
  return rc;
}

/* Refuse a damaged file now rather than hours into a tuning run (or after
** writing duplicates through a damaged index): integrity_check reads every
** page and compares every index with its table's rows (quick_check does
** not).  The first row is "ok", or the first problem found. */
static int check_integrity(ar_store *s, sqlite3 *db)
{
  char first[512];
  int rc = query_one(db, "PRAGMA integrity_check(1)", NULL, first, sizeof first);
  if (rc != SQLITE_OK) return db_fail(s, db, rc, "checking the file (PRAGMA integrity_check)");
  if (strcmp(first, "ok") != 0) {
    for (char *c = first; *c; c++)
      if (*c == '\n') *c = ' '; /* one line */
    set_err(s, "database is corrupt (integrity_check: %s); restore it from a copy or "
               "start a new db", first);
    return -1;
  }
  return 0;
}

/* What integrity_check does not look at (SQLite 3.40 verifies no CHECK
** constraint there): the schema's CHECK on measurement.status, and every
** reference between rows (PRAGMA foreign_key_check).  A bit flipped inside
** a status ('ok' -> 'ol') or a row id passes integrity_check; a tuner
** would then stop on it mid-run, or file measurements under the wrong
** rows. */
static int check_values(ar_store *s, sqlite3 *db)
{
  char table[256] = "";
  int64_t bad = 0;
  int rc = query_one(db, "SELECT count(*) FROM measurement WHERE status NOT IN "
                         "('ok','unsupported','wrong','fault','timeout')", &bad, NULL, 0);
  if (rc != SQLITE_OK) return db_fail(s, db, rc, "checking measurement statuses");
  if (bad) {
    set_err(s, "database is corrupt (%lld measurement(s) with a status outside the schema's "
               "list); restore it from a copy or start a new db", (long long)bad);
    return -1;
  }
  rc = query_one(db, "SELECT \"table\" || ' row ' || rowid || ' refers to a missing ' || parent "
                     "FROM pragma_foreign_key_check", NULL, table, sizeof table);
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_OK) return db_fail(s, db, rc, "checking row references (foreign_key_check)");
  set_err(s, "database is corrupt (foreign_key_check: %s); restore it from a copy or start "
             "a new db", table);
  return -1;
}

/* Check an existing file through a read-only connection.  *empty is set
** when it is an SQLite file with nothing in it yet (to be created).  A hot
** journal is rolled back first when may_recover, else refused. */
static int check_readonly(ar_store *s, int may_recover, int *empty)
{
  sqlite3 *db;
  file_kind k;
  int rc;
  *empty = 0;
  if (open_for_reading(s, &db) != 0) return -1;
  rc = query_one(db, "PRAGMA application_id", &k.application_id, NULL, 0);
  if (rc == SQLITE_READONLY_ROLLBACK) {
    sqlite3_close(db);
    if (!may_recover) {
      set_err(s, "has a hot journal (a writer was killed mid-transaction); open it for "
                 "writing once (a tuning run) to roll it back");
      return -1;
    }
    if (roll_back_hot_journal(s) != 0) return -1;
    if (open_for_reading(s, &db) != 0) return -1;
  }
  if (read_kind(s, db, &k) != 0) return close_conn(s, db, 1);
  if (kind_is_empty(&k)) {
    *empty = 1;
    return close_conn(s, db, 0);
  }
  if (check_kind(s, &k) != 0 || check_integrity(s, db) != 0 || check_values(s, db) != 0)
    return close_conn(s, db, 1);
  return close_conn(s, db, 0);
}

static double monotonic_ms(void) { return ar_clock_s() * 1e3; }

/* PRAGMA journal_mode=WAL on s->db, retried for up to the busy timeout:
** SQLite does not call the busy handler for the exclusive lock the switch
** needs (two tuners starting on a new db would see SQLITE_BUSY at once).
** Returns an SQLite code; mode receives the resulting journal mode. */
static int set_journal_mode_wal(ar_store *s, char *mode, size_t modelen)
{
  double start = monotonic_ms();
  int pause_ms = 1;
  for (;;) {
    int rc = query_one(s->db, "PRAGMA journal_mode=WAL", NULL, mode, modelen);
    if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
        monotonic_ms() - start >= s->busy_ms)
      return rc;
    sqlite3_sleep(pause_ms);
    if (pause_ms < 32) pause_ms *= 2;
  }
}

/* The statements that write, left unprepared in a read-only store. */
static int stmt_writes(int i)
{
  return i == ST_DEVICE_INSERT || i == ST_DEVICE_COUNTS || i == ST_CANDIDATE_INSERT || i == ST_SHAPE_INSERT ||
         i == ST_RUN_BEGIN || i == ST_RUN_END || i == ST_MEASUREMENT_PUT || i == ST_TRACE_CALL_INSERT;
}

/* ST_DEVICE_FIND on a schema 1 db read without upgrading it (read-only):
** its rows are the ones an upgrade gives host '', device_index 0, uuid ''. */
static const char device_find_v1[] =
    "SELECT id FROM device WHERE vendor = ?1 AND arch = ?2 AND cu_count = ?3"
    " AND name = ?4 AND memory_bytes = ?5 AND driver_version = ?6"
    " AND runtime_version = ?7 AND ?8 = '' AND ?9 = 0 AND ?10 = ''";

/* ST_SHAPE_FIND on a schema 1 db read without upgrading it: no shape.seqs,
** every shape uniform, so a ragged shape (?13 not '') is never found; and
** no trace_call table (its statements are left unprepared). */
static const char shape_find_v1[] =
    "SELECT id FROM shape WHERE head_dim = ?1 AND q_dtype = ?2 AND kv_dtype = ?3"
    " AND has_sinks = ?4 AND sliding_window = ?5 AND kv_block_size = ?6"
    " AND causal = ?7 AND num_seqs = ?8 AND seqlen_q = ?9 AND seqlen_k = ?10"
    " AND num_q_heads = ?11 AND num_kv_heads = ?12 AND ?13 = ''";

static int prepare_statements(ar_store *s)
{
  int64_t version = AR_STORE_SCHEMA_VERSION;
  if (s->readonly && query_one(s->db, "PRAGMA user_version", &version, NULL, 0) != SQLITE_OK)
    version = AR_STORE_SCHEMA_VERSION;
  for (int i = 0; i < ST_COUNT; i++) {
    int rc;
    if (s->readonly && stmt_writes(i)) continue;
    const char *sql = i == ST_DEVICE_FIND && version < 2 ? device_find_v1
                      : i == ST_SHAPE_FIND && version < 2  ? shape_find_v1
                                                           : stmt_sql[i];
    if (version < 2 && i == ST_TRACE_CALL_FIND) continue;
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
    if (rc != SQLITE_OK) {
      if ((rc & 0xff) == SQLITE_ERROR) {
        set_err(s, "schema does not match this build's (%s)", sqlite3_errmsg(s->db));
        return -1;
      }
      return db_fail(s, s->db, rc, "preparing statements");
    }
  }
  return 0;
}

/* Open the checked file read-write, set the connection up and prepare the
** statements. */
static int open_readwrite(ar_store *s)
{
  file_kind k;
  char mode[32];
  int64_t fk = 0;
  int rc;
  /* No SQLITE_OPEN_CREATE: the file was just checked and must still exist. */
  if (open_conn(s, NULL, SQLITE_OPEN_READWRITE, &s->db) != 0) return -1;
  if (sqlite3_db_readonly(s->db, "main") != 0) {
    set_err(s, "cannot write: the file or its directory is read-only");
    return -1;
  }
  /* Same checks again: the file may have been replaced since (cheap reads). */
  if (read_kind(s, s->db, &k) != 0 || check_kind(s, &k) != 0) return -1;
  /* WAL with synchronous=NORMAL: a commit is in the WAL file (written, not
  ** yet fsynced) when it returns, so it survives the process being killed
  ** (SIGKILL, crash): the OS keeps the written pages.  Only a power loss
  ** or OS crash can lose the last commits, and even then the db stays
  ** consistent (the WAL is checksummed).  Readers never block the writer. */
  rc = set_journal_mode_wal(s, mode, sizeof mode);
  if (rc != SQLITE_OK) return db_fail(s, s->db, rc, "setting journal_mode=WAL");
  if (strcmp(mode, "wal") != 0) {
    set_err(s, "cannot use WAL mode (journal_mode is %s; is the file on a network "
               "file system?)", mode);
    return -1;
  }
  rc = exec_sql(s->db, "PRAGMA synchronous=NORMAL");
  if (rc != SQLITE_OK) return db_fail(s, s->db, rc, "setting connection pragmas");
  if (k.user_version < AR_STORE_SCHEMA_VERSION) { /* foreign keys are still off here */
    char doing[384] = "upgrading the schema";
    rc = ar_store_upgrade(s->db, doing, sizeof doing);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) return db_fail(s, s->db, rc, doing);
    if (rc != SQLITE_OK) { /* doing holds SQLite's message (it is gone after the rollback) */
      set_err(s, "%s (SQLite error %d)", doing, rc);
      return -1;
    }
  }
  rc = exec_sql(s->db, "PRAGMA foreign_keys=ON");
  if (rc == SQLITE_OK) rc = query_one(s->db, "PRAGMA foreign_keys", &fk, NULL, 0);
  if (rc != SQLITE_OK) return db_fail(s, s->db, rc, "setting connection pragmas");
  if (fk != 1) {
    set_err(s, "this SQLite build does not enforce foreign keys");
    return -1;
  }
  {
    char why[512];
    if (ar_store_refresh_views(s->db, ar_store_schema_sql, why, sizeof why) != SQLITE_OK) {
      set_err(s, "%s", why);
      return -1;
    }
  }
  return prepare_statements(s);
}

/* A store opened by ar_store_open_readonly: check as for writing (without
** rolling back a hot journal), then keep a read-only connection and the
** statements that only read.  An empty SQLite file leaves s->db NULL: it
** holds nothing, so every find finds nothing. */
static int open_readonly_store(ar_store *s)
{
  struct stat sb;
  int empty = 0;
  s->readonly = 1;
  if (stat(s->path, &sb) != 0) {
    if (errno == ENOENT) set_err(s, "no such file");
    else set_err(s, "cannot open (%s)", strerror(errno));
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) {
    set_err(s, "not a regular file");
    return -1;
  }
  if (sb.st_size == 0) return 0;
  if (check_readonly(s, 0, &empty) != 0) return -1;
  if (empty) return 0;
  if (open_for_reading(s, &s->db) != 0) return -1;
  return prepare_statements(s);
}

/* Make the missing db file (empty), so that a directory that is missing,
** read-only or not ours is reported as such (SQLite's open reports them all
** as "unable to open").  Another process creating it meanwhile is fine. */
static int create_new_file(ar_store *s)
{
  int fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return 0;
    set_err(s, "cannot create the db (%s)", strerror(errno));
    return -1;
  }
  close(fd);
  return 0;
}

static int open_store(ar_store *s)
{
  struct stat sb;
  int empty = 0;
  if (stat(s->path, &sb) != 0) {
    if (errno != ENOENT) {
      set_err(s, "cannot open (%s)", strerror(errno));
      return -1;
    }
    if (create_new_file(s) != 0) return -1;
    if (create_schema(s) != 0) {
      /* Leave nothing behind: the empty file this call made, if still empty. */
      if (stat(s->path, &sb) == 0 && sb.st_size == 0) unlink(s->path);
      return -1;
    }
  } else if (!S_ISREG(sb.st_mode)) {
    set_err(s, "not a regular file");
    return -1;
  } else if (sb.st_size == 0) {
    if (create_schema(s) != 0) return -1;
  }
  if (check_readonly(s, 1, &empty) != 0) return -1;
  if (empty) { /* an SQLite file with nothing in it: ours to fill */
    if (create_schema(s) != 0 || check_readonly(s, 1, &empty) != 0) return -1;
    if (empty) {
      set_err(s, "could not create the schema in the empty SQLite db");
      return -1;
    }
  }
  return open_readwrite(s);
}

static int open_with(const char *path, int busy_timeout_ms, int readonly, ar_store **out,
                     char *err, size_t errlen)
{
  ar_store *s;
  if (out) *out = NULL;
  if (err && errlen) err[0] = '\0';
  if (!path || !*path || !out) {
    if (err && errlen) snprintf(err, errlen, "ar_store_open: no path or no out pointer");
    return -1;
  }
  s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  s->busy_ms = busy_timeout_ms > 0 ? busy_timeout_ms : AR_STORE_BUSY_TIMEOUT_MS;
  if ((readonly ? open_readonly_store(s) : open_store(s)) != 0) {
    if (err && errlen) snprintf(err, errlen, "%s", s->err);
    ar_store_close(s);
    return -1;
  }
  *out = s;
  return 0;
}

int ar_store_open_ex(const char *path, int busy_timeout_ms, ar_store **out, char *err,
                     size_t errlen)
{
  return open_with(path, busy_timeout_ms, 0, out, err, errlen);
}

int ar_store_open_readonly(const char *path, ar_store **out, char *err, size_t errlen)
{
  return open_with(path, 0, 1, out, err, errlen);
}

int ar_store_open(const char *path, ar_store **out, char *err, size_t errlen)
{
  return ar_store_open_ex(path, 0, out, err, errlen);
}

void ar_store_close(ar_store *s)
{
  if (!s) return;
  for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->st[i]);
  /* All statements are finalized, so close cannot fail with SQLITE_BUSY;
  ** the last connection checkpoints the WAL into the db here. */
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

const char *ar_store_error(const ar_store *s)
{
  return s ? s->err : "no store";
}

const char *ar_store_path(const ar_store *s)
{
  return s ? s->path : NULL;
}

struct sqlite3 *ar_store_sqlite(ar_store *s)
{
  return s ? s->db : NULL;
}

int ar_store_set_busy_timeout(ar_store *s, int busy_timeout_ms)
{
  int ms = busy_timeout_ms > 0 ? busy_timeout_ms : AR_STORE_BUSY_TIMEOUT_MS;
  int rc;
  if (!s) return -1;
  if (!s->db) return 0;
  rc = sqlite3_busy_timeout(s->db, ms);
  if (rc != SQLITE_OK) return db_fail(s, s->db, rc, "setting the busy timeout");
  s->busy_ms = ms;
  return 0;
}

/* ------------------------------------------------------------------------
** Binding and stepping cached statements.
*/

/* Binds parameters ?1, ?2, ... in order, keeping the first error. */
typedef struct binder {
  sqlite3_stmt *st;
  int next;
  int rc;
} binder;

static binder bind_start(sqlite3_stmt *st)
{
  binder b = { st, 1, SQLITE_OK };
  return b;
}

/* Strings are bound SQLITE_STATIC: they outlive the step, and every
** statement's bindings are cleared before the function returns. */
static void bind_text(binder *b, const char *v)
{
  if (b->rc == SQLITE_OK)
    b->rc = v ? sqlite3_bind_text(b->st, b->next, v, -1, SQLITE_STATIC)
              : sqlite3_bind_null(b->st, b->next);
  b->next++;
}

static void bind_int(binder *b, int64_t v)
{
  if (b->rc == SQLITE_OK) b->rc = sqlite3_bind_int64(b->st, b->next, v);
  b->next++;
}

static void bind_real_or_null(binder *b, int present, double v)
{
  if (b->rc == SQLITE_OK)
    b->rc = present ? sqlite3_bind_double(b->st, b->next, v) : sqlite3_bind_null(b->st, b->next);
  b->next++;
}

/* Reset a statement and clear its bindings, so it holds no lock, no read
** transaction and no pointer into the caller's strings. */
static void release(sqlite3_stmt *st)
{
  if (!st) return; /* a read-only store of an empty file prepares none */
  sqlite3_reset(st); /* returns the last step's error, already handled */
  sqlite3_clear_bindings(st);
}

/* Report a bind failure of statement st and release it. */
static int bind_fail(ar_store *s, binder *b, const char *doing)
{
  db_fail(s, s->db, b->rc, doing);
  release(b->st);
  return -1;
}

/* Step a bound statement that returns no rows, then release it. */
static int step_done(ar_store *s, sqlite3_stmt *st, const char *doing)
{
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) {
    db_fail(s, s->db, rc, doing);
    release(st);
    return -1;
  }
  release(st);
  return 0;
}

/* Step a bound SELECT id ... statement: *id = the first column of its row,
** or 0 with *found = 0 when there is none.  Leaves st unreleased on
** success with a row (the caller reads more columns and releases). */
static int step_id(ar_store *s, sqlite3_stmt *st, const char *doing, int64_t *id, int *found)
{
  int rc = sqlite3_step(st);
  *found = 0;
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    *found = 1;
    return 0;
  }
  if (rc == SQLITE_DONE) return 0;
  db_fail(s, s->db, rc, doing);
  release(st);
  return -1;
}

static int need_text(ar_store *s, const char *v, const char *what)
{
  if (v) return 0;
  set_err(s, "%s is NULL", what);
  return -1;
}

/* A write asked of a store opened read-only.  Returns -1. */
static int refuse_write(ar_store *s, const char *doing)
{
  set_err(s, "opened read-only: not %s", doing);
  return -1;
}

/* Public functions: -1 without a store; -1 with a message for other NULLs. */
#define NEED_ARGS(s, ok, fn)                                                  \
  do {                                                                        \
    if (!(s)) return -1;                                                      \
    if (!(ok)) {                                                              \
      set_err((s), "%s: NULL argument", (fn));                                \
      return -1;                                                              \
    }                                                                         \
  } while (0)

/* ------------------------------------------------------------------------
** Insert-or-find.
*/

static void bind_device(binder *b, const ar_store_device *d)
{
  bind_text(b, d->vendor);
  bind_text(b, d->arch);
  bind_int(b, d->cu_count);
  bind_text(b, d->name);
  bind_int(b, (int64_t)d->memory_bytes);
  bind_text(b, d->driver_version);
  bind_text(b, d->runtime_version);
  bind_text(b, d->host ? d->host : "");
  bind_int(b, d->device_index);
  bind_text(b, d->uuid ? d->uuid : "");
}

/* Run the INSERT ... ON CONFLICT DO NOTHING of a pair (bound by bind_fn),
** then its SELECT.  On success with a row, the SELECT is left unreleased
** for the caller to read more columns from. */
typedef void (*bind_row_fn)(binder *b, const void *row);

static int insert_then_find(ar_store *s, int ins, int find, bind_row_fn bind_fn,
                            const void *row, const char *what, int64_t *id)
{
  char doing[64];
  binder b;
  int found;
  *id = 0;
  if (!s->db) return 0; /* read-only store of an empty file: nothing to find */
  if (!s->readonly) {
    snprintf(doing, sizeof doing, "inserting a %s", what);
    b = bind_start(s->st[ins]);
    bind_fn(&b, row);
    if (b.rc != SQLITE_OK) return bind_fail(s, &b, doing);
    if (step_done(s, s->st[ins], doing) != 0) return -1;
  }
  snprintf(doing, sizeof doing, "finding a %s", what);
  b = bind_start(s->st[find]);
  bind_fn(&b, row);
  if (b.rc != SQLITE_OK) return bind_fail(s, &b, doing);
  if (step_id(s, s->st[find], doing, id, &found) != 0) return -1;
  if (!found) {
    release(s->st[find]);
    if (s->readonly) return 0; /* not in the db: *id stays 0 */
    set_err(s, "the %s just inserted was not found (was it deleted meanwhile?)", what);
    return -1;
  }
  return 0;
}

static void bind_device_row(binder *b, const void *row) { bind_device(b, row); }

int ar_store_device_id(ar_store *s, const ar_store_device *d, int64_t *id)
{
  int64_t got = 0;
  NEED_ARGS(s, d && id, "ar_store_device_id");
  *id = 0;
  if (need_text(s, d->vendor, "device vendor") || need_text(s, d->arch, "device arch") ||
      need_text(s, d->name, "device name") ||
      need_text(s, d->driver_version, "device driver_version") ||
      need_text(s, d->runtime_version, "device runtime_version"))
    return -1;
  if (!d->arch[0]) {
    set_err(s, "the device has an empty arch name");
    return -1;
  }
  if (d->memory_bytes > (uint64_t)INT64_MAX) {
    set_err(s, "device memory_bytes %llu does not fit the db", (unsigned long long)d->memory_bytes);
    return -1;
  }
  if (d->wgp_count < 0) {
    set_err(s, "device wgp_count %d is negative", (int)d->wgp_count);
    return -1;
  }
  if (insert_then_find(s, ST_DEVICE_INSERT, ST_DEVICE_FIND, bind_device_row, d, "device", &got))
    return -1;
  release(s->st[ST_DEVICE_FIND]);
  if (!s->readonly && got) {
    binder b = bind_start(s->st[ST_DEVICE_COUNTS]);
    bind_int(&b, got);
    bind_int(&b, d->wgp_count);
    bind_text(&b, d->cu_source ? d->cu_source : "");
    if (b.rc != SQLITE_OK) return bind_fail(s, &b, "recording the device's counts");
    if (step_done(s, s->st[ST_DEVICE_COUNTS], "recording the device's counts") != 0) return -1;
  }
  *id = got;
  return 0;
}

/* A candidate row with its caps as text. */
typedef struct candidate_row {
  const ar_store_candidate *c;
  const char *caps;
} candidate_row;

static void bind_candidate_row(binder *b, const void *row)
{
  const candidate_row *r = row;
  bind_text(b, r->c->name);
  bind_text(b, r->c->code_hash);
  bind_text(b, r->c->family);
  bind_text(b, r->c->params);
  bind_int(b, r->c->legacy_route);
  bind_text(b, r->caps);
}

int ar_store_candidate_id(ar_store *s, const ar_store_candidate *c, int64_t *id)
{
  char caps[AR_STORE_CAPS_TEXT_MAX];
  candidate_row row;
  sqlite3_stmt *st = s ? s->st[ST_CANDIDATE_FIND] : NULL;
  int64_t got = 0;
  NEED_ARGS(s, c && id, "ar_store_candidate_id");
  *id = 0;
  if (need_text(s, c->name, "candidate name") || need_text(s, c->family, "candidate family") ||
      need_text(s, c->params, "candidate params") ||
      need_text(s, c->code_hash, "candidate code_hash"))
    return -1;
  if (!c->name[0]) {
    set_err(s, "a candidate has an empty name");
    return -1;
  }
  if (!c->caps || ar_store_caps_format(c->caps, caps, sizeof caps) != 0) {
    set_err(s, "candidate %s has no caps", c->name);
    return -1;
  }
  row.c = c;
  row.caps = caps;
  if (insert_then_find(s, ST_CANDIDATE_INSERT, ST_CANDIDATE_FIND, bind_candidate_row, &row,
                       "candidate", &got))
    return -1;
  if (got == 0) return 0; /* read-only store: not in the db */
  /* Same name and code hash must mean the same candidate: refuse one whose
  ** description changed, rather than file its measurements under stale caps. */
  if (sqlite3_column_int(st, 1) != 1) {
    set_err(s, "candidate %s (code_hash '%s') is already in the db with another "
               "description: family=%s params=%s legacy_route=%d caps=%s; now: "
               "family=%s params=%s legacy_route=%d caps=%s.  A changed candidate "
               "needs a new name or code hash",
            c->name, c->code_hash, (const char *)sqlite3_column_text(st, 2),
            (const char *)sqlite3_column_text(st, 3), sqlite3_column_int(st, 4),
            (const char *)sqlite3_column_text(st, 5), c->family, c->params,
            (int)c->legacy_route, caps);
    release(st);
    return -1;
  }
  release(st);
  *id = got;
  return 0;
}

/* A shape row with normalised flags and dtype names. */
typedef struct shape_row {
  const ar_store_shape *sh;
  const char *q_dtype, *kv_dtype;
  const char *seqs; /* "" for a uniform batch */
} shape_row;

static void bind_shape_row(binder *b, const void *row)
{
  const shape_row *r = row;
  const attnroute_problem *p = &r->sh->p;
  bind_int(b, p->head_dim);
  bind_text(b, r->q_dtype);
  bind_text(b, r->kv_dtype);
  bind_int(b, p->has_sinks != 0);
  bind_int(b, p->sliding_window < 0 ? -1 : p->sliding_window);
  bind_int(b, p->kv_block_size);
  bind_int(b, p->causal != 0);
  bind_int(b, p->num_seqs);
  bind_int(b, r->sh->seqlen_q);
  bind_int(b, r->sh->seqlen_k);
  bind_int(b, p->num_q_heads);
  bind_int(b, p->num_kv_heads);
  bind_text(b, r->seqs);
}

/* Check a ragged shape's seqs text against its num_seqs / seqlen_q /
** seqlen_k; *uniform = 1 when every sequence is the same (stored as '').
** 0, or -1 with the error set. */
static int check_seqs(ar_store *s, const ar_store_shape *sh, int *uniform)
{
  const char *t = sh->seqs;
  long long n = 0, max_sq = 0, max_ctx = 0, sq0 = -1, ctx0 = -1;
  *uniform = 1;
  while (*t) {
    char *end;
    long long sq, ctx;
    if (*t < '0' || *t > '9') goto bad;
    sq = strtoll(t, &end, 10);
    if (*end != ':' || end[1] < '0' || end[1] > '9') goto bad;
    ctx = strtoll(end + 1, &end, 10);
    if (*end != ',' && *end != '\0') goto bad;
    if (sq < 1 || ctx < sq || ctx > INT32_MAX) {
      set_err(s, "shape seqs '%.60s': sequence %lld is not 1 <= sq <= ctx", sh->seqs, n);
      return -1;
    }
    if (n == 0) {
      sq0 = sq;
      ctx0 = ctx;
    } else if (sq != sq0 || ctx != ctx0) {
      *uniform = 0;
    }
    if (sq > max_sq) max_sq = sq;
    if (ctx > max_ctx) max_ctx = ctx;
    n++;
    t = *end ? end + 1 : end;
    if (*end == ',' && !*t) goto bad;
  }
  if (n != sh->p.num_seqs || max_sq != sh->seqlen_q || max_ctx != sh->seqlen_k) {
    set_err(s, "shape seqs '%.60s' (%lld sequences, largest sq %lld, largest ctx %lld) do not match "
               "num_seqs %d, seqlen_q %d, seqlen_k %d",
            sh->seqs, n, max_sq, max_ctx, (int)sh->p.num_seqs, (int)sh->seqlen_q, (int)sh->seqlen_k);
    return -1;
  }
  return 0;
bad:
  set_err(s, "shape seqs '%.60s' is not a list of sq:ctx", sh->seqs);
  return -1;
}

int ar_store_shape_id(ar_store *s, const ar_store_shape *sh, int64_t *id)
{
  shape_row row;
  int64_t got = 0;
  int uniform = 1;
  NEED_ARGS(s, sh && id, "ar_store_shape_id");
  *id = 0;
  row.sh = sh;
  row.q_dtype = ar_store_dtype_name(sh->p.q_dtype);
  row.kv_dtype = ar_store_dtype_name(sh->p.kv_dtype);
  if (!row.q_dtype || !row.kv_dtype) {
    set_err(s, "shape has an unknown dtype (q %d, kv %d)", (int)sh->p.q_dtype,
            (int)sh->p.kv_dtype);
    return -1;
  }
  if (sh->seqs && sh->seqs[0] && check_seqs(s, sh, &uniform) != 0) return -1;
  row.seqs = uniform ? "" : sh->seqs;
  if (insert_then_find(s, ST_SHAPE_INSERT, ST_SHAPE_FIND, bind_shape_row, &row, "shape", &got))
    return -1;
  release(s->st[ST_SHAPE_FIND]);
  *id = got;
  return 0;
}

/* ------------------------------------------------------------------------
** Trace calls.
*/

typedef struct trace_call_row {
  const char *trace;
  const ar_store_trace_call *c;
} trace_call_row;

static void bind_trace_call_row(binder *b, const void *row)
{
  const trace_call_row *r = row;
  bind_text(b, r->trace);
  bind_int(b, r->c->call_index);
  bind_text(b, r->c->step);
  bind_int(b, r->c->shape_id);
}

/* One trace_call row inside the caller's transaction. */
static int trace_call_put(ar_store *s, const char *trace, const ar_store_trace_call *c)
{
  sqlite3_stmt *st = s->st[ST_TRACE_CALL_FIND];
  trace_call_row row = { trace, c };
  int64_t got = 0;
  if (!c->step || (strcmp(c->step, "prefill") != 0 && strcmp(c->step, "decode") != 0)) {
    set_err(s, "trace %s call %lld: step '%s' is not prefill or decode", trace,
            (long long)c->call_index, c->step ? c->step : "(null)");
    return -1;
  }
  if (insert_then_find(s, ST_TRACE_CALL_INSERT, ST_TRACE_CALL_FIND, bind_trace_call_row, &row,
                       "trace call", &got))
    return -1;
  if (sqlite3_column_int(st, 1) != 1) {
    set_err(s, "trace '%s' call %lld is already in the db as a %s call of shape %lld, now a %s "
               "call of shape %lld: another trace of the same name?  Give it another name "
               "(--trace-name) or use another db",
            trace, (long long)c->call_index, (const char *)sqlite3_column_text(st, 2),
            (long long)sqlite3_column_int64(st, 3), c->step, (long long)c->shape_id);
    release(st);
    return -1;
  }
  release(st);
  return 0;
}

int ar_store_trace_calls_put(ar_store *s, const char *trace, const ar_store_trace_call *calls, size_t n)
{
  int rc;
  NEED_ARGS(s, trace && (calls || n == 0), "ar_store_trace_calls_put");
  if (s->readonly) return refuse_write(s, "recording trace calls");
  rc = exec_sql(s->db, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) return db_fail(s, s->db, rc, "starting to record trace calls");
  for (size_t i = 0; i < n; i++) {
    if (trace_call_put(s, trace, &calls[i]) != 0) {
      exec_sql(s->db, "ROLLBACK");
      return -1;
    }
  }
  rc = exec_sql(s->db, "COMMIT");
  if (rc != SQLITE_OK) {
    db_fail(s, s->db, rc, "committing trace calls");
    exec_sql(s->db, "ROLLBACK");
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------
** Runs and measurements.
*/

int ar_store_run_begin(ar_store *s, const ar_store_run *r, int64_t *run_id)
{
  binder b;
  NEED_ARGS(s, r && run_id, "ar_store_run_begin");
  *run_id = 0;
  if (s->readonly) return refuse_write(s, "starting a run");
  if (need_text(s, r->backend, "run backend") ||
      need_text(s, r->tuner_version, "run tuner_version") ||
      need_text(s, r->command_line, "run command_line") ||
      need_text(s, r->timing_policy, "run timing_policy"))
    return -1;
  b = bind_start(s->st[ST_RUN_BEGIN]);
  bind_int(&b, r->device_id);
  bind_text(&b, r->backend);
  bind_text(&b, r->tuner_version);
  bind_text(&b, r->git_revision); /* NULL stays NULL */
  bind_text(&b, r->command_line);
  bind_text(&b, r->timing_policy);
  bind_text(&b, r->plan_hash ? r->plan_hash : "");
  bind_int(&b, r->plan_shapes);
  bind_int(&b, r->shard_index);
  bind_int(&b, r->shard_count);
  if (b.rc != SQLITE_OK) return bind_fail(s, &b, "starting a run");
  if (step_done(s, s->st[ST_RUN_BEGIN], "starting a run") != 0) return -1;
  *run_id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

int ar_store_run_end(ar_store *s, int64_t run_id)
{
  binder b;
  if (!s) return -1;
  if (s->readonly) return refuse_write(s, "ending a run");
  b = bind_start(s->st[ST_RUN_END]);
  bind_int(&b, run_id);
  if (b.rc != SQLITE_OK) return bind_fail(s, &b, "ending a run");
  if (step_done(s, s->st[ST_RUN_END], "ending a run") != 0) return -1;
  if (sqlite3_changes(s->db) != 1) {
    set_err(s, "no run %lld to end", (long long)run_id);
    return -1;
  }
  return 0;
}

static int time_ok(double t)
{
  return isfinite(t) && t >= 0.0;
}

int ar_store_measurement_put(ar_store *s, const ar_store_measurement *m)
{
  binder b;
  int ok;
  NEED_ARGS(s, m, "ar_store_measurement_put");
  if ((int)m->status < 0 || (int)m->status >= AR_NUM_STATUS) {
    set_err(s, "measurement has an unknown status %d", (int)m->status);
    return -1;
  }
  ok = m->status == AR_STATUS_OK;
  if (s->readonly) return refuse_write(s, "storing a measurement");
  if (ok && !(time_ok(m->median_us) && time_ok(m->p10_us) && time_ok(m->p90_us))) {
    set_err(s, "measurement with status ok has a missing or negative time "
               "(median %g, p10 %g, p90 %g us)", m->median_us, m->p10_us, m->p90_us);
    return -1;
  }
  b = bind_start(s->st[ST_MEASUREMENT_PUT]);
  bind_int(&b, m->run_id);
  bind_int(&b, m->device_id);
  bind_int(&b, m->candidate_id);
  bind_int(&b, m->shape_id);
  bind_text(&b, ar_status_name(m->status));
  bind_real_or_null(&b, ok, m->median_us);
  bind_real_or_null(&b, ok, m->p10_us);
  bind_real_or_null(&b, ok, m->p90_us);
  bind_int(&b, m->reps);
  bind_real_or_null(&b, isfinite(m->rel_err) && m->rel_err >= 0.0, m->rel_err);
  bind_text(&b, m->message ? m->message : "");
  if (b.rc != SQLITE_OK) return bind_fail(s, &b, "storing a measurement");
  /* Autocommit: the measurement is committed when this step returns. */
  return step_done(s, s->st[ST_MEASUREMENT_PUT], "storing a measurement");
}

int ar_store_is_measured(ar_store *s, int64_t device_id, int64_t candidate_id,
                         int64_t shape_id, unsigned status_mask, int *measured)
{
  sqlite3_stmt *st = s ? s->st[ST_MEASUREMENT_STATUS] : NULL;
  binder b;
  int rc, status;
  NEED_ARGS(s, measured, "ar_store_is_measured");
  *measured = 0;
  if (!s->db) return 0; /* read-only store of an empty file */
  b = bind_start(st);
  bind_int(&b, device_id);
  bind_int(&b, candidate_id);
  bind_int(&b, shape_id);
  if (b.rc != SQLITE_OK) return bind_fail(s, &b, "looking up a measurement");
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    release(st);
    return 0;
  }
  if (rc != SQLITE_ROW) {
    db_fail(s, s->db, rc, "looking up a measurement");
    release(st);
    return -1;
  }
  status = ar_status_parse((const char *)sqlite3_column_text(st, 0));
  release(st);
  if (status < 0) {
    set_err(s, "measurement has an unknown status in the db");
    return -1;
  }
  *measured = (status_mask >> status) & 1u;
  return 0;
}

int ar_store_is_measured_class(ar_store *s, int64_t device_id, int64_t candidate_id,
                               int64_t shape_id, unsigned status_mask, int *measured,
                               int64_t *on_device)
{
  sqlite3_stmt *st = s ? s->st[ST_MEASUREMENT_STATUS_CLASS] : NULL;
  binder b;
  int rc, status;
  NEED_ARGS(s, measured, "ar_store_is_measured_class");
  *measured = 0;
  if (on_device) *on_device = 0;
  if (!s->db) return 0; /* read-only store of an empty file */
  b = bind_start(st);
  bind_int(&b, device_id);
  bind_int(&b, candidate_id);
  bind_int(&b, shape_id);
  if (b.rc != SQLITE_OK) return bind_fail(s, &b, "looking up a measurement");
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    release(st);
    return 0;
  }
  if (rc != SQLITE_ROW) {
    db_fail(s, s->db, rc, "looking up a measurement");
    release(st);
    return -1;
  }
  status = ar_status_parse((const char *)sqlite3_column_text(st, 0));
  if (on_device) *on_device = sqlite3_column_int64(st, 1);
  release(st);
  if (status < 0) {
    set_err(s, "measurement has an unknown status in the db");
    return -1;
  }
  *measured = (status_mask >> status) & 1u;
  return 0;
}
