/*
** splitmix.h -- splitmix64, the one PRNG step of the host code and tests:
** deterministic for a seed, fast, good enough for inputs and sampling (not
** for anything secret).
*/
#ifndef AR_COMMON_SPLITMIX_H
#define AR_COMMON_SPLITMIX_H

#include <stdint.h>

/* Advance *state and return the next 64 random bits. */
static inline uint64_t ar_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

#endif /* AR_COMMON_SPLITMIX_H */
