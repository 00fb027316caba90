/*
** test_util.c -- implementation of the db tests' shared helpers (see
** test_util.h).
*/
#define _XOPEN_SOURCE 700
#include "test_util.h"
#include "test_cases.h" /* test_schema_path */

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void test_fail(const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "%s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static char scratch_dir[4096];

const char *scratch_make(const char *base, const char *name)
{
  int n = snprintf(scratch_dir, sizeof scratch_dir, "%s/%s.XXXXXX", base, name);
  CHECK(n > 0 && (size_t)n < sizeof scratch_dir);
  if (mkdir(base, 0777) != 0 && errno != EEXIST)
    test_fail(__FILE__, __LINE__, "mkdir %s: %s", base, strerror(errno));
  if (!mkdtemp(scratch_dir))
    test_fail(__FILE__, __LINE__, "mkdtemp %s: %s", scratch_dir, strerror(errno));
  return scratch_dir;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb; (void)flag; (void)ftw;
  return remove(path);
}

void scratch_remove(void)
{
  if (scratch_dir[0]) nftw(scratch_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *scratch_path(const char *file)
{
  static char buf[4][sizeof scratch_dir + 256];
  static int next;
  char *p = buf[next++ % 4];
  CHECK(strlen(file) < 256);
  snprintf(p, sizeof buf[0], "%s/%s", scratch_dir, file);
  return p;
}

file_print file_fingerprint(const char *path)
{
  file_print fp = { 0, 0, 0, 1469598103934665603ull };
  struct stat sb;
  FILE *f;
  int c;
  if (stat(path, &sb) != 0) return fp;
  fp.exists = 1;
  fp.size = (long long)sb.st_size;
  fp.mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000ll + sb.st_mtim.tv_nsec;
  if (!S_ISREG(sb.st_mode)) return fp;
  f = fopen(path, "rb");
  CHECK(f != NULL);
  while ((c = getc(f)) != EOF) fp.hash = (fp.hash ^ (unsigned char)c) * 1099511628211ull;
  fclose(f);
  return fp;
}

int file_print_equal(const file_print *a, const file_print *b)
{
  return a->exists == b->exists && a->size == b->size && a->mtime_ns == b->mtime_ns &&
         a->hash == b->hash;
}

int file_exists(const char *path)
{
  struct stat sb;
  return stat(path, &sb) == 0;
}

void write_file(const char *path, const void *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(data, 1, n, f) == n);
  CHECK(fclose(f) == 0);
}

void copy_file(const char *from, const char *to)
{
  FILE *f = fopen(from, "rb");
  if (!f) test_fail(__FILE__, __LINE__, "cannot open %s", from);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t)n);
  CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
  fclose(f);
  write_file(to, buf, (size_t)n);
  free(buf);
}

const char *shipped_db(const char *rel)
{
  static char path[4096];
  const char *slash = strrchr(test_schema_path, '/');
  int n = slash ? (int)(slash - test_schema_path) : 1;
  snprintf(path, sizeof path, "%.*s/../shipped/%s", n, slash ? test_schema_path : ".", rel);
  return path;
}

void fill_random(unsigned char *buf, size_t n, uint32_t seed)
{
  uint32_t x = seed ? seed : 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    buf[i] = (unsigned char)(x >> 24);
  }
}

sqlite3 *raw_open(const char *path)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) test_fail(__FILE__, __LINE__, "open %s: %s", path, sqlite3_errstr(rc));
  CHECK(sqlite3_busy_timeout(db, 5000) == SQLITE_OK);
  return db;
}

void raw_exec(sqlite3 *db, const char *sql)
{
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    test_fail(__FILE__, __LINE__, "%s: %s", sql, msg ? msg : "?");
}

static sqlite3_stmt *raw_row(sqlite3 *db, const char *sql, int *has_row)
{
  sqlite3_stmt *st = NULL;
  int rc;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    test_fail(__FILE__, __LINE__, "%s: %s", sql, sqlite3_errmsg(db));
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    test_fail(__FILE__, __LINE__, "%s: %s", sql, sqlite3_errmsg(db));
  *has_row = rc == SQLITE_ROW;
  return st;
}

int64_t raw_int(sqlite3 *db, const char *sql)
{
  int has;
  sqlite3_stmt *st = raw_row(db, sql, &has);
  int64_t v;
  if (!has) test_fail(__FILE__, __LINE__, "%s: no row", sql);
  v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

const char *raw_text(sqlite3 *db, const char *sql)
{
  static char buf[4][1024];
  static int next;
  char *out = buf[next++ % 4];
  int has;
  sqlite3_stmt *st = raw_row(db, sql, &has);
  const unsigned char *t = has ? sqlite3_column_text(st, 0) : NULL;
  snprintf(out, sizeof buf[0], "%s", has ? (t ? (const char *)t : "") : "(no row)");
  sqlite3_finalize(st);
  return out;
}

void raw_close(sqlite3 *db)
{
  CHECK(sqlite3_close(db) == SQLITE_OK);
}

int contains(const char *haystack, const char *needle)
{
  return haystack && needle && strstr(haystack, needle) != NULL;
}

void fixture_device(ar_store_device *d)
{
  memset(d, 0, sizeof *d);
  d->vendor = "nvidia";
  d->arch = "sm_90";
  d->name = "NVIDIA H100 80GB HBM3";
  d->driver_version = "550.54";
  d->runtime_version = "12.4";
  d->cu_count = 132;
  d->memory_bytes = 85520809984ull;
}

void fixture_caps(attnroute_caps *c)
{
  memset(c, 0, sizeof *c);
  c->head_dim_mask = (1u << 3) | (1u << 7); /* D = 64, 128 */
  c->q_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16;
  c->kv_dtype_mask = 1u << ATTNROUTE_DTYPE_BF16;
  c->block_size_mask = 0;
  c->sinks = ATTNROUTE_CAP_OPTIONAL;
  c->window = ATTNROUTE_CAP_FORBIDDEN;
  c->causal = ATTNROUTE_CAP_REQUIRED;
}

void fixture_candidate(ar_store_candidate *c, const attnroute_caps *caps, const char *name)
{
  memset(c, 0, sizeof *c);
  c->name = name;
  c->family = "dense_sink";
  c->params = "bm=128,bn=64";
  c->code_hash = "0123abcd";
  c->legacy_route = ATTNROUTE_ROUTE_DENSE_SINK_ASM;
  c->caps = caps;
}

void fixture_shape(ar_store_shape *sh, int i)
{
  memset(sh, 0, sizeof *sh);
  sh->p.head_dim = 64;
  sh->p.q_dtype = ATTNROUTE_DTYPE_BF16;
  sh->p.kv_dtype = ATTNROUTE_DTYPE_BF16;
  sh->p.has_sinks = 1;
  sh->p.sliding_window = -1;
  sh->p.kv_block_size = 16;
  sh->p.causal = 1;
  sh->p.num_seqs = 1 + i % 4;
  sh->p.num_q_heads = 64;
  sh->p.num_kv_heads = 8;
  sh->seqlen_q = 1 + i / 4;
  sh->seqlen_k = sh->seqlen_q + 128;
}

void fixture_fill(ar_store *s, fixture *f)
{
  ar_store_device d;
  attnroute_caps caps;
  ar_store_candidate c;
  ar_store_run r;
  fixture_device(&d);
  CHECK_STORE(s, ar_store_device_id(s, &d, &f->device));
  fixture_caps(&caps);
  fixture_candidate(&c, &caps, "dense_sink.gather.bm128");
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &f->candidate));
  fixture_candidate(&c, &caps, "paged.bm64");
  c.family = "paged";
  c.legacy_route = ATTNROUTE_ROUTE_TRITON_PAGED;
  CHECK_STORE(s, ar_store_candidate_id(s, &c, &f->candidate2));
  memset(&r, 0, sizeof r);
  r.device_id = f->device;
  r.backend = "host";
  r.tuner_version = "0.1.0";
  r.git_revision = NULL;
  r.command_line = "attnroute-tune --grid test";
  r.timing_policy = "warmup=1,min_reps=3,min_ms=1,flush_l2=0";
  CHECK_STORE(s, ar_store_run_begin(s, &r, &f->run));
}

void fixture_put(ar_store *s, const fixture *f, int i, ar_status status)
{
  ar_store_shape sh;
  ar_store_measurement m;
  int64_t shape_id;
  fixture_shape(&sh, i);
  CHECK_STORE(s, ar_store_shape_id(s, &sh, &shape_id));
  memset(&m, 0, sizeof m);
  m.run_id = f->run;
  m.device_id = f->device;
  m.candidate_id = f->candidate;
  m.shape_id = shape_id;
  m.status = status;
  m.median_us = 10.0 + i;
  m.p10_us = 9.0 + i;
  m.p90_us = 11.0 + i;
  m.reps = 5;
  m.rel_err = 1e-3;
  CHECK_STORE(s, ar_store_measurement_put(s, &m));
}
