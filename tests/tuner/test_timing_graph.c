/*
** test_timing_graph.c -- the graph timing policy's measuring path, on the
** host backend given graph slots by this test (a "graph" here records the
** launches made under capture and replays them): each candidate is run once
** under capture after its eager check, and every warm-up and timed call is a
** replay; results match the eager path's status; a backend without graph
** slots is refused per candidate with a message; the policy string gains
** ",launch=graph" and the eager string is the one older dbs hold.
*/
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "candidates_host.h"
#include "kernel_path.h"
#include "measure.h"
#include "test_measure_util.h"

#define MAX_REC 8
typedef struct rec_launch {
  void *fn;
  unsigned grid[3], block[3], shared;
  _Alignas(16) unsigned char args[256]; /* aligned as the argument structs need */
  size_t size;
} rec_launch;
typedef struct graph_rec {
  rec_launch l[MAX_REC];
  int n;
} graph_rec;

static int (*host_launch)(ar_backend *, void *, const unsigned *, const unsigned *, unsigned, void *, size_t);
static graph_rec *capturing;
static int captures, replays, launches_captured;

static int test_launch(ar_backend *b, void *fn, const unsigned grid[3], const unsigned block[3],
                       unsigned shared, void *args, size_t size) {
  if (!capturing) return host_launch(b, fn, grid, block, shared, args, size);
  CHECK(capturing->n < MAX_REC && size <= sizeof capturing->l[0].args);
  rec_launch *l = &capturing->l[capturing->n++];
  l->fn = fn;
  memcpy(l->grid, grid, sizeof l->grid);
  memcpy(l->block, block, sizeof l->block);
  l->shared = shared;
  memcpy(l->args, args, size);
  l->size = size;
  launches_captured++;
  return 0;
}
static int test_graph_begin(ar_backend *b) {
  (void)b;
  CHECK(!capturing);
  capturing = calloc(1, sizeof *capturing);
  captures++;
  return capturing ? 0 : -1;
}
static int test_graph_end(ar_backend *b, void **graph) {
  (void)b;
  *graph = capturing;
  capturing = NULL;
  return 0;
}
static int test_graph_launch(ar_backend *b, void *graph) {
  graph_rec *g = graph;
  replays++;
  for (int i = 0; i < g->n; i++)
    if (host_launch(b, g->l[i].fn, g->l[i].grid, g->l[i].block, g->l[i].shared, g->l[i].args, g->l[i].size))
      return -1;
  return 0;
}
static void test_graph_destroy(ar_backend *b, void *graph) {
  (void)b;
  free(graph);
}

int main(void) {
  ar_timing_policy t;
  char text[512];
  ar_timing_policy_default(&t, "cuda");
  ar_timing_policy_describe(&t, text, sizeof text);
  CHECK_MSG(strcmp(text, "warmup=3,min_reps=10,min_ms=20,max_reps=300,max_ms=400,flush_cache=1,prune=4,"
                         "tol=0.02,clock=events,inputs=fresh_random_per_shape") == 0,
            "eager policy string changed: %s", text);
  t.graph = 1;
  ar_timing_policy_describe(&t, text, sizeof text);
  CHECK_MSG(strstr(text, ",launch=graph") && strlen(text) > 20 &&
                strcmp(strstr(text, ",launch=graph"), ",launch=graph") == 0,
            "graph policy string: %s", text);

  char err[512];
  ar_shape_run run;
  ar_backend *b = test_host_shape(2, 4, 1, 3, 40, 7, &run);
  int n = 0;
  const ar_candidate *const *cands = ar_candidates_host(&n);
  ar_timing_policy_default(&t, "host");
  t.min_reps = 4;
  t.max_reps = 4;
  t.min_ms = 0;
  t.warmup = 2;
  t.prune_factor = 0;
  ar_module_cache cache;
  memset(&cache, 0, sizeof cache);

  /* No graph slots: refused with a message, nothing timed. */
  ar_result r;
  ar_loaded k;
  CHECK_MSG(ar_candidate_load(b, &cache, cands[0], &k, err, sizeof err) == 0, "%s", err);
  t.graph = 1;
  ar_measure_candidate(b, &run, cands[0], &k, &t, 0, &r);
  CHECK_MSG(r.status == AR_STATUS_FAULT && strstr(r.message, "cannot capture graphs"), "%d %s", r.status,
            r.message);

  /* The host backend's table with recording launches and graph slots. */
  static ar_backend_ops with_graphs;
  const ar_backend_ops *host_ops = b->ops;
  with_graphs = *host_ops;
  host_launch = host_ops->launch;
  with_graphs.launch = test_launch;
  with_graphs.graph_begin = test_graph_begin;
  with_graphs.graph_end = test_graph_end;
  with_graphs.graph_launch = test_graph_launch;
  with_graphs.graph_destroy = test_graph_destroy;
  b->ops = &with_graphs;
  for (int i = 0; i < n; i++) {
    CHECK_MSG(ar_candidate_load(b, &cache, cands[i], &k, err, sizeof err) == 0, "%s", err);
    captures = replays = launches_captured = 0;
    t.graph = 0;
    ar_measure_candidate(b, &run, cands[i], &k, &t, 0, &r);
    CHECK_MSG(r.status == AR_STATUS_OK && captures == 0 && replays == 0, "%s eager: %d %s", cands[i]->name,
              r.status, r.message);
    t.graph = 1;
    ar_measure_candidate(b, &run, cands[i], &k, &t, 0, &r);
    CHECK_MSG(r.status == AR_STATUS_OK, "%s graph: %d %s", cands[i]->name, r.status, r.message);
    CHECK_MSG(captures == 1 && launches_captured >= 1, "%s: %d captures of %d launches", cands[i]->name,
              captures, launches_captured);
    CHECK_MSG(replays == t.warmup + r.reps, "%s: %d replays for %d warm-up + %d timed", cands[i]->name, replays,
              t.warmup, r.reps);
    CHECK(r.median_us > 0 && r.p10_us <= r.median_us && r.median_us <= r.p90_us);
  }
  ar_shape_teardown(b, &run);
  b->ops = host_ops;
  b->ops->destroy(b);
  printf("test_timing_graph: ok (%d host candidates)\n", n);
  return 0;
}
