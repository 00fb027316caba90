/*
** bf16.h -- bf16 <-> float on the host: bf16 as its uint16_t bit pattern,
** rounding to nearest even, NaN kept NaN (quiet).  Inline: the host
** kernels convert every element they read.
*/
#ifndef AR_COMMON_BF16_H
#define AR_COMMON_BF16_H

#include <stdint.h>
#include <string.h>

static inline float ar_bf16_to_float(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint16_t ar_float_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

#endif /* AR_COMMON_BF16_H */
