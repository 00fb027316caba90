/*
** regret.h -- how good a table is on an evaluation set: per shape, the
** table's pick (the real attnroute_select), the legacy policies' picks
** (pre-1345, post-1345: attnroute_legacy_route and the route's stand-in
** candidate, attnroute_legacy_standin) and the oracle (fastest ok
** candidate); per policy, the regret
** time(pick) / time(oracle) summarised as geomean, p50, p95 and max, with
** picks that did not run correctly counted apart as failed picks.
*/
#ifndef AR_REGRET_H
#define AR_REGRET_H

#include <stddef.h>
#include <stdint.h>

#include "attnroute.h"
#include "evaldb.h"

/* The policies compared, in report order. */
enum ar_policy_slot {
  AR_SLOT_TABLE = 0, /* attnroute_select on the table */
  AR_SLOT_PRE_1345,  /* the legacy gates before ATOM PR #1345 */
  AR_SLOT_POST_1345, /* and after */
  AR_NUM_SLOTS
};

/* Why a shape was not evaluated. */
enum ar_shape_state {
  AR_SHAPE_EVALUATED = 0,
  AR_SHAPE_INCOMPLETE, /* a table candidate has no measurement, or ok without a time */
  AR_SHAPE_NO_OK,      /* no candidate ran correctly */
  AR_SHAPE_ON_GRID     /* a grid point of its table class: the table was tuned there */
};

typedef struct ar_pick {
  int32_t candidate; /* table candidate index, -1: the legacy route has no stand-in */
  int32_t status;    /* ar_meas_status of the candidate on the shape (AR_MEAS_NONE if -1) */
  double us;         /* its median time when ok, else NAN */
  double regret;     /* us / oracle_us; INFINITY for a failed pick */
  int32_t route;     /* the legacy route that answered, -1 when the table did */
} ar_pick;

typedef struct ar_shape_result {
  int32_t state;           /* ar_shape_state */
  int32_t klass;           /* index of the table class of the shape, -1 for none */
  int32_t oracle;          /* fastest ok candidate (ties: lower index) */
  double oracle_us;
  ar_pick pick[AR_NUM_SLOTS];
  attnroute_choice choice; /* the table's attnroute_select answer */
} ar_shape_result;

typedef struct ar_policy_stats {
  size_t shapes;  /* evaluated shapes */
  size_t optimal; /* pick as fast as the oracle */
  size_t failed;  /* pick not ok on the shape (regret infinite), or no pick */
  double geomean, p50, p95, max; /* over the other picks' regrets; NAN if none */
} ar_policy_stats;

typedef struct ar_eval {
  const attnroute_table *table;
  const ar_evaldb *db;
  int32_t fallback_policy;  /* attnroute_policy answering the table's misses */
  ar_shape_result *results; /* db->count, in db order */
  size_t evaluated, incomplete, no_ok, on_grid;
  ar_policy_stats stats[AR_NUM_SLOTS];
  /* Per table class (num_classes + 1 rows, the last for shapes of no
  ** class), AR_NUM_SLOTS each. */
  ar_policy_stats *class_stats;
  size_t class_shapes_total; /* rows of class_stats: num_classes + 1 */
  /* The table's selects on evaluated shapes that the legacy policy answered. */
  size_t fallbacks;
  size_t fallback_by_reason[ATTNROUTE_NUM_STATUS];
  size_t below_top; /* table answers from a cell rank > 0 (the first not usable) */
  attnroute_env legacy_env; /* the engine switches of the legacy picks and fallbacks */
} ar_eval;

/* Evaluate t on db with `fallback_policy` answering the table's misses.
** The legacy gates (fallbacks and the pre-/post-1345 picks) read legacy_env
** (NULL: attnroute_env_init's defaults, unified attention off).
** Shapes on a grid point of their table class are left out (state
** AR_SHAPE_ON_GRID) unless include_grid.  The router is bound to the
** table's own device key.  0, or -1 (out of memory / table refused by the
** runtime) with err. */
int ar_eval_run(ar_eval *ev, const attnroute_table *t, const ar_evaldb *db, int32_t fallback_policy,
                const attnroute_env *legacy_env, int include_grid, char *err, size_t errlen);

/* Indices of the evaluated shapes, the table's worst regret first (failed
** picks first, ties in db order); *n set to their count.  NULL on no memory
** (with *n 0). */
size_t *ar_eval_worst(const ar_eval *ev, size_t *n);

void ar_eval_free(ar_eval *ev);

/* The index of the table class with p's static features, or -1: the
** runtime's own rule (attnroute__class_find, runtime/src/internal.h). */
int32_t ar_class_of(const attnroute_table *t, const attnroute_problem *p);

/* The pick of candidate k (or -1; route the legacy route that answered, or
** -1) on a shape whose measurements are m, against the oracle's time. */
ar_pick ar_make_pick(int32_t k, int32_t route, const ar_meas *m, double oracle_us);

/* Geomean (in buf's order), p50, p95 and max of n regrets into out[0..3]
** (NAN when n is 0); sorts buf. */
void ar_regret_summary(double *buf, size_t n, double out[4]);

/* Nearest-rank percentile (pct in 1..100) of n ascending values. */
double ar_percentile(const double *sorted, size_t n, int pct);

#endif /* AR_REGRET_H */
