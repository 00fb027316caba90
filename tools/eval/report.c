/*
** report.c -- attnroute-eval's text and JSON reports of an evaluation
** (regret.h): the per-policy summary, per-class summary, the table's
** fallbacks to the legacy policy and the table's worst shapes.
*/
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const slot_names[AR_NUM_SLOTS] = {"table", "pre-1345", "post-1345"};
static const char *const lookup_names[ATTNROUTE_NUM_LOOKUPS] = {"nearest_log", "floor", "tree"};
static const char *const reason_ids[ATTNROUTE_NUM_STATUS] = {
#define AR__ID(name, text) #name,
    ATTNROUTE_STATUS_LIST(AR__ID)
#undef AR__ID
};

const char *ar_reason_id(int status) {
  return reason_ids[status >= 0 && status < ATTNROUTE_NUM_STATUS ? status : 0];
}

void ar_json_select(FILE *f, const attnroute_choice *c) {
  fprintf(f, "{\"from_table\":%d,\"rank\":%d,\"reason\":", c->from_table, c->rank);
  ar_json_lower(f, ar_reason_id(c->reason));
  fputs(",\"name\":", f);
  ar_json_str(f, c->name);
  fputc('}', f);
}

static const char *dtype_name(int32_t d) { return d >= 0 && d < ATTNROUTE_NUM_DTYPES ? attnroute_dtype_name(d) : "?"; }
static const char *lookup_name(int32_t l) { return l >= 0 && l < ATTNROUTE_NUM_LOOKUPS ? lookup_names[l] : "?"; }

static void class_label(const attnroute_class *c, char *buf, size_t len) {
  snprintf(buf, len, "head_dim=%d q=%s kv=%s sinks=%d window=%d block=%d causal=%d", c->head_dim,
           dtype_name(c->q_dtype), dtype_name(c->kv_dtype), c->has_sinks, c->sliding_window, c->kv_block_size,
           c->causal);
}

static void shape_label(const ar_eval_shape *s, char *buf, size_t len) {
  const attnroute_problem *p = &s->p;
  snprintf(buf, len, "ns=%d sq=%d cached=%d hq=%d hkv=%d d=%d sinks=%d win=%d page=%d", p->num_seqs,
           p->max_seqlen_q, s->cached, p->num_q_heads, p->num_kv_heads, p->head_dim, p->has_sinks,
           p->sliding_window, p->kv_block_size);
}

static const char *cand_name(const ar_eval *ev, int32_t k) {
  return k >= 0 && k < ev->table->num_candidates ? ev->table->candidates[k].name : "(none)";
}

/* A regret as text: "1.0234", "inf" for a failed pick, "-" for none. */
static void fmt_regret(double r, char *buf, size_t len) {
  if (isnan(r)) snprintf(buf, len, "-");
  else if (isinf(r)) snprintf(buf, len, "inf");
  else snprintf(buf, len, "%.4f", r);
}

/* How the table's pick came about: "rank 0", or "legacy: <reason>". */
static void fmt_via(const ar_shape_result *r, char *buf, size_t len) {
  if (r->choice.from_table) snprintf(buf, len, "rank %d", r->choice.rank);
  else snprintf(buf, len, "legacy %s: %s", attnroute_route_name(r->choice.route), attnroute_status_str(r->choice.reason));
}

/* "name 12.3us" or "name [wrong]" or "(none)". */
static void fmt_pick(const ar_eval *ev, const ar_pick *pk, char *buf, size_t len) {
  if (pk->candidate < 0) snprintf(buf, len, "(no stand-in for %s)", attnroute_route_name(pk->route));
  else if (pk->status == AR_MEAS_OK) snprintf(buf, len, "%s %.4gus", cand_name(ev, pk->candidate), pk->us);
  else snprintf(buf, len, "%s [%s]", cand_name(ev, pk->candidate), ar_meas_status_name(pk->status));
}

static void text_stats_row(FILE *f, const char *name, const ar_policy_stats *s) {
  char g[32], p50[32], p95[32], mx[32];
  fmt_regret(s->geomean, g, sizeof g);
  fmt_regret(s->p50, p50, sizeof p50);
  fmt_regret(s->p95, p95, sizeof p95);
  fmt_regret(s->max, mx, sizeof mx);
  fprintf(f, "  %-10s %7zu %8zu %7zu %9s %9s %9s %9s\n", name, s->shapes, s->optimal, s->failed, g, p50, p95, mx);
}

int ar_report_text(FILE *f, const ar_eval *ev, const ar_report_opts *o) {
  const attnroute_table *t = ev->table;
  const ar_evaldb *db = ev->db;
  size_t i, nworst = 0, *worst, shown;
  int32_t c;
  int slot, reason;
  char buf[512];

  fprintf(f, "attnroute-eval: table %s (%s:%d, %d candidates, %d classes)\n", o->table_path, t->arch, t->cu_count,
          t->num_candidates, t->num_classes);
  fprintf(f, "  eval db %s, measurements of device class %s:%d%s\n", o->db_path, db->arch, db->cu_count,
          (strcmp(db->arch, t->arch) != 0 || db->cu_count != t->cu_count) ? " (another device than the table's)" : "");
  fprintf(f, "  shapes: %zu evaluated, %zu incomplete (a table candidate not measured), %zu with no ok candidate, "
             "%zu invalid\n",
          ev->evaluated, ev->incomplete, ev->no_ok, db->invalid_shapes);
  if (ev->on_grid)
    fprintf(f, "  note: %zu shape(s) on the table's grid left out (the table was tuned there; --include-grid "
               "keeps them)\n", ev->on_grid);
  if (db->foreign_candidates)
    fprintf(f, "  note: %zu candidate(s) measured in the db are not in the table (ignored)\n", db->foreign_candidates);
  if (db->stale) fprintf(f, "  note: stale candidates used (--allow-stale): %s\n", db->stale_names);
  fprintf(f, "\nregret = time(pick) / time(fastest ok candidate of the table); failed = the pick is not ok on the\n"
             "shape (wrong, fault, timeout, unsupported) or no candidate stands in for the legacy route\n\n");
  fprintf(f, "  %-10s %7s %8s %7s %9s %9s %9s %9s\n", "policy", "shapes", "optimal", "failed", "geomean", "p50", "p95",
          "max");
  for (slot = 0; slot < AR_NUM_SLOTS; slot++) text_stats_row(f, slot_names[slot], &ev->stats[slot]);

  fprintf(f, "\nby class (geomean regret; failed picks in brackets):\n");
  for (c = 0; c <= t->num_classes; c++) {
    const ar_policy_stats *s = &ev->class_stats[(size_t)c * AR_NUM_SLOTS];
    if (c < t->num_classes) {
      class_label(&t->classes[c], buf, sizeof buf);
      fprintf(f, "  class %d: %s, lookup %s\n", c, buf, lookup_name(t->classes[c].lookup));
    } else {
      if (s[0].shapes == 0) break;
      fprintf(f, "  shapes of no table class\n");
    }
    fprintf(f, "    %zu shapes:", s[0].shapes);
    for (slot = 0; slot < AR_NUM_SLOTS; slot++) {
      fmt_regret(s[slot].geomean, buf, sizeof buf);
      fprintf(f, "  %s %s [%zu]", slot_names[slot], buf, s[slot].failed);
    }
    fprintf(f, "\n");
  }

  fprintf(f, "\ntable fallbacks to the legacy policy (%s, unified attention %s): %zu of %zu evaluated shapes\n",
          attnroute_policy_name(ev->fallback_policy), ev->legacy_env.use_unified_attn ? "on" : "off",
          ev->fallbacks, ev->evaluated);
  for (reason = 0; reason < ATTNROUTE_NUM_STATUS; reason++)
    if (ev->fallback_by_reason[reason])
      fprintf(f, "  %7zu  %s\n", ev->fallback_by_reason[reason], attnroute_status_str(reason));
  fprintf(f, "table answers below rank 0 (the cell's first candidate cannot run the shape): %zu\n", ev->below_top);

  worst = ar_eval_worst(ev, &nworst);
  if (!worst && ev->evaluated) return -1;
  shown = nworst < o->worst ? nworst : o->worst;
  if (shown) {
    int ws = 5, wp = 10, wv = 3, wo = 6;
    for (i = 0; i < shown; i++) {
      const ar_shape_result *r = &ev->results[worst[i]];
      int n;
      shape_label(&db->shapes[worst[i]], buf, sizeof buf);
      if ((n = (int)strlen(buf)) > ws) ws = n;
      fmt_pick(ev, &r->pick[AR_SLOT_TABLE], buf, sizeof buf);
      if ((n = (int)strlen(buf)) > wp) wp = n;
      fmt_via(r, buf, sizeof buf);
      if ((n = (int)strlen(buf)) > wv) wv = n;
      snprintf(buf, sizeof buf, "%s %.4gus", cand_name(ev, r->oracle), r->oracle_us);
      if ((n = (int)strlen(buf)) > wo) wo = n;
    }
    fprintf(f, "\nworst %zu shape(s) for the table:\n", shown);
    fprintf(f, "  %8s  %-*s  %-*s  %-*s  %-*s  %9s %9s\n", "regret", ws, "shape", wp, "table pick", wv, "via", wo,
            "oracle", "pre-1345", "post-1345");
    for (i = 0; i < shown; i++) {
      const ar_shape_result *r = &ev->results[worst[i]];
      char rg[32], shape[512], pick[512], via[512], orc[512], pre[32], post[32];
      fmt_regret(r->pick[AR_SLOT_TABLE].regret, rg, sizeof rg);
      shape_label(&db->shapes[worst[i]], shape, sizeof shape);
      fmt_pick(ev, &r->pick[AR_SLOT_TABLE], pick, sizeof pick);
      fmt_via(r, via, sizeof via);
      snprintf(orc, sizeof orc, "%s %.4gus", cand_name(ev, r->oracle), r->oracle_us);
      fmt_regret(r->pick[AR_SLOT_PRE_1345].regret, pre, sizeof pre);
      fmt_regret(r->pick[AR_SLOT_POST_1345].regret, post, sizeof post);
      fprintf(f, "  %8s  %-*s  %-*s  %-*s  %-*s  %9s %9s\n", rg, ws, shape, wp, pick, wv, via, wo, orc, pre, post);
    }
  }
  free(worst);
  return 0;
}

/* ---- JSON ---- */

void ar_json_str(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  fputc('"', f);
  for (; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20 || *p >= 0x7f) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

void ar_json_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.17g", v);
  else fputs("null", f);
}

void ar_json_regrets(FILE *f, double geomean, double p50, double p95, double max) {
  fputs(",\"geomean\":", f);
  ar_json_num(f, geomean);
  fputs(",\"p50\":", f);
  ar_json_num(f, p50);
  fputs(",\"p95\":", f);
  ar_json_num(f, p95);
  fputs(",\"max\":", f);
  ar_json_num(f, max);
}

static void json_stats(FILE *f, const ar_policy_stats *s) {
  fprintf(f, "{\"shapes\":%zu,\"optimal\":%zu,\"failed\":%zu", s->shapes, s->optimal, s->failed);
  ar_json_regrets(f, s->geomean, s->p50, s->p95, s->max);
  fputc('}', f);
}

static void json_pick(FILE *f, const ar_eval *ev, const ar_pick *pk) {
  fputs("{\"candidate\":", f);
  if (pk->candidate >= 0) ar_json_str(f, cand_name(ev, pk->candidate));
  else fputs("null", f);
  fprintf(f, ",\"status\":\"%s\",\"us\":", ar_meas_status_name(pk->status));
  ar_json_num(f, pk->us);
  fputs(",\"regret\":", f);
  ar_json_num(f, pk->regret);
  fprintf(f, ",\"failed\":%s,\"route\":", isfinite(pk->regret) ? "false" : "true");
  if (pk->route >= 0) ar_json_str(f, attnroute_route_name(pk->route));
  else fputs("null", f);
  fputc('}', f);
}

void ar_json_lower(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) fputc((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s, f);
  fputc('"', f);
}

int ar_report_json(FILE *f, const ar_eval *ev, const ar_report_opts *o) {
  const attnroute_table *t = ev->table;
  const ar_evaldb *db = ev->db;
  size_t i, nworst = 0, *worst, shown;
  int32_t c;
  int slot, reason, first;
  char buf[512];

  worst = ar_eval_worst(ev, &nworst);
  if (!worst && ev->evaluated) return -1;
  shown = nworst < o->worst ? nworst : o->worst;

  fputs("{\"format\":\"attnroute-eval\",\"version\":1,\n\"table\":{\"path\":", f);
  ar_json_str(f, o->table_path);
  fputs(",\"arch\":", f);
  ar_json_str(f, t->arch);
  fprintf(f, ",\"cu_count\":%d,\"candidates\":[", t->cu_count);
  for (c = 0; c < t->num_candidates; c++) {
    if (c) fputc(',', f);
    ar_json_str(f, t->candidates[c].name);
  }
  fputs("],\"classes\":[", f);
  for (c = 0; c < t->num_classes; c++) {
    class_label(&t->classes[c], buf, sizeof buf);
    fprintf(f, "%s{\"label\":", c ? "," : "");
    ar_json_str(f, buf);
    fprintf(f, ",\"lookup\":\"%s\"}", lookup_name(t->classes[c].lookup));
  }
  fputs("]},\n\"db\":{\"path\":", f);
  ar_json_str(f, o->db_path);
  fputs(",\"device\":", f);
  snprintf(buf, sizeof buf, "%s:%d", db->arch, db->cu_count);
  ar_json_str(f, buf);
  fprintf(f, ",\"shapes\":%zu,\"evaluated\":%zu,\"incomplete\":%zu,\"no_ok\":%zu,\"on_grid\":%zu,"
             "\"invalid\":%zu,\"foreign_candidates\":%zu,\"stale\":",
          db->count + db->invalid_shapes, ev->evaluated, ev->incomplete, ev->no_ok, ev->on_grid,
          db->invalid_shapes, db->foreign_candidates);
  ar_json_str(f, db->stale_names);
  fputs("},\n\"fallback_policy\":", f);
  ar_json_str(f, attnroute_policy_name(ev->fallback_policy));
  fprintf(f, ",\n\"unified_attn\":%d", ev->legacy_env.use_unified_attn ? 1 : 0);
  fputs(",\n\"policies\":{", f);
  for (slot = 0; slot < AR_NUM_SLOTS; slot++) {
    fprintf(f, "%s\"%s\":", slot ? ",\n  " : "", slot_names[slot]);
    json_stats(f, &ev->stats[slot]);
  }
  fputs("},\n\"classes\":[", f);
  for (c = 0; c <= t->num_classes; c++) {
    const ar_policy_stats *s = &ev->class_stats[(size_t)c * AR_NUM_SLOTS];
    fprintf(f, "%s{\"class\":", c ? ",\n  " : "\n  ");
    if (c < t->num_classes) fprintf(f, "%d", c);
    else fputs("null", f);
    for (slot = 0; slot < AR_NUM_SLOTS; slot++) {
      fprintf(f, ",\"%s\":", slot_names[slot]);
      json_stats(f, &s[slot]);
    }
    fputc('}', f);
  }
  fprintf(f, "],\n\"fallbacks\":{\"total\":%zu,\"below_top\":%zu,\"by_reason\":{", ev->fallbacks, ev->below_top);
  first = 1;
  for (reason = 0; reason < ATTNROUTE_NUM_STATUS; reason++) {
    if (!ev->fallback_by_reason[reason]) continue;
    if (!first) fputc(',', f);
    first = 0;
    ar_json_lower(f, reason_ids[reason]);
    fprintf(f, ":%zu", ev->fallback_by_reason[reason]);
  }
  fputs("}},\n\"worst\":[", f);
  for (i = 0; i < shown; i++) {
    const ar_shape_result *r = &ev->results[worst[i]];
    const ar_eval_shape *s = &db->shapes[worst[i]];
    const attnroute_problem *p = &s->p;
    fprintf(f,
            "%s{\"shape_id\":%lld,\"num_seqs\":%d,\"seqlen_q\":%d,\"cached\":%d,\"num_q_heads\":%d,"
            "\"num_kv_heads\":%d,\"head_dim\":%d,\"q_dtype\":\"%s\",\"kv_dtype\":\"%s\",\"has_sinks\":%d,"
            "\"sliding_window\":%d,\"kv_block_size\":%d,\"causal\":%d,\"class\":",
            i ? ",\n  " : "\n  ", (long long)s->shape_id, p->num_seqs, p->max_seqlen_q, s->cached, p->num_q_heads,
            p->num_kv_heads, p->head_dim, dtype_name(p->q_dtype), dtype_name(p->kv_dtype), p->has_sinks,
            p->sliding_window, p->kv_block_size, p->causal);
    if (r->klass >= 0) fprintf(f, "%d", r->klass);
    else fputs("null", f);
    fputs(",\"oracle\":{\"candidate\":", f);
    ar_json_str(f, cand_name(ev, r->oracle));
    fputs(",\"us\":", f);
    ar_json_num(f, r->oracle_us);
    fputs("},\"select\":", f);
    ar_json_select(f, &r->choice);
    for (slot = 0; slot < AR_NUM_SLOTS; slot++) {
      fprintf(f, ",\"%s\":", slot_names[slot]);
      json_pick(f, ev, &r->pick[slot]);
    }
    fputc('}', f);
  }
  fputs("]}\n", f);
  free(worst);
  return 0;
}
