/*
** test_locked.c -- db test of a db another process is writing: while
** another connection holds a write transaction (BEGIN IMMEDIATE), reads and
** a new open still work, and a write fails after the busy timeout with
** "PATH: database is locked by another process"; once it commits, writes
** go through again.
*/
#include "test_cases.h"
#include "test_util.h"

#include <string.h>

static void expect_locked(ar_store *s, int rc)
{
  CHECK(rc == -1);
  if (!contains(ar_store_error(s), ar_store_path(s)) ||
      !contains(ar_store_error(s), "database is locked by another process"))
    test_fail(__FILE__, __LINE__, "unexpected message: %s", ar_store_error(s));
}

void test_locked(void)
{
  const char *path = scratch_path("locked.db");
  char err[1024];
  ar_store *s = NULL, *t = NULL;
  sqlite3 *other;
  fixture f;
  ar_store_shape sh;
  ar_store_measurement m;
  int64_t shape_id, id = -1;
  int measured = -1;

  CHECK(ar_store_open_ex(path, 100, &s, err, sizeof err) == 0);
  CHECK(ar_store_set_busy_timeout(s, 100) == 0);
  fixture_fill(s, &f);
  fixture_put(s, &f, 0, AR_STATUS_OK);
  fixture_shape(&sh, 1);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &shape_id));

  other = raw_open(path);
  raw_exec(other, "BEGIN IMMEDIATE");
  raw_exec(other, "INSERT INTO device (vendor, arch, cu_count, name, memory_bytes,"
                  " driver_version, runtime_version) VALUES ('x','y',1,'z',0,'a','b')");

  memset(&m, 0, sizeof m);
  m.run_id = f.run; m.device_id = f.device; m.candidate_id = f.candidate;
  m.shape_id = shape_id; m.status = AR_STATUS_FAULT; m.rel_err = -1;
  expect_locked(s, ar_store_measurement_put(s, &m));
  fixture_shape(&sh, 2);
  expect_locked(s, ar_store_shape_id(s, &sh, &id));
  CHECK(id == 0);
  expect_locked(s, ar_store_run_end(s, f.run));
  /* Reads are not blocked (WAL), and do not see the uncommitted row. */
  CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate, shape_id, ~0u, &measured));
  CHECK(measured == 0);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM device") == 1);
  /* Another tuner can open the db meanwhile, and is refused writes alike. */
  CHECK(ar_store_open_ex(path, 50, &t, err, sizeof err) == 0);
  expect_locked(t, ar_store_measurement_put(t, &m));
  ar_store_close(t);

  raw_exec(other, "COMMIT");
  raw_close(other);
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  CHECK_STORE(s, ar_store_is_measured(s, f.device, f.candidate, shape_id,
                                      1u << AR_STATUS_FAULT, &measured));
  CHECK(measured == 1);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM device") == 2);
  CHECK_STORE(s, ar_store_run_end(s, f.run));
  ar_store_close(s);
}
