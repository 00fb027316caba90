/*
** hip_candidates.h -- the HIP backend's candidates (candidates_hip.c) and
** what the tuner needs to wire them: where aiter's code objects are, and
** whether a candidate can run here (and why not).
**
** Candidates:
**   aiter.fmha_sink_varlen_asm.hd64   family aiter_fmha_sink_varlen; gather of
**                                     the cached prefix (project kernel) +
**                                     aiter's causal sink-varlen ASM, D 64,
**                                     sinks required (the object always reads
**                                     them); stands in for DENSE_SINK_ASM
**   aiter.fmha_sink_varlen_asm.hd128  the same, D 128, sinks forbidden (the
**                                     object never reads them)
**   aiter.pa_decode_bf16_asm          family aiter_pa_decode; never available:
**                                     its work split comes from aiter's
**                                     device-side get_pa_metadata_v1
** plus the reference kernel (ar_reference_hip) that checks them.
**
** The project's own code objects are "<base>.hip.co" (kernels/hip.cmake: one
** bundle holding every arch of ATTNROUTE_HIP_ARCHS), found on the kernel
** path like any other.  aiter's are found through its CSV manifests under
** the hsa folder set here (aiter_manifest.h); their modules[] entries are
** absolute paths, filled in when the folder is known.
**
** Wiring (tuner): call ar_hip_set_aiter_dir() with --aiter-hsa (or NULL for
** $AITER_ASM_DIR) before listing candidates or forking workers, and
** ar_hip_set_aiter_arch() with the device's arch once it is open
** (ar_candidates_for_device: the worker and the planner); then skip, as
** unsupported with the message, every candidate for which
** ar_hip_candidate_available() returns 0.
*/
#ifndef AR_HIP_CANDIDATES_H
#define AR_HIP_CANDIDATES_H

#include <stddef.h>

#include "candidate.h"

#define AR_HIP_MOD_GATHER "attn_gather.hip.co"
#define AR_HIP_MOD_REF "attn_ref.hip.co"

/* The HIP candidates, in a stable order; *count set. */
const ar_candidate *const *ar_candidates_hip(int *count);

/* The reference kernel (attn_ref's ar_ref_paged, fp32) on HIP. */
const ar_candidate *ar_reference_hip(void);

/* aiter's hsa folder (--aiter-hsa DIR): aiter's hsa/ folder, an arch folder
** inside it, or an aiter checkout.  NULL or "" = $AITER_ASM_DIR.  Copied. */
void ar_hip_set_aiter_dir(const char *dir);

/* The arch whose aiter objects are used: the device's, as its device_info
** or gcnArchName gives it ("gfx1250", "gfx942:sramecc+:xnack-"; NULL or ""
** = gfx1250, the only arch aiter ships these kernels for).  Called through
** ar_candidates_for_device() once the device is open.  Copied. */
void ar_hip_set_aiter_arch(const char *arch);

/* aiter's arch folder name for a device arch: the processor name without
** target features ("gfx942:sramecc+:xnack-" -> "gfx942"), into out. */
void ar_aiter_arch_of(const char *device_arch, char *out, size_t outlen);

/* 1 when c can run (its code objects are there and their metadata notes
** declare an argument ABI this project packs); 0 with why ("aiter: code
** object ... not found", "... kernarg_segment_size 132 ...", "... work
** metadata ...") otherwise.  Candidates that are not aiter's return 1:
** their code objects are checked on the kernel path when loaded. */
int ar_hip_candidate_available(const ar_candidate *c, char *why, size_t whylen);

#endif /* AR_HIP_CANDIDATES_H */
