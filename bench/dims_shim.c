/*
** dims_shim.c -- exposes kernels/attn_variants.h to bench/attn_torch.py: the
** launch geometry of a kernel symbol for a packed argument struct, computed
** by the very dims functions the tuner uses.  Built as a shared library:
**   cc -shared -fPIC -O2 -Ikernels bench/dims_shim.c -o libardims.so
*/
#include <string.h>
#include "attn_variants.h"

#define PREFILL(tag, D, NW, MT, BN, BNC, MINB) &ar_kv_dense_##tag##_d##D, &ar_kv_paged_##tag##_d##D,
#define DECODE(tag, D, NW, MT, MINB) &ar_kv_decode_##tag##_d##D,
static const ar_kernel_variant *const all[] = {
  &ar_kv_gather_tok, &ar_kv_gather_page,
  AR_FWD_TILE_LIST(PREFILL)
  AR_DECODE_TILE_LIST(DECODE)
  &ar_kv_decode_reduce, &ar_kv_ref_paged,
};
#undef PREFILL
#undef DECODE

/* Fill out[0..6] = grid xyz, block xyz, shared bytes; *module = file name.
** Returns 0, or -1 for an unknown symbol. */
int ar_bench_dims(const char *symbol, const void *args, unsigned *out, const char **module) {
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) {
    if (strcmp(all[i]->symbol, symbol) == 0) {
      ar_launch_dims d;
      all[i]->dims(args, &d);
      memcpy(out, d.grid, sizeof d.grid);
      memcpy(out + 3, d.block, sizeof d.block);
      out[6] = d.shared_bytes;
      *module = all[i]->module;
      return 0;
    }
  }
  return -1;
}

/* sizeof and offsetof checks for the Python mirror of attn_args.h. */
unsigned ar_bench_sizeof(int which) {
  switch (which) {
  case 0: return sizeof(ar_gather_args);
  case 1: return sizeof(ar_dense_args);
  case 2: return sizeof(ar_paged_args);
  case 3: return sizeof(ar_reduce_args);
  }
  return 0;
}
