/*
** test_open.c -- db tests of creating and reopening: the schema and pragmas
** of a new db, zero-byte and empty SQLite files, resume across close and
** reopen, two stores writing one file.
*/
#include "test_cases.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The schema, application_id and user_version a fresh db must have,
** checked through a connection of its own. */
static void check_schema(const char *path)
{
  sqlite3 *db = raw_open(path);
  static const char *const objects[] = {
    "table:device", "table:candidate", "table:run", "table:shape", "table:measurement",
    "index:measurement_shape", "view:best_ok",
  };
  char sql[256];
  CHECK(raw_int(db, "PRAGMA application_id") == 1095914580);
  CHECK(raw_int(db, "PRAGMA user_version") == AR_STORE_SCHEMA_VERSION);
  CHECK(strcmp(raw_text(db, "PRAGMA journal_mode"), "wal") == 0); /* persistent */
  for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
    const char *colon = strchr(objects[i], ':');
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = '%.*s' AND name = '%s'",
             (int)(colon - objects[i]), objects[i], colon + 1);
    if (raw_int(db, sql) != 1) test_fail(__FILE__, __LINE__, "missing %s", objects[i]);
  }
  CHECK(strcmp(raw_text(db, "PRAGMA integrity_check"), "ok") == 0);
  raw_close(db);
}

/* The embedded schema is db/schema.sql byte for byte. */
static void check_embedded_schema(void)
{
  FILE *f = fopen(test_schema_path, "rb");
  char *text;
  long n;
  CHECK(f != NULL);
  CHECK(fseek(f, 0, SEEK_END) == 0);
  n = ftell(f);
  CHECK(n > 0 && fseek(f, 0, SEEK_SET) == 0);
  text = calloc((size_t)n + 1, 1);
  CHECK(text && fread(text, 1, (size_t)n, f) == (size_t)n);
  fclose(f);
  CHECK(strlen(ar_store_schema_sql) == (size_t)n);
  CHECK(memcmp(text, ar_store_schema_sql, (size_t)n) == 0);
  free(text);
}

void test_create(void)
{
  const char *path = scratch_path("new.db");
  char err[1024];
  ar_store *s = NULL;
  sqlite3 *db;
  check_embedded_schema();
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0 && s != NULL);
  CHECK(strcmp(ar_store_path(s), path) == 0);
  /* The store's own connection. */
  db = ar_store_sqlite(s);
  CHECK(db != NULL);
  CHECK(strcmp(raw_text(db, "PRAGMA journal_mode"), "wal") == 0);
  CHECK(raw_int(db, "PRAGMA synchronous") == 1); /* NORMAL */
  CHECK(raw_int(db, "PRAGMA foreign_keys") == 1);
  CHECK(raw_int(db, "PRAGMA busy_timeout") == AR_STORE_BUSY_TIMEOUT_MS);
  CHECK(ar_store_set_busy_timeout(s, 250) == 0);
  CHECK(raw_int(db, "PRAGMA busy_timeout") == 250);
  CHECK(raw_int(db, "SELECT count(*) FROM measurement") == 0);
  check_schema(path);
  ar_store_close(s);
  check_schema(path);
  /* An existing db opens again, without change to the schema. */
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0 && s != NULL);
  CHECK(err[0] == '\0');
  ar_store_close(s);
  check_schema(path);
}

void test_empty_file(void)
{
  const char *path = scratch_path("zero.db");
  char err[1024];
  ar_store *s = NULL;
  write_file(path, "", 0);
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0 && s != NULL);
  ar_store_close(s);
  check_schema(path);
}

/* An SQLite file with nothing in it (no tables, ids 0) is filled too. */
void test_empty_sqlite(void)
{
  const char *path = scratch_path("empty.db");
  char err[1024];
  ar_store *s = NULL;
  sqlite3 *db = raw_open(path);
  raw_exec(db, "CREATE TABLE t (x); DROP TABLE t;");
  raw_close(db);
  CHECK(file_fingerprint(path).size > 0);
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0 && s != NULL);
  ar_store_close(s);
  check_schema(path);
}

void test_reopen_resume(void)
{
  const char *path = scratch_path("resume.db");
  char err[1024];
  ar_store *s = NULL;
  fixture f, f2;
  ar_store_shape sh;
  int64_t shape_id;
  int measured = -1;
  const unsigned all = (1u << AR_NUM_STATUS) - 1, ok = 1u << AR_STATUS_OK;

  CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
  fixture_fill(s, &f);
  fixture_put(s, &f, 0, AR_STATUS_OK);
  fixture_put(s, &f, 1, AR_STATUS_WRONG);
  fixture_put(s, &f, 2, AR_STATUS_TIMEOUT);
  ar_store_close(s); /* no run_end: as if the tuner stopped */

  CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
  fixture_fill(s, &f2); /* same device and candidates, a new run */
  CHECK(f2.device == f.device && f2.candidate == f.candidate && f2.run != f.run);
  for (int i = 0; i < 4; i++) {
    fixture_shape(&sh, i);
    CHECK_STORE(s, ar_store_shape_id(s, &sh, &shape_id));
    CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate, shape_id, all, &measured));
    CHECK(measured == (i < 3));
    CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate, shape_id, ok, &measured));
    CHECK(measured == (i == 0));
    CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate, shape_id,
                                        1u << AR_STATUS_WRONG | 1u << AR_STATUS_FAULT, &measured));
    CHECK(measured == (i == 1));
    /* The other candidate has measured nothing. */
    CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate2, shape_id, all, &measured));
    CHECK(measured == 0);
  }
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM measurement") == 3);
  ar_store_close(s);
}

/* Two stores on one file (two tuner processes): both write, both see it. */
void test_two_writers(void)
{
  const char *path = scratch_path("two.db");
  char err[1024];
  ar_store *a = NULL, *b = NULL;
  fixture fa, fb;
  ar_store_shape sh;
  int64_t shape_id;
  int measured = 0;
  CHECK(ar_store_open(path, &a, err, sizeof err) == 0);
  CHECK(ar_store_open(path, &b, err, sizeof err) == 0);
  fixture_fill(a, &fa);
  fixture_fill(b, &fb);
  CHECK(fa.device == fb.device && fa.candidate == fb.candidate && fa.run != fb.run);
  for (int i = 0; i < 20; i++) fixture_put(i % 2 ? a : b, i % 2 ? &fa : &fb, i, AR_STATUS_OK);
  for (int i = 0; i < 20; i++) {
    fixture_shape(&sh, i);
    CHECK_STORE(a, ar_store_shape_id(a, &sh, &shape_id));
    CHECK_STORE(a, ar_store_is_measured(a, fa.device, fa.candidate, shape_id, 1u, &measured));
    CHECK(measured == 1);
  }
  CHECK(raw_int(ar_store_sqlite(b), "SELECT count(*) FROM measurement") == 20);
  CHECK(raw_int(ar_store_sqlite(b), "SELECT count(*) FROM shape") == 20);
  ar_store_close(a);
  ar_store_close(b);
}
