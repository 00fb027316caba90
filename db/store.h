/*
** store.h -- the tuner's write path into the attnroute SQLite db.
**
** ar_store_open creates the schema (db/schema.sql, embedded at build time) in
** a new or empty file, or opens an existing attnroute db, upgrading an older
** schema version in one transaction (store_upgrade.c); it refuses a file
** that is not an attnroute db or has a newer schema, with a clear message
** and without writing to it, or one that fails PRAGMA integrity_check.  The
** db runs in WAL mode with a busy timeout.
** Every measurement is committed as it is stored, so a killed tuner loses at
** most the one in flight.  All functions return 0 on success, -1 on error
** with the message in ar_store_error().
*/
#ifndef AR_STORE_H
#define AR_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "attnroute.h"

typedef struct ar_store ar_store;

/* Schema version this build writes (PRAGMA user_version). */
#define AR_STORE_SCHEMA_VERSION 3

typedef struct ar_store_device {
  const char *vendor, *arch, *name, *driver_version, *runtime_version;
  int32_t cu_count;
  uint64_t memory_bytes;
  /* Which device of its class (schema v2); NULL strings are stored as ''. */
  const char *host;      /* node's host name */
  int32_t device_index;  /* ordinal on the host */
  const char *uuid;      /* GPU uuid or PCI bus id; '' for the CPU */
  /* How cu_count was counted (schema v3; not part of the identity): HIP's
  ** multiProcessorCount when it counts WGPs (else 0) and where cu_count came
  ** from ("CU_NUM", "rocminfo", ...; NULL = '').  Stored when the row is
  ** new, or filled into a row that has neither (recorded before v3). */
  int32_t wgp_count;
  const char *cu_source;
} ar_store_device;

typedef struct ar_store_candidate {
  const char *name, *family, *params, *code_hash;
  int32_t legacy_route;
  const attnroute_caps *caps;
} ar_store_candidate;

typedef struct ar_store_run {
  int64_t device_id;
  const char *backend, *tuner_version, *git_revision /* may be NULL */;
  const char *command_line, *timing_policy;
  /* The plan's identity (schema v2): sha256 of the whole plan's shapes, their
  ** count, and --shard K/N (0/0 = not sharded).  NULL plan_hash = ''. */
  const char *plan_hash;
  int32_t plan_shapes, shard_index, shard_count;
} ar_store_run;

/* A shape: the static class of p plus its batch.  Uniform: num_seqs x
** (seqlen_q, seqlen_k = cached + seqlen_q), seqs NULL or "".  Ragged: seqs
** "sq:ctx,sq:ctx,..." in batch order, with p.num_seqs the count, seqlen_q the
** largest sq and seqlen_k the largest ctx (checked; a list of equal
** sequences is stored as the uniform batch it is). */
typedef struct ar_store_shape {
  attnroute_problem p; /* head_dim, dtypes, sinks, window, block size, causal, heads, num_seqs */
  int32_t seqlen_q, seqlen_k;
  const char *seqs;    /* NULL or "" = uniform */
} ar_store_shape;

/* One call of a trace: its 0-based index in the trace file, its step
** ("prefill" or "decode") and the shape it runs (ar_store_shape_id). */
typedef struct ar_store_trace_call {
  int64_t call_index;
  const char *step;
  int64_t shape_id;
} ar_store_trace_call;

/* ar_status, AR_STATUS_OK.. and AR_NUM_STATUS: the list of outcomes. */
#include "outcome.h"

typedef struct ar_store_measurement {
  int64_t run_id, device_id, candidate_id, shape_id;
  ar_status status;
  double median_us, p10_us, p90_us; /* stored only when status is OK */
  int32_t reps;
  double rel_err;                   /* stored unless negative (not checked) */
  const char *message;              /* may be NULL */
} ar_store_measurement;

/* The text of AR_STATUS_LIST ("ok", "unsupported", ...); "unknown" out of range. */
const char *ar_status_name(ar_status s);

/* Open or create.  On failure *out is NULL and err holds the reason, naming the file. */
int ar_store_open(const char *path, ar_store **out, char *err, size_t errlen);
void ar_store_close(ar_store *s);
const char *ar_store_error(const ar_store *s);

/* Insert-or-find; return the row id in *id. */
int ar_store_device_id(ar_store *s, const ar_store_device *d, int64_t *id);
int ar_store_candidate_id(ar_store *s, const ar_store_candidate *c, int64_t *id);
int ar_store_shape_id(ar_store *s, const ar_store_shape *sh, int64_t *id);

/* Record n calls of trace `trace` (trace_call rows) in one transaction.  A
** call already recorded with the same step and shape is kept; one recorded
** with another step or shape (the name was used for another trace) is an
** error and nothing is written. */
int ar_store_trace_calls_put(ar_store *s, const char *trace, const ar_store_trace_call *calls, size_t n);

int ar_store_run_begin(ar_store *s, const ar_store_run *r, int64_t *run_id);
int ar_store_run_end(ar_store *s, int64_t run_id);

/* Store and commit one measurement (replaces an earlier one for the same
** device, candidate and shape). */
int ar_store_measurement_put(ar_store *s, const ar_store_measurement *m);

/* *measured = 1 when (device, candidate, shape) already has a measurement
** whose status is in status_mask (bit per ar_status). */
int ar_store_is_measured(ar_store *s, int64_t device_id, int64_t candidate_id,
                         int64_t shape_id, unsigned status_mask, int *measured);

/* Like ar_store_is_measured, but over every device of device_id's class
** (vendor, arch, cu_count): a measurement taken on another GPU of the same
** class counts.  *on_device (may be NULL) receives the device that holds it
** (device_id itself when it has one), 0 when none. */
int ar_store_is_measured_class(ar_store *s, int64_t device_id, int64_t candidate_id,
                               int64_t shape_id, unsigned status_mask, int *measured,
                               int64_t *on_device);

/* ------------------------------------------------------------------------
** Appended by the db area: options, text forms, access for tests and tools.
*/

/* Busy timeout of ar_store_open, in milliseconds: how long a write waits
** for another process's write transaction before failing with
** "PATH: database is locked by another process". */
#define AR_STORE_BUSY_TIMEOUT_MS 10000

/* ar_store_open with another busy timeout (ms; <= 0 means the default). */
int ar_store_open_ex(const char *path, int busy_timeout_ms, ar_store **out,
                     char *err, size_t errlen);

/* Open an existing db only to read it (the tuner's --dry-run): the same
** checks as ar_store_open, nothing written -- no schema, no WAL switch, no
** hot-journal rollback (such a db is refused), no -wal/-shm files created
** beside a WAL-mode db that has none.  The insert-or-find functions only
** find: *id is 0 for a row not in the db (ar_store_is_measured then says
** not measured); run and measurement writes fail.  A zero-byte or empty
** SQLite file opens as a db that holds nothing (ar_store_sqlite is then
** NULL); a missing file is refused ("PATH: no such file"). */
int ar_store_open_readonly(const char *path, ar_store **out, char *err, size_t errlen);

/* Change the busy timeout of an open store (ms; <= 0 means the default). */
int ar_store_set_busy_timeout(ar_store *s, int busy_timeout_ms);

/* The path the store was opened with. */
const char *ar_store_path(const ar_store *s);

/* The store's SQLite connection, for read-only queries (tests, reports).
** Owned by the store: do not close it, do not leave a transaction open. */
struct sqlite3;
struct sqlite3 *ar_store_sqlite(ar_store *s);

/* The text of db/schema.sql this build creates (embedded at build time). */
extern const char ar_store_schema_sql[];

/* Inverse of ar_status_name; -1 for an unknown name. */
int ar_status_parse(const char *name);

/* "bf16", "fp16", "fp8_e4m3", "fp32" (the shape table's q_dtype / kv_dtype
** text); NULL for an unknown dtype.  ar_store_dtype_parse returns the
** attnroute_dtype for such a name, or -1. */
const char *ar_store_dtype_name(int dtype);
int ar_store_dtype_parse(const char *name);

/* attnroute_caps as the candidate table's caps text, every field in struct
** order, masks in hex, the others in decimal:
**   head_dim_mask=0x30,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,
**   sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0     (one line)
** Format returns 0, or -1 when buf (len bytes) is too small; a buffer of
** AR_STORE_CAPS_TEXT_MAX bytes always suffices.  Parse accepts each field
** exactly once in any order, numbers in decimal or 0x-hex, cap fields 0..2,
** max_seqlen_q and gqa_exact >= 0; it returns 0, or -1 (*caps untouched). */
#define AR_STORE_CAPS_TEXT_MAX 256
int ar_store_caps_format(const attnroute_caps *caps, char *buf, size_t len);
int ar_store_caps_parse(const char *text, attnroute_caps *caps);

#endif /* AR_STORE_H */
