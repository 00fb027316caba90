/*
** store_writer.c -- a tuner stand-in for the SIGKILL durability test:
**   store_writer DB TOTAL HOLD_AT
** opens DB, starts a run and stores one measurement for each of TOTAL
** shapes, skipping those already measured (resume).  After each commit it
** prints "committed I" and flushes; after HOLD_AT commits (0: never) it
** stops and waits to be killed.  At the end it prints "done new=N" (the
** measurements this run added) and exits 0; on error it exits 1.
*/
#define _XOPEN_SOURCE 700
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int die(ar_store *s, const char *what)
{
  fprintf(stderr, "store_writer: %s: %s\n", what, ar_store_error(s));
  return 1;
}

int main(int argc, char **argv)
{
  char err[1024];
  ar_store *s = NULL;
  ar_store_device d = { "test", "x86_64", "writer", "1", "1", 8, 1024, NULL, 0, NULL, 0, NULL };
  attnroute_caps caps;
  ar_store_candidate c;
  ar_store_run r;
  int64_t device, candidate, run;
  int total, hold_at, committed = 0, added = 0;

  if (argc != 4) {
    fprintf(stderr, "usage: %s DB TOTAL HOLD_AT\n", argv[0]);
    return 2;
  }
  total = atoi(argv[2]);
  hold_at = atoi(argv[3]);
  if (ar_store_open(argv[1], &s, err, sizeof err) != 0) {
    fprintf(stderr, "store_writer: %s\n", err);
    return 1;
  }
  memset(&caps, 0, sizeof caps);
  caps.head_dim_mask = 1u << 3;
  caps.q_dtype_mask = caps.kv_dtype_mask = 1u;
  caps.sinks = caps.window = caps.causal = ATTNROUTE_CAP_OPTIONAL;
  memset(&c, 0, sizeof c);
  c.name = "writer.candidate";
  c.family = "test";
  c.params = "";
  c.code_hash = "";
  c.legacy_route = -1;
  c.caps = &caps;
  if (ar_store_device_id(s, &d, &device) || ar_store_candidate_id(s, &c, &candidate))
    return die(s, "device/candidate");
  memset(&r, 0, sizeof r);
  r.device_id = device;
  r.backend = "host";
  r.tuner_version = "test";
  r.command_line = "store_writer";
  r.timing_policy = "none";
  if (ar_store_run_begin(s, &r, &run)) return die(s, "run_begin");

  for (int i = 0; i < total; i++) {
    ar_store_shape sh;
    ar_store_measurement m;
    int64_t shape;
    int measured;
    memset(&sh, 0, sizeof sh);
    sh.p.head_dim = 64;
    sh.p.sliding_window = -1;
    sh.p.kv_block_size = 16;
    sh.p.causal = 1;
    sh.p.num_seqs = 1 + i % 8;
    sh.p.num_q_heads = 8;
    sh.p.num_kv_heads = 1;
    sh.seqlen_q = 1 + i / 8;
    sh.seqlen_k = sh.seqlen_q + 64;
    if (ar_store_shape_id(s, &sh, &shape)) return die(s, "shape");
    if (ar_store_is_measured(s, device, candidate, shape, ~0u, &measured))
      return die(s, "is_measured");
    if (measured) continue;
    memset(&m, 0, sizeof m);
    m.run_id = run;
    m.device_id = device;
    m.candidate_id = candidate;
    m.shape_id = shape;
    m.status = i % 7 ? AR_STATUS_OK : AR_STATUS_UNSUPPORTED;
    m.median_us = m.p10_us = m.p90_us = 1.0 + i;
    m.reps = 3;
    m.rel_err = -1;
    if (ar_store_measurement_put(s, &m)) return die(s, "measurement");
    added++;
    printf("committed %d\n", i);
    fflush(stdout);
    if (++committed == hold_at)
      for (;;) pause(); /* wait for SIGKILL */
  }
  if (ar_store_run_end(s, run)) return die(s, "run_end");
  ar_store_close(s);
  printf("done new=%d\n", added);
  return 0;
}
