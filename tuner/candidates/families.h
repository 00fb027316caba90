/*
** families.h -- the candidate families, independent of backend.
**
** Each family knows how to turn a workload into argument buffers and which
** kernels to enqueue in what order; a variant names the kernels (module,
** symbol, geometry).  candidates_host.c / _cuda.c / _hip.c fill ar_candidate
** tables with these run functions and their variants.
**
**   dense_sink   : [gather paged cache -> dense K/V when cached > 0] + dense
**                  sink varlen kernel over packed Q/K/V.  The gather's time
**                  counts.  With no cached prefix the dense kernel reads the
**                  new tokens' K/V directly.
**   paged        : one kernel reading K/V through the block table (any sq).
**   paged_decode : split-KV kernel writing partials + reduce kernel.  The
**                  split count is fixed, fills the device, or follows one of
**                  aiter's rules (ar_split_rule), so legacy routes have
**                  stand-ins that split as the engine does.
**   paged_gather : the pre-1345 Triton path: the prefix gather into dense
**                  K/V (time counted, result unused: the paged kernel reads
**                  the cache), then the paged kernel -- or, for decode-like
**                  calls, a paged_decode variant (paged_decode with gather).
**
** Kernel order in ar_candidate.kernels[] per family:
**   dense_sink   : [0] gather, [1] dense
**   paged        : [0] paged
**   paged_decode : [0] split kernel, [1] reduce [, 2] gather (gather_dims set)
**   paged_gather : [0] gather, [1] paged
*/
#ifndef AR_FAMILIES_H
#define AR_FAMILIES_H

#include "attn_launch.h"
#include "candidate.h"

/* Argument-ABI version of each family, part of its candidates' code hash
** (launch_fingerprint.h).  Bump one when its kernels start reading their
** argument struct differently while the packed bytes stay the same; changed
** bytes, geometry or split counts change the hash by themselves. */
#define AR_ABI_DENSE_SINK 1
#define AR_ABI_PAGED 1
#define AR_ABI_PAGED_DECODE 1

typedef struct ar_dense_variant {
  ar_dims_fn gather_dims;
  ar_dims_fn dense_dims;
} ar_dense_variant;

typedef struct ar_paged_variant {
  ar_dims_fn paged_dims;
  ar_dims_fn gather_dims; /* paged_gather only: the prefix gather first */
} ar_paged_variant;

/* How a paged_decode variant with num_splits 0 picks its split count. */
enum ar_split_rule {
  AR_SPLITS_FILL = 0,          /* enough splits to fill cu_count blocks */
  AR_SPLITS_AITER_SEGMENTS = 1, /* aiter unified_attention's gfx12 3D segments */
  AR_SPLITS_GLUON = 2           /* aiter pa_decode_gluon get_recommended_splits */
};

typedef struct ar_decode_variant {
  ar_dims_fn split_dims;
  ar_dims_fn reduce_dims;
  int32_t num_splits; /* > 0: fixed; 0: by `rule`; AR_DECODE_SPLITS_BALANCED: from
                         the batch's contexts */
  int32_t rule;       /* ar_split_rule, when num_splits is 0 */
  ar_dims_fn gather_dims; /* non-NULL: the pre-1345 prefix gather runs first
                             (kernels[2]) when something is cached */
} ar_decode_variant;

/* ar_decode_variant.num_splits of the balanced rule (ar_decode_splits). */
#define AR_DECODE_SPLITS_BALANCED (-1)

/* Enqueues the gather of w's paged cache into w->k_dense / v_dense (kernel fn,
** geometry from dims): the first step of every dense path with a prefix. */
int ar_family_gather_run(ar_backend *b, void *fn, ar_dims_fn dims, const ar_workload *w);

int ar_family_dense_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                        const ar_workload *w);
int ar_family_paged_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                        const ar_workload *w);
int ar_family_decode_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                         const ar_workload *w);
int ar_family_paged_gather_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                               const ar_workload *w);

/* Splits a paged_decode variant uses on w (clamped to w->max_splits). */
int32_t ar_decode_splits(const ar_decode_variant *v, const ar_workload *w);

/* aiter's split rules, unclamped, as functions of the problem and the
** device's CU count (aiter get_cu_num / multiProcessorCount). */
int32_t ar_aiter_segments(const attnroute_problem *p, int32_t seqlen_k, int32_t cu_count);
int32_t ar_gluon_splits(const attnroute_problem *p, int32_t seqlen_k, int32_t cu_count);

#endif /* AR_FAMILIES_H */
