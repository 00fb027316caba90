/*
** workload.h -- random inputs for one problem, on the host and on a device.
**
** ar_inputs holds the host copy (bf16 as uint16_t bit patterns, fresh random
** values for every check), ar_workload (candidate.h) the device copy.  The
** block table is a random permutation so no kernel can get away with
** assuming contiguous pages.  ar_reference_attention computes the exact
** answer in double precision from the host copy (attn_args.h semantics).
*/
#ifndef AR_WORKLOAD_H
#define AR_WORKLOAD_H

#include <stdint.h>
#include "candidate.h"
#include "shape.h"

typedef struct ar_inputs {
  attnroute_problem p;
  int32_t seqlen_q, seqlen_k, cached;
  int32_t total_q, total_k;
  int32_t max_blocks_per_seq, num_blocks;
  float softmax_scale;
  uint16_t *q;             /* [total_q, Hq, D] */
  uint16_t *k_new, *v_new; /* [total_q, Hkv, D] */
  uint16_t *k_cache, *v_cache; /* [num_blocks, block_size, Hkv, D] */
  int32_t *block_table;    /* [num_seqs, max_blocks_per_seq] */
  int32_t *cu_seqlens_q, *cu_seqlens_k; /* [num_seqs + 1] */
  int32_t *seq_lens_k;     /* [num_seqs] */
  float *sinks;            /* [Hq] or NULL */
} ar_inputs;

/* bf16 <-> float (round to nearest even; NaN kept NaN): ar_bf16_to_float
** and ar_float_to_bf16 of common/bf16.h. */
#include "bf16.h"

/* Build random inputs for p with uniform seqlen_q / cached (seed-driven,
** values ~U(-1, 1), sinks ~U(-2, 2)).  Returns 0, or -1 when out of memory
** or the problem is too large (err says which). */
int ar_inputs_make(ar_inputs *in, const attnroute_problem *p, int32_t seqlen_q,
                   int32_t cached, uint64_t seed, char *err, size_t errlen);
/* The same for a ragged batch: seqs[b] (b < p->num_seqs) gives sequence b's
** sq and ctx (1 <= sq <= ctx).  seqlen_q / seqlen_k / cached of *in are
** then the largest sq, the largest ctx and their difference. */
int ar_inputs_make_ragged(ar_inputs *in, const attnroute_problem *p, const ar_seq *seqs,
                          uint64_t seed, char *err, size_t errlen);

/* 0 when a batch (seqs, or NULL for num_seqs x (seqlen_q, cached)) fits:
** its host inputs under the host input cap, its device buffers (split-KV
** scratch max_splits deep) in 90% of device_memory (0 = not checked).
** -1 with err saying which and by how much. */
int ar_batch_fits(const attnroute_problem *p, const ar_seq *seqs, int32_t seqlen_q, int32_t cached,
                  int32_t max_splits, uint64_t device_memory, char *err, size_t errlen);
void ar_inputs_free(ar_inputs *in);

/* Exact attention (double) into out [total_q, Hq, D]. */
void ar_reference_attention(const ar_inputs *in, double *out);

/* Allocate device buffers for in on b, upload, and size split-KV scratch for
** max_splits; returns 0 or -1 with err. ar_workload_free releases them. */
int ar_workload_upload(ar_backend *b, const ar_inputs *in, int32_t max_splits,
                       int32_t cu_count, ar_workload *w, char *err, size_t errlen);
void ar_workload_free(ar_backend *b, ar_workload *w);

/* What the balanced split rule reads of a batch (ar_workload's
** split_max_keys and split_key_work; ar_workload_upload fills them with
** this): for each sequence s (sq = cu_seqlens_q[s + 1] - cu_seqlens_q[s],
** ctx = seq_lens_k[s]) the keys one query row group reads, ctx or, with a
** window, at most window + sq - 1; their maximum, and their sum weighted by
** Hkv x the sequence's 16-row groups (ceil(sq x Hq/Hkv / 16)). */
void ar_workload_split_stats(const attnroute_problem *p, const int32_t *cu_seqlens_q,
                             const int32_t *seq_lens_k, int32_t *max_keys, int64_t *key_work);

/* Every setup error for a shape that can never fit this machine (sizes
** overflow, more than the host input cap or the device's memory) starts
** with this: a re-run cannot measure it. */
#define AR_TOO_LARGE "problem too large"

#endif /* AR_WORKLOAD_H */
