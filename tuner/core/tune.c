/*
** tune.c -- the tuning job (see tune.h): plan, resume, measure, store.
** One device: the loop runs here over one worker.  Several (--devices):
** one forked driver per device measures whole shapes from a shared queue
** (tune_share.c) while this process draws the progress.
*/
#include "tune.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gen_command.h"
#include "grid.h"
#include "kernel_path.h"
#include "plan_shard.h"
#include "progress.h"
#include "store.h"
#include "trace.h"
#include "workload.h"
#include "worker.h"

#ifndef AR_TUNER_VERSION
#define AR_TUNER_VERSION "attnroute-tune 0.1.0"
#endif
#ifndef AR_GIT_REVISION
#define AR_GIT_REVISION ""
#endif

/* A candidate of the backend with what the plan knows of it. */
typedef struct planned_candidate {
  const ar_candidate *c;
  int index; /* in candidates_for_backend() */
  char hash[65];
  int64_t id;
} planned_candidate;

typedef struct plan {
  ar_shape_list shapes;
  const char *source; /* grid name for messages */
  int has_lines;      /* shapes come from a file with lines (shape list, trace) */
  planned_candidate *cands;
  int ncands;
  /* --trace: the sampled calls, each naming its shape in `shapes` */
  const char *trace_name;
  char trace_name_buf[256];
  ar_store_trace_call *calls; /* shape_id holds the index into shapes until stored */
  size_t ncalls;
} plan;

static int matches(const ar_tune_opts *o, const char *name) {
  if (!o->patterns[0]) return 1;
  for (int i = 0; o->patterns[i]; i++)
    if (fnmatch(o->patterns[i], name, 0) == 0) return 1;
  return 0;
}

/* The trace's sampled calls: their distinct shapes into pl->shapes (taken
** from the trace, in order of first use), the calls into pl->calls. */
static int load_trace(const ar_tune_opts *o, plan *pl, char *err, size_t errlen) {
  ar_trace t;
  size_t *picked = NULL, npicked = 0;
  pl->source = o->trace_path;
  pl->has_lines = 1;
  if (ar_trace_load(o->trace_path, &t, err, errlen)) return -1;
  const char *base = strrchr(o->trace_path, '/');
  snprintf(pl->trace_name_buf, sizeof pl->trace_name_buf, "%s", o->trace_name ? o->trace_name : base ? base + 1 : o->trace_path);
  pl->trace_name = pl->trace_name_buf;
  size_t *where = malloc((t.shapes.count ? t.shapes.count : 1) * sizeof *where);
  if (!where || ar_trace_sample(&t, o->sample > 0 ? (size_t)o->sample : 0, o->seed, &picked, &npicked)) {
    snprintf(err, errlen, "%s: out of memory", o->trace_path);
    goto fail;
  }
  for (size_t i = 0; i < t.shapes.count; i++) where[i] = SIZE_MAX;
  pl->calls = calloc(npicked ? npicked : 1, sizeof *pl->calls);
  if (!pl->calls) {
    snprintf(err, errlen, "%s: out of memory", o->trace_path);
    goto fail;
  }
  for (size_t k = 0; k < npicked; k++) {
    const ar_trace_call *c = &t.calls[picked[k]];
    if (where[c->shape] == SIZE_MAX) {
      ar_shape *sh = &t.shapes.items[c->shape];
      if (ar_shape_list_push(&pl->shapes, sh)) {
        sh->seqs = NULL; /* freed by the push */
        snprintf(err, errlen, "%s: out of memory", o->trace_path);
        goto fail;
      }
      sh->seqs = NULL; /* the plan owns them now */
      where[c->shape] = pl->shapes.count - 1;
    }
    pl->calls[k].call_index = (int64_t)picked[k];
    pl->calls[k].step = c->step == ATTNROUTE_STEP_PREFILL ? "prefill" : "decode";
    pl->calls[k].shape_id = (int64_t)where[c->shape];
  }
  pl->ncalls = npicked;
  free(where);
  free(picked);
  ar_trace_free(&t);
  return 0;
fail:
  free(where);
  free(picked);
  ar_trace_free(&t);
  return -1;
}

/* Whether the backend's device is this machine's CPU (its traits). */
static int on_cpu(const char *backend) {
  const ar_backend_traits *t = ar_backend_traits_of(backend);
  return t && t->on_cpu;
}

/* What n of the backend's cu_count are called ("1 core", "132 SMs"). */
static const char *units(const char *backend, int32_t n) {
  const ar_backend_traits *t = ar_backend_traits_of(backend);
  return !t ? "units" : n == 1 ? t->unit : t->units;
}

static int load_shapes(const ar_tune_opts *o, const char *backend, plan *pl) {
  char err[512];
  const char *name = o->grid_path;
  if (o->trace_path) {
    if (load_trace(o, pl, err, sizeof err) == 0) return 0;
  } else if (o->shapes_path) {
    pl->source = o->shapes_path;
    pl->has_lines = 1;
    if (ar_grid_load(o->shapes_path, 1, &pl->shapes, err, sizeof err) == 0) return 0;
  } else {
    if (!name) name = on_cpu(backend) ? "builtin:host-small" : "builtin:gpt-oss";
    pl->source = name;
    if (strncmp(name, "builtin:", 8) == 0) {
      const char *text = ar_grid_builtin(name + 8);
      if (!text) {
        fprintf(stderr, "attnroute-tune: no embedded grid '%s' (", name + 8);
        for (const char *const *n = ar_grid_builtin_names(); *n; n++)
          fprintf(stderr, "%sbuiltin:%s", n == ar_grid_builtin_names() ? "" : ", ", *n);
        fprintf(stderr, ")\n");
        return -1;
      }
      if (ar_grid_parse(text, name, 0, &pl->shapes, err, sizeof err) == 0) return 0;
    } else if (ar_grid_load(name, 0, &pl->shapes, err, sizeof err) == 0) {
      return 0;
    }
  }
  fprintf(stderr, "attnroute-tune: %s\n", err);
  return -1;
}

/* The backend's candidates that match --candidates and whose code objects
** are found; the others are reported and left out. */
static int plan_candidates(const ar_tune_opts *o, const char *backend, plan *pl) {
  int n = 0;
  const ar_candidate *const *all = candidates_for_backend(backend, &n);
  pl->cands = calloc((size_t)(n > 0 ? n : 1), sizeof *pl->cands);
  if (!pl->cands) return -1;
  for (int i = 0; i < n; i++) {
    if (!matches(o, all[i]->name)) continue;
    planned_candidate *pc = &pl->cands[pl->ncands];
    char err[512];
    if (!ar_candidate_available(backend, all[i], err, sizeof err) ||
        ar_candidate_code_hash(all[i], pc->hash, err, sizeof err)) {
      fprintf(stderr, "attnroute-tune: warning: leaving out %s: %s\n", all[i]->name, err);
      continue;
    }
    pc->c = all[i];
    pc->index = i;
    pl->ncands++;
  }
  if (pl->ncands == 0) {
    fprintf(stderr, "attnroute-tune: no candidate to measure on backend %s%s\n", backend,
            o->patterns[0] ? " matches --candidates" : "");
    return -1;
  }
  return 0;
}

/* Load every planned candidate once in the worker; one whose code objects
** or symbols cannot be loaded is left out (with the reason) rather than
** recorded as failing on every shape. */
static int preload_candidates(ar_worker *w, plan *pl, const volatile int *interrupted) {
  int kept = 0;
  for (int i = 0; i < pl->ncands; i++) {
    char err[512];
    if (ar_worker_load(w, pl->cands[i].index, err, sizeof err) == 0) {
      pl->cands[kept++] = pl->cands[i];
      continue;
    }
    if (*interrupted) return -1;
    fprintf(stderr, "attnroute-tune: warning: leaving out %s: %s\n", pl->cands[i].c->name, err);
  }
  pl->ncands = kept;
  if (kept == 0) {
    fprintf(stderr, "attnroute-tune: no candidate could be loaded\n");
    return -1;
  }
  return 0;
}

/* Prior estimate, in seconds, of one measurement under policy t, for the
** plan and the ETA (which then learns the real cost from measured time):
** the check run, the warm-up and the timed repetitions, each after a cache
** flush; repetitions until min_ms of kernel time, within min_reps..max_reps
** and the measure loop's wall-time cap (measure.c). */
static double measurement_estimate(const ar_shape *s, const char *backend, const ar_timing_policy *t) {
  int host = on_cpu(backend);
  double kernel_ms = ar_shape_flops(s) * 4 / (host ? 2e9 : 2e14) * 1e3 + (host ? 0.01 : 0.005);
  double flush_ms = t->flush_cache ? (host ? 6.0 : 0.05) : 0;
  double reps = ceil(t->min_ms / kernel_ms);
  if (reps < t->min_reps) reps = t->min_reps;
  if (reps > t->max_reps) reps = t->max_reps;
  double cap_ms = 4 * (t->max_ms > t->min_ms ? t->max_ms : t->min_ms);
  double rep_ms = kernel_ms + flush_ms;
  if (reps > t->min_reps && reps * rep_ms > cap_ms) reps = fmax(t->min_reps, cap_ms / rep_ms);
  return (1 + t->warmup + reps) * rep_ms / 1e3;
}

/* Shapes from a shape list or trace must fit this machine: a batch too
** large for the host inputs or the device is bad input, named by file:line,
** before anything is written.  (Grid shapes that do not fit are skipped
** with a warning when they come up.) */
static int check_fits(const plan *pl, const ar_worker *w) {
  if (!pl->has_lines) return 0;
  for (size_t i = 0; i < pl->shapes.count; i++) {
    const ar_shape *sh = &pl->shapes.items[i];
    char err[512];
    if (ar_batch_fits(&sh->p, sh->seqs, sh->seqlen_q, sh->cached, AR_MAX_SPLITS, w->dev.memory_bytes, err,
                      sizeof err) == 0)
      continue;
    char desc[200];
    ar_shape_describe(sh, desc, sizeof desc);
    fprintf(stderr, "attnroute-tune: %s:%d: %s does not fit %s %s: %s\n", pl->source, sh->line,
            pl->calls ? "call" : "shape", w->backend, w->dev.name, err);
    fprintf(stderr, "attnroute-tune: (%s); nothing was written\n", desc);
    return -1;
  }
  return 0;
}

/* The backend's default timing policy with the command line's overrides. */
static void resolve_policy(const ar_tune_opts *o, const char *backend, ar_timing_policy *t) {
  ar_timing_policy_default(t, backend);
  if (o->warmup >= 0) t->warmup = o->warmup;
  if (o->min_reps > 0) t->min_reps = o->min_reps;
  if (o->max_reps > 0) t->max_reps = o->max_reps;
  if (t->max_reps < t->min_reps) t->max_reps = t->min_reps;
  if (o->min_ms >= 0) t->min_ms = o->min_ms;
  if (o->max_ms >= 0) t->max_ms = o->max_ms;
  if (o->tolerance > 0) t->tolerance = o->tolerance;
  if (o->no_flush) t->flush_cache = 0;
  t->graph = o->timing && strcmp(o->timing, "graph") == 0;
}

/* The shape row of sh (ragged batches with their seqs text). */
static int store_shape(ar_store *st, const ar_shape *sh, int64_t *id) {
  char *seqs = ar_shape_seqs_text(sh);
  if (!seqs) {
    fprintf(stderr, "attnroute-tune: out of memory\n");
    return -1;
  }
  ar_store_shape ss = {sh->p, sh->seqlen_q, sh->seqlen_q + sh->cached, seqs};
  int rc = ar_store_shape_id(st, &ss, id);
  free(seqs);
  return rc;
}

static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static void print_plan(const plan *pl, const ar_worker *w, size_t total, size_t unsupported, size_t done,
                       double est_s, const ar_tune_opts *o, const int *devices, int ndevices,
                       const char *plan_hash, size_t plan_shapes) {
  printf("plan for %s\n", pl->source);
  if (w->pid <= 0)
    printf("  device    : %s, not opened on this machine (%s);\n"
           "              the plan lists the build's candidates, nothing is measured\n", w->backend, w->note);
  else
    printf("  device    : %s %s (%s, %d %s)\n", w->backend, w->dev.name, w->dev.arch, w->dev.cu_count,
           units(w->backend, w->dev.cu_count));
  if (w->pid > 0 && w->dev.wgp_count > 0) /* AMD in WGP mode: both counts */
    printf("              CU count from %s; HIP's multiProcessorCount %d (WGPs)\n",
           w->dev.cu_source, w->dev.wgp_count);
  else if (w->pid > 0 && w->dev.cu_source[0])
    printf("              CU count from %s\n", w->dev.cu_source);
  if (ndevices > 1 || o->ndevices || o->all_devices) {
    printf("  devices   : %d (", ndevices);
    for (int i = 0; i < ndevices; i++) printf("%s%d", i ? "," : "", devices[i]);
    printf("), whole shapes dealt to them\n");
  }
  printf("  plan hash : %s (%zu shapes)\n", plan_hash, plan_shapes);
  if (o->shard_count)
    printf("  shard     : %d/%d: %zu of the plan's %zu shapes\n", o->shard_index, o->shard_count, pl->shapes.count,
           plan_shapes);
  if (pl->calls)
    printf("  trace     : %s, %zu call(s) (--sample %d, seed %llu)\n", pl->trace_name, pl->ncalls, o->sample,
           (unsigned long long)o->seed);
  printf("  shapes    : %zu%s\n", pl->shapes.count, pl->calls ? " (identical calls measured once)" : "");
  printf("  candidates: %d\n", pl->ncands);
  for (int i = 0; i < pl->ncands; i++)
    printf("    %-34s %.12s  %s\n", pl->cands[i].c->name, pl->cands[i].hash, pl->cands[i].c->params);
  printf("  measurements: %zu = %zu shapes x %d candidates\n", pl->shapes.count * (size_t)pl->ncands,
         pl->shapes.count, pl->ncands);
  printf("    unsupported by capability (recorded, not run): %zu\n", unsupported);
  printf("    already in %s: %zu\n", o->db_path, done);
  printf("    to run: %zu\n", total);
  char eta[32];
  ar_format_duration(est_s, eta, sizeof eta);
  printf("  estimated time: roughly %s (checks, warm-up and timed repetitions with cache flushes;\n"
         "                  the progress line learns the real rate)\n", eta);
}

/* The end of a run: what was measured, how long it took, and the next step
** (the generator, as this installation or build tree runs it). */
static void print_summary(const ar_progress *p, const ar_tune_opts *o, size_t already, int rc) {
  char elapsed[32];
  ar_format_duration(ar_progress_elapsed(p), elapsed, sizeof elapsed);
  fprintf(stderr,
          "tune: %s in %s: %zu of %zu measured (ok %zu, unsupported %zu, wrong %zu, fault %zu, timeout %zu), "
          "%zu already in %s\n",
          rc == AR_EXIT_INTERRUPTED ? "interrupted" : "finished", elapsed, p->done_items, p->total_items,
          p->counts[AR_STATUS_OK], p->counts[AR_STATUS_UNSUPPORTED], p->counts[AR_STATUS_WRONG],
          p->counts[AR_STATUS_FAULT], p->counts[AR_STATUS_TIMEOUT], already, o->db_path);
  char gen[4096];
  ar_gen_command(gen, sizeof gen);
  if (rc == AR_EXIT_INTERRUPTED || rc == AR_EXIT_INCOMPLETE)
    fprintf(stderr, "next: re-run the same command to resume, then: %s %s -o attnroute_table.h\n", gen, o->db_path);
  else
    fprintf(stderr, "next: %s %s -o attnroute_table.h\n", gen, o->db_path);
}

/* Everything the measuring loop needs, shared (copied at fork) by the
** drivers of a multi-device run. */
typedef struct job {
  const ar_tune_opts *o;
  plan *pl;
  ar_timing_policy policy;
  const char *backend;
  ar_device_info dev0;      /* the first device: its class is the run's */
  size_t nshapes;
  unsigned char *todo;      /* nshapes x ncands: 0 skip, 1 run, 2 unsupported */
  int64_t *shape_ids;
  int64_t *owner;           /* device row already holding some of the shape, 0 = none */
  int64_t run_id;
  uint64_t seed_base;
  ar_share *share;          /* NULL on one device */
  const volatile int *interrupted;
} job;

/* What a loop left undone (summed over the drivers). */
typedef struct tally {
  size_t skipped_shapes, too_large, unrecorded;
} tally;

static char host_name[256];

static int register_device(ar_store *st, const ar_device_info *dev, int64_t *device_id) {
  ar_store_device d = {dev->vendor, dev->arch, dev->name, dev->driver_version, dev->runtime_version,
                       dev->cu_count, dev->memory_bytes, host_name, dev->ordinal, dev->uuid,
                       dev->wgp_count, dev->cu_source};
  return ar_store_device_id(st, &d, device_id);
}

static int register_rows(ar_store *st, const ar_device_info *dev, const char *backend, const ar_tune_opts *o,
                         const ar_timing_policy *t, plan *pl, const char *plan_hash, size_t plan_shapes,
                         int64_t *device_id, int64_t *run_id) {
  if (register_device(st, dev, device_id)) return -1;
  for (int i = 0; i < pl->ncands; i++) {
    const ar_candidate *c = pl->cands[i].c;
    ar_store_candidate sc = {c->name, c->family, c->params, pl->cands[i].hash, c->legacy_route, &c->caps};
    if (ar_store_candidate_id(st, &sc, &pl->cands[i].id)) return -1;
  }
  char policy[256];
  if (o->dry_run) return 0; /* read-only store: ids found (0 when absent), no run */
  ar_timing_policy_describe(t, policy, sizeof policy);
  ar_store_run r = {*device_id, backend, AR_TUNER_VERSION, AR_GIT_REVISION[0] ? AR_GIT_REVISION : NULL,
                    o->command_line, policy, plan_hash, (int32_t)plan_shapes, o->shard_index, o->shard_count};
  return ar_store_run_begin(st, &r, run_id);
}

static void step(const job *j, ar_progress *prog, int status, double work, const char *what) {
  ar_progress_step(prog, status, work, what);
  if (j->share) ar_share_step(j->share, status, work);
}

/* Measure what is left of shape s on worker w (device row device_id).
** Returns AR_EXIT_OK, AR_EXIT_ERROR (db) or AR_EXIT_INTERRUPTED; what could
** not be measured is counted in *t. */
static int measure_shape(const job *j, ar_worker *w, ar_store *st, int64_t device_id, size_t s,
                         ar_progress *prog, tally *t) {
  const plan *pl = j->pl;
  const ar_timing_policy *policy = &j->policy;
  const ar_shape *sh = &pl->shapes.items[s];
  const volatile int *interrupted = j->interrupted;
  double timeout_s = j->o->timeout_s;
  uint64_t seed = mix64(j->seed_base ^ (uint64_t)s);
  char desc[160], err[1024];
  ar_shape_describe(sh, desc, sizeof desc);
  int ready = 0;
  double best_us = 0;
  for (int c = 0; c < pl->ncands; c++) {
    unsigned char todo = j->todo[s * pl->ncands + c];
    if (!todo) continue;
    ar_store_measurement m;
    memset(&m, 0, sizeof m);
    m.run_id = j->run_id;
    m.device_id = device_id;
    m.candidate_id = pl->cands[c].id;
    m.shape_id = j->shape_ids[s];
    m.rel_err = -1;
    ar_result r;
    memset(&r, 0, sizeof r);
    if (todo == 2) {
      m.status = AR_STATUS_UNSUPPORTED;
      m.message = "outside the candidate's capability limits";
      if (ar_store_measurement_put(st, &m)) {
        fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
        return AR_EXIT_ERROR;
      }
      continue;
    }
    if (!ready) {
      if (ar_worker_setup_shape(w, sh, seed, timeout_s * 10, err, sizeof err)) {
        if (*interrupted) return AR_EXIT_INTERRUPTED;
        ar_progress_note(prog, "attnroute-tune: warning: skipping %s: %s", desc, err);
        if (strncmp(err, AR_TOO_LARGE, strlen(AR_TOO_LARGE)) == 0) t->too_large++;
        else t->skipped_shapes++;
        for (int k = c; k < pl->ncands; k++)
          if (j->todo[s * pl->ncands + k] == 1) step(j, prog, -1, measurement_estimate(sh, j->backend, policy), desc);
        return AR_EXIT_OK;
      }
      ready = 1;
    }
    int mr = ar_worker_measure(w, pl->cands[c].index, policy, best_us, timeout_s, &r);
    if (mr == AR_WORKER_KILLED && !*interrupted) {
      /* Killed from outside (not the candidate's doing): measure again
      ** once in a fresh worker; killed again, leave it unrecorded. */
      ar_progress_note(prog, "attnroute-tune: warning: %s on %s: %s; measuring it again", pl->cands[c].c->name,
                       desc, r.message);
      mr = ar_worker_setup_shape(w, sh, seed, timeout_s * 10, err, sizeof err) == 0
               ? ar_worker_measure(w, pl->cands[c].index, policy, best_us, timeout_s, &r)
               : AR_WORKER_KILLED;
      if (mr == AR_WORKER_KILLED && !*interrupted) {
        ar_progress_note(prog, "attnroute-tune: warning: %s on %s: not recorded (%s); re-run to measure it",
                         pl->cands[c].c->name, desc, r.message);
        t->unrecorded++;
        ready = ar_worker_alive(w) ? ready : 0;
        step(j, prog, -1, measurement_estimate(sh, j->backend, policy), desc);
        continue;
      }
    }
    if (mr != 0 || *interrupted) return AR_EXIT_INTERRUPTED;
    if (!ar_worker_alive(w)) ready = 0;
    m.status = r.status;
    m.median_us = r.median_us;
    m.p10_us = r.p10_us;
    m.p90_us = r.p90_us;
    m.reps = r.reps;
    m.rel_err = r.rel_err;
    m.message = r.message;
    if (r.status == AR_STATUS_OK && (best_us == 0 || r.median_us < best_us)) best_us = r.median_us;
    if (r.status == AR_STATUS_FAULT || r.status == AR_STATUS_TIMEOUT || r.status == AR_STATUS_WRONG)
      ar_progress_note(prog, "attnroute-tune: %s on %s: %s: %s", pl->cands[c].c->name, desc,
                       ar_status_name(r.status), r.message);
    if (ar_store_measurement_put(st, &m)) {
      fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
      return AR_EXIT_ERROR;
    }
    char what[256];
    snprintf(what, sizeof what, "%s %s", pl->cands[c].c->name, desc);
    step(j, prog, r.status, measurement_estimate(sh, j->backend, policy), what);
  }
  return *interrupted ? AR_EXIT_INTERRUPTED : AR_EXIT_OK;
}

/* Worse of two exit codes: interrupted, error, usage, incomplete, ok. */
static int worse(int a, int b) {
  static const int rank[] = {AR_EXIT_OK, AR_EXIT_INCOMPLETE, AR_EXIT_USAGE, AR_EXIT_ERROR, AR_EXIT_INTERRUPTED};
  int ra = 0, rb = 0;
  for (int i = 0; i < 5; i++) {
    if (rank[i] == a) ra = i;
    if (rank[i] == b) rb = i;
  }
  return ra >= rb ? a : b;
}

/* One driver of a multi-device run (a forked process): its own worker on
** `device`, its own db connection, shapes from the shared queue. */
static int driver_main(const job *j, int slot, int device) {
  ar_share *sh = j->share;
  char err[1024];
  ar_worker w;
  ar_store *st = NULL;
  int64_t device_id = 0;
  int rc = AR_EXIT_ERROR;
  if (ar_worker_start_on(&w, j->backend, device, j->interrupted, err, sizeof err)) {
    fprintf(stderr, "attnroute-tune: device %d: %s\n", device, err);
    atomic_fetch_add(&sh->registered, 1);
    return *j->interrupted ? AR_EXIT_INTERRUPTED : AR_EXIT_ERROR;
  }
  if (strcmp(w.dev.vendor, j->dev0.vendor) || strcmp(w.dev.arch, j->dev0.arch) ||
      w.dev.cu_count != j->dev0.cu_count) {
    fprintf(stderr,
            "attnroute-tune: device %d is %s %s (%s, %d CUs), not of the run's class %s %d: "
            "tune each device class in its own run\n",
            device, w.dev.vendor, w.dev.name, w.dev.arch, w.dev.cu_count, j->dev0.arch, j->dev0.cu_count);
    atomic_fetch_add(&sh->registered, 1);
    ar_worker_stop(&w);
    return AR_EXIT_ERROR;
  }
  if (ar_store_open(j->o->db_path, &st, err, sizeof err)) {
    fprintf(stderr, "attnroute-tune: %s\n", err);
    atomic_fetch_add(&sh->registered, 1);
    ar_worker_stop(&w);
    return AR_EXIT_ERROR;
  }
  if (register_device(st, &w.dev, &device_id)) {
    fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
    atomic_fetch_add(&sh->registered, 1);
    goto out;
  }
  atomic_store(&sh->device_ids[slot], device_id);
  atomic_fetch_add(&sh->registered, 1);
  if (ar_share_wait_registered(sh, j->interrupted)) {
    rc = AR_EXIT_INTERRUPTED;
    goto out;
  }
  ar_progress prog;
  ar_progress_init(&prog, 0, 1, 1); /* the parent draws; notes still print */
  size_t own_pos = 0;
  tally t = {0, 0, 0};
  long s;
  rc = AR_EXIT_OK;
  while (rc == AR_EXIT_OK && (s = ar_share_next(sh, device_id, j->owner, &own_pos)) >= 0)
    rc = measure_shape(j, &w, st, device_id, (size_t)s, &prog, &t);
  atomic_fetch_add(&sh->skipped_shapes, t.skipped_shapes);
  atomic_fetch_add(&sh->too_large, t.too_large);
  atomic_fetch_add(&sh->unrecorded, t.unrecorded);
  if (w.restarts && !j->o->quiet)
    fprintf(stderr, "tune: device %d: the worker was restarted %d time(s)\n", device, w.restarts);
out:
  ar_worker_stop(&w);
  ar_store_close(st);
  return rc;
}

/* Fork one driver per device, draw their progress, wait for them all. */
static int run_drivers(job *j, const int *devices, int ndevices, ar_progress *prog, tally *t) {
  size_t *order = malloc((j->nshapes ? j->nshapes : 1) * sizeof *order);
  if (!order) return AR_EXIT_ERROR;
  ar_plan_heavy_first(&j->pl->shapes, order);
  j->share = ar_share_create(ndevices, order, j->nshapes);
  free(order);
  if (!j->share) {
    fprintf(stderr, "attnroute-tune: cannot map shared memory for %d drivers\n", ndevices);
    return AR_EXIT_ERROR;
  }
  pid_t pids[AR_MAX_DEVICES];
  int rcs[AR_MAX_DEVICES], alive = 0, rc = AR_EXIT_OK;
  fflush(NULL);
  for (int i = 0; i < ndevices; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      _exit(driver_main(j, i, devices[i]));
    }
    if (pids[i] < 0) {
      fprintf(stderr, "attnroute-tune: fork: %s\n", strerror(errno));
      atomic_fetch_add(&j->share->registered, 1);
      rcs[i] = AR_EXIT_ERROR;
      continue;
    }
    rcs[i] = -1;
    alive++;
  }
  int forwarded = 0;
  struct timespec tick = {0, 200 * 1000 * 1000};
  while (alive > 0) {
    for (int i = 0; i < ndevices; i++) {
      if (rcs[i] != -1) continue;
      int status = 0;
      pid_t r = waitpid(pids[i], &status, WNOHANG);
      if (r == 0 || (r < 0 && errno == EINTR)) continue;
      alive--;
      if (r == pids[i] && WIFEXITED(status)) {
        rcs[i] = WEXITSTATUS(status);
      } else {
        if (r == pids[i] && WIFSIGNALED(status))
          fprintf(stderr, "attnroute-tune: the driver of device %d was killed by signal %d\n", devices[i],
                  WTERMSIG(status));
        rcs[i] = AR_EXIT_ERROR;
      }
    }
    if (*j->interrupted && !forwarded) { /* a signal to this process alone reaches the drivers too */
      for (int i = 0; i < ndevices; i++)
        if (rcs[i] == -1) kill(pids[i], SIGTERM);
      forwarded = 1;
    }
    size_t counts[AR_NUM_STATUS];
    for (int k = 0; k < AR_NUM_STATUS; k++) counts[k] = atomic_load(&j->share->counts[k]);
    ar_progress_sync(prog, atomic_load(&j->share->done_items), (double)atomic_load(&j->share->done_work) / 1e6,
                     counts, "");
    if (alive > 0) nanosleep(&tick, NULL);
  }
  for (int i = 0; i < ndevices; i++) rc = worse(rc, rcs[i]);
  if (*j->interrupted) rc = AR_EXIT_INTERRUPTED;
  t->skipped_shapes += atomic_load(&j->share->skipped_shapes);
  t->too_large += atomic_load(&j->share->too_large);
  t->unrecorded += atomic_load(&j->share->unrecorded);
  ar_share_destroy(j->share);
  j->share = NULL;
  return rc;
}

/* The devices of the run: --devices all, the list, or device 0; checked
** against how many the backend has. */
static int resolve_devices(const ar_tune_opts *o, const ar_worker *w, int *devices, int *ndevices) {
  int have = w->dev.device_count > 0 ? w->dev.device_count : 1;
  if (o->all_devices) {
    *ndevices = have < AR_MAX_DEVICES ? have : AR_MAX_DEVICES;
    for (int i = 0; i < *ndevices; i++) devices[i] = i;
    return 0;
  }
  if (!o->ndevices) {
    devices[0] = 0;
    *ndevices = 1;
    return 0;
  }
  for (int i = 0; i < o->ndevices; i++) {
    if (o->devices[i] >= have) {
      fprintf(stderr, "attnroute-tune: --devices: no device %d on the %s backend (it has %d: 0..%d)\n",
              o->devices[i], w->backend, have, have - 1);
      return -1;
    }
    devices[i] = o->devices[i];
  }
  *ndevices = o->ndevices;
  return 0;
}

/* Keep the shapes of --shard K/N (in plan order), and of a trace the calls
** of those shapes (the other shards record theirs). */
static int apply_shard(const ar_tune_opts *o, plan *pl) {
  if (!o->shard_count) return 0;
  unsigned char *keep = calloc(pl->shapes.count ? pl->shapes.count : 1, 1);
  if (!keep || ar_plan_shard(&pl->shapes, o->shard_index, o->shard_count, keep)) {
    free(keep);
    fprintf(stderr, "attnroute-tune: out of memory splitting the plan\n");
    return -1;
  }
  size_t n = 0, *where = malloc((pl->shapes.count ? pl->shapes.count : 1) * sizeof *where);
  if (!where) {
    free(keep);
    fprintf(stderr, "attnroute-tune: out of memory splitting the plan\n");
    return -1;
  }
  for (size_t i = 0; i < pl->shapes.count; i++) {
    where[i] = keep[i] ? n : SIZE_MAX;
    if (keep[i]) pl->shapes.items[n++] = pl->shapes.items[i];
    else free(pl->shapes.items[i].seqs);
  }
  pl->shapes.count = n;
  size_t nc = 0;
  for (size_t k = 0; k < pl->ncalls; k++) {
    size_t to = where[pl->calls[k].shape_id];
    if (to == SIZE_MAX) continue;
    pl->calls[nc] = pl->calls[k];
    pl->calls[nc++].shape_id = (int64_t)to;
  }
  pl->ncalls = nc;
  free(where);
  free(keep);
  return 0;
}

int ar_tune_run(const ar_tune_opts *o, const volatile int *interrupted) {
  int rc = AR_EXIT_ERROR;
  plan pl;
  memset(&pl, 0, sizeof pl);
  ar_worker w;
  memset(&w, 0, sizeof w);
  ar_store *st = NULL;
  char err[1024];
  job j;
  memset(&j, 0, sizeof j);
  j.o = o;
  j.pl = &pl;
  j.interrupted = interrupted;
  if (gethostname(host_name, sizeof host_name - 1)) host_name[0] = '\0';

  /* Input errors first, before any device or db work, when the grid does
  ** not depend on the backend. */
  if (o->shapes_path || o->grid_path || o->trace_path) {
    if (load_shapes(o, "any", &pl)) {
      ar_shape_list_free(&pl.shapes);
      free(pl.calls);
      return AR_EXIT_USAGE;
    }
  }
  ar_kernel_path_set_dirs(o->kernel_dirs);
  ar_candidates_configure(o->aiter_hsa);
  int no_device = 0; /* a dry run for a named backend this machine cannot open */
  if (ar_worker_start_on(&w, o->backend, o->ndevices ? o->devices[0] : 0, interrupted, err, sizeof err)) {
    int missing_ordinal = strstr(err, ": no device ") != NULL;
    if (!(o->dry_run && strcmp(o->backend, "auto") != 0 && !*interrupted) || missing_ordinal) {
      fprintf(stderr, "attnroute-tune: %s\n", err);
      rc = *interrupted ? AR_EXIT_INTERRUPTED : missing_ordinal ? AR_EXIT_USAGE : AR_EXIT_ERROR;
      goto out;
    }
    no_device = 1;
    snprintf(w.backend, sizeof w.backend, "%s", o->backend);
    snprintf(w.note, sizeof w.note, "%.*s", (int)sizeof w.note - 1, err);
  } else if (!o->quiet && strcmp(o->backend, "auto") == 0 && w.note[0]) {
    fprintf(stderr, "attnroute-tune: %s\n", w.note);
  }
  int devices[AR_MAX_DEVICES], ndevices = 1;
  devices[0] = o->ndevices ? o->devices[0] : 0;
  if (!no_device && resolve_devices(o, &w, devices, &ndevices)) {
    rc = AR_EXIT_USAGE;
    goto out;
  }
  j.backend = w.backend;
  j.dev0 = w.dev;
  if (!no_device) ar_candidates_for_device(w.backend, &w.dev);
  resolve_policy(o, w.backend, &j.policy);
  const ar_backend_traits *traits = ar_backend_traits_of(w.backend);
  if (j.policy.graph && !(traits && traits->graphs)) {
    fprintf(stderr, "attnroute-tune: --timing graph: the %s backend has no graphs (cuda, hip)\n",
            w.backend);
    rc = AR_EXIT_USAGE;
    goto out;
  }
  if (!pl.shapes.count && load_shapes(o, w.backend, &pl)) {
    rc = AR_EXIT_USAGE;
    goto out;
  }
  char plan_hash[65];
  ar_plan_hash(&pl.shapes, plan_hash);
  size_t plan_shapes = pl.shapes.count;
  if (apply_shard(o, &pl)) goto out;
  if (no_device && o->dry_run) {
    int n = 0;
    candidates_for_backend(w.backend, &n);
    if (n == 0) { /* not compiled in: the reason is the backend's */
      fprintf(stderr, "attnroute-tune: %s\n", w.note);
      rc = AR_EXIT_ERROR;
      goto out;
    }
  }
  if (check_fits(&pl, &w)) {
    rc = AR_EXIT_USAGE;
    goto out;
  }
  if (plan_candidates(o, w.backend, &pl) || (!no_device && preload_candidates(&w, &pl, interrupted))) {
    rc = *interrupted ? AR_EXIT_INTERRUPTED : AR_EXIT_USAGE;
    goto out;
  }
  if (o->list_candidates) {
    for (int i = 0; i < pl.ncands; i++)
      printf("%s\t%s\t%s\t%s\n", pl.cands[i].c->name, pl.cands[i].c->family, pl.cands[i].c->params,
             pl.cands[i].hash);
    rc = AR_EXIT_OK;
    goto out;
  }

  /* A dry run reads what the db holds through a read-only store (nothing
  ** written, the file's bytes unchanged); a missing db holds nothing. */
  struct stat db_stat;
  if (!o->dry_run || stat(o->db_path, &db_stat) == 0) {
    int orc = o->dry_run ? ar_store_open_readonly(o->db_path, &st, err, sizeof err)
                         : ar_store_open(o->db_path, &st, err, sizeof err);
    if (orc) {
      fprintf(stderr, "attnroute-tune: %s\n", err);
      goto out;
    }
  }
  int64_t device_id = 0;
  if (st && register_rows(st, &w.dev, w.backend, o, &j.policy, &pl, plan_hash, plan_shapes, &device_id,
                          &j.run_id)) {
    fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
    goto out;
  }

  /* Work list: for each shape, the candidates still to measure (measured
  ** on any device of this class counts), and the device that holds some. */
  size_t nshapes = pl.shapes.count, to_run = 0, unsupported = 0, already = 0;
  j.nshapes = nshapes;
  j.todo = calloc(nshapes * (size_t)pl.ncands + 1, 1);
  j.shape_ids = calloc(nshapes ? nshapes : 1, sizeof *j.shape_ids);
  j.owner = calloc(nshapes ? nshapes : 1, sizeof *j.owner);
  if (!j.todo || !j.shape_ids || !j.owner) {
    fprintf(stderr, "attnroute-tune: out of memory\n");
    goto out;
  }
  unsigned skip_mask = o->retry_failed ? (1u << AR_STATUS_OK) | (1u << AR_STATUS_UNSUPPORTED) | (1u << AR_STATUS_WRONG)
                                       : ~0u;
  double work = 0;
  for (size_t s = 0; s < nshapes; s++) {
    const ar_shape *sh = &pl.shapes.items[s];
    int64_t sid = 0;
    if (st && store_shape(st, sh, &sid)) {
      fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
      goto out;
    }
    j.shape_ids[s] = sid;
    for (int c = 0; c < pl.ncands; c++) {
      int measured = 0;
      int64_t on = 0;
      if (st && ar_store_is_measured_class(st, device_id, pl.cands[c].id, sid, skip_mask, &measured, &on)) {
        fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
        goto out;
      }
      if (on && !j.owner[s]) j.owner[s] = on;
      if (measured) {
        already++;
        continue;
      }
      if (!attnroute_caps_allow(&pl.cands[c].c->caps, &sh->p)) {
        j.todo[s * pl.ncands + c] = 2;
        unsupported++;
        continue;
      }
      j.todo[s * pl.ncands + c] = 1;
      to_run++;
      work += measurement_estimate(sh, w.backend, &j.policy);
    }
  }
  if (pl.calls && st && !o->dry_run) {
    for (size_t k = 0; k < pl.ncalls; k++) pl.calls[k].shape_id = j.shape_ids[pl.calls[k].shape_id];
    if (ar_store_trace_calls_put(st, pl.trace_name, pl.calls, pl.ncalls)) {
      fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
      goto out;
    }
  }
  if (o->dry_run) {
    print_plan(&pl, &w, to_run, unsupported, already, work / ndevices, o, devices, ndevices, plan_hash,
               plan_shapes);
    rc = AR_EXIT_OK;
    goto out;
  }

  ar_progress prog;
  ar_progress_init(&prog, to_run, work, o->quiet);
  if (!o->quiet) {
    char where[64] = "";
    if (ndevices > 1) snprintf(where, sizeof where, " x %d devices", ndevices);
    if (o->shard_count)
      snprintf(where + strlen(where), sizeof where - strlen(where), ", shard %d/%d", o->shard_index, o->shard_count);
    fprintf(stderr, "tune: %s on %s %s (%s, %d %s)%s: %zu shapes x %d candidates, %zu to run, %zu already in %s\n",
            pl.source, w.backend, w.dev.name, w.dev.arch, w.dev.cu_count,
            units(w.backend, w.dev.cu_count), where, nshapes, pl.ncands, to_run, already, o->db_path);
  }
  tally t = {0, 0, 0};
  j.seed_base = o->seed ? o->seed : mix64((uint64_t)time(NULL) ^ (uint64_t)j.run_id << 32);
  rc = AR_EXIT_OK;
  if (ndevices == 1) {
    for (size_t s = 0; s < nshapes && rc == AR_EXIT_OK; s++)
      rc = measure_shape(&j, &w, st, device_id, s, &prog, &t);
    if (w.restarts && !o->quiet) fprintf(stderr, "tune: the worker was restarted %d time(s)\n", w.restarts);
  } else {
    /* No device and no db connection may cross the fork: each driver opens its own. */
    ar_worker_stop(&w);
    ar_store_close(st);
    st = NULL;
    rc = run_drivers(&j, devices, ndevices, &prog, &t);
    if (ar_store_open(o->db_path, &st, err, sizeof err)) {
      fprintf(stderr, "attnroute-tune: %s\n", err);
      rc = worse(rc, AR_EXIT_ERROR);
      st = NULL;
    }
  }
  ar_progress_finish(&prog);
  /* An interrupted run ends too (ended_at set): only a killed one stays open. */
  if (st && (rc == AR_EXIT_OK || rc == AR_EXIT_INTERRUPTED)) {
    if (ar_store_run_end(st, j.run_id)) {
      fprintf(stderr, "attnroute-tune: %s\n", ar_store_error(st));
      rc = AR_EXIT_ERROR;
    } else if (rc == AR_EXIT_OK && (t.skipped_shapes || t.too_large || t.unrecorded)) {
      if (t.skipped_shapes)
        fprintf(stderr, "attnroute-tune: %zu shape(s) could not be set up; re-run to retry them\n",
                t.skipped_shapes);
      if (t.unrecorded)
        fprintf(stderr, "attnroute-tune: %zu measurement(s) not recorded: the worker was killed "
                        "from outside twice (out of memory?); re-run to measure them\n", t.unrecorded);
      if (t.too_large)
        fprintf(stderr, "attnroute-tune: %zu shape(s) are too large for this machine and were not "
                        "measured; a re-run cannot change that: leave them out of the grid\n",
                t.too_large);
      rc = AR_EXIT_INCOMPLETE;
    }
  }
  if (rc == AR_EXIT_INTERRUPTED)
    fprintf(stderr, "attnroute-tune: interrupted; every finished measurement is in %s, re-run to resume\n",
            o->db_path);
  if (!o->quiet && rc != AR_EXIT_ERROR) print_summary(&prog, o, already, rc);
out:
  ar_worker_stop(&w);
  if (st) ar_store_close(st);
  ar_shape_list_free(&pl.shapes);
  free(pl.cands);
  free(pl.calls);
  free(j.todo);
  free(j.shape_ids);
  free(j.owner);
  return rc;
}
