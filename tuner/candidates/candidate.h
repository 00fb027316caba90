/*
** candidate.h -- what a candidate is, and the workload it runs on.
**
** A candidate is one way to run one attention call: a kernel, or a pipeline
** such as gather-then-dense.  It has a stable name, the parameters telling
** its variants apart, hard capability limits (attnroute_caps, shared with the
** runtime so the tuner and the engine agree), the code objects it launches
** (their content hash is its code hash), and a run function that packs the
** argument buffers and enqueues its kernels on a backend.  Candidates are
** registered from one table per backend (candidates_host.c, candidates_cuda.c,
** candidates_hip.c) and found through candidates_for_backend().
*/
#ifndef AR_CANDIDATE_H
#define AR_CANDIDATE_H

#include "attnroute.h"
#include "backend.h"

#define AR_MAX_MODULES 4
#define AR_MAX_KERNELS 4

/* The device buffers of one batch: num_seqs sequences, sequence b with
** sq_b new tokens and ctx_b = cached_b + sq_b keys (ragged batches: each its
** own, read from cu_seqlens_q / seq_lens_k / cu_seqlens_k), K/V of all ctx_b
** tokens already in the paged cache (blocks shuffled so the block table is
** not the identity), and the new tokens' K/V also dense.  seqlen_q and
** seqlen_k are the largest sq and ctx (uniform batch: every sequence's),
** cached their difference; p.has_cached says whether any sequence has a
** cached prefix (the dense paths then gather). */
typedef struct ar_workload {
  attnroute_problem p;
  int32_t seqlen_q, seqlen_k, cached;
  int32_t total_q, total_k;
  int32_t max_blocks_per_seq, num_blocks;
  int32_t max_splits;                 /* split-KV scratch is sized for this */
  int32_t cu_count;                   /* of the device, for split heuristics */
  int32_t wgp_count;                  /* HIP's multiProcessorCount where it counts WGPs
                                      ** (an AMD GPU in WGP mode), else 0 */
  int32_t split_max_keys;             /* most keys a query row of one sequence reads */
  int64_t split_key_work;             /* sum over sequences of keys x Hkv x 16-row groups */
  float softmax_scale;
  ar_buf q;                           /* [total_q, Hq, D] bf16 */
  ar_buf k_new, v_new;                /* [total_q, Hkv, D] bf16: new tokens, dense */
  ar_buf k_cache, v_cache;            /* [num_blocks, block_size, Hkv, D] bf16 */
  ar_buf block_table;                 /* int32 [num_seqs, max_blocks_per_seq] */
  ar_buf cu_seqlens_q, cu_seqlens_k;  /* int32 [num_seqs + 1] */
  ar_buf cu_seqlens_new;              /* == cu_seqlens_q, for dense K/V of new tokens */
  ar_buf seq_lens_k;                  /* int32 [num_seqs] */
  ar_buf sinks;                       /* fp32 [Hq], 0 when !p.has_sinks */
  ar_buf out;                         /* [total_q, Hq, D] bf16 */
  ar_buf lse;                         /* fp32 [total_q, Hq] */
  ar_buf k_dense, v_dense;            /* [total_k, Hkv, D] bf16: gather target */
  ar_buf part_out, part_ml;           /* split-KV scratch, max_splits deep */
} ar_workload;

/* Functions resolved from a candidate's modules, in the order of its
** kernels[] list.  Filled once per candidate by the measuring code. */
typedef struct ar_loaded {
  void *fn[AR_MAX_KERNELS];
} ar_loaded;

typedef struct ar_candidate ar_candidate;

struct ar_candidate {
  const char *name;    /* stable, e.g. "dense_sink.gather.bm128" */
  const char *family;  /* "dense_sink", "paged", "paged_decode", "aiter_*" */
  const char *params;  /* variant parameters, "key=value,..." */
  int32_t legacy_route; /* attnroute_route this stands in for, or -1 */
  attnroute_caps caps;
  /* Code objects (file names searched on the kernel path; "host" for the
  ** host backend) and the kernel symbols, each "module_index:symbol". */
  const char *modules[AR_MAX_MODULES];
  const char *kernels[AR_MAX_KERNELS];
  /* Enqueue one call on w.  Returns 0, or -1 with b->ops->error_text(). */
  int (*run)(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
             const ar_workload *w);
  const void *variant; /* family-specific constants (tile sizes ...) */
};

/* The candidates a backend offers ("host", "cuda", "hip"), those added with
** ar_candidates_add last; *count set.  Returns NULL with *count 0 for an
** unknown backend. */
const ar_candidate *const *candidates_for_backend(const char *backend, int *count);

/* Offer count more candidates (list not copied) on backend, after its own:
** how test builds of the tuner add candidates that fail on purpose.  Call
** before candidates are listed.  0, or -1 when too many lists were added. */
int ar_candidates_add(const char *backend, const ar_candidate *const *list, int count);

/* The reference kernel of a device backend, or NULL (the host's reference is
** computed exactly on the host). */
const ar_candidate *ar_reference_candidate(const char *backend);

/* 1 when c can run on this machine; 0 with why (e.g. an aiter code object
** missing from its manifest folder).  Code objects on the kernel path are
** checked separately, when hashed. */
int ar_candidate_available(const char *backend, const ar_candidate *c, char *why, size_t whylen);

/* Where external code objects are: aiter's hsa folder (NULL = $AITER_ASM_DIR).
** Call before candidates are listed or workers are forked. */
void ar_candidates_configure(const char *aiter_hsa_dir);

/* The device the backend's candidates will run on (its device_info): the
** project's cubins are then looked up for dev->arch (on CUDA, kernel_path.h)
** and aiter's code objects for it (on HIP).  Call once the device is known,
** before its candidates are hashed, checked or listed. */
void ar_candidates_for_device(const char *backend, const ar_device_info *dev);

#endif /* AR_CANDIDATE_H */
