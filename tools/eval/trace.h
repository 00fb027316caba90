/*
** trace.h -- a table scored on the calls of a trace (trace_call rows of a
** schema v2 db, written by attnroute-tune --trace): per call the picks of
** the table (the real attnroute_select, ragged totals included, the call's
** step in the router's env), of the legacy policies pre-1345 and post-1345
** (attnroute_legacy_route at the call's step, and the route's stand-in)
** and the best candidate of the call; per policy the total attention time
** over the calls, the regret time(pick) / time(best) as geomean, p50, p95
** and max; the share of calls the table answered and why not; the same per
** (class, heads, step) group.
**
** The common totals and regrets are over the scored calls: those on which
** every policy's pick ran ok, so that the totals add the same calls.  A
** call where some pick was not timed is counted, per policy, as failed and
** left out of the common totals; why it was not timed is counted apart: no
** stand-in (the legacy route has no candidate standing in for it in the
** table) or not ok (the pick's candidate measured wrong, fault, timeout or
** unsupported).  Beside the common figures, each policy's own: over every
** evaluated call its own pick ran ok on, against the best of those calls,
** so that a policy's figure over all its calls shows when another policy's
** pick cannot be timed.
*/
#ifndef AR_TRACE_H
#define AR_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "attnroute.h"
#include "evaldb.h"
#include "regret.h"

/* The policies of a trace report, in report order. */
enum ar_trace_slot {
  AR_TSLOT_TABLE = 0, /* attnroute_select on the table */
  AR_TSLOT_PRE_1345,
  AR_TSLOT_POST_1345,
  AR_TSLOT_BEST, /* the fastest ok candidate of the call */
  AR_NUM_TSLOTS
};

/* What became of a call. */
enum ar_call_state {
  AR_CALL_SCORED = 0,  /* every policy's pick ran ok */
  AR_CALL_FAILED,      /* some policy's pick did not: out of the totals */
  AR_CALL_INCOMPLETE,  /* a table candidate has no measurement on its shape */
  AR_CALL_NO_OK,       /* no candidate ran the call correctly */
  AR_CALL_NO_SHAPE,    /* its shape is invalid or not measured on the device class */
  AR_CALL_OTHER_TRACE  /* not of the trace asked for */
};

typedef struct ar_call_result {
  int32_t state;           /* ar_call_state */
  int32_t klass;           /* table class of the call, -1 for none */
  double best_us;          /* the fastest ok candidate's time (NAN unless measured) */
  ar_pick pick[AR_NUM_TSLOTS];
  attnroute_choice choice; /* the table's attnroute_select answer (calls with a shape) */
} ar_call_result;

/* A policy over every evaluated call its own pick ran ok on. */
typedef struct ar_trace_own {
  size_t calls;     /* evaluated calls (scored or failed) with this pick ok */
  size_t optimal;   /* of them, the pick as fast as the best */
  double total_us;  /* sum of the pick's times over them */
  double best_us;   /* sum of the best candidate's times over the same calls */
  double geomean, p50, p95, max; /* regret over them; NAN if none */
} ar_trace_own;

typedef struct ar_trace_stats {
  size_t calls;     /* scored calls */
  size_t optimal;   /* of them, the pick as fast as the best */
  size_t failed;    /* evaluated calls (scored or failed) where this pick was not ok */
  double total_us;  /* sum of the pick's times over the scored calls */
  double geomean, p50, p95, max; /* regret over the scored calls; NAN if none */
  /* Why failed: no_standin + not_ok == failed. */
  size_t no_standin;                              /* the legacy route has no stand-in */
  size_t no_standin_route[ATTNROUTE_NUM_ROUTES];  /* of them, by route */
  size_t not_ok;                                  /* a candidate measured, not ok */
  size_t not_ok_status[AR_NUM_MEAS];              /* of them, by ar_meas_status */
  ar_trace_own own;
} ar_trace_stats;

/* A (class, q heads, kv heads, step) group of calls. */
typedef struct ar_trace_group {
  int32_t klass, num_q_heads, num_kv_heads, step;
  size_t selected;  /* calls with a shape */
  size_t answered;  /* of them, answered by the table */
  ar_trace_stats stats[AR_NUM_TSLOTS];
} ar_trace_group;

typedef struct ar_trace_eval {
  const attnroute_table *table;
  const ar_evaldb *db;
  int32_t fallback_policy;
  int32_t trace;              /* index into db->traces, or -1 for every trace */
  ar_call_result *results;    /* db->ncalls, in db order */
  size_t calls;               /* calls of the trace(s) scored */
  size_t scored, failed, incomplete, no_ok, no_shape;
  size_t selected;            /* calls with a shape: the table was asked */
  size_t answered;            /* of them, answered from the table */
  size_t by_reason[ATTNROUTE_NUM_STATUS]; /* why the others were not */
  size_t selected_step[3], answered_step[3]; /* by attnroute_step */
  size_t ragged;              /* selected calls that are ragged batches */
  ar_trace_stats stats[AR_NUM_TSLOTS];
  ar_trace_group *groups;     /* sorted by class, heads, step */
  size_t ngroups;
} ar_trace_eval;

/* Score t on the calls of db (trace index `trace`, or -1 for all) with
** `fallback_policy` answering the table's misses; the legacy gates read
** legacy_env (NULL: defaults) with each call's step.  0, or -1 (out of
** memory, table refused by the runtime) with err. */
int ar_trace_run(ar_trace_eval *ev, const attnroute_table *t, const ar_evaldb *db, int32_t fallback_policy,
                 int32_t trace, const attnroute_env *legacy_env, char *err, size_t errlen);

/* Indices of the evaluated calls (scored or failed), the table's worst
** regret first (a failed table pick first, ties in db order); *n their
** count.  NULL on no memory (with *n 0). */
size_t *ar_trace_worst(const ar_trace_eval *ev, size_t *n);

void ar_trace_free(ar_trace_eval *ev);

#endif /* AR_TRACE_H */
