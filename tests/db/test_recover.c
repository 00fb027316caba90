/*
** test_recover.c -- db tests of recovery and of checks that need more than
** one process: a hot rollback journal left by a writer killed during schema
** creation or mid-transaction (rolled back, then opened), a damaged index
** that quick_check misses (refused before any write), two writers starting
** together on a new db (both open: the WAL switch waits like any lock), and
** ar_store_open_readonly (finds, never writes, changes no byte, creates no
** side file, refuses a hot journal).
*/
#define _XOPEN_SOURCE 700
#include "test_cases.h"
#include "test_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In a child process: open path in rollback-journal mode with a tiny cache,
** run sql inside a transaction that spills pages to the file, and die with
** it open (SIGKILL), leaving a hot journal. */
static void die_mid_transaction(const char *path, const char *sql)
{
  pid_t pid = fork();
  int status;
  CHECK(pid >= 0);
  if (pid == 0) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
      _exit(3);
    if (sqlite3_exec(db, "PRAGMA cache_size=1; BEGIN", NULL, NULL, NULL) != SQLITE_OK) _exit(4);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
      fprintf(stderr, "child: %s\n", sqlite3_errmsg(db));
      _exit(5);
    }
    raise(SIGKILL);
    _exit(6);
  }
  CHECK(waitpid(pid, &status, 0) == pid);
  if (!WIFSIGNALED(status))
    test_fail(__FILE__, __LINE__, "the child did not die mid-transaction (status %d)", status);
}

/* Enough new pages to spill the cache into the file (so the journal is hot). */
#define SPILL_SQL                                                             \
  "CREATE TABLE filler(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "       \
  "SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO filler "                   \
  "SELECT randomblob(200) FROM n"

static const char *side(const char *path, const char *suffix)
{
  static char buf[4200];
  snprintf(buf, sizeof buf, "%s%s", path, suffix);
  return buf;
}

/* Killed while creating the schema (the first milliseconds of a tuner):
** the hot journal is rolled back and the schema created. */
void test_hot_journal_schema(void)
{
  const char *path = scratch_path("new.db");
  char err[1024];
  ar_store *s = NULL;
  fixture f;
  die_mid_transaction(path, ar_store_schema_sql);
  die_mid_transaction(path, SPILL_SQL);
  CHECK(file_exists(side(path, "-journal")));
  if (ar_store_open(path, &s, err, sizeof err) != 0)
    test_fail(__FILE__, __LINE__, "a hot journal made the db unusable: %s", err);
  fixture_fill(s, &f);
  fixture_put(s, &f, 0, AR_STATUS_OK);
  ar_store_close(s);
  CHECK(!file_exists(side(path, "-journal")));
}

/* Killed mid-transaction on a filled db: rolled back to what was committed. */
void test_hot_journal_filled(void)
{
  const char *path = scratch_path("filled.db");
  char err[1024];
  ar_store *s = NULL;
  fixture f;
  sqlite3 *db;
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
  fixture_fill(s, &f);
  for (int i = 0; i < 40; i++) fixture_put(s, &f, i, AR_STATUS_OK);
  ar_store_close(s);
  db = raw_open(path);
  raw_exec(db, "PRAGMA journal_mode=DELETE");
  raw_close(db);
  die_mid_transaction(path, "DELETE FROM measurement WHERE id % 2 = 0;"
                            "UPDATE measurement SET median_us = -1;" SPILL_SQL);
  CHECK(file_exists(side(path, "-journal")));
  if (ar_store_open(path, &s, err, sizeof err) != 0)
    test_fail(__FILE__, __LINE__, "a hot journal made the db unusable: %s", err);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM measurement") == 40);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM measurement WHERE median_us < 0") == 0);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM sqlite_master WHERE name = 'filler'") == 0);
  ar_store_close(s);
}

/* An index that no longer matches its table's rows: quick_check passes it,
** the store must not (it would write duplicates through a damaged UNIQUE
** index, or skip measured shapes).  The index's definition is changed under
** it, so its entries are those of another column. */
void test_damaged_index(void)
{
  const char *path = scratch_path("index.db");
  char err[1024];
  ar_store *s = NULL;
  fixture f;
  sqlite3 *db;
  file_print before, after;
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
  fixture_fill(s, &f);
  for (int i = 0; i < 30; i++) fixture_put(s, &f, i, AR_STATUS_OK);
  ar_store_close(s);
  db = raw_open(path);
  raw_exec(db, "PRAGMA writable_schema=ON;"
               "UPDATE sqlite_master SET sql = 'CREATE INDEX measurement_shape ON measurement "
               "(median_us)' WHERE name = 'measurement_shape';"
               "PRAGMA writable_schema=OFF");
  raw_close(db);
  db = raw_open(path);
  CHECK(strcmp(raw_text(db, "PRAGMA quick_check"), "ok") == 0); /* what used to pass */
  CHECK(strcmp(raw_text(db, "PRAGMA integrity_check"), "ok") != 0);
  raw_close(db);
  before = file_fingerprint(path);
  CHECK(ar_store_open(path, &s, err, sizeof err) == -1 && s == NULL);
  printf("refused as expected: %s\n", err);
  CHECK(contains(err, path) && contains(err, "database is corrupt"));
  CHECK(contains(err, "measurement_shape"));
  after = file_fingerprint(path);
  CHECK(file_print_equal(&before, &after));
  CHECK(ar_store_open_readonly(path, &s, err, sizeof err) == -1 && s == NULL);
  CHECK(contains(err, "database is corrupt"));
}

/* Rounds of two processes opening a new db at the same moment: every open
** succeeds (the loser of the WAL switch waits, it does not fail). */
void test_two_new_writers(void)
{
  for (int round = 0; round < 12; round++) {
    char name[32];
    const char *path;
    int go[2];
    pid_t pid[2];
    snprintf(name, sizeof name, "pair%d.db", round);
    path = scratch_path(name);
    CHECK(pipe(go) == 0);
    for (int k = 0; k < 2; k++) {
      pid[k] = fork();
      CHECK(pid[k] >= 0);
      if (pid[k] == 0) {
        char err[1024], c;
        ar_store *s = NULL;
        fixture f;
        close(go[1]);
        if (read(go[0], &c, 1) != 0) _exit(4); /* wait for the pipe to close */
        if (ar_store_open(path, &s, err, sizeof err) != 0) {
          fprintf(stderr, "writer %d: %s\n", k, err);
          _exit(1);
        }
        fixture_fill(s, &f);
        fixture_put(s, &f, k, AR_STATUS_OK);
        ar_store_close(s);
        _exit(0);
      }
    }
    close(go[0]);
    close(go[1]); /* both start */
    for (int k = 0; k < 2; k++) {
      int status;
      CHECK(waitpid(pid[k], &status, 0) == pid[k]);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        test_fail(__FILE__, __LINE__, "round %d: writer %d failed (status %d)", round, k, status);
    }
    sqlite3 *db = raw_open(path);
    CHECK(raw_int(db, "SELECT count(*) FROM measurement") == 2);
    CHECK(raw_int(db, "SELECT count(*) FROM device") == 1);
    raw_close(db);
  }
}

/* The read-only store: finds what is there, writes nothing, creates no
** -wal / -shm beside a WAL-mode db, refuses a hot journal. */
void test_open_readonly(void)
{
  char path[4096];
  char err[1024];
  ar_store *s = NULL;
  fixture f;
  ar_store_device d;
  ar_store_candidate c;
  ar_store_shape sh;
  attnroute_caps caps;
  int64_t id = -1;
  int measured = -1;
  file_print before, after;
  ar_store_measurement m;

  snprintf(path, sizeof path, "%s", scratch_path("ro.db")); /* scratch_path's buffer rotates */
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
  fixture_fill(s, &f);
  for (int i = 0; i < 5; i++) fixture_put(s, &f, i, AR_STATUS_OK);
  ar_store_close(s);
  CHECK(!file_exists(side(path, "-wal")) && !file_exists(side(path, "-shm")));
  before = file_fingerprint(path);

  CHECK_STORE(s, ar_store_open_readonly(path, &s, err, sizeof err));
  fixture_device(&d);
  CHECK_STORE(s, ar_store_device_id(s, &d, &id));
  CHECK(id == f.device);
  fixture_caps(&caps);
  fixture_candidate(&c, &caps, "dense_sink.gather.bm128");
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &id));
  CHECK(id == f.candidate);
  fixture_candidate(&c, &caps, "cand.not-there");
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &id));
  CHECK(id == 0);
  fixture_shape(&sh, 3);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &id));
  CHECK(id > 0);
  CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate, id, ~0u, &measured));
  CHECK(measured == 1);
  fixture_shape(&sh, 999);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &id));
  CHECK(id == 0);
  CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate, id, ~0u, &measured));
  CHECK(measured == 0);
  memset(&m, 0, sizeof m);
  m.run_id = f.run;
  m.device_id = f.device;
  m.candidate_id = f.candidate;
  m.shape_id = 1;
  m.status = AR_STATUS_UNSUPPORTED;
  CHECK(ar_store_measurement_put(s, &m) == -1 && contains(ar_store_error(s), "read-only"));
  ar_store_close(s);
  after = file_fingerprint(path);
  CHECK(file_print_equal(&before, &after));
  CHECK(!file_exists(side(path, "-wal")) && !file_exists(side(path, "-shm")));

  /* A zero-byte file holds nothing; a missing one is an error. */
  write_file(scratch_path("zero.db"), "", 0);
  CHECK_STORE(s, ar_store_open_readonly(scratch_path("zero.db"), &s, err, sizeof err));
  fixture_shape(&sh, 1);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &id));
  CHECK(id == 0);
  ar_store_close(s);
  CHECK(file_fingerprint(scratch_path("zero.db")).size == 0);
  CHECK(ar_store_open_readonly(scratch_path("missing.db"), &s, err, sizeof err) == -1);
  CHECK(contains(err, "missing.db: no such file"));

  /* A hot journal is refused (rolling it back would write). */
  {
    sqlite3 *db = raw_open(path);
    raw_exec(db, "PRAGMA journal_mode=DELETE");
    raw_close(db);
  }
  die_mid_transaction(path, "DELETE FROM measurement;" SPILL_SQL);
  before = file_fingerprint(path);
  CHECK(ar_store_open_readonly(path, &s, err, sizeof err) == -1);
  printf("refused as expected: %s\n", err);
  CHECK(contains(err, "hot journal"));
  after = file_fingerprint(path);
  CHECK(file_print_equal(&before, &after) && file_exists(side(path, "-journal")));
}

/* Damage integrity_check does not see: a status outside the schema's CHECK
** list (one flipped bit: 'ok' -> 'ol'), a measurement whose candidate row
** is gone.  Both refused, unchanged. */
void test_bad_values(void)
{
  char path[4096];
  char err[1024];
  ar_store *s = NULL;
  fixture f;
  sqlite3 *db;
  file_print before, after;
  for (int k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s", scratch_path(k ? "fk.db" : "status.db"));
    CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
    fixture_fill(s, &f);
    for (int i = 0; i < 10; i++) fixture_put(s, &f, i, AR_STATUS_OK);
    ar_store_close(s);
    db = raw_open(path);
    raw_exec(db, k ? "PRAGMA foreign_keys=OFF; DELETE FROM candidate WHERE id = "
                     "(SELECT candidate_id FROM measurement LIMIT 1)"
                   : "PRAGMA ignore_check_constraints=ON; UPDATE measurement SET status = 'ol' "
                     "WHERE id = 3");
    CHECK(strcmp(raw_text(db, "PRAGMA integrity_check"), "ok") == 0);
    raw_close(db);
    before = file_fingerprint(path);
    CHECK(ar_store_open(path, &s, err, sizeof err) == -1 && s == NULL);
    printf("refused as expected: %s\n", err);
    CHECK(contains(err, "database is corrupt"));
    CHECK(contains(err, k ? "refers to a missing candidate" : "status outside"));
    after = file_fingerprint(path);
    CHECK(file_print_equal(&before, &after));
  }
}

/* Empty names identify nothing: refused, nothing stored. */
void test_empty_names(void)
{
  char err[1024];
  ar_store *s = NULL;
  ar_store_device d;
  ar_store_candidate c;
  attnroute_caps caps;
  int64_t id = -1;
  CHECK(ar_store_open(scratch_path("names.db"), &s, err, sizeof err) == 0);
  fixture_device(&d);
  d.arch = "";
  CHECK(ar_store_device_id(s, &d, &id) == -1 && contains(ar_store_error(s), "empty arch"));
  fixture_caps(&caps);
  fixture_candidate(&c, &caps, "");
  CHECK(ar_store_candidate_id(s, &c, &id) == -1 && contains(ar_store_error(s), "empty name"));
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM candidate") == 0);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM device") == 0);
  ar_store_close(s);
}
