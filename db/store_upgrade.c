/*
** store_upgrade.c -- schema upgrades of an attnroute db (see store_upgrade.h).
**
** v1 -> v2:
**   device gets host, device_index, uuid (so two identical GPUs are two rows)
**     and a UNIQUE key that includes them: the table is rebuilt (SQLite cannot
**     change a table's constraints), ids kept, the view best_ok dropped first
**     and recreated from its stored text after.
**   run gets plan_hash, plan_shapes, shard_index, shard_count (ADD COLUMN).
**   shape gets seqs (ragged batches) inside its UNIQUE key: rebuilt the same
**     way, ids kept (measurement.shape_id stays valid); trace_call is created.
** v2 -> v3:
**   device gets wgp_count and cu_source (how cu_count was counted; not in
**     the UNIQUE key, so ADD COLUMN: ids, rows and views stay).
** Existing rows get the columns' defaults ('' and 0).  Before the commit,
** PRAGMA foreign_key_check: an upgrade never leaves a dangling reference.
** The definitions match db/schema.sql (tests/db compares an upgraded db
** with a fresh one).
*/
#include "store_upgrade.h"

#include <sqlite3.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static const char *const v1_to_v2_device[] = {
  "CREATE TABLE device_v2 (\n"
  "  id              INTEGER PRIMARY KEY,\n"
  "  vendor          TEXT NOT NULL,\n"
  "  arch            TEXT NOT NULL,\n"
  "  cu_count        INTEGER NOT NULL,\n"
  "  name            TEXT NOT NULL,\n"
  "  memory_bytes    INTEGER NOT NULL,\n"
  "  driver_version  TEXT NOT NULL,\n"
  "  runtime_version TEXT NOT NULL,\n"
  "  host            TEXT NOT NULL DEFAULT '',\n"
  "  device_index    INTEGER NOT NULL DEFAULT 0,\n"
  "  uuid            TEXT NOT NULL DEFAULT '',\n"
  "  UNIQUE (vendor, arch, cu_count, name, memory_bytes, driver_version, runtime_version,\n"
  "          host, device_index, uuid)\n"
  ")",
  "INSERT INTO device_v2 (id, vendor, arch, cu_count, name, memory_bytes, driver_version,"
  " runtime_version) SELECT id, vendor, arch, cu_count, name, memory_bytes, driver_version,"
  " runtime_version FROM device",
  "DROP TABLE device",
  "ALTER TABLE device_v2 RENAME TO device",
  "ALTER TABLE run ADD COLUMN plan_hash TEXT NOT NULL DEFAULT ''",
  "ALTER TABLE run ADD COLUMN plan_shapes INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE run ADD COLUMN shard_index INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE run ADD COLUMN shard_count INTEGER NOT NULL DEFAULT 0",
  NULL,
};

static const char *const v1_to_v2_shape[] = {
  "CREATE TABLE shape_v2 (\n"
  "  id             INTEGER PRIMARY KEY,\n"
  "  head_dim       INTEGER NOT NULL,\n"
  "  q_dtype        TEXT NOT NULL,\n"
  "  kv_dtype       TEXT NOT NULL,\n"
  "  has_sinks      INTEGER NOT NULL,\n"
  "  sliding_window INTEGER NOT NULL,  -- -1 = none\n"
  "  kv_block_size  INTEGER NOT NULL,\n"
  "  causal         INTEGER NOT NULL,\n"
  "  num_seqs       INTEGER NOT NULL,\n"
  "  seqlen_q       INTEGER NOT NULL,\n"
  "  seqlen_k       INTEGER NOT NULL,  -- cached prefix + seqlen_q\n"
  "  num_q_heads    INTEGER NOT NULL,\n"
  "  num_kv_heads   INTEGER NOT NULL,\n"
  "  seqs           TEXT NOT NULL DEFAULT '',  -- ragged batch: \"sq:ctx,sq:ctx,...\" in batch\n"
  "                                            -- order; '' = uniform batch\n"
  "  UNIQUE (head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, kv_block_size,\n"
  "          causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads, seqs)\n"
  ")",
  "INSERT INTO shape_v2 (id, head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, kv_block_size,"
  " causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads)"
  " SELECT id, head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, kv_block_size, causal,"
  " num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads FROM shape ORDER BY id",
  "DROP TABLE shape",
  "ALTER TABLE shape_v2 RENAME TO shape",
  "CREATE TABLE trace_call (\n"
  "  id         INTEGER PRIMARY KEY,\n"
  "  trace      TEXT NOT NULL,            -- trace name (file base name unless --trace-name)\n"
  "  call_index INTEGER NOT NULL,         -- 0-based index of the call in the trace file\n"
  "  step       TEXT NOT NULL CHECK (step IN ('prefill','decode')),\n"
  "  shape_id   INTEGER NOT NULL REFERENCES shape(id),\n"
  "  UNIQUE (trace, call_index)\n"
  ")",
  NULL,
};

static int column_exists(sqlite3 *db, const char *table, const char *column, int *exists) {
  char sql[128];
  sqlite3_stmt *st = NULL;
  snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?1", table);
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, column, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  return rc;
}

/* The stored CREATE text of a view, malloc'd, or NULL (*rc set on error). */
static char *view_sql(sqlite3 *db, const char *name, int *rc) {
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  *rc = sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1", -1, &st, NULL);
  if (*rc == SQLITE_OK) *rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (*rc == SQLITE_OK) {
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW && sqlite3_column_text(st, 0)) {
      const char *t = (const char *)sqlite3_column_text(st, 0);
      out = malloc(strlen(t) + 1);
      if (out) strcpy(out, t);
      else *rc = SQLITE_NOMEM;
    } else if (r != SQLITE_DONE && r != SQLITE_ROW) {
      *rc = r;
    }
  }
  sqlite3_finalize(st);
  return out;
}

/* Ragged batches: shape.seqs and trace_call (no view reads shape). */
static int v1_to_v2_ragged(sqlite3 *db, char *doing, size_t doinglen) {
  int has_seqs = 0, rc = column_exists(db, "shape", "seqs", &has_seqs);
  if (rc != SQLITE_OK) {
    snprintf(doing, doinglen, "reading the shape table's columns");
    return rc;
  }
  if (has_seqs) return SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && v1_to_v2_shape[i]; i++) {
    rc = sqlite3_exec(db, v1_to_v2_shape[i], NULL, NULL, NULL);
    if (rc != SQLITE_OK) snprintf(doing, doinglen, "upgrading to schema 2 (%.60s...)", v1_to_v2_shape[i]);
  }
  return rc;
}

/* Rows of PRAGMA foreign_key_check (must be none), or -1 on error. */
static int dangling_references(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int n = 0, rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);
  if (rc != SQLITE_OK) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) n++;
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? n : -1;
}

static int v1_to_v2(sqlite3 *db, char *doing, size_t doinglen) {
  int rc, has_uuid = 0;
  rc = v1_to_v2_ragged(db, doing, doinglen);
  if (rc != SQLITE_OK) return rc;
  rc = column_exists(db, "device", "uuid", &has_uuid);
  if (rc != SQLITE_OK) {
    snprintf(doing, doinglen, "reading the device table's columns");
    return rc;
  }
  if (has_uuid) return SQLITE_OK; /* nothing of ours to do */
  char *view = view_sql(db, "best_ok", &rc);
  if (rc != SQLITE_OK) {
    snprintf(doing, doinglen, "reading the view best_ok");
    return rc;
  }
  if (view) rc = sqlite3_exec(db, "DROP VIEW best_ok", NULL, NULL, NULL);
  for (int i = 0; rc == SQLITE_OK && v1_to_v2_device[i]; i++) {
    rc = sqlite3_exec(db, v1_to_v2_device[i], NULL, NULL, NULL);
    if (rc != SQLITE_OK) snprintf(doing, doinglen, "upgrading to schema 2 (%.60s...)", v1_to_v2_device[i]);
  }
  if (rc == SQLITE_OK && view) {
    rc = sqlite3_exec(db, view, NULL, NULL, NULL);
    if (rc != SQLITE_OK) snprintf(doing, doinglen, "recreating the view best_ok");
  }
  free(view);
  return rc;
}

static const char *const v2_to_v3[][2] = {
  {"wgp_count", "ALTER TABLE device ADD COLUMN wgp_count INTEGER NOT NULL DEFAULT 0"},
  {"cu_source", "ALTER TABLE device ADD COLUMN cu_source TEXT NOT NULL DEFAULT ''"},
};

/* The device's counts (a column already there is left as it is). */
static int v2_to_v3_device(sqlite3 *db, char *doing, size_t doinglen) {
  int rc = SQLITE_OK;
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof v2_to_v3 / sizeof v2_to_v3[0]; i++) {
    int exists = 0;
    rc = column_exists(db, "device", v2_to_v3[i][0], &exists);
    if (rc != SQLITE_OK) {
      snprintf(doing, doinglen, "reading the device table's columns");
      return rc;
    }
    if (exists) continue;
    rc = sqlite3_exec(db, v2_to_v3[i][1], NULL, NULL, NULL);
    if (rc != SQLITE_OK) snprintf(doing, doinglen, "upgrading to schema 3 (%.60s...)", v2_to_v3[i][1]);
  }
  return rc;
}

int ar_store_upgrade(sqlite3 *db, char *doing, size_t doinglen) {
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    snprintf(doing, doinglen, "starting the schema upgrade");
    return rc;
  }
  sqlite3_stmt *st = NULL;
  int64_t version = 0;
  rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) snprintf(doing, doinglen, "reading user_version");
  if (rc == SQLITE_OK && version < 2) rc = v1_to_v2(db, doing, doinglen);
  if (rc == SQLITE_OK && version < 3) rc = v2_to_v3_device(db, doing, doinglen);
  if (rc == SQLITE_OK && version < AR_STORE_SCHEMA_VERSION) {
    int n = dangling_references(db);
    if (n != 0) {
      snprintf(doing, doinglen, n < 0 ? "checking row references after the upgrade"
                                      : "upgrading: the result would hold rows naming missing rows "
                                        "(foreign_key_check); nothing changed");
      rc = SQLITE_CONSTRAINT_FOREIGNKEY;
    }
  }
  if (rc == SQLITE_OK && version < AR_STORE_SCHEMA_VERSION) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", AR_STORE_SCHEMA_VERSION);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) snprintf(doing, doinglen, "setting user_version");
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) snprintf(doing, doinglen, "committing the schema upgrade");
  }
  if (rc != SQLITE_OK) {
    /* SQLite's message before the rollback replaces it */
    size_t n = strlen(doing);
    if (rc != SQLITE_CONSTRAINT_FOREIGNKEY && n + 3 < doinglen)
      snprintf(doing + n, doinglen - n, ": %s; nothing changed", sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  }
  return rc;
}
