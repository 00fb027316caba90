/*
** evaldb.h -- reading an attnroute measurement db (db/schema.sql) as an
** evaluation set for one table: every shape of one device class with, for
** each of the table's candidates (matched by name), the measurement taken
** on it.  Read-only: opened and checked by the store's read-only open
** (db/store.h, ar_store_open_readonly), read through the SQLite C API.
*/
#ifndef AR_EVALDB_H
#define AR_EVALDB_H

#include <stddef.h>
#include <stdint.h>

#include "attnroute.h"
#include "outcome.h"

/* A measurement's status (db column measurement.status), or none taken:
** AR_MEAS_NONE, then db/outcome.h's list one up (AR_MEAS_OK ..). */
enum ar_meas_status {
  AR_MEAS_NONE = 0, /* no row for this candidate and shape */
#define AR__MEAS_ENUM(name, text) AR_MEAS_##name,
  AR_STATUS_LIST(AR__MEAS_ENUM)
#undef AR__MEAS_ENUM
  AR_NUM_MEAS
};

typedef struct ar_meas {
  int32_t status;   /* ar_meas_status */
  double median_us; /* NAN unless timed */
} ar_meas;

typedef struct ar_eval_shape {
  int64_t shape_id;    /* shape.id in the db */
  attnroute_problem p; /* the shape as the engine would describe it */
  int32_t cached;      /* seqlen_k - seqlen_q (of the longest) */
  int32_t ragged;      /* nonzero: a ragged batch (shape.seqs, schema v2); p has its totals */
} ar_eval_shape;

/* One row of trace_call (schema v2): an attention call of a trace. */
typedef struct ar_eval_call {
  int64_t call_index; /* 0-based index of the call in its trace file */
  int32_t trace;      /* index into ar_evaldb.traces */
  int32_t step;       /* ATTNROUTE_STEP_PREFILL or ATTNROUTE_STEP_DECODE */
  int64_t shape;      /* index into ar_evaldb.shapes; -1 when its shape is not
                         among them (invalid, or not measured on the device class) */
} ar_eval_call;

typedef struct ar_evaldb {
  ar_eval_shape *shapes; /* valid shapes with at least one row of the device class */
  size_t count;
  ar_meas *meas;         /* count x num_candidates: meas[i * num_candidates + k] */
  int32_t num_candidates;
  int32_t schema;        /* PRAGMA user_version of the db (1..AR_STORE_SCHEMA_VERSION) */
  char arch[128];        /* device class the measurements come from */
  int32_t cu_count;
  size_t invalid_shapes; /* shape rows that are no valid attention call */
  size_t foreign_candidates; /* candidate names measured that the table lacks */
  size_t stale;          /* table candidates measured only under another code hash */
  char stale_names[512]; /* their names, comma-separated (truncated) */
  ar_eval_call *calls;   /* trace_call rows, by trace name then call index */
  size_t ncalls;
  char **traces;         /* distinct trace names, sorted */
  size_t ntraces;
} ar_evaldb;

/* Name of a status ("ok", "wrong", ..., "none"). */
const char *ar_meas_status_name(int status);

/*
** Load path for table t.  device_arch NULL: the table's own device class
** (arch, CU count), which the db must hold; else that class.  Rows of a
** candidate under another code hash than the table's are used only with
** allow_stale (the newest such row), else the candidate counts as stale and
** the load is refused.  Returns 0, 2 for bad input (a file the store's
** read-only open refuses: missing, not an attnroute db, a newer schema,
** corrupt; an empty db; no such device class; stale candidates) or 1 for
** other failures, with a message in err; *out is then empty.
*/
int ar_evaldb_load(const char *path, const attnroute_table *t, const char *device_arch,
                   int32_t device_cu, int allow_stale, ar_evaldb *out, char *err, size_t errlen);

void ar_evaldb_free(ar_evaldb *db);

#endif /* AR_EVALDB_H */
