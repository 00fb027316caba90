/*
** hip_cu_count.h -- an AMD GPU's CU count as aiter counts it, and its WGP
** count as HIP reports it.  Plain C (no HIP headers): the HIP backend feeds
** in what HIP said; tests feed in text.
**
** Why two counts.  On gfx10 and later (gfx1250 included) the HIP runtime
** runs in WGP mode by default (GPU_ENABLE_WGP_MODE, on unless set to 0), and
** then reports half the compute units, one per WGP (two CUs), as
** hipDeviceProp_t.multiProcessorCount (ROCm/clr rocclr/device/rocm/
** rocdevice.cpp: maxComputeUnits_ = enableWgpMode_ ? CUs / 2 : CUs; recent
** releases halve hipDeviceAttributePhysicalMultiProcessorCount too).
** rocminfo prints the HSA agent's own COMPUTE_UNIT_COUNT ("Compute Unit:").
** aiter uses both:
**   - the CU count for its tuned tables' (gfx, cu_num) keys and its Triton
**     grid sizing: chip_info.get_cu_num() = int($CU_NUM), else the
**     "Compute Unit" of the GPU agents in `rocminfo`'s output, which must all
**     agree (aiter/jit/utils/chip_info.py get_cu_num_custom_op;
**     aiter/ops/triton/utils/device_info.py get_num_sms, what
**     unified_attention's segment rule reads; aiter e4048607);
**   - HIP's multiProcessorCount for its persistent ASM kernels:
**     pa_decode_bf16_asm's grid is work_indptr's length - 1 and
**     get_pa_metadata_v1 sizes work_indptr by dev_prop.multiProcessorCount
**     (csrc/kernels/mla/metadata/v1_2_pa_device.cuh:438, aiter e4048607;
**     the launcher's fallback get_num_cu_func() reads it too), and the gluon
**     paged decode's split count reads torch's multi_processor_count.
** The tables attnroute generates are keyed like aiter's: on the CU count.
*/
#ifndef AR_HIP_CU_COUNT_H
#define AR_HIP_CU_COUNT_H

#include <stddef.h>
#include <stdint.h>

/* The "Compute Unit" of each GPU agent in rocminfo's output text, in the
** order listed, into cus[0..max); returns how many GPU agents listed one
** (may exceed max: only max are stored). */
int ar_rocminfo_gpu_cus(const char *text, int32_t *cus, int max);

/* What ar_amd_cu_count decided. */
typedef struct ar_amd_counts {
  int32_t cu_count;   /* the count aiter keys on */
  int32_t wgp_count;  /* HIP's multiProcessorCount when it counts WGPs; else 0 */
  char source[24];    /* "CU_NUM", "rocminfo", "hip x2 (WGP mode)", "hip" */
} ar_amd_counts;

/* Decide the counts as aiter would.  cu_num_env: $CU_NUM (NULL or "" or
** "0": unset, as aiter reads it); rocminfo_text: rocminfo's output (NULL:
** not available); mp_count: hipDeviceProp_t.multiProcessorCount; gfx_major:
** the arch's major version (gfx1250 -> 12, gfx942 -> 9); wgp_mode_env:
** $GPU_ENABLE_WGP_MODE (NULL: unset, on).  CU_NUM first, then rocminfo,
** then HIP's count (doubled in WGP mode).  Returns 0, or -1 with err when
** CU_NUM is not a positive integer or rocminfo lists GPUs whose counts
** differ (aiter asserts they agree; set CU_NUM). */
int ar_amd_cu_count(const char *cu_num_env, const char *rocminfo_text, int32_t mp_count,
                    int gfx_major, const char *wgp_mode_env, ar_amd_counts *out, char *err,
                    size_t errlen);

/* Run rocminfo ($PATH, then $ROCM_PATH/bin, then /opt/rocm/bin) and return
** its standard output (malloc'd, NUL-terminated; at most 8 MiB), or NULL
** when it cannot be run or prints nothing. */
char *ar_rocminfo_run(void);

/* The major version of a gfx arch name ("gfx1250" -> 12, "gfx90a" -> 9,
** "gfx1100" -> 11); 0 when it is not one. */
int ar_gfx_major(const char *arch);

#endif /* AR_HIP_CU_COUNT_H */
