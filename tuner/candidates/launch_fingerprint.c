/*
** launch_fingerprint.c -- a candidate's launches on probe problems, hashed
** (see launch_fingerprint.h).
**
** The probes cover what the dims functions and the split rule branch on:
** decode (sq 1, 4, 16) and prefill (sq 17 .. 8192), with and without a cached
** prefix, GQA 1 and 8, head dims 64 and 128 (and 80 for the host kernels),
** pages 16 and 256, a window, causal off, many and few sequences; each on a
** device of 132 and of 304 compute units (the auto split count reads it).
*/
#include "launch_fingerprint.h"

#include <stdio.h>
#include <string.h>

#include "aiter_pack.h"
#include "families.h"

typedef struct probe {
  int ns, sq, cached, hq, hkv, d, page, sinks, window, causal;
} probe;

static const probe probes[] = {
    /* ns   sq  cached  hq hkv   d page sink win causal */
    {1, 1, 0, 8, 1, 64, 16, 1, -1, 1},
    {64, 1, 8191, 64, 8, 64, 16, 1, -1, 1},
    {4, 4, 130000, 64, 8, 64, 256, 1, -1, 1},
    {16, 16, 2048, 32, 32, 128, 16, 0, -1, 1},
    {3, 17, 100, 8, 1, 128, 16, 1, 128, 1},
    {2, 200, 0, 64, 8, 64, 16, 1, -1, 1},
    {1, 2048, 32768, 64, 8, 64, 16, 1, -1, 1},
    {1, 8192, 0, 64, 8, 128, 256, 0, -1, 1},
    {8, 512, 512, 16, 16, 128, 16, 0, -1, 0},
    {2, 96, 40, 4, 2, 80, 16, 1, 32, 1},
};
static const int device_cus[] = {132, 304};

#define FAKE_KERNELS AR_MAX_KERNELS

typedef struct recorder {
  ar_sha256 *s;
  char marker[FAKE_KERNELS];
} recorder;

static void put_u64(ar_sha256 *s, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  ar_sha256_update(s, b, 8);
}

static int record_launch(ar_backend *b, void *fn, const unsigned grid[3], const unsigned block[3],
                         unsigned shared_bytes, void *args, size_t args_size) {
  recorder *r = b->ctx;
  uint64_t index = FAKE_KERNELS; /* a function not from the candidate's kernels[] */
  for (int i = 0; i < FAKE_KERNELS; i++)
    if (fn == (void *)&r->marker[i]) index = (uint64_t)i;
  put_u64(r->s, 0x4c41554e4348ull); /* "LAUNCH" */
  put_u64(r->s, index);
  for (int i = 0; i < 3; i++) put_u64(r->s, grid[i]);
  for (int i = 0; i < 3; i++) put_u64(r->s, block[i]);
  put_u64(r->s, shared_bytes);
  put_u64(r->s, args_size);
  if (args && args_size) ar_sha256_update(r->s, args, args_size);
  return 0;
}

/* Device-side fills a run function may enqueue: part of its behaviour too. */
static int record_fill32(ar_backend *b, ar_buf dst, uint32_t pattern, size_t bytes) {
  recorder *r = b->ctx;
  put_u64(r->s, 0x46494c4cull); /* "FILL" */
  put_u64(r->s, dst);
  put_u64(r->s, pattern);
  put_u64(r->s, bytes);
  return 0;
}

static const char *record_error_text(ar_backend *b) {
  (void)b;
  return "probe run failed";
}

/* A uniform batch laid out as ar_workload_upload would, with fixed addresses. */
static void probe_workload(const probe *pr, int cu_count, ar_workload *w) {
  memset(w, 0, sizeof *w);
  attnroute_problem_init(&w->p);
  w->p.num_seqs = pr->ns;
  w->p.max_seqlen_q = pr->sq;
  w->p.max_seqlen_k = pr->sq + pr->cached;
  w->p.has_cached = pr->cached > 0;
  w->p.num_q_heads = pr->hq;
  w->p.num_kv_heads = pr->hkv;
  w->p.head_dim = pr->d;
  w->p.has_sinks = pr->sinks;
  w->p.sliding_window = pr->window;
  w->p.kv_block_size = pr->page;
  w->p.causal = pr->causal;
  w->seqlen_q = pr->sq;
  w->cached = pr->cached;
  w->seqlen_k = pr->sq + pr->cached;
  w->total_q = pr->ns * pr->sq;
  w->total_k = pr->ns * w->seqlen_k;
  w->max_blocks_per_seq = (w->seqlen_k + pr->page - 1) / pr->page;
  w->num_blocks = pr->ns * w->max_blocks_per_seq;
  w->max_splits = 64;
  w->cu_count = cu_count;
  /* what the balanced split rule reads, as ar_workload_upload computes it */
  int64_t keys = w->seqlen_k;
  if (pr->window > 0 && keys > pr->window + pr->sq - 1) keys = pr->window + pr->sq - 1;
  w->split_max_keys = (int32_t)keys;
  w->split_key_work = (int64_t)pr->ns * keys * pr->hkv * (((int64_t)pr->sq * (pr->hq / pr->hkv) + 15) / 16);
  w->softmax_scale = 0.125f;
  ar_buf *bufs[] = {&w->q, &w->k_new, &w->v_new, &w->k_cache, &w->v_cache,
                    &w->block_table, &w->cu_seqlens_q, &w->cu_seqlens_k, &w->cu_seqlens_new,
                    &w->seq_lens_k, &w->sinks, &w->out, &w->lse, &w->k_dense,
                    &w->v_dense, &w->part_out, &w->part_ml};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) *bufs[i] = 0x7f0000000000ull + 0x100000000ull * i;
}

int ar_family_abi_version(const char *family) {
  static const struct {
    const char *family;
    int version;
  } abi[] = {{"dense_sink", AR_ABI_DENSE_SINK},
             {"paged", AR_ABI_PAGED},
             {"paged_decode", AR_ABI_PAGED_DECODE},
             {"aiter_fmha_sink_varlen", AR_AITER_SINK_VARLEN_ABI}};
  for (size_t i = 0; family && i < sizeof abi / sizeof abi[0]; i++)
    if (strcmp(family, abi[i].family) == 0) return abi[i].version;
  return 0;
}

void ar_launch_fingerprint(const ar_candidate *c, ar_sha256 *s) {
  static const char tag[] = "attnroute-launch-fingerprint-1";
  ar_sha256_update(s, tag, sizeof tag);
  const char *family = c->family ? c->family : "";
  ar_sha256_update(s, family, strlen(family) + 1);
  int abi = ar_family_abi_version(family);
  put_u64(s, (uint64_t)abi);
  if (!c->run || abi <= 0) return; /* not a known family (test candidates): not probed */
  recorder r;
  memset(&r, 0, sizeof r);
  r.s = s;
  static const ar_backend_ops recording = {.version = AR_BACKEND_VERSION,
                                           .name = "probe",
                                           .launch = record_launch,
                                           .fill32 = record_fill32,
                                           .error_text = record_error_text};
  ar_backend b = {&recording, &r};
  ar_loaded k;
  for (int i = 0; i < FAKE_KERNELS; i++) k.fn[i] = (void *)&r.marker[i];
  for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++)
    for (size_t d = 0; d < sizeof device_cus / sizeof device_cus[0]; d++) {
      ar_workload w;
      probe_workload(&probes[p], device_cus[d], &w);
      put_u64(s, 0x50524f4245ull); /* "PROBE" */
      put_u64(s, (uint64_t)(p * 16 + d));
      int rc = c->run(c, &b, &k, &w);
      put_u64(s, (uint64_t)(int64_t)rc);
    }
}

void ar_launch_fingerprint_hex(const ar_candidate *c, char hex[65]) {
  ar_sha256 s;
  ar_sha256_init(&s);
  ar_launch_fingerprint(c, &s);
  ar_sha256_hex(&s, hex);
}
