/*
** caps.c -- a candidate's hard capability limits against a problem.
*/
#include <stddef.h>

#include "internal.h"

/* Whether a feature's presence satisfies an attnroute_cap; unknown caps
** allow nothing. */
static int cap_ok(int32_t cap, int present) {
  switch (cap) {
  case ATTNROUTE_CAP_FORBIDDEN: return !present;
  case ATTNROUTE_CAP_REQUIRED: return present;
  case ATTNROUTE_CAP_OPTIONAL: return 1;
  default: return 0;
  }
}

/* Whether bit `bit` (0..31) of mask is set; out-of-range bits are not. */
static int bit_set(uint32_t mask, int32_t bit) {
  if (bit < 0 || bit > 31) return 0;
  return (mask >> bit) & 1u;
}

/* log2 of a power of two in 1..2^30, or -1 when v is not one. */
static int32_t exact_log2(int32_t v) {
  int32_t n = 0;
  if (v <= 0 || (v & (v - 1)) != 0) return -1;
  while (v > 1) {
    v >>= 1;
    n++;
  }
  return n;
}

/*
** Nonzero when caps allow p.  Safe on NULL (0) and on unchecked problems:
** a head dim that is not a multiple of 16 in 16..512, an unknown dtype, a
** page size that is not a power of two (unless any page is allowed) or a
** GQA ratio that is not an integer is simply not allowed.
*/
int attnroute_caps_allow(const attnroute_caps *caps, const attnroute_problem *p) {
  if (!caps || !p) return 0;
  if (p->head_dim < 16 || p->head_dim > 512 || p->head_dim % 16 != 0) return 0;
  if (!bit_set(caps->head_dim_mask, p->head_dim / 16 - 1)) return 0;
  if (!bit_set(caps->q_dtype_mask, p->q_dtype)) return 0;
  if (!bit_set(caps->kv_dtype_mask, p->kv_dtype)) return 0;
  if (caps->block_size_mask != 0 &&
      !bit_set(caps->block_size_mask, exact_log2(p->kv_block_size)))
    return 0;
  if (!cap_ok(caps->sinks, p->has_sinks != 0)) return 0;
  if (!cap_ok(caps->window, ATTNROUTE__HAS_WINDOW(p->sliding_window))) return 0;
  if (!cap_ok(caps->causal, p->causal != 0)) return 0;
  if (caps->max_seqlen_q != 0 && p->max_seqlen_q > caps->max_seqlen_q) return 0;
  if (caps->gqa_exact != 0) {
    if (p->num_kv_heads <= 0 || p->num_q_heads % p->num_kv_heads != 0) return 0;
    if (p->num_q_heads / p->num_kv_heads != caps->gqa_exact) return 0;
  }
  return 1;
}
