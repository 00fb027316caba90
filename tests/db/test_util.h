/*
** test_util.h -- helpers shared by the db tests: checks that exit with
** file:line, scratch directories, file fingerprints, raw SQLite queries and
** a fixture that fills a store with a device, candidate, run and shapes.
*/
#ifndef AR_TEST_UTIL_H
#define AR_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "store.h"

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK failed: %s", #cond);    \
  } while (0)

/* call must return 0; on failure print the store's error. */
#define CHECK_STORE(s, call)                                                  \
  do {                                                                        \
    if ((call) != 0)                                                          \
      test_fail(__FILE__, __LINE__, "%s failed: %s", #call, ar_store_error(s)); \
  } while (0)

void test_fail(const char *file, int line, const char *fmt, ...);

/* A fresh scratch directory under base ("<base>/<name>.XXXXXX"); removed by
** scratch_remove (on success only, so a failure leaves it to look at). */
const char *scratch_make(const char *base, const char *name);
void scratch_remove(void);
/* "<scratch>/<file>" in a static rotating buffer. */
const char *scratch_path(const char *file);

/* What a file looks like: for "unchanged" checks. */
typedef struct file_print {
  int exists;
  long long size;
  long long mtime_ns;
  uint64_t hash; /* FNV-1a 64 over the content */
} file_print;
file_print file_fingerprint(const char *path);
int file_print_equal(const file_print *a, const file_print *b);
int file_exists(const char *path);

void write_file(const char *path, const void *data, size_t n);
void copy_file(const char *from, const char *to);
/* A shipped db by its path under shipped/ ("h100/gpt-oss.db"), found from
** the schema's path (db/../shipped); a static buffer. */
const char *shipped_db(const char *rel);
/* Deterministic pseudo-random bytes. */
void fill_random(unsigned char *buf, size_t n, uint32_t seed);

/* Raw SQLite on a separate connection: fail the test on any error. */
sqlite3 *raw_open(const char *path);
void raw_exec(sqlite3 *db, const char *sql);
int64_t raw_int(sqlite3 *db, const char *sql);
/* Text of the first column of the first row (static buffer; "" for NULL,
** "(no row)" when there is none). */
const char *raw_text(sqlite3 *db, const char *sql);
void raw_close(sqlite3 *db);

int contains(const char *haystack, const char *needle);

/* Fixture ids. */
typedef struct fixture {
  int64_t device, candidate, candidate2, run;
} fixture;
void fixture_device(ar_store_device *d);
void fixture_caps(attnroute_caps *c);
void fixture_candidate(ar_store_candidate *c, const attnroute_caps *caps, const char *name);
void fixture_shape(ar_store_shape *sh, int i); /* shape number i, all distinct */
void fixture_fill(ar_store *s, fixture *f);   /* device, two candidates, a run */
/* Store shape i of candidate f->candidate with status OK, median 10 + i. */
void fixture_put(ar_store *s, const fixture *f, int i, ar_status status);

#endif
