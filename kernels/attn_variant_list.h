/*
** attn_variant_list.h -- the one list of attnroute's own kernel variants.
** Plain macros, no code: the .cu files instantiate one kernel per entry,
** attn_variants.h makes each entry's ar_kernel_variant and the tuner's
** candidate tables from it, and bench/dims_shim.c finds symbols in it.
** Adding a variant is one line here (and its dims function in
** attn_variants.h when the tag is new).
**
** Prefill tiles, shared by dense (attn_dense.cu, symbol ar_dense_<tag>_d<D>)
** and paged prefill (attn_paged.cu, ar_paged_<tag>_d<D>):
**   X(tag, D, warps, m-tiles a warp, BN keys a stage,
**     BNC keys a softmax step (0 = the ping-pong tile of attn_fwd.cuh),
**     min blocks an SM)
** Split-KV decode (attn_decode.cu, ar_decode_<tag>_d<D>):
**   X(tag, D, warps, m-tiles (16 query rows each), min blocks an SM)
** Order is the order candidates are registered in (tuner/candidates_cuda.c).
*/
#ifndef ATTN_VARIANT_LIST_H
#define ATTN_VARIANT_LIST_H

#define AR_FWD_TILE_LIST(X)          \
  X(bm128, 64, 4, 2, 128, 64, 2)     \
  X(bm128, 128, 4, 2, 64, 32, 2)     \
  X(bm128w8, 64, 8, 1, 128, 128, 1)  \
  X(bm128w8, 128, 8, 1, 64, 64, 1)   \
  X(bm64, 64, 4, 1, 64, 64, 2)       \
  X(bm64, 128, 4, 1, 64, 64, 2)      \
  X(bm128pp, 64, 8, 1, 64, 0, 1)     \
  X(bm128pp, 128, 8, 1, 64, 0, 1)

#define AR_DECODE_TILE_LIST(X) \
  X(w4, 64, 4, 1, 2)           \
  X(w4, 128, 4, 1, 2)          \
  X(w8, 64, 8, 1, 1)           \
  X(w8, 128, 8, 1, 1)          \
  X(w4m2, 64, 4, 2, 2)         \
  X(w4m2, 128, 4, 2, 2)

#endif /* ATTN_VARIANT_LIST_H */
