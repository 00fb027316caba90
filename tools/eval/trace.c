/*
** trace.c -- a table scored on the calls of a trace (see trace.h): every
** call selected through the runtime at its step, the legacy gates at its
** step, the call's best, and the totals and regrets per policy and group.
*/
#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The group key of a call with a shape. */
static void group_key(const ar_trace_eval *ev, size_t i, int32_t key[4]) {
  const ar_eval_call *c = &ev->db->calls[i];
  const attnroute_problem *p = &ev->db->shapes[c->shape].p;
  key[0] = ev->results[i].klass;
  key[1] = p->num_q_heads;
  key[2] = p->num_kv_heads;
  key[3] = c->step;
}

static int cmp_key(const int32_t *a, const int32_t *b) {
  int k;
  for (k = 0; k < 4; k++)
    if (a[k] != b[k]) return a[k] < b[k] ? -1 : 1;
  return 0;
}

static int cmp_group(const void *a, const void *b) {
  const ar_trace_group *x = a, *y = b;
  int32_t kx[4] = {x->klass, x->num_q_heads, x->num_kv_heads, x->step};
  int32_t ky[4] = {y->klass, y->num_q_heads, y->num_kv_heads, y->step};
  return cmp_key(kx, ky);
}

/* The group of call i (which has a shape); groups sorted, so a bisection. */
static ar_trace_group *find_group(const ar_trace_eval *ev, size_t i) {
  int32_t key[4];
  size_t lo = 0, hi = ev->ngroups;
  group_key(ev, i, key);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const ar_trace_group *g = &ev->groups[mid];
    int32_t gk[4] = {g->klass, g->num_q_heads, g->num_kv_heads, g->step};
    int c = cmp_key(gk, key);
    if (c == 0) return &ev->groups[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* The distinct groups of the calls with a shape, sorted.  0 or -1 (memory). */
static int make_groups(ar_trace_eval *ev) {
  size_t i, n = 0;
  ar_trace_group *g = malloc((ev->db->ncalls ? ev->db->ncalls : 1) * sizeof *g);
  if (!g) return -1;
  for (i = 0; i < ev->db->ncalls; i++) {
    int32_t key[4];
    int st = ev->results[i].state;
    if (st == AR_CALL_NO_SHAPE || st == AR_CALL_OTHER_TRACE) continue;
    group_key(ev, i, key);
    memset(&g[n], 0, sizeof g[n]);
    g[n].klass = key[0];
    g[n].num_q_heads = key[1];
    g[n].num_kv_heads = key[2];
    g[n].step = key[3];
    n++;
  }
  qsort(g, n, sizeof *g, cmp_group);
  if (n) {
    size_t k, m = 1;
    for (k = 1; k < n; k++)
      if (cmp_group(&g[k], &g[m - 1]) != 0) g[m++] = g[k];
    n = m;
  }
  ev->groups = g;
  ev->ngroups = n;
  return 0;
}

/* Totals and regret summaries of slot `slot` over the calls of group g (all
** calls with g NULL) into s: the common figures over the scored calls, why
** the pick was not timed, and the slot's own figures over every evaluated
** call its pick ran ok on; buf holds db->ncalls doubles. */
static void summarise(const ar_trace_eval *ev, int slot, const ar_trace_group *g, ar_trace_stats *s,
                      double *buf) {
  size_t i, n = 0, own = 0;
  double v[4];
  memset(s, 0, sizeof *s);
  for (i = 0; i < ev->db->ncalls; i++) {
    const ar_call_result *r = &ev->results[i];
    const ar_pick *pk = &r->pick[slot];
    if (r->state != AR_CALL_SCORED && r->state != AR_CALL_FAILED) continue;
    if (g && find_group(ev, i) != g) continue;
    if (!isfinite(pk->regret)) {
      s->failed++;
      if (pk->candidate < 0) {
        s->no_standin++;
        if (pk->route >= 0 && pk->route < ATTNROUTE_NUM_ROUTES) s->no_standin_route[pk->route]++;
      } else {
        s->not_ok++;
        if (pk->status >= 0 && pk->status < AR_NUM_MEAS) s->not_ok_status[pk->status]++;
      }
      continue;
    }
    if (r->state != AR_CALL_SCORED) continue;
    s->calls++;
    s->total_us += pk->us;
    if (pk->us == r->best_us) s->optimal++;
    buf[n++] = pk->regret;
  }
  ar_regret_summary(buf, n, v);
  s->geomean = v[0];
  s->p50 = v[1];
  s->p95 = v[2];
  s->max = v[3];

  for (i = 0; i < ev->db->ncalls; i++) {
    const ar_call_result *r = &ev->results[i];
    const ar_pick *pk = &r->pick[slot];
    if (r->state != AR_CALL_SCORED && r->state != AR_CALL_FAILED) continue;
    if (g && find_group(ev, i) != g) continue;
    if (!isfinite(pk->regret)) continue;
    s->own.calls++;
    s->own.total_us += pk->us;
    s->own.best_us += r->best_us;
    if (pk->us == r->best_us) s->own.optimal++;
    buf[own++] = pk->regret;
  }
  ar_regret_summary(buf, own, v);
  s->own.geomean = v[0];
  s->own.p50 = v[1];
  s->own.p95 = v[2];
  s->own.max = v[3];
}

/* The best ok candidate of a call (ties: lower index) into *best, and
** whether every table candidate was measured (an ok one with a time). */
static int32_t call_state(const ar_meas *m, int32_t nc, int32_t *best, double *best_us) {
  int32_t k;
  *best = -1;
  *best_us = NAN;
  for (k = 0; k < nc; k++) {
    if (m[k].status == AR_MEAS_NONE ||
        (m[k].status == AR_MEAS_OK && !(isfinite(m[k].median_us) && m[k].median_us > 0)))
      return AR_CALL_INCOMPLETE;
    if (m[k].status == AR_MEAS_OK && (*best < 0 || m[k].median_us < *best_us)) {
      *best = k;
      *best_us = m[k].median_us;
    }
  }
  return *best < 0 ? AR_CALL_NO_OK : AR_CALL_SCORED;
}

int ar_trace_run(ar_trace_eval *ev, const attnroute_table *t, const ar_evaldb *db, int32_t fallback_policy,
                 int32_t trace, const attnroute_env *legacy_env, char *err, size_t errlen) {
  attnroute_router router;
  int32_t nc = t->num_candidates;
  size_t i, gi;
  double *buf;
  int bind, slot;

  memset(ev, 0, sizeof *ev);
  ev->table = t;
  ev->db = db;
  ev->fallback_policy = fallback_policy;
  ev->trace = trace;
  bind = attnroute_router_init(&router, t, t->arch, t->cu_count);
  if (bind != ATTNROUTE_OK) {
    snprintf(err, errlen, "the runtime refused the table: %s", attnroute_status_str(bind));
    return -1;
  }
  router.policy = fallback_policy;
  if (legacy_env) router.env = *legacy_env;
  ev->results = calloc(db->ncalls ? db->ncalls : 1, sizeof *ev->results);
  buf = malloc((db->ncalls ? db->ncalls : 1) * sizeof *buf);
  if (!ev->results || !buf) goto oom;

  for (i = 0; i < db->ncalls; i++) {
    const ar_eval_call *c = &db->calls[i];
    ar_call_result *r = &ev->results[i];
    const attnroute_problem *p;
    const ar_meas *m;
    attnroute_env env;
    int32_t best, route, k;
    r->klass = -1;
    r->best_us = NAN;
    if (trace >= 0 && c->trace != trace) {
      r->state = AR_CALL_OTHER_TRACE;
      continue;
    }
    ev->calls++;
    if (c->shape < 0) {
      r->state = AR_CALL_NO_SHAPE;
      ev->no_shape++;
      continue;
    }
    p = &db->shapes[c->shape].p;
    m = &db->meas[(size_t)c->shape * (size_t)nc];
    r->klass = ar_class_of(t, p);
    ev->selected++;
    ev->selected_step[c->step]++;
    ev->ragged += db->shapes[c->shape].ragged != 0;
    router.env.step = c->step;
    attnroute_select(&router, p, &r->choice);
    if (r->choice.from_table) {
      ev->answered++;
      ev->answered_step[c->step]++;
    } else if (r->choice.reason >= 0 && r->choice.reason < ATTNROUTE_NUM_STATUS) {
      ev->by_reason[r->choice.reason]++;
    }
    r->state = call_state(m, nc, &best, &r->best_us);
    if (r->state == AR_CALL_INCOMPLETE) {
      ev->incomplete++;
      continue;
    }
    if (r->state == AR_CALL_NO_OK) {
      ev->no_ok++;
      continue;
    }
    if (r->choice.from_table) {
      r->pick[AR_TSLOT_TABLE] = ar_make_pick(r->choice.candidate, -1, m, r->best_us);
    } else {
      k = r->choice.candidate >= 0 ? r->choice.candidate : attnroute_legacy_standin(t, NULL, r->choice.route, p);
      r->pick[AR_TSLOT_TABLE] = ar_make_pick(k, r->choice.route, m, r->best_us);
    }
    env = router.env; /* the legacy env, at the call's step */
    env.step = c->step;
    route = attnroute_legacy_route(ATTNROUTE_POLICY_PRE_1345, &env, p);
    r->pick[AR_TSLOT_PRE_1345] = ar_make_pick(attnroute_legacy_standin(t, NULL, route, p), route, m, r->best_us);
    route = attnroute_legacy_route(ATTNROUTE_POLICY_POST_1345, &env, p);
    r->pick[AR_TSLOT_POST_1345] = ar_make_pick(attnroute_legacy_standin(t, NULL, route, p), route, m, r->best_us);
    r->pick[AR_TSLOT_BEST] = ar_make_pick(best, -1, m, r->best_us);
    for (slot = 0; slot < AR_NUM_TSLOTS; slot++)
      if (!isfinite(r->pick[slot].regret)) r->state = AR_CALL_FAILED;
    if (r->state == AR_CALL_SCORED) ev->scored++;
    else ev->failed++;
  }

  if (make_groups(ev)) goto oom;
  for (i = 0; i < db->ncalls; i++) {
    const ar_call_result *r = &ev->results[i];
    ar_trace_group *g;
    if (r->state == AR_CALL_NO_SHAPE || r->state == AR_CALL_OTHER_TRACE) continue;
    g = find_group(ev, i);
    g->selected++;
    g->answered += r->choice.from_table != 0;
  }
  for (slot = 0; slot < AR_NUM_TSLOTS; slot++) {
    summarise(ev, slot, NULL, &ev->stats[slot], buf);
    for (gi = 0; gi < ev->ngroups; gi++) summarise(ev, slot, &ev->groups[gi], &ev->groups[gi].stats[slot], buf);
  }
  free(buf);
  return 0;
oom:
  free(buf);
  ar_trace_free(ev);
  snprintf(err, errlen, "out of memory");
  return -1;
}

static const ar_trace_eval *sort_ev; /* qsort has no context argument in C11 */

static int cmp_worst(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  double x = sort_ev->results[i].pick[AR_TSLOT_TABLE].regret, y = sort_ev->results[j].pick[AR_TSLOT_TABLE].regret;
  if (x != y) return x > y ? -1 : 1;
  return (i > j) - (i < j);
}

size_t *ar_trace_worst(const ar_trace_eval *ev, size_t *n) {
  size_t i, m = 0, *idx = malloc((ev->db->ncalls ? ev->db->ncalls : 1) * sizeof *idx);
  *n = 0;
  if (!idx) return NULL;
  for (i = 0; i < ev->db->ncalls; i++)
    if (ev->results[i].state == AR_CALL_SCORED || ev->results[i].state == AR_CALL_FAILED) idx[m++] = i;
  sort_ev = ev;
  qsort(idx, m, sizeof *idx, cmp_worst);
  sort_ev = NULL;
  *n = m;
  return idx;
}

void ar_trace_free(ar_trace_eval *ev) {
  if (!ev) return;
  free(ev->results);
  free(ev->groups);
  memset(ev, 0, sizeof *ev);
}
