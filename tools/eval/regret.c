/*
** regret.c -- the picks of the table and of the legacy policies on every
** shape of an evaluation set, against the oracle, and their summaries (see
** regret.h).  The table's picks come from the runtime library itself.
*/
#include "regret.h"

#include "internal.h" /* attnroute__class_find: the runtime's class rule */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int32_t ar_class_of(const attnroute_table *t, const attnroute_problem *p) {
  const attnroute_class *c = attnroute__class_find(t, p);
  return c ? (int32_t)(c - t->classes) : -1;
}

/* Whether every tuned axis value of shape s is a grid value of class c (a
** ragged batch never is: the grid is of uniform batches). */
static int on_grid(const attnroute_class *c, const ar_eval_shape *s) {
  const attnroute_problem *p = &s->p;
  int64_t v[ATTNROUTE_NUM_AXES];
  int a;
  int32_t i;
  if (s->ragged) return 0;
  v[ATTNROUTE_AXIS_NUM_SEQS] = p->num_seqs;
  v[ATTNROUTE_AXIS_SEQLEN_Q] = p->max_seqlen_q;
  v[ATTNROUTE_AXIS_CACHED] = s->cached;
  v[ATTNROUTE_AXIS_Q_HEADS] = p->num_q_heads;
  v[ATTNROUTE_AXIS_GQA] = p->num_q_heads / p->num_kv_heads;
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    for (i = 0; i < c->axis_len[a] && c->axis_values[a][i] != v[a]; i++) continue;
    if (i == c->axis_len[a]) return 0;
  }
  return 1;
}

/* The pick of candidate k (or -1) on a shape with measurements m. */
ar_pick ar_make_pick(int32_t k, int32_t route, const ar_meas *m, double oracle_us) {
  ar_pick pk;
  pk.candidate = k;
  pk.route = route;
  pk.status = k >= 0 ? m[k].status : AR_MEAS_NONE;
  pk.us = NAN;
  pk.regret = INFINITY;
  if (k >= 0 && m[k].status == AR_MEAS_OK) {
    pk.us = m[k].median_us;
    pk.regret = pk.us / oracle_us;
  }
  return pk;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double ar_percentile(const double *sorted, size_t n, int pct) {
  size_t rank;
  if (n == 0) return NAN;
  rank = ((size_t)pct * n + 99) / 100; /* ceil(pct/100 * n), exact */
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

/* Adds one pick to a summary being collected: finite regrets go to buf. */
static void tally(ar_policy_stats *s, const ar_pick *pk, int32_t oracle, double oracle_us, double *buf,
                  size_t *nbuf) {
  s->shapes++;
  if (!isfinite(pk->regret)) {
    s->failed++;
    return;
  }
  if (pk->candidate == oracle || pk->us == oracle_us) s->optimal++;
  buf[(*nbuf)++] = pk->regret;
}

void ar_regret_summary(double *buf, size_t n, double out[4]) {
  double logs = 0.0;
  size_t i;
  if (n == 0) {
    out[0] = out[1] = out[2] = out[3] = NAN;
    return;
  }
  for (i = 0; i < n; i++) logs += log(buf[i]);
  out[0] = exp(logs / (double)n);
  qsort(buf, n, sizeof *buf, cmp_double);
  out[1] = ar_percentile(buf, n, 50);
  out[2] = ar_percentile(buf, n, 95);
  out[3] = buf[n - 1];
}

/* Geomean, percentiles and max of n regrets into s. */
static void finish(ar_policy_stats *s, double *buf, size_t n) {
  double v[4];
  ar_regret_summary(buf, n, v);
  s->geomean = v[0];
  s->p50 = v[1];
  s->p95 = v[2];
  s->max = v[3];
}

/* Summaries of one slot over the evaluated shapes whose class is `klass`
** (or all, with klass < -1). */
static void summarise(ar_eval *ev, int slot, int32_t klass, ar_policy_stats *s, double *buf) {
  size_t i, n = 0;
  memset(s, 0, sizeof *s);
  for (i = 0; i < ev->db->count; i++) {
    const ar_shape_result *r = &ev->results[i];
    if (r->state != AR_SHAPE_EVALUATED || (klass >= -1 && r->klass != klass)) continue;
    tally(s, &r->pick[slot], r->oracle, r->oracle_us, buf, &n);
  }
  finish(s, buf, n);
}

int ar_eval_run(ar_eval *ev, const attnroute_table *t, const ar_evaldb *db, int32_t fallback_policy,
                const attnroute_env *legacy_env, int include_grid, char *err, size_t errlen) {
  attnroute_router router;
  int32_t nc = t->num_candidates, k;
  size_t i;
  double *buf;
  int bind, slot;
  int32_t c;

  memset(ev, 0, sizeof *ev);
  ev->table = t;
  ev->db = db;
  ev->fallback_policy = fallback_policy;
  bind = attnroute_router_init(&router, t, t->arch, t->cu_count);
  if (bind != ATTNROUTE_OK) {
    snprintf(err, errlen, "the runtime refused the table: %s", attnroute_status_str(bind));
    return -1;
  }
  router.policy = fallback_policy;
  if (legacy_env) router.env = *legacy_env;
  ev->legacy_env = router.env;
  ev->class_shapes_total = (size_t)t->num_classes + 1;
  ev->results = calloc(db->count ? db->count : 1, sizeof *ev->results);
  ev->class_stats = calloc(ev->class_shapes_total * AR_NUM_SLOTS, sizeof *ev->class_stats);
  buf = malloc((db->count ? db->count : 1) * sizeof *buf);
  if (!ev->results || !ev->class_stats || !buf) {
    free(buf);
    ar_eval_free(ev);
    snprintf(err, errlen, "out of memory");
    return -1;
  }

  for (i = 0; i < db->count; i++) {
    const attnroute_problem *p = &db->shapes[i].p;
    const ar_meas *m = &db->meas[i * (size_t)nc];
    ar_shape_result *r = &ev->results[i];
    int32_t route;
    r->klass = ar_class_of(t, p);
    r->oracle = -1;
    r->oracle_us = NAN;
    r->state = AR_SHAPE_EVALUATED;
    for (k = 0; k < nc; k++) {
      if (m[k].status == AR_MEAS_NONE ||
          (m[k].status == AR_MEAS_OK && !(isfinite(m[k].median_us) && m[k].median_us > 0))) {
        r->state = AR_SHAPE_INCOMPLETE;
        break;
      }
      if (m[k].status == AR_MEAS_OK && (r->oracle < 0 || m[k].median_us < r->oracle_us)) {
        r->oracle = k;
        r->oracle_us = m[k].median_us;
      }
    }
    if (r->state == AR_SHAPE_EVALUATED && r->oracle < 0) r->state = AR_SHAPE_NO_OK;
    if (r->state == AR_SHAPE_EVALUATED && !include_grid && r->klass >= 0 &&
        on_grid(&t->classes[r->klass], &db->shapes[i])) {
      r->state = AR_SHAPE_ON_GRID;
      ev->on_grid++;
      continue;
    }
    if (r->state == AR_SHAPE_INCOMPLETE) {
      ev->incomplete++;
      continue;
    }
    if (r->state == AR_SHAPE_NO_OK) {
      ev->no_ok++;
      continue;
    }
    ev->evaluated++;

    attnroute_select(&router, p, &r->choice);
    if (r->choice.from_table) {
      r->pick[AR_SLOT_TABLE] = ar_make_pick(r->choice.candidate, -1, m, r->oracle_us);
      if (r->choice.rank > 0) ev->below_top++;
    } else {
      c = r->choice.candidate >= 0 ? r->choice.candidate : attnroute_legacy_standin(t, NULL, r->choice.route, p);
      r->pick[AR_SLOT_TABLE] = ar_make_pick(c, r->choice.route, m, r->oracle_us);
      ev->fallbacks++;
      if (r->choice.reason >= 0 && r->choice.reason < ATTNROUTE_NUM_STATUS)
        ev->fallback_by_reason[r->choice.reason]++;
    }
    route = attnroute_legacy_route(ATTNROUTE_POLICY_PRE_1345, &router.env, p);
    r->pick[AR_SLOT_PRE_1345] = ar_make_pick(attnroute_legacy_standin(t, NULL, route, p), route, m, r->oracle_us);
    route = attnroute_legacy_route(ATTNROUTE_POLICY_POST_1345, &router.env, p);
    r->pick[AR_SLOT_POST_1345] = ar_make_pick(attnroute_legacy_standin(t, NULL, route, p), route, m, r->oracle_us);
  }

  for (slot = 0; slot < AR_NUM_SLOTS; slot++) {
    summarise(ev, slot, -2, &ev->stats[slot], buf);
    for (c = -1; c < t->num_classes; c++) {
      size_t row = c < 0 ? (size_t)t->num_classes : (size_t)c;
      summarise(ev, slot, c, &ev->class_stats[row * AR_NUM_SLOTS + (size_t)slot], buf);
    }
  }
  free(buf);
  return 0;
}

static const ar_eval *sort_ev; /* qsort has no context argument in C11 */

static int cmp_worst(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  double x = sort_ev->results[i].pick[AR_SLOT_TABLE].regret, y = sort_ev->results[j].pick[AR_SLOT_TABLE].regret;
  if (x != y) return x > y ? -1 : 1;
  return (i > j) - (i < j);
}

size_t *ar_eval_worst(const ar_eval *ev, size_t *n) {
  size_t i, m = 0, *idx = malloc((ev->evaluated ? ev->evaluated : 1) * sizeof *idx);
  *n = 0;
  if (!idx) return NULL;
  for (i = 0; i < ev->db->count; i++)
    if (ev->results[i].state == AR_SHAPE_EVALUATED) idx[m++] = i;
  sort_ev = ev;
  qsort(idx, m, sizeof *idx, cmp_worst);
  sort_ev = NULL;
  *n = m;
  return idx;
}

void ar_eval_free(ar_eval *ev) {
  if (!ev) return;
  free(ev->results);
  free(ev->class_stats);
  memset(ev, 0, sizeof *ev);
}
