/*
** test_refuse.c -- db tests of files the store must refuse: text, random
** bytes, another application's SQLite db, an attnroute db of a newer schema,
** a directory, a truncated db, a db with a garbage page.  Each refusal names
** the file, leaves *out NULL, and leaves the file exactly as it was (bytes,
** size, mtime) with no journal, WAL or shm file created beside it.
*/
#define _XOPEN_SOURCE 700
#include "test_cases.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const side_suffix[] = { "-journal", "-wal", "-shm" };

/* ar_store_open(path) must fail with a message naming path and containing
** `phrase`, changing nothing. */
static void expect_refused(const char *path, const char *phrase)
{
  char err[1024], side[4200];
  int side_before[3];
  file_print before = file_fingerprint(path), after;
  ar_store *s = (ar_store *)&err; /* must come back NULL */
  for (int i = 0; i < 3; i++) {
    snprintf(side, sizeof side, "%s%s", path, side_suffix[i]);
    side_before[i] = file_exists(side);
  }
  if (ar_store_open(path, &s, err, sizeof err) != -1)
    test_fail(__FILE__, __LINE__, "%s was not refused", path);
  printf("refused as expected: %s\n", err);
  CHECK(s == NULL);
  if (!contains(err, path)) test_fail(__FILE__, __LINE__, "message does not name the file: %s", err);
  if (!contains(err, phrase))
    test_fail(__FILE__, __LINE__, "message lacks \"%s\": %s", phrase, err);
  after = file_fingerprint(path);
  CHECK(file_print_equal(&before, &after));
  for (int i = 0; i < 3; i++) {
    snprintf(side, sizeof side, "%s%s", path, side_suffix[i]);
    if (file_exists(side) != side_before[i])
      test_fail(__FILE__, __LINE__, "%s appeared or vanished", side);
  }
}

void test_refuse_text(void)
{
  const char *path = scratch_path("notes.db");
  char text[4096];
  size_t n = 0;
  while (n + 40 < sizeof text)
    n += (size_t)snprintf(text + n, sizeof text - n, "line %zu: this is a text file\n", n);
  write_file(path, text, n);
  expect_refused(path, "not an attnroute db (not an SQLite database)");
  write_file(path, "hi\n", 3); /* shorter than an SQLite header */
  expect_refused(path, "not an SQLite database");
}

void test_refuse_random(void)
{
  const char *path = scratch_path("random.db");
  unsigned char bytes[8192];
  fill_random(bytes, sizeof bytes, 12345);
  write_file(path, bytes, sizeof bytes);
  expect_refused(path, "not an SQLite database");
}

void test_refuse_other_app(void)
{
  const char *path = scratch_path("other.db");
  sqlite3 *db = raw_open(path);
  raw_exec(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
               "INSERT INTO notes (body) VALUES ('keep me');");
  raw_close(db);
  expect_refused(path, "not an attnroute db (application_id 0");
  /* Also when it is in WAL mode, as attnroute dbs are. */
  db = raw_open(path);
  raw_exec(db, "PRAGMA journal_mode=WAL");
  raw_close(db);
  expect_refused(path, "not an attnroute db (application_id 0");
  /* With our application_id but user_version 0 and tables: not ours either. */
  db = raw_open(path);
  raw_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA application_id = 1095914580");
  raw_close(db);
  expect_refused(path, "user_version is 0");
}

void test_refuse_other_app_id(void)
{
  const char *path = scratch_path("otherid.db");
  sqlite3 *db = raw_open(path);
  raw_exec(db, "PRAGMA application_id = 1179402573"); /* no tables at all */
  raw_close(db);
  expect_refused(path, "not an attnroute db (application_id 1179402573, expected 1095914580)");
}

void test_refuse_newer(void)
{
  const char *path = scratch_path("newer.db");
  char err[1024];
  ar_store *s = NULL;
  fixture f;
  sqlite3 *db;
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
  fixture_fill(s, &f);
  fixture_put(s, &f, 0, AR_STATUS_OK);
  ar_store_close(s);
  db = raw_open(path);
  raw_exec(db, "PRAGMA user_version = 99");
  raw_close(db);
  expect_refused(path, "schema version 99 is newer than this build's 3; use a newer attnroute");
}

void test_refuse_directory(void)
{
  const char *path = scratch_path("dir.db");
  CHECK(mkdir(path, 0777) == 0);
  expect_refused(path, "not a regular file");
}

void test_refuse_cannot_create(void)
{
  const char *path = scratch_path("no/such/dir/x.db");
  char err[1024];
  ar_store *s = NULL;
  CHECK(ar_store_open(path, &s, err, sizeof err) == -1 && s == NULL);
  CHECK(contains(err, path) && contains(err, "cannot create the db (No such file or directory)"));
  CHECK(!file_exists(scratch_path("no")));
  CHECK(ar_store_open(NULL, &s, err, sizeof err) == -1 && err[0] != '\0');
}

/* A closed attnroute db with n measurements. */
static void make_filled(const char *path, int n)
{
  char err[1024];
  ar_store *s = NULL;
  fixture f;
  CHECK(ar_store_open(path, &s, err, sizeof err) == 0);
  fixture_fill(s, &f);
  for (int i = 0; i < n; i++) fixture_put(s, &f, i, i % 5 ? AR_STATUS_OK : AR_STATUS_WRONG);
  ar_store_close(s);
}

void test_corrupt_truncated(void)
{
  const char *path = scratch_path("trunc.db");
  long long size;
  make_filled(path, 600);
  size = file_fingerprint(path).size;
  CHECK(size > 16 * 4096); /* several pages */
  CHECK(truncate(path, size / 2 + 1000) == 0);
  expect_refused(path, "database is corrupt");
  CHECK(truncate(path, 60) == 0); /* cut inside the header, magic intact */
  expect_refused(path, "database is corrupt");
  CHECK(truncate(path, 10) == 0); /* not even the magic */
  expect_refused(path, "not an SQLite database");
}

void test_corrupt_page(void)
{
  const char *path = scratch_path("garbage.db");
  unsigned char page[4096];
  long long size, pages;
  FILE *f;
  make_filled(path, 600);
  size = file_fingerprint(path).size;
  pages = size / 4096;
  CHECK(pages > 16);
  fill_random(page, sizeof page, 777);
  f = fopen(path, "r+b");
  CHECK(f != NULL);
  CHECK(fseek(f, (long)(pages / 2) * 4096, SEEK_SET) == 0);
  CHECK(fwrite(page, 1, sizeof page, f) == sizeof page);
  CHECK(fclose(f) == 0);
  expect_refused(path, "database is corrupt");
}
