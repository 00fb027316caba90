/*
** test_v3.c -- db tests of schema version 3's device counts (wgp_count,
** cu_source): a version-2 db (shipped/h200/llama.db) read as it is when
** opened read-only and upgraded in place when opened for writing (rows kept,
** the defaults filled in, then the counts of the device recorded again), and
** an AMD device in WGP mode recorded with both counts (a fake device info).
*/
#include "test_cases.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ar_store *open_rw(const char *path)
{
  char err[1024];
  ar_store *s = NULL;
  if (ar_store_open(path, &s, err, sizeof err) != 0) test_fail(__FILE__, __LINE__, "open %s: %s", path, err);
  return s;
}

static const char device_columns[] =
    "SELECT group_concat(name || ':' || type || ':' || \"notnull\" || ':' || ifnull(dflt_value, 'NULL'), ',')"
    " FROM (SELECT * FROM pragma_table_info('device') ORDER BY cid)";

/* Device row id of db as an ar_store_device (its strings copied to text). */
static void device_row(sqlite3 *db, int64_t id, ar_store_device *d, char text[7][128])
{
  static const char *const cols[] = {"vendor", "arch", "name", "driver_version", "runtime_version", "host", "uuid"};
  char sql[160];
  for (int i = 0; i < 7; i++) {
    snprintf(sql, sizeof sql, "SELECT %s FROM device WHERE id = %lld", cols[i], (long long)id);
    snprintf(text[i], 128, "%s", raw_text(db, sql));
  }
  memset(d, 0, sizeof *d);
  d->vendor = text[0];
  d->arch = text[1];
  d->name = text[2];
  d->driver_version = text[3];
  d->runtime_version = text[4];
  d->host = text[5];
  snprintf(sql, sizeof sql, "SELECT cu_count FROM device WHERE id = %lld", (long long)id);
  d->cu_count = (int32_t)raw_int(db, sql);
  snprintf(sql, sizeof sql, "SELECT memory_bytes FROM device WHERE id = %lld", (long long)id);
  d->memory_bytes = (uint64_t)raw_int(db, sql);
  snprintf(sql, sizeof sql, "SELECT device_index FROM device WHERE id = %lld", (long long)id);
  d->device_index = (int32_t)raw_int(db, sql);
  d->uuid = text[6];
}

void test_upgrade_v2(void)
{
  const char *path = scratch_path("v2.db");
  copy_file(shipped_db("h200/llama.db"), path); /* a shipped version-2 db */
  sqlite3 *raw = raw_open(path);
  CHECK(raw_int(raw, "PRAGMA user_version") == 2);
  CHECK(raw_int(raw, "SELECT count(*) FROM pragma_table_info('device') WHERE name IN ('wgp_count', 'cu_source')")
        == 0);
  int64_t devices = raw_int(raw, "SELECT count(*) FROM device");
  int64_t dev = raw_int(raw, "SELECT min(id) FROM device");
  int64_t meas = raw_int(raw, "SELECT count(*) FROM measurement");
  int64_t best = raw_int(raw, "SELECT count(*) FROM best_ok");
  char sum[128];
  snprintf(sum, sizeof sum, "%s", raw_text(raw, "SELECT total(device_id * 3 + shape_id + median_us) FROM measurement"));
  raw_close(raw);
  CHECK(devices >= 1 && meas > 100);

  /* Read-only: no upgrade, the device found by its v2 fields. */
  char err[1024];
  ar_store *ro = NULL;
  if (ar_store_open_readonly(path, &ro, err, sizeof err) != 0) test_fail(__FILE__, __LINE__, "%s", err);
  char text[7][128];
  ar_store_device d;
  device_row(ar_store_sqlite(ro), dev, &d, text);
  int64_t id = 0;
  d.wgp_count = 128; /* not part of the identity */
  d.cu_source = "rocminfo";
  CHECK_STORE(ro, ar_store_device_id(ro, &d, &id));
  CHECK(id == dev);
  ar_store_close(ro);
  raw = raw_open(path);
  CHECK(raw_int(raw, "PRAGMA user_version") == 2);
  raw_close(raw);

  /* For writing: upgraded, rows and ids kept, the defaults in the new columns. */
  ar_store *s = open_rw(path);
  sqlite3 *db = ar_store_sqlite(s);
  CHECK(raw_int(db, "PRAGMA user_version") == AR_STORE_SCHEMA_VERSION);
  CHECK(raw_int(db, "SELECT count(*) FROM device") == devices);
  CHECK(raw_int(db, "SELECT count(*) FROM device WHERE wgp_count = 0 AND cu_source = ''") == devices);
  CHECK(raw_int(db, "SELECT count(*) FROM measurement") == meas);
  CHECK(raw_int(db, "SELECT count(*) FROM best_ok") == best);
  CHECK(strcmp(raw_text(db, "SELECT total(device_id * 3 + shape_id + median_us) FROM measurement"), sum) == 0);
  CHECK(raw_int(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
  char upgraded[1024];
  snprintf(upgraded, sizeof upgraded, "%s", raw_text(db, device_columns));
  ar_store *fresh = open_rw(scratch_path("fresh3.db"));
  if (strcmp(upgraded, raw_text(ar_store_sqlite(fresh), device_columns)) != 0)
    test_fail(__FILE__, __LINE__, "device columns differ:\n  upgraded %s\n  fresh    %s", upgraded,
              raw_text(ar_store_sqlite(fresh), device_columns));
  ar_store_close(fresh);

  /* The same device recorded again by a v3 tuner: same row, counts filled in;
  ** once there they stay (the first record wins, as for the identity). */
  CHECK_STORE(s, ar_store_device_id(s, &d, &id));
  CHECK(id == dev);
  CHECK(raw_int(db, "SELECT count(*) FROM device") == devices);
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT wgp_count || '/' || cu_source FROM device WHERE id = %lld", (long long)dev);
  CHECK(strcmp(raw_text(db, sql), "128/rocminfo") == 0);
  d.wgp_count = 0;
  d.cu_source = "CU_NUM";
  CHECK_STORE(s, ar_store_device_id(s, &d, &id));
  CHECK(id == dev && strcmp(raw_text(db, sql), "128/rocminfo") == 0);
  ar_store_close(s);
  /* Opening again changes nothing. */
  s = open_rw(path);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM device") == devices);
  CHECK(strcmp(raw_text(ar_store_sqlite(s), sql), "128/rocminfo") == 0);
  ar_store_close(s);
}

void test_device_counts(void)
{
  ar_store *s = open_rw(scratch_path("counts.db"));
  sqlite3 *db = ar_store_sqlite(s);
  /* What backend_hip.c fills in for a gfx1250 in WGP mode (hip_cu_count.c). */
  ar_store_device amd = {"amd", "gfx1250", "AMD Instinct", "6.4", "6.4.1", 256, 1ull << 36,
                         "node1", 0, "GPU-1250", 128, "rocminfo"};
  ar_store_device cpu = {"host", "x86_64", "cpu", "k", "gcc", 2, 1u << 30, NULL, 0, NULL, 0, NULL};
  int64_t a = 0, a2 = 0, c = 0;
  CHECK_STORE(s, ar_store_device_id(s, &amd, &a));
  CHECK_STORE(s, ar_store_device_id(s, &cpu, &c));
  CHECK(a > 0 && c > 0 && a != c);
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT cu_count || '/' || wgp_count || '/' || cu_source FROM device WHERE id = %lld",
           (long long)a);
  CHECK(strcmp(raw_text(db, sql), "256/128/rocminfo") == 0);
  snprintf(sql, sizeof sql, "SELECT cu_count || '/' || wgp_count || '/' || cu_source FROM device WHERE id = %lld",
           (long long)c);
  CHECK(strcmp(raw_text(db, sql), "2/0/") == 0);
  /* The counts are not the identity: the same device with other counts is
  ** the same row, which keeps its first counts. */
  amd.wgp_count = 0;
  amd.cu_source = "CU_NUM";
  CHECK_STORE(s, ar_store_device_id(s, &amd, &a2));
  CHECK(a2 == a && raw_int(db, "SELECT count(*) FROM device") == 2);
  CHECK(raw_int(db, "SELECT count(*) FROM device WHERE wgp_count = 128 AND cu_source = 'rocminfo'") == 1);
  amd.wgp_count = -1;
  CHECK(ar_store_device_id(s, &amd, &a2) == -1 && contains(ar_store_error(s), "wgp_count -1"));
  ar_store_close(s);

  /* Read back through a read-only store's connection. */
  char err[1024];
  ar_store *ro = NULL;
  if (ar_store_open_readonly(scratch_path("counts.db"), &ro, err, sizeof err) != 0)
    test_fail(__FILE__, __LINE__, "%s", err);
  CHECK(raw_int(ar_store_sqlite(ro), "SELECT wgp_count FROM device WHERE arch = 'gfx1250' AND cu_count = 256")
        == 128);
  ar_store_close(ro);
}
