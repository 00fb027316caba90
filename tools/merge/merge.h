/*
** merge.h -- attnroute-merge: join measurement dbs (shards of one plan, runs
** on several machines) into one new db.
**
** Checks come first, on read-only connections; any failure leaves OUT as it
** was (exit 2 for bad input):
**   - every input is an attnroute db of a schema version this build reads;
**   - one device class (vendor, arch, cu_count) over all inputs, unless
**     allow_mixed_devices;
**   - shards (runs with --shard K/N), plan by plan (plan hash): one N, each
**     part 1..N in exactly one input; a part in two inputs, a part missing
**     (a stray shard of another grid leaves its plan's other parts
**     missing), or an unsharded run of a sharded plan next to its shards is
**     refused.  Complete shard sets of several plans merge.
** Then everything is copied into a temporary file beside OUT in one
** transaction, which is renamed over OUT when complete: devices, candidates,
** shapes and runs keep their provenance (a candidate whose description
** differs between inputs is refused; a device is one row by its identity,
** and its wgp_count/cu_source are the first input's that has them, the
** defaults from a v1/v2 input otherwise); measurements by these rules:
**   duplicate  same device, candidate, shape and the same result: kept once;
**   conflict   same device, candidate, shape, another result: the newer
**              measured_at is kept (a tie: the later input on the command line);
**   split      one shape measured on several devices of one class: the
**              device that measured most of the shape's candidates is kept
**              (ties: the newest measurement, then the lower device row), so
**              a winner is never decided across devices; the others' rows of
**              that shape are left out.
** Every rule that applied is counted in the report, with the first cases.
*/
#ifndef AR_MERGE_H
#define AR_MERGE_H

#include <stdio.h>

typedef struct ar_merge_opts {
  const char *out;
  const char *const *inputs;
  int ninputs;
  int allow_mixed_devices;
  int force;  /* replace an existing OUT */
  int quiet;  /* no report on stdout (errors still on stderr) */
} ar_merge_opts;

/* Returns 0 done, 1 database or file error, 2 bad input (nothing written). */
int ar_merge(const ar_merge_opts *o, FILE *report, FILE *errors);

#endif /* AR_MERGE_H */
