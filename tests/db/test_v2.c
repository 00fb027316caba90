/*
** test_v2.c -- db tests of schema version 2: ragged shapes (seqs text
** checked, equal sequences stored as the uniform batch), trace_call rows
** (one transaction, a conflicting re-use of a trace name refused with
** nothing written), and the upgrade of a real version-1 db (the shipped
** H100 gpt-oss db, copied) to a schema identical to a fresh one, with every
** row kept; a db with dangling references, or an upgrade failing half-way,
** changes nothing;
** a read-only store (--dry-run) reads a v1 db without upgrading it.
*/
#include "test_cases.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ar_store *open_path(const char *path)
{
  char err[1024];
  ar_store *s = NULL;
  if (ar_store_open(path, &s, err, sizeof err) != 0) test_fail(__FILE__, __LINE__, "open: %s", err);
  return s;
}

/* A ragged shape of fixture class: seqs text, count, largest sq and ctx. */
static void ragged(ar_store_shape *sh, const char *seqs, int n, int max_sq, int max_ctx)
{
  fixture_shape(sh, 0);
  sh->p.num_seqs = n;
  sh->seqlen_q = max_sq;
  sh->seqlen_k = max_ctx;
  sh->seqs = seqs;
}

void test_ragged_shapes(void)
{
  ar_store *s = open_path(scratch_path("r.db"));
  sqlite3 *db = ar_store_sqlite(s);
  ar_store_shape sh;
  int64_t uni, a, b, x;

  /* The uniform batch 3 x (1, 5120) ... */
  ragged(&sh, NULL, 3, 1, 5120);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &uni));
  /* ... is what a list of three equal sequences is. */
  ragged(&sh, "1:5120,1:5120,1:5120", 3, 1, 5120);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &x));
  CHECK(x == uni);
  ragged(&sh, "", 3, 1, 5120);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &x));
  CHECK(x == uni);
  CHECK(strcmp(raw_text(db, "SELECT seqs FROM shape"), "") == 0);

  /* A ragged batch with the same num_seqs and maxima is another shape. */
  ragged(&sh, "1:27000,1:5120,1:80000", 3, 1, 80000);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &a));
  ragged(&sh, "1:5120,1:27000,1:80000", 3, 1, 80000); /* batch order matters */
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &b));
  ragged(&sh, NULL, 3, 1, 80000);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &x));
  CHECK(a != b && a != x && b != x && a != uni);
  ragged(&sh, "1:27000,1:5120,1:80000", 3, 1, 80000);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &x));
  CHECK(x == a);
  CHECK(raw_int(db, "SELECT count(*) FROM shape") == 4);
  CHECK(strcmp(raw_text(db, "SELECT seqs FROM shape WHERE id = (SELECT min(id) FROM shape WHERE seqs != '')"),
               "1:27000,1:5120,1:80000") == 0);

  /* Text that does not match the shape's own fields, or is not a list. */
  static const struct {
    const char *seqs;
    int n, sq, ctx;
    const char *needle;
  } bad[] = {
    {"1:27000,1:5120", 3, 1, 27000, "do not match"},
    {"1:27000,1:5120,1:80000", 3, 1, 70000, "do not match"},
    {"2:27000,1:5120,1:80000", 3, 1, 80000, "do not match"},
    {"1:27000,,1:80000", 3, 1, 80000, "not a list"},
    {"1:27000,1:5120,", 2, 1, 27000, "not a list"},
    {"1-27000", 1, 1, 27000, "not a list"},
    {"5:4,1:80000", 2, 5, 80000, "not 1 <= sq <= ctx"},
    {"0:4,1:80000", 2, 1, 80000, "not 1 <= sq <= ctx"},
    {"-1:4", 1, 1, 4, "not a list"},
    {"1:99999999999", 1, 1, 4, "not 1 <= sq <= ctx"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ragged(&sh, bad[i].seqs, bad[i].n, bad[i].sq, bad[i].ctx);
    x = 77;
    CHECK(ar_store_shape_id(s, &sh, &x) == -1 && x == 0);
    if (!contains(ar_store_error(s), bad[i].needle))
      test_fail(__FILE__, __LINE__, "seqs '%s': error '%s' lacks '%s'", bad[i].seqs, ar_store_error(s),
                bad[i].needle);
  }
  CHECK(raw_int(db, "SELECT count(*) FROM shape") == 4);
  ar_store_close(s);
}

void test_trace_calls(void)
{
  ar_store *s = open_path(scratch_path("t.db"));
  sqlite3 *db = ar_store_sqlite(s);
  ar_store_shape sh;
  int64_t a, b;
  ragged(&sh, "2048:10240,512:512", 2, 2048, 10240);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &a));
  ragged(&sh, "1:27001,1:5120,1:80000", 3, 1, 80000);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &b));

  ar_store_trace_call calls[] = {{0, "prefill", a}, {1, "decode", b}, {2, "decode", b}};
  CHECK_STORE(s, ar_store_trace_calls_put(s, "conv", calls, 3));
  CHECK_STORE(s, ar_store_trace_calls_put(s, "conv", calls, 3)); /* resuming: the same rows */
  CHECK_STORE(s, ar_store_trace_calls_put(s, "other", calls + 1, 2));
  CHECK(raw_int(db, "SELECT count(*) FROM trace_call") == 5);
  CHECK(raw_int(db, "SELECT count(DISTINCT shape_id) FROM trace_call WHERE trace = 'conv'") == 2);
  CHECK(strcmp(raw_text(db, "SELECT step FROM trace_call WHERE trace = 'conv' AND call_index = 0"),
               "prefill") == 0);

  /* The same name for another trace: refused, and nothing of the batch kept. */
  ar_store_trace_call clash[] = {{3, "decode", b}, {1, "prefill", b}};
  CHECK(ar_store_trace_calls_put(s, "conv", clash, 2) == -1);
  CHECK(contains(ar_store_error(s), "trace 'conv' call 1 is already in the db") &&
        contains(ar_store_error(s), "--trace-name"));
  CHECK(raw_int(db, "SELECT count(*) FROM trace_call") == 5);
  ar_store_trace_call bad_step[] = {{9, "chunk", a}};
  CHECK(ar_store_trace_calls_put(s, "conv", bad_step, 1) == -1 && contains(ar_store_error(s), "'chunk'"));
  ar_store_trace_call no_shape[] = {{9, "decode", 4242}};
  CHECK(ar_store_trace_calls_put(s, "conv", no_shape, 1) == -1 && contains(ar_store_error(s), "FOREIGN KEY"));
  CHECK(raw_int(db, "SELECT count(*) FROM trace_call") == 5);
  CHECK_STORE(s, ar_store_trace_calls_put(s, "empty", NULL, 0));
  ar_store_close(s);
}

/* "name|type|notnull|default|pk;..." of a table's columns, or of its index
** and foreign-key lists: what must match between a migrated and a fresh db. */
static char *describe(sqlite3 *db, const char *pragma_sql)
{
  sqlite3_stmt *st = NULL;
  size_t cap = 4096, len = 0;
  char *out = calloc(cap, 1);
  CHECK(out && sqlite3_prepare_v2(db, pragma_sql, -1, &st, NULL) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const unsigned char *t = sqlite3_column_text(st, c);
      const char *name = sqlite3_column_name(st, c);
      if (strcmp(name, "seq") == 0 || strcmp(name, "id") == 0) continue; /* ordinal numbers */
      int m = snprintf(out + len, cap - len, "%s|", t ? (const char *)t : "NULL");
      CHECK(m > 0 && (size_t)m < cap - len);
      len += (size_t)m;
    }
    out[len++] = ';';
  }
  sqlite3_finalize(st);
  return out;
}

static void same_structure(sqlite3 *migrated, sqlite3 *fresh)
{
  static const char *const pragmas[] = {
    "PRAGMA table_info(shape)", "PRAGMA table_info(trace_call)", "PRAGMA table_info(measurement)",
    "PRAGMA table_info(device)", "PRAGMA table_info(run)", "PRAGMA index_xinfo(sqlite_autoindex_device_1)",
    "PRAGMA index_xinfo(sqlite_autoindex_shape_1)", "PRAGMA index_xinfo(sqlite_autoindex_trace_call_1)",
    "PRAGMA foreign_key_list(measurement)", "PRAGMA foreign_key_list(trace_call)",
    "SELECT type, name, tbl_name FROM sqlite_master ORDER BY type, name",
    "PRAGMA user_version", "PRAGMA application_id",
  };
  for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
    char *a = describe(migrated, pragmas[i]), *b = describe(fresh, pragmas[i]);
    if (strcmp(a, b) != 0) test_fail(__FILE__, __LINE__, "%s differs:\n  migrated %s\n  fresh    %s", pragmas[i], a, b);
    free(a);
    free(b);
  }
}

void test_migrate_v1(void)
{
  const char *v1 = scratch_path("v1.db");
  copy_file(shipped_db("h100/gpt-oss.db"), v1);
  sqlite3 *raw = raw_open(v1);
  CHECK(raw_int(raw, "PRAGMA user_version") == 1);
  int64_t shapes = raw_int(raw, "SELECT count(*) FROM shape");
  int64_t meas = raw_int(raw, "SELECT count(*) FROM measurement");
  int64_t best = raw_int(raw, "SELECT count(*) FROM best_ok");
  char sum[128];
  snprintf(sum, sizeof sum, "%s",
           raw_text(raw, "SELECT total(m.shape_id * s.seqlen_k + s.num_seqs * 7 + m.median_us) FROM measurement m"
                         " JOIN shape s ON s.id = m.shape_id"));
  raw_close(raw);
  CHECK(shapes > 100 && meas > shapes);

  /* Read-only (--dry-run) on a v1 db: no upgrade; a ragged shape is never
  ** there, trace calls cannot be written. */
  char err[1024];
  ar_store *ro = NULL;
  if (ar_store_open_readonly(v1, &ro, err, sizeof err) != 0) test_fail(__FILE__, __LINE__, "%s", err);
  ar_store_shape rs;
  int64_t rid = 5;
  ragged(&rs, "1:27000,1:5120,1:80000", 3, 1, 80000);
  CHECK_STORE(ro, ar_store_shape_id(ro, &rs, &rid));
  CHECK(rid == 0);
  ar_store_trace_call tc = {0, "decode", 1};
  CHECK(ar_store_trace_calls_put(ro, "t", &tc, 1) == -1 && contains(ar_store_error(ro), "read-only"));
  ar_store_close(ro);
  raw = raw_open(v1);
  CHECK(raw_int(raw, "PRAGMA user_version") == 1);
  raw_close(raw);

  ar_store *s = open_path(v1);
  sqlite3 *db = ar_store_sqlite(s);
  CHECK(raw_int(db, "PRAGMA user_version") == AR_STORE_SCHEMA_VERSION);
  CHECK(raw_int(db, "SELECT count(*) FROM shape") == shapes);
  CHECK(raw_int(db, "SELECT count(*) FROM shape WHERE seqs = ''") == shapes);
  CHECK(raw_int(db, "SELECT count(*) FROM measurement") == meas);
  CHECK(raw_int(db, "SELECT count(*) FROM best_ok") == best);
  CHECK(raw_int(db, "SELECT count(*) FROM trace_call") == 0);
  CHECK(strcmp(raw_text(db, "SELECT total(m.shape_id * s.seqlen_k + s.num_seqs * 7 + m.median_us) FROM measurement m"
                            " JOIN shape s ON s.id = m.shape_id"),
               sum) == 0);
  CHECK(strcmp(raw_text(db, "PRAGMA foreign_key_check"), "(no row)") == 0);
  CHECK(strcmp(raw_text(db, "PRAGMA integrity_check"), "ok") == 0);

  /* An existing uniform shape is found under its old id; a ragged one is new. */
  int64_t id_old = raw_int(db, "SELECT min(id) FROM shape"), id = 0;
  ar_store_shape sh;
  memset(&sh, 0, sizeof sh);
  sqlite3_stmt *st = NULL;
  CHECK(sqlite3_prepare_v2(db,
                           "SELECT head_dim, has_sinks, sliding_window, kv_block_size, causal, num_seqs,"
                           " seqlen_q, seqlen_k, num_q_heads, num_kv_heads FROM shape ORDER BY id LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW);
  sh.p.head_dim = sqlite3_column_int(st, 0);
  sh.p.q_dtype = sh.p.kv_dtype = ATTNROUTE_DTYPE_BF16;
  sh.p.has_sinks = sqlite3_column_int(st, 1);
  sh.p.sliding_window = sqlite3_column_int(st, 2);
  sh.p.kv_block_size = sqlite3_column_int(st, 3);
  sh.p.causal = sqlite3_column_int(st, 4);
  sh.p.num_seqs = sqlite3_column_int(st, 5);
  sh.seqlen_q = sqlite3_column_int(st, 6);
  sh.seqlen_k = sqlite3_column_int(st, 7);
  sh.p.num_q_heads = sqlite3_column_int(st, 8);
  sh.p.num_kv_heads = sqlite3_column_int(st, 9);
  sqlite3_finalize(st);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &id));
  CHECK(id == id_old);
  ar_store_close(s);
  if (ar_store_open_readonly(v1, &ro, err, sizeof err) != 0) test_fail(__FILE__, __LINE__, "%s", err);
  CHECK_STORE(ro, ar_store_shape_id(ro, &sh, &id));
  CHECK(id == id_old); /* read-only v2 finds it too */
  ar_store_close(ro);

  /* Opening again changes nothing more; the structure is a fresh db's. */
  s = open_path(v1);
  CHECK(raw_int(ar_store_sqlite(s), "SELECT count(*) FROM shape") == shapes);
  ar_store *fresh = open_path(scratch_path("fresh.db"));
  same_structure(ar_store_sqlite(s), ar_store_sqlite(fresh));
  ar_store_close(fresh);
  ar_store_close(s);
}

void test_migrate_refused(void)
{
  /* A v1 db with a measurement of a shape that is gone (possible only with
  ** foreign keys off): refused (the open's check or the upgrade's own
  ** foreign_key_check), and the db stays version 1. */
  const char *v1 = scratch_path("dangling.db");
  copy_file(shipped_db("h100/gpt-oss.db"), v1);
  sqlite3 *raw = raw_open(v1);
  raw_exec(raw, "PRAGMA foreign_keys=OFF");
  raw_exec(raw, "DELETE FROM shape WHERE id = (SELECT min(shape_id) FROM measurement)");
  int64_t shapes = raw_int(raw, "SELECT count(*) FROM shape");
  raw_close(raw);
  char err[1024] = "";
  ar_store *s = NULL;
  CHECK(ar_store_open(v1, &s, err, sizeof err) == -1 && s == NULL);
  if (!contains(err, "missing shape") && !contains(err, "dangling reference"))
    test_fail(__FILE__, __LINE__, "error: %s", err);
  CHECK(contains(err, v1));
  raw = raw_open(v1);
  CHECK(raw_int(raw, "PRAGMA user_version") == 1);
  CHECK(raw_int(raw, "SELECT count(*) FROM shape") == shapes);
  CHECK(raw_int(raw, "SELECT count(*) FROM pragma_table_info('shape') WHERE name = 'seqs'") == 0);
  raw_close(raw);

  /* An upgrade that fails half-way (a table named trace_call is already
  ** there, so creating it fails after shape was rebuilt) is rolled back
  ** whole: shape as it was, no shape_v2, still version 1. */
  const char *v1b = scratch_path("clash.db");
  copy_file(shipped_db("h100/gpt-oss.db"), v1b);
  raw = raw_open(v1b);
  raw_exec(raw, "CREATE TABLE trace_call (x)");
  shapes = raw_int(raw, "SELECT count(*) FROM shape");
  raw_close(raw);
  err[0] = '\0';
  CHECK(ar_store_open(v1b, &s, err, sizeof err) == -1 && s == NULL);
  if (!contains(err, "upgrading to schema 2") || !contains(err, "nothing changed") ||
      !contains(err, "trace_call already exists") || !contains(err, v1b))
    test_fail(__FILE__, __LINE__, "error: %s", err);
  raw = raw_open(v1b);
  CHECK(raw_int(raw, "PRAGMA user_version") == 1);
  CHECK(raw_int(raw, "SELECT count(*) FROM shape") == shapes);
  CHECK(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'shape_v2'") == 0);
  CHECK(raw_int(raw, "SELECT count(*) FROM pragma_table_info('shape') WHERE name = 'seqs'") == 0);
  CHECK(raw_int(raw, "SELECT count(*) FROM pragma_table_info('trace_call')") == 1);
  CHECK(strcmp(raw_text(raw, "PRAGMA integrity_check"), "ok") == 0);
  raw_close(raw);
}
