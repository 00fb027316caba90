/*
** vendor.h -- the little that differs between CUDA and HIP for attnroute's
** kernels.  Portable kernels (gather, reference, reduce) include only this
** and stick to plain C++ device code: no warp shuffles, no warp-size
** assumptions (shared-memory reductions instead), bf16 handled as raw bits.
** The mma kernels also need AR_HAVE_MMA (NVIDIA sm_80+ only).
*/
#ifndef AR_VENDOR_H
#define AR_VENDOR_H

#if defined(__HIPCC__) || defined(__HIP_PLATFORM_AMD__)
#include <hip/hip_runtime.h>
#define AR_HIP 1
#else
#define AR_CUDA 1
#endif

#include <stdint.h>
#include "attn_args.h"

#define AR_KERNEL extern "C" __global__
#define AR_DEV static __device__ __forceinline__

#if defined(AR_CUDA) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define AR_HAVE_MMA 1
#endif

#define AR_NEG_INF (-__int_as_float(0x7f800000))

/* bf16 bits <-> float (round to nearest even, NaN stays NaN). */
AR_DEV float ar_bf2f(uint16_t h) { return __uint_as_float((uint32_t)h << 16); }
AR_DEV uint16_t ar_f2bf(float f) {
  uint32_t u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

/* Index of the sequence owning packed row t: largest b with cu[b] <= t. */
AR_DEV int ar_find_seq(const int32_t *cu, int num_seqs, int t) {
  int lo = 0, hi = num_seqs - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) >> 1;
    if (cu[mid] <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
}

#endif /* AR_VENDOR_H */
