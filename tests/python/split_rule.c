/*
** split_rule.c -- the tuner's split counts for paged_decode candidates, for
** tests/python/test_replay_plan.py to compare with examples/replay_plan.py:
**
**   split_rule < batches
**
** One batch a line: "CU TAG HQ HKV D PAGE KV_DTYPE WINDOW sq:ctx,sq:ctx,..."
** with TAG the candidate's split tag (sN, auto, bal, aiter, aiter_gather,
** gluon).  Prints, one a line, ar_decode_splits of a decode variant with
** that tag on the batch as ar_workload_upload describes it (the batch
** statistics from ar_workload_split_stats, AR_MAX_SPLITS at most).  Exit 2
** with a message naming the line on bad input.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_variants.h"
#include "families.h"
#include "measure.h"
#include "workload.h"

#define MAX_SEQS 4096

static int variant_of(const char *tag, ar_decode_variant *v) {
  memset(v, 0, sizeof *v);
  v->rule = AR_SPLITS_FILL;
  if (strcmp(tag, "auto") == 0) return 0;
  if (strcmp(tag, "bal") == 0) {
    v->num_splits = AR_DECODE_SPLITS_BALANCED;
    return 0;
  }
  if (strcmp(tag, "aiter") == 0 || strcmp(tag, "aiter_gather") == 0) {
    v->rule = AR_SPLITS_AITER_SEGMENTS;
    return 0;
  }
  if (strcmp(tag, "gluon") == 0) {
    v->rule = AR_SPLITS_GLUON;
    return 0;
  }
  if (tag[0] == 's' && tag[1] >= '1' && tag[1] <= '9') {
    char *end;
    long n = strtol(tag + 1, &end, 10);
    if (*end == 0 && n > 0 && n < 1000000) {
      v->num_splits = (int32_t)n;
      return 0;
    }
  }
  return -1;
}

int main(void) {
  static int32_t cu_q[MAX_SEQS + 1], lens[MAX_SEQS];
  static char seqs[1 << 16];
  char tag[32], kvdt[16];
  int cu, hq, hkv, d, page, window, line = 0;
  while (scanf("%d %31s %d %d %d %d %15s %d %65535s", &cu, tag, &hq, &hkv, &d, &page, kvdt,
               &window, seqs) == 9) {
    ar_decode_variant v;
    ar_workload w;
    int32_t ns = 0;
    char *s = seqs;
    line++;
    memset(&w, 0, sizeof w);
    attnroute_problem_init(&w.p);
    w.p.num_q_heads = hq;
    w.p.num_kv_heads = hkv;
    w.p.head_dim = d;
    w.p.kv_block_size = page;
    w.p.sliding_window = window;
    w.p.kv_dtype = strcmp(kvdt, "fp8_e4m3") == 0 ? ATTNROUTE_DTYPE_FP8_E4M3 : ATTNROUTE_DTYPE_BF16;
    if (variant_of(tag, &v) != 0) {
      fprintf(stderr, "split_rule: line %d: unknown split tag '%s'\n", line, tag);
      return 2;
    }
    cu_q[0] = 0;
    while (*s) {
      int sq, ctx, used = 0;
      if (ns == MAX_SEQS || sscanf(s, "%d:%d%n", &sq, &ctx, &used) != 2 || sq < 1 || ctx < sq) {
        fprintf(stderr, "split_rule: line %d: bad sequence list at '%.20s'\n", line, s);
        return 2;
      }
      cu_q[ns + 1] = cu_q[ns] + sq;
      lens[ns] = ctx;
      if (sq > w.seqlen_q) w.seqlen_q = sq;
      if (ctx > w.seqlen_k) w.seqlen_k = ctx;
      ns++;
      s += used;
      if (*s == ',') s++;
    }
    w.p.num_seqs = ns;
    w.p.max_seqlen_q = w.seqlen_q;
    w.p.max_seqlen_k = w.seqlen_k;
    w.cached = w.seqlen_k - w.seqlen_q;
    w.cu_count = cu;
    w.max_splits = AR_MAX_SPLITS;
    ar_workload_split_stats(&w.p, cu_q, lens, &w.split_max_keys, &w.split_key_work);
    printf("%d\n", (int)ar_decode_splits(&v, &w));
  }
  return 0;
}
