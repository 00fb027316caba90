/*
** test_write.c -- db tests of the write functions: insert-or-find
** idempotence, a changed candidate refused, what a measurement row holds,
** runs, and the text forms (caps, dtypes, statuses).
*/
#include "test_cases.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static ar_store *open_new(const char *name)
{
  char err[1024];
  ar_store *s = NULL;
  if (ar_store_open(scratch_path(name), &s, err, sizeof err) != 0)
    test_fail(__FILE__, __LINE__, "open: %s", err);
  return s;
}

void test_insert_find(void)
{
  ar_store *s = open_new("if.db");
  sqlite3 *db = ar_store_sqlite(s);
  ar_store_device d;
  attnroute_caps caps;
  ar_store_candidate c;
  ar_store_shape sh;
  int64_t a, b, x;

  fixture_device(&d);
  CHECK_STORE(s, ar_store_device_id(s, &d, &a));
  CHECK_STORE(s, ar_store_device_id(s, &d, &b));
  CHECK(a > 0 && a == b);
  d.cu_count = 114; /* another SKU: another row */
  CHECK_STORE(s, ar_store_device_id(s, &d, &x));
  CHECK(x != a);
  d.cu_count = 132;
  d.memory_bytes = (uint64_t)INT64_MAX; /* round-trips exactly */
  CHECK_STORE(s, ar_store_device_id(s, &d, &x));
  CHECK_STORE(s, ar_store_device_id(s, &d, &b));
  CHECK(x == b && x != a);
  CHECK(raw_int(db, "SELECT count(*) FROM device") == 3);
  d.vendor = NULL;
  CHECK(ar_store_device_id(s, &d, &x) == -1 && x == 0);
  CHECK(contains(ar_store_error(s), ar_store_path(s)) && contains(ar_store_error(s), "vendor"));

  fixture_caps(&caps);
  fixture_candidate(&c, &caps, "dense_sink.gather.bm128");
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &a));
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &b));
  CHECK(a > 0 && a == b);
  c.code_hash = "ffff0000"; /* a new code object: a new row */
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &x));
  CHECK(x != a);
  CHECK(raw_int(db, "SELECT count(*) FROM candidate") == 2);
  CHECK(strcmp(raw_text(db, "SELECT caps FROM candidate WHERE code_hash = '0123abcd'"),
               "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
               "sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0") == 0);
  CHECK(raw_int(db, "SELECT legacy_route FROM candidate WHERE code_hash = '0123abcd'") ==
        ATTNROUTE_ROUTE_DENSE_SINK_ASM);
  c.caps = NULL;
  CHECK(ar_store_candidate_id(s, &c, &x) == -1);
  CHECK(ar_store_candidate_id(s, NULL, &x) == -1 && contains(ar_store_error(s), "NULL argument"));
  CHECK(ar_store_device_id(NULL, &d, &x) == -1);

  fixture_shape(&sh, 5);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &a));
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &b));
  CHECK(a > 0 && a == b);
  sh.p.has_sinks = 7;          /* flags are stored as 0/1 */
  sh.p.causal = 3;
  sh.p.max_seqlen_q = 999;     /* not part of a shape: seqlen_q is */
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &b));
  CHECK(a == b);
  sh.p.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3;
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &x));
  CHECK(x != a);
  CHECK(strcmp(raw_text(db, "SELECT q_dtype || '/' || kv_dtype FROM shape ORDER BY id DESC"),
               "bf16/fp8_e4m3") == 0);
  sh.p.sliding_window = -5;    /* any negative window means none */
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &b));
  CHECK(b == x);
  CHECK(raw_int(db, "SELECT min(sliding_window) FROM shape") == -1);
  sh.p.q_dtype = 17;
  CHECK(ar_store_shape_id(s, &sh, &x) == -1 && x == 0);
  CHECK(contains(ar_store_error(s), "dtype"));
  CHECK(raw_int(db, "SELECT count(*) FROM shape") == 2);
  ar_store_close(s);
}

/* Same name and code hash, other caps: refused, not filed under the old row. */
void test_candidate_changed(void)
{
  ar_store *s = open_new("cc.db");
  attnroute_caps caps;
  ar_store_candidate c;
  int64_t a, x = -1;
  fixture_caps(&caps);
  fixture_candidate(&c, &caps, "paged.bm64");
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &a));
  caps.max_seqlen_q = 1;
  CHECK(ar_store_candidate_id(s, &c, &x) == -1 && x == 0);
  CHECK(contains(ar_store_error(s), ar_store_path(s)));
  CHECK(contains(ar_store_error(s), "paged.bm64"));
  CHECK(contains(ar_store_error(s), "another description"));
  caps.max_seqlen_q = 0;
  c.params = "bm=32";
  CHECK(ar_store_candidate_id(s, &c, &x) == -1);
  c.params = "bm=128,bn=64";
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &x));
  CHECK(x == a);
  ar_store_close(s);
}

void test_measurement(void)
{
  ar_store *s = open_new("m.db");
  sqlite3 *db = ar_store_sqlite(s);
  fixture f;
  ar_store_shape sh;
  ar_store_measurement m;
  int64_t shape_id;
  char sql[256];

  fixture_fill(s, &f);
  fixture_shape(&sh, 0);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &shape_id));
  memset(&m, 0, sizeof m);
  m.run_id = f.run;
  m.device_id = f.device;
  m.candidate_id = f.candidate;
  m.shape_id = shape_id;
  m.status = AR_STATUS_OK;
  m.median_us = 12.5; m.p10_us = 12.0; m.p90_us = 13.25;
  m.reps = 7;
  m.rel_err = 2.5e-3;
  m.message = NULL;
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  CHECK(strcmp(raw_text(db, "SELECT status || '|' || median_us || '|' || p10_us || '|' || p90_us"
                            " || '|' || reps || '|' || rel_err || '|' || message FROM measurement"),
               "ok|12.5|12.0|13.25|7|0.0025|") == 0);
  CHECK(raw_int(db, "SELECT measured_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T"
                    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]Z' FROM measurement") == 1);

  /* A failed status keeps no times; a negative rel_err is "not checked". */
  m.status = AR_STATUS_WRONG;
  m.rel_err = -1.0;
  m.message = "max abs err 0.5 at q 3 head 1";
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  CHECK(raw_int(db, "SELECT count(*) FROM measurement") == 1); /* replaced */
  CHECK(raw_int(db, "SELECT count(*) FROM measurement WHERE status = 'wrong' AND median_us IS NULL"
                    " AND p10_us IS NULL AND p90_us IS NULL AND rel_err IS NULL"
                    " AND message = 'max abs err 0.5 at q 3 head 1'") == 1);
  m.rel_err = NAN;
  m.status = AR_STATUS_FAULT;
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  CHECK(raw_int(db, "SELECT count(*) FROM measurement WHERE status = 'fault' AND rel_err IS NULL") == 1);

  /* Refused without touching the db: bad status, OK without times, unknown ids. */
  m.status = AR_NUM_STATUS;
  CHECK(ar_store_measurement_put(s, &m) == -1 && contains(ar_store_error(s), "status"));
  m.status = AR_STATUS_OK;
  m.median_us = NAN;
  CHECK(ar_store_measurement_put(s, &m) == -1 && contains(ar_store_error(s), "time"));
  m.median_us = 12.5;
  m.run_id = f.run + 100;
  CHECK(ar_store_measurement_put(s, &m) == -1);
  CHECK(contains(ar_store_error(s), ar_store_path(s)) &&
        contains(ar_store_error(s), "FOREIGN KEY"));
  m.run_id = f.run;
  m.shape_id = shape_id + 100;
  CHECK(ar_store_measurement_put(s, &m) == -1);
  CHECK(raw_int(db, "SELECT count(*) FROM measurement WHERE status = 'fault'") == 1);

  /* best_ok: the faster ok candidate of a shape. */
  m.shape_id = shape_id;
  m.median_us = 20.0;
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  m.candidate_id = f.candidate2;
  m.median_us = 15.0;
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
  snprintf(sql, sizeof sql, "SELECT candidate_id FROM best_ok WHERE shape_id = %lld",
           (long long)shape_id);
  CHECK(raw_int(db, sql) == f.candidate2);
  ar_store_close(s);
}

void test_run(void)
{
  ar_store *s = open_new("run.db");
  sqlite3 *db = ar_store_sqlite(s);
  fixture f;
  ar_store_run r;
  int64_t id = -1;
  char sql[256];
  fixture_fill(s, &f);
  snprintf(sql, sizeof sql, "SELECT started_at IS NOT NULL AND ended_at IS NULL"
                            " AND git_revision IS NULL FROM run WHERE id = %lld", (long long)f.run);
  CHECK(raw_int(db, sql) == 1);
  CHECK_STORE(s, ar_store_run_end(s, f.run));
  snprintf(sql, sizeof sql, "SELECT ended_at >= started_at FROM run WHERE id = %lld",
           (long long)f.run);
  CHECK(raw_int(db, sql) == 1);
  CHECK(ar_store_run_end(s, f.run + 50) == -1);
  CHECK(contains(ar_store_error(s), "no run"));
  memset(&r, 0, sizeof r);
  r.device_id = f.device + 9; /* no such device */
  r.backend = "host"; r.tuner_version = "0.1.0"; r.command_line = "x"; r.timing_policy = "y";
  CHECK(ar_store_run_begin(s, &r, &id) == -1 && id == 0);
  r.device_id = f.device;
  r.git_revision = "abc123";
  CHECK_STORE(s, ar_store_run_begin(s, &r, &id));
  CHECK(id > f.run);
  CHECK(raw_int(db, "SELECT count(*) FROM run WHERE git_revision = 'abc123'") == 1);
  r.command_line = NULL;
  CHECK(ar_store_run_begin(s, &r, &id) == -1);
  ar_store_close(s);
}

void test_text_forms(void)
{
  attnroute_caps c, back;
  char buf[AR_STORE_CAPS_TEXT_MAX];
  static const char *const bad[] = {
    "",
    "head_dim_mask=0x88",                                      /* fields missing */
    "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0,",  /* trailing comma */
    "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0,sinks=1", /* twice */
    "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=3,window=0,causal=1,max_seqlen_q=0,gqa_exact=0",  /* cap out of range */
    "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=-1,gqa_exact=0", /* negative */
    "head_dim_mask=0x1ffffffff,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0",  /* > 32 bits */
    "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=0,gqa=0",        /* unknown key */
    "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=12x,gqa_exact=0", /* junk */
    "head_dim_mask=0x,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0",  /* no digits */
    "head_dim_mask=0x88, q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
      "sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0",  /* space */
  };

  fixture_caps(&c);
  CHECK(ar_store_caps_format(&c, buf, sizeof buf) == 0);
  CHECK(strcmp(buf, "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,"
                    "block_size_mask=0x0,sinks=2,window=0,causal=1,max_seqlen_q=0,"
                    "gqa_exact=0") == 0);
  memset(&back, 0xab, sizeof back);
  CHECK(ar_store_caps_parse(buf, &back) == 0 && memcmp(&c, &back, sizeof c) == 0);
  /* Extremes round-trip; order and decimal masks are accepted on input. */
  c.head_dim_mask = c.q_dtype_mask = c.kv_dtype_mask = c.block_size_mask = UINT32_MAX;
  c.max_seqlen_q = INT32_MAX;
  c.gqa_exact = 8;
  CHECK(ar_store_caps_format(&c, buf, sizeof buf) == 0);
  CHECK(ar_store_caps_parse(buf, &back) == 0 && memcmp(&c, &back, sizeof c) == 0);
  CHECK(ar_store_caps_parse("gqa_exact=8,causal=1,window=0,sinks=2,block_size_mask=256,"
                            "kv_dtype_mask=4,q_dtype_mask=0X1,head_dim_mask=8,max_seqlen_q=1",
                            &back) == 0);
  CHECK(back.block_size_mask == 256 && back.kv_dtype_mask == 4 && back.q_dtype_mask == 1 &&
        back.head_dim_mask == 8 && back.max_seqlen_q == 1 && back.gqa_exact == 8);
  CHECK(ar_store_caps_format(&c, buf, 20) == -1 && buf[0] == '\0');
  CHECK(ar_store_caps_format(NULL, buf, sizeof buf) == -1);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&back, 0x5a, sizeof back);
    memcpy(&c, &back, sizeof c);
    if (ar_store_caps_parse(bad[i], &back) != -1)
      test_fail(__FILE__, __LINE__, "caps parse accepted \"%s\"", bad[i]);
    CHECK(memcmp(&c, &back, sizeof c) == 0); /* untouched */
  }
  CHECK(ar_store_caps_parse(NULL, &back) == -1);

  for (int d = 0; d < ATTNROUTE_NUM_DTYPES; d++)
    CHECK(ar_store_dtype_parse(ar_store_dtype_name(d)) == d);
  CHECK(strcmp(ar_store_dtype_name(ATTNROUTE_DTYPE_FP8_E4M3), "fp8_e4m3") == 0);
  CHECK(ar_store_dtype_name(-1) == NULL && ar_store_dtype_name(ATTNROUTE_NUM_DTYPES) == NULL);
  CHECK(ar_store_dtype_parse("BF16") == -1 && ar_store_dtype_parse(NULL) == -1);
  for (int st = 0; st < AR_NUM_STATUS; st++)
    CHECK(ar_status_parse(ar_status_name((ar_status)st)) == st);
  CHECK(strcmp(ar_status_name(AR_STATUS_UNSUPPORTED), "unsupported") == 0);
  CHECK(strcmp(ar_status_name(AR_NUM_STATUS), "unknown") == 0 && ar_status_parse("unknown") == -1);
}
