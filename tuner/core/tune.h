/*
** tune.h -- the tuning job: plan shapes x candidates, skip what the db
** already holds, measure the rest through the worker, store each result as
** it arrives.  The CLI (main.c) fills ar_tune_opts; everything else is here.
*/
#ifndef AR_TUNE_H
#define AR_TUNE_H

#include <stdint.h>

#include "measure.h"
#include "tune_share.h"

#define AR_MAX_LIST 16

/* Exit codes of attnroute-tune (documented in --help and README). */
enum {
  AR_EXIT_OK = 0,          /* every planned measurement is in the db */
  AR_EXIT_ERROR = 1,       /* the backend or the db failed */
  AR_EXIT_USAGE = 2,       /* bad flag, grid file or shape list; nothing written */
  AR_EXIT_INCOMPLETE = 3,  /* finished, but some shapes could not be set up (re-run to retry) */
  AR_EXIT_INTERRUPTED = 130
};

typedef struct ar_tune_opts {
  const char *grid_path;   /* --grid FILE or builtin:NAME; NULL = embedded default */
  const char *shapes_path; /* --shapes FILE */
  const char *trace_path;  /* --trace FILE: every (sampled) call of a trace */
  const char *trace_name;  /* --trace-name NAME; NULL = the trace file's base name */
  int sample;              /* --sample N: that many calls of the trace (0 = all) */
  const char *db_path;
  const char *backend;     /* host, cuda, hip, auto */
  const char *kernel_dirs[AR_MAX_LIST + 1];
  const char *aiter_hsa;   /* --aiter-hsa DIR (hip); NULL = $AITER_ASM_DIR */
  const char *patterns[AR_MAX_LIST + 1]; /* --candidates globs; none = all */
  int dry_run, retry_failed, quiet, list_candidates;
  double timeout_s;        /* per measurement */
  /* Timing flags; negative = the backend's default (measure.c). */
  int warmup, min_reps, max_reps, no_flush;
  const char *timing;  /* --timing eager|graph (NULL: eager) */
  double min_ms, max_ms, tolerance;
  uint64_t seed;           /* inputs; also which calls --sample picks (0: a fixed default) */
  const char *command_line;
  /* Where (appended): --device N / --devices LIST (ndevices 0 = device 0),
  ** --devices all; --shard K/N (shard_count 0 = the whole plan). */
  int devices[AR_MAX_DEVICES];
  int ndevices, all_devices;
  int shard_index, shard_count;
} ar_tune_opts;

/* Run the job; returns an AR_EXIT_* code, having printed why on stderr. */
int ar_tune_run(const ar_tune_opts *o, const volatile int *interrupted);

#endif /* AR_TUNE_H */
