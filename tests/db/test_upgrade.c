/*
** test_upgrade.c -- db tests of schema version 2's device and run columns:
** a v1 db (tests/db/schema_v1.sql) upgraded in place when opened for writing
** (rows and ids kept, best_ok still there), identical GPUs as distinct device
** rows, the plan identity of a run, and resumption across the devices of one
** class (ar_store_is_measured_class).
*/
#include "test_cases.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AR_TEST_SCHEMA_V1
#error "AR_TEST_SCHEMA_V1 (path of tests/db/schema_v1.sql) must be defined"
#endif

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) test_fail(__FILE__, __LINE__, "cannot read %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  CHECK(s && fread(s, 1, (size_t)n, f) == (size_t)n);
  s[n] = 0;
  fclose(f);
  return s;
}

static ar_store *open_ok(const char *path)
{
  char err[1024];
  ar_store *s = NULL;
  if (ar_store_open(path, &s, err, sizeof err) != 0) test_fail(__FILE__, __LINE__, "open: %s", err);
  return s;
}

void test_upgrade_v1(void)
{
  const char *path = scratch_path("v1.db");
  sqlite3 *db = raw_open(path);
  char *v1 = read_text(AR_TEST_SCHEMA_V1);
  raw_exec(db, v1);
  free(v1);
  raw_exec(db,
           "INSERT INTO device VALUES (7, 'nvidia', 'sm_90', 132, 'H100', 1, 'd', 'r');"
           "INSERT INTO candidate VALUES (3, 'c', 'f', 'p', 'h', -1, 'caps');"
           "INSERT INTO run (id, device_id, backend, tuner_version, command_line, timing_policy,"
           " started_at) VALUES (5, 7, 'cuda', 'v', 'cmd', 'pol', 't');"
           "INSERT INTO shape VALUES (9, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 1, 129, 64, 8);"
           "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, median_us,"
           " measured_at) VALUES (5, 7, 3, 9, 'ok', 12.5, 't');");
  CHECK(raw_int(db, "PRAGMA user_version") == 1);
  raw_close(db);

  ar_store *s = open_ok(path);
  db = ar_store_sqlite(s);
  CHECK(raw_int(db, "PRAGMA user_version") == AR_STORE_SCHEMA_VERSION);
  CHECK(raw_int(db, "SELECT count(*) FROM device WHERE id = 7 AND host = '' AND device_index = 0"
                    " AND uuid = ''") == 1);
  CHECK(raw_int(db, "SELECT count(*) FROM run WHERE id = 5 AND plan_hash = '' AND shard_count = 0") == 1);
  CHECK(raw_int(db, "SELECT count(*) FROM best_ok WHERE device_id = 7 AND candidate_id = 3") == 1);
  CHECK(raw_int(db, "PRAGMA foreign_keys") == 1);
  CHECK(raw_int(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
  /* The v1 device row is found again by its v1 fields (new ones default). */
  ar_store_device d = {"nvidia", "sm_90", "H100", "d", "r", 132, 1, NULL, 0, NULL, 0, NULL};
  int64_t id = 0;
  CHECK_STORE(s, ar_store_device_id(s, &d, &id));
  CHECK(id == 7);
  ar_store_close(s);
  /* Opening again changes nothing. */
  s = open_ok(path);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM device") == 1);
  ar_store_close(s);
}

void test_device_identity(void)
{
  ar_store *s = open_ok(scratch_path("dev.db"));
  sqlite3 *db = ar_store_sqlite(s);
  fixture f;
  fixture_fill(s, &f);
  ar_store_device d;
  fixture_device(&d);
  d.host = "node1";
  d.device_index = 0;
  d.uuid = "GPU-aaaa";
  int64_t gpu0 = 0, gpu1 = 0, again = 0, other_node = 0;
  CHECK_STORE(s, ar_store_device_id(s, &d, &gpu0));
  d.device_index = 1;
  d.uuid = "GPU-bbbb";
  CHECK_STORE(s, ar_store_device_id(s, &d, &gpu1));
  CHECK_STORE(s, ar_store_device_id(s, &d, &again));
  d.host = "node2";
  d.device_index = 0;
  d.uuid = "GPU-cccc";
  CHECK_STORE(s, ar_store_device_id(s, &d, &other_node));
  CHECK(gpu0 != gpu1 && gpu1 == again && other_node != gpu0 && other_node != f.device);

  ar_store_run r;
  memset(&r, 0, sizeof r);
  r.device_id = gpu0;
  r.backend = "cuda";
  r.tuner_version = "v";
  r.command_line = "attnroute-tune --shard 2/4";
  r.timing_policy = "p";
  r.plan_hash = "abc123";
  r.plan_shapes = 40;
  r.shard_index = 2;
  r.shard_count = 4;
  int64_t run = 0;
  CHECK_STORE(s, ar_store_run_begin(s, &r, &run));
  CHECK(strcmp(raw_text(db, "SELECT plan_hash || ':' || plan_shapes || ':' || shard_index || '/' ||"
                            " shard_count FROM run ORDER BY id DESC LIMIT 1"),
               "abc123:40:2/4") == 0);

  /* Measured on GPU 1: counts for GPU 0 (same class), not for another class. */
  ar_store_shape sh;
  fixture_shape(&sh, 0);
  int64_t shape = 0;
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &shape));
  ar_store_measurement m;
  memset(&m, 0, sizeof m);
  m.run_id = run;
  m.device_id = gpu1;
  m.candidate_id = f.candidate;
  m.shape_id = shape;
  m.status = AR_STATUS_OK;
  m.median_us = m.p10_us = m.p90_us = 3;
  m.rel_err = -1;
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  int measured = 0;
  int64_t on = 0;
  CHECK_STORE(s, ar_store_is_measured_class(s, gpu0, f.candidate, shape, ~0u, &measured, &on));
  CHECK(measured == 1 && on == gpu1);
  CHECK_STORE(s, ar_store_is_measured(s, gpu0, f.candidate, shape, ~0u, &measured));
  CHECK(measured == 0);
  CHECK_STORE(s, ar_store_is_measured_class(s, gpu0, f.candidate2, shape, ~0u, &measured, &on));
  CHECK(measured == 0 && on == 0);
  CHECK_STORE(s, ar_store_is_measured_class(s, gpu0, f.candidate, shape, 1u << AR_STATUS_FAULT, &measured, &on));
  CHECK(measured == 0 && on == gpu1);
  d.cu_count = 114; /* another class */
  int64_t other_class = 0;
  CHECK_STORE(s, ar_store_device_id(s, &d, &other_class));
  CHECK_STORE(s, ar_store_is_measured_class(s, other_class, f.candidate, shape, ~0u, &measured, &on));
  CHECK(measured == 0 && on == 0);
  /* Its own row comes first. */
  m.device_id = gpu0;
  m.status = AR_STATUS_FAULT;
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  CHECK_STORE(s, ar_store_is_measured_class(s, gpu0, f.candidate, shape, 1u << AR_STATUS_FAULT, &measured, &on));
  CHECK(measured == 1 && on == gpu0);
  ar_store_close(s);
}
