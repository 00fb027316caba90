/*
** report_trace.c -- attnroute-eval's text and JSON reports of a trace
** evaluation (trace.h): per policy the total time over the calls every
** policy's pick ran on and its ratio to the best per call, the regrets;
** each policy's own figures over all the calls its pick ran on, and why its
** other picks were not timed (no stand-in, or not ok); the table's answered
** share and its misses by reason, per (class, heads, step) group, and the
** table's worst calls.
*/
#include "report_trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const slot_names[AR_NUM_TSLOTS] = {"table", "pre-1345", "post-1345", "best"};
static const char *const step_names[3] = {"auto", "prefill", "decode"};

static const char *step_name(int32_t s) { return s >= 0 && s < 3 ? step_names[s] : "?"; }

static const char *cand_name(const ar_trace_eval *ev, int32_t k) {
  return k >= 0 && k < ev->table->num_candidates ? ev->table->candidates[k].name : "(none)";
}

static void fmt_num(double v, const char *fmt, char *buf, size_t len) {
  if (isnan(v)) snprintf(buf, len, "-");
  else if (isinf(v)) snprintf(buf, len, "inf");
  else snprintf(buf, len, fmt, v);
}

static double pct(size_t a, size_t b) { return b ? 100.0 * (double)a / (double)b : NAN; }

/* "name 12.3us", "name [wrong]", "(no stand-in for route)". */
static void fmt_pick(const ar_trace_eval *ev, const ar_pick *pk, char *buf, size_t len) {
  if (pk->candidate < 0) snprintf(buf, len, "(no stand-in for %s)", attnroute_route_name(pk->route));
  else if (pk->status == AR_MEAS_OK) snprintf(buf, len, "%s %.4gus", cand_name(ev, pk->candidate), pk->us);
  else snprintf(buf, len, "%s [%s]", cand_name(ev, pk->candidate), ar_meas_status_name(pk->status));
}

/* A pick's regret, or why it has none: "no-stand-in", or its status. */
static void fmt_regret(const ar_pick *pk, char *buf, size_t len) {
  if (pk->candidate < 0) snprintf(buf, len, "no-stand-in");
  else if (pk->status != AR_MEAS_OK) snprintf(buf, len, "%s", ar_meas_status_name(pk->status));
  else fmt_num(pk->regret, "%.4f", buf, len);
}

static void group_label(const ar_trace_eval *ev, const ar_trace_group *g, char *buf, size_t len) {
  if (g->klass >= 0) {
    const attnroute_class *c = &ev->table->classes[g->klass];
    snprintf(buf, len, "class %d (d=%d window=%d) %d/%d %s", g->klass, c->head_dim, c->sliding_window,
             g->num_q_heads, g->num_kv_heads, step_name(g->step));
  } else {
    snprintf(buf, len, "no class %d/%d %s", g->num_q_heads, g->num_kv_heads, step_name(g->step));
  }
}

static void call_label(const ar_trace_eval *ev, size_t i, char *buf, size_t len) {
  const ar_eval_call *c = &ev->db->calls[i];
  const attnroute_problem *p = &ev->db->shapes[c->shape].p;
  snprintf(buf, len, "%s#%lld %s ns=%d sq<=%d ctx<=%d tq=%d tk=%d hq=%d hkv=%d win=%d", ev->db->traces[c->trace],
           (long long)c->call_index, step_name(c->step), p->num_seqs, p->max_seqlen_q, p->max_seqlen_k,
           p->total_seqlen_q ? p->total_seqlen_q : p->num_seqs * p->max_seqlen_q,
           p->total_seqlen_k ? p->total_seqlen_k : p->num_seqs * p->max_seqlen_k, p->num_q_heads, p->num_kv_heads,
           p->sliding_window);
}

static void fmt_via(const ar_call_result *r, char *buf, size_t len) {
  if (r->choice.from_table) snprintf(buf, len, "rank %d", r->choice.rank);
  else snprintf(buf, len, "legacy %s: %s", attnroute_route_name(r->choice.route), attnroute_status_str(r->choice.reason));
}

/* The common block's row of a policy. */
static void text_row(FILE *f, const char *name, const ar_trace_stats *s, double best_total) {
  char tot[32], x[32], g[32], p50[32], p95[32], mx[32];
  fmt_num(s->calls ? s->total_us / 1000.0 : NAN, "%.4f", tot, sizeof tot);
  fmt_num(s->calls && best_total > 0 ? s->total_us / best_total : NAN, "%.4f", x, sizeof x);
  fmt_num(s->geomean, "%.4f", g, sizeof g);
  fmt_num(s->p50, "%.4f", p50, sizeof p50);
  fmt_num(s->p95, "%.4f", p95, sizeof p95);
  fmt_num(s->max, "%.4f", mx, sizeof mx);
  fprintf(f, "  %-10s %7zu %12s %8s %8zu %7zu %8s %8s %8s %8s\n", name, s->calls, tot, x, s->optimal, s->failed, g,
          p50, p95, mx);
}

/* The own block's row of a policy: over the calls its pick ran ok on. */
static void text_own_row(FILE *f, const char *name, const ar_trace_stats *s) {
  const ar_trace_own *w = &s->own;
  char tot[32], x[32], g[32], p50[32], p95[32], mx[32];
  fmt_num(w->calls ? w->total_us / 1000.0 : NAN, "%.4f", tot, sizeof tot);
  fmt_num(w->calls && w->best_us > 0 ? w->total_us / w->best_us : NAN, "%.4f", x, sizeof x);
  fmt_num(w->geomean, "%.4f", g, sizeof g);
  fmt_num(w->p50, "%.4f", p50, sizeof p50);
  fmt_num(w->p95, "%.4f", p95, sizeof p95);
  fmt_num(w->max, "%.4f", mx, sizeof mx);
  fprintf(f, "  %-10s %7zu %12s %8s %8zu %8s %8s %8s %8s %11zu %7zu\n", name, w->calls, tot, x, w->optimal, g, p50,
          p95, mx, s->no_standin, s->not_ok);
}

/* "pre-1345: no stand-in for asm_pa_fwd (85 calls); failed: 1 wrong", for
** a policy with picks not timed. */
static void text_not_timed(FILE *f, const char *name, const ar_trace_stats *s) {
  int k, first;
  if (!s->failed) return;
  fprintf(f, "  %s:", name);
  if (s->no_standin) {
    fputs(" no stand-in for", f);
    for (k = 0, first = 1; k < ATTNROUTE_NUM_ROUTES; k++)
      if (s->no_standin_route[k]) {
        fprintf(f, "%s %s (%zu call%s)", first ? "" : ",", attnroute_route_name(k), s->no_standin_route[k],
                s->no_standin_route[k] == 1 ? "" : "s");
        first = 0;
      }
  }
  if (s->not_ok) {
    fprintf(f, "%s failed:", s->no_standin ? ";" : "");
    for (k = 0, first = 1; k < AR_NUM_MEAS; k++)
      if (s->not_ok_status[k]) {
        fprintf(f, "%s %zu %s", first ? "" : ",", s->not_ok_status[k], ar_meas_status_name(k));
        first = 0;
      }
  }
  fputc('\n', f);
}

int ar_trace_report_text(FILE *f, const ar_trace_eval *ev, const ar_report_opts *o) {
  const attnroute_table *t = ev->table;
  const ar_evaldb *db = ev->db;
  size_t i, nworst = 0, *worst, shown;
  int slot, reason, s;
  char buf[512];
  double best_total = ev->stats[AR_TSLOT_BEST].total_us;

  fprintf(f, "attnroute-eval: table %s (%s:%d, %d candidates, %d classes)\n", o->table_path, t->arch, t->cu_count,
          t->num_candidates, t->num_classes);
  fprintf(f, "  eval db %s, measurements of device class %s:%d%s\n", o->db_path, db->arch, db->cu_count,
          (strcmp(db->arch, t->arch) != 0 || db->cu_count != t->cu_count) ? " (another device than the table's)" : "");
  fprintf(f, "  trace%s:", ev->trace >= 0 ? "" : "s");
  for (i = 0; i < db->ntraces; i++)
    if (ev->trace < 0 || (size_t)ev->trace == i) fprintf(f, " %s", db->traces[i]);
  fprintf(f, " (%zu calls, %zu ragged)\n", ev->calls, ev->ragged);
  fprintf(f, "  calls: %zu scored, %zu with a failed pick (left out of the common totals), %zu incomplete (a table "
             "candidate not measured), %zu with no ok candidate, %zu without a measured shape\n",
          ev->scored, ev->failed, ev->incomplete, ev->no_ok, ev->no_shape);
  if (db->foreign_candidates)
    fprintf(f, "  note: %zu candidate(s) measured in the db are not in the table (ignored)\n", db->foreign_candidates);
  if (db->stale) fprintf(f, "  note: stale candidates used (--allow-stale): %s\n", db->stale_names);

  fprintf(f, "\nthe table answered %zu of %zu calls (%.2f%%)", ev->answered, ev->selected, pct(ev->answered, ev->selected));
  for (s = ATTNROUTE_STEP_PREFILL; s <= ATTNROUTE_STEP_DECODE; s++)
    fprintf(f, "%s %s %zu/%zu (%.2f%%)", s == ATTNROUTE_STEP_PREFILL ? ":" : ",", step_names[s], ev->answered_step[s],
            ev->selected_step[s], pct(ev->answered_step[s], ev->selected_step[s]));
  fprintf(f, "\n");
  if (ev->answered < ev->selected) {
    fprintf(f, "answered by the legacy policy (%s) instead:\n", attnroute_policy_name(ev->fallback_policy));
    for (reason = 0; reason < ATTNROUTE_NUM_STATUS; reason++)
      if (ev->by_reason[reason]) fprintf(f, "  %7zu  %s\n", ev->by_reason[reason], attnroute_status_str(reason));
  }

  fprintf(f, "\ncalls every policy's pick ran on (%zu of the %zu evaluated; the same calls in every row):\n"
             "total = attention time over those calls; x best = total / the best candidate of each call's\n"
             "total; regret = time(pick) / time(best) per call; failed = calls whose pick was not timed\n\n",
          ev->scored, ev->scored + ev->failed);
  fprintf(f, "  %-10s %7s %12s %8s %8s %7s %8s %8s %8s %8s\n", "policy", "calls", "total ms", "x best", "optimal",
          "failed", "geomean", "p50", "p95", "max");
  for (slot = 0; slot < AR_NUM_TSLOTS; slot++) text_row(f, slot_names[slot], &ev->stats[slot], best_total);

  fprintf(f, "\neach policy over all the calls its own pick ran ok on (x best = total / the best candidate's\n"
             "total over those same calls); not timed: no stand-in = the legacy route has no candidate\n"
             "standing in for it, failed = the pick's candidate measured but not ok\n\n");
  fprintf(f, "  %-10s %7s %12s %8s %8s %8s %8s %8s %8s %11s %7s\n", "policy", "calls", "total ms", "x best",
          "optimal", "geomean", "p50", "p95", "max", "no stand-in", "failed");
  for (slot = 0; slot < AR_NUM_TSLOTS; slot++) text_own_row(f, slot_names[slot], &ev->stats[slot]);
  for (slot = 0; slot < AR_NUM_TSLOTS; slot++) text_not_timed(f, slot_names[slot], &ev->stats[slot]);

  fprintf(f, "\nby class, heads and step (total ms, x best; over the calls every pick ran on, then, where some\n"
             "pick was not timed, each policy over its own ok calls):\n");
  for (i = 0; i < ev->ngroups; i++) {
    const ar_trace_group *g = &ev->groups[i];
    double bt = g->stats[AR_TSLOT_BEST].total_us;
    group_label(ev, g, buf, sizeof buf);
    fprintf(f, "  %s: %zu calls, answered %zu (%.2f%%)\n   ", buf, g->selected, g->answered,
            pct(g->answered, g->selected));
    for (slot = 0; slot < AR_NUM_TSLOTS; slot++) {
      char tot[32], x[32];
      fmt_num(g->stats[slot].calls ? g->stats[slot].total_us / 1000.0 : NAN, "%.4f", tot, sizeof tot);
      fmt_num(g->stats[slot].calls && bt > 0 ? g->stats[slot].total_us / bt : NAN, "%.3f", x, sizeof x);
      fprintf(f, " %s %s (%s)", slot_names[slot], tot, x);
    }
    fprintf(f, "\n");
    for (slot = 0; slot < AR_NUM_TSLOTS && !g->stats[slot].failed; slot++) continue;
    if (slot == AR_NUM_TSLOTS) continue;
    fprintf(f, "    own ok calls:");
    for (slot = 0; slot < AR_NUM_TSLOTS; slot++) {
      const ar_trace_own *w = &g->stats[slot].own;
      char tot[32], x[32];
      fmt_num(w->calls ? w->total_us / 1000.0 : NAN, "%.4f", tot, sizeof tot);
      fmt_num(w->calls && w->best_us > 0 ? w->total_us / w->best_us : NAN, "%.3f", x, sizeof x);
      fprintf(f, " %s %zu %s (%s)", slot_names[slot], w->calls, tot, x);
    }
    fprintf(f, "\n");
  }

  worst = ar_trace_worst(ev, &nworst);
  if (!worst && (ev->scored || ev->failed)) return -1;
  shown = nworst < o->worst ? nworst : o->worst;
  if (shown) {
    fprintf(f, "\nworst %zu call(s) for the table:\n", shown);
    fprintf(f, "  %8s  %s\n", "regret", "call | table pick (via) | best | pre-1345 post-1345 regret");
    for (i = 0; i < shown; i++) {
      const ar_call_result *r = &ev->results[worst[i]];
      char rg[32], call[512], pick[512], via[512], best[512], pre[32], post[32];
      fmt_num(r->pick[AR_TSLOT_TABLE].regret, "%.4f", rg, sizeof rg);
      call_label(ev, worst[i], call, sizeof call);
      fmt_pick(ev, &r->pick[AR_TSLOT_TABLE], pick, sizeof pick);
      fmt_via(r, via, sizeof via);
      fmt_pick(ev, &r->pick[AR_TSLOT_BEST], best, sizeof best);
      fmt_regret(&r->pick[AR_TSLOT_PRE_1345], pre, sizeof pre);
      fmt_regret(&r->pick[AR_TSLOT_POST_1345], post, sizeof post);
      fprintf(f, "  %8s  %s | %s (%s) | %s | %s %s\n", rg, call, pick, via, best, pre, post);
    }
  }
  free(worst);
  return 0;
}

/* ---- JSON ---- */

static void json_stats(FILE *f, const ar_trace_stats *s) {
  fprintf(f, "{\"calls\":%zu,\"optimal\":%zu,\"failed\":%zu,\"total_us\":", s->calls, s->optimal, s->failed);
  ar_json_num(f, s->total_us);
  ar_json_regrets(f, s->geomean, s->p50, s->p95, s->max);
  fputc('}', f);
}

static void json_slots(FILE *f, const ar_trace_stats *stats) {
  int slot;
  fputc('{', f);
  for (slot = 0; slot < AR_NUM_TSLOTS; slot++) {
    fprintf(f, "%s\"%s\":", slot ? "," : "", slot_names[slot]);
    json_stats(f, &stats[slot]);
  }
  fputc('}', f);
}

/* A policy over the calls its own pick ran ok on. */
static void json_own(FILE *f, const ar_trace_own *w) {
  fprintf(f, "{\"calls\":%zu,\"optimal\":%zu,\"total_us\":", w->calls, w->optimal);
  ar_json_num(f, w->total_us);
  fputs(",\"best_total_us\":", f);
  ar_json_num(f, w->best_us);
  fputs(",\"x_best\":", f);
  ar_json_num(f, w->calls && w->best_us > 0 ? w->total_us / w->best_us : NAN);
  ar_json_regrets(f, w->geomean, w->p50, w->p95, w->max);
  fputc('}', f);
}

static void json_own_slots(FILE *f, const ar_trace_stats *stats) {
  int slot;
  fputc('{', f);
  for (slot = 0; slot < AR_NUM_TSLOTS; slot++) {
    fprintf(f, "%s\"%s\":", slot ? "," : "", slot_names[slot]);
    json_own(f, &stats[slot].own);
  }
  fputc('}', f);
}

/* Why a policy's picks were not timed: no stand-in (by route), failed (by status). */
static void json_not_timed(FILE *f, const ar_trace_stats *stats) {
  int slot, k, first;
  fputc('{', f);
  for (slot = 0; slot < AR_NUM_TSLOTS; slot++) {
    const ar_trace_stats *s = &stats[slot];
    fprintf(f, "%s\"%s\":{\"no_standin\":%zu,\"no_standin_routes\":{", slot ? "," : "", slot_names[slot],
            s->no_standin);
    for (k = 0, first = 1; k < ATTNROUTE_NUM_ROUTES; k++)
      if (s->no_standin_route[k]) {
        fprintf(f, "%s\"%s\":%zu", first ? "" : ",", attnroute_route_name(k), s->no_standin_route[k]);
        first = 0;
      }
    fprintf(f, "},\"failed\":%zu,\"failed_by_status\":{", s->not_ok);
    for (k = 0, first = 1; k < AR_NUM_MEAS; k++)
      if (s->not_ok_status[k]) {
        fprintf(f, "%s\"%s\":%zu", first ? "" : ",", ar_meas_status_name(k), s->not_ok_status[k]);
        first = 0;
      }
    fputs("}}", f);
  }
  fputc('}', f);
}

static void json_pick(FILE *f, const ar_trace_eval *ev, const ar_pick *pk) {
  fputs("{\"candidate\":", f);
  if (pk->candidate >= 0) ar_json_str(f, cand_name(ev, pk->candidate));
  else fputs("null", f);
  fprintf(f, ",\"status\":\"%s\",\"us\":", ar_meas_status_name(pk->status));
  ar_json_num(f, pk->us);
  fputs(",\"regret\":", f);
  ar_json_num(f, pk->regret);
  fputs(",\"route\":", f);
  if (pk->route >= 0) ar_json_str(f, attnroute_route_name(pk->route));
  else fputs("null", f);
  fputc('}', f);
}

int ar_trace_report_json(FILE *f, const ar_trace_eval *ev, const ar_report_opts *o) {
  const attnroute_table *t = ev->table;
  const ar_evaldb *db = ev->db;
  size_t i, nworst = 0, *worst, shown;
  int slot, reason, first, s;
  char buf[512];

  worst = ar_trace_worst(ev, &nworst);
  if (!worst && (ev->scored || ev->failed)) return -1;
  shown = nworst < o->worst ? nworst : o->worst;

  fputs("{\"format\":\"attnroute-eval-trace\",\"version\":1,\n\"table\":{\"path\":", f);
  ar_json_str(f, o->table_path);
  fputs(",\"arch\":", f);
  ar_json_str(f, t->arch);
  fprintf(f, ",\"cu_count\":%d},\n\"db\":{\"path\":", t->cu_count);
  ar_json_str(f, o->db_path);
  fputs(",\"device\":", f);
  snprintf(buf, sizeof buf, "%s:%d", db->arch, db->cu_count);
  ar_json_str(f, buf);
  fputs(",\"traces\":[", f);
  first = 1;
  for (i = 0; i < db->ntraces; i++) {
    if (ev->trace >= 0 && (size_t)ev->trace != i) continue;
    if (!first) fputc(',', f);
    first = 0;
    ar_json_str(f, db->traces[i]);
  }
  fprintf(f, "],\"foreign_candidates\":%zu,\"stale\":", db->foreign_candidates);
  ar_json_str(f, db->stale_names);
  fprintf(f, "},\n\"calls\":{\"total\":%zu,\"ragged\":%zu,\"scored\":%zu,\"failed\":%zu,\"incomplete\":%zu,"
             "\"no_ok\":%zu,\"no_shape\":%zu},\n",
          ev->calls, ev->ragged, ev->scored, ev->failed, ev->incomplete, ev->no_ok, ev->no_shape);
  fputs("\"fallback_policy\":", f);
  ar_json_str(f, attnroute_policy_name(ev->fallback_policy));
  fprintf(f, ",\n\"answered\":{\"calls\":%zu,\"of\":%zu,\"by_step\":{", ev->answered, ev->selected);
  for (s = ATTNROUTE_STEP_PREFILL; s <= ATTNROUTE_STEP_DECODE; s++)
    fprintf(f, "%s\"%s\":{\"calls\":%zu,\"of\":%zu}", s == ATTNROUTE_STEP_PREFILL ? "" : ",", step_names[s],
            ev->answered_step[s], ev->selected_step[s]);
  fputs("},\"not_answered_by_reason\":{", f);
  first = 1;
  for (reason = 0; reason < ATTNROUTE_NUM_STATUS; reason++) {
    if (!ev->by_reason[reason]) continue;
    if (!first) fputc(',', f);
    first = 0;
    ar_json_lower(f, ar_reason_id(reason));
    fprintf(f, ":%zu", ev->by_reason[reason]);
  }
  fputs("}},\n\"policies\":", f);
  json_slots(f, ev->stats);
  fputs(",\n\"policies_all_ok\":", f);
  json_own_slots(f, ev->stats);
  fputs(",\n\"not_timed\":", f);
  json_not_timed(f, ev->stats);
  fputs(",\n\"groups\":[", f);
  for (i = 0; i < ev->ngroups; i++) {
    const ar_trace_group *g = &ev->groups[i];
    fprintf(f, "%s{\"class\":", i ? ",\n  " : "\n  ");
    if (g->klass >= 0) fprintf(f, "%d", g->klass);
    else fputs("null", f);
    fprintf(f, ",\"num_q_heads\":%d,\"num_kv_heads\":%d,\"step\":\"%s\",\"calls\":%zu,\"answered\":%zu,\"policies\":",
            g->num_q_heads, g->num_kv_heads, step_name(g->step), g->selected, g->answered);
    json_slots(f, g->stats);
    fputs(",\"policies_all_ok\":", f);
    json_own_slots(f, g->stats);
    fputc('}', f);
  }
  fputs("],\n\"worst\":[", f);
  for (i = 0; i < shown; i++) {
    const ar_call_result *r = &ev->results[worst[i]];
    const ar_eval_call *c = &db->calls[worst[i]];
    const ar_eval_shape *sh = &db->shapes[c->shape];
    const attnroute_problem *p = &sh->p;
    fprintf(f, "%s{\"trace\":", i ? ",\n  " : "\n  ");
    ar_json_str(f, db->traces[c->trace]);
    fprintf(f,
            ",\"call_index\":%lld,\"step\":\"%s\",\"shape_id\":%lld,\"num_seqs\":%d,\"max_seqlen_q\":%d,"
            "\"max_seqlen_k\":%d,\"total_seqlen_q\":%d,\"total_seqlen_k\":%d,\"num_q_heads\":%d,\"num_kv_heads\":%d,"
            "\"sliding_window\":%d,\"class\":",
            (long long)c->call_index, step_name(c->step), (long long)sh->shape_id, p->num_seqs, p->max_seqlen_q,
            p->max_seqlen_k, p->total_seqlen_q, p->total_seqlen_k, p->num_q_heads, p->num_kv_heads, p->sliding_window);
    if (r->klass >= 0) fprintf(f, "%d", r->klass);
    else fputs("null", f);
    fputs(",\"select\":", f);
    ar_json_select(f, &r->choice);
    for (slot = 0; slot < AR_NUM_TSLOTS; slot++) {
      fprintf(f, ",\"%s\":", slot_names[slot]);
      json_pick(f, ev, &r->pick[slot]);
    }
    fputc('}', f);
  }
  fputs("]}\n", f);
  free(worst);
  return 0;
}
