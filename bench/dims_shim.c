/*
** dims_shim.c -- exposes kernels/attn_variants.h to bench/attn_torch.py: the
** launch geometry of a kernel symbol for a packed argument struct, computed
** by the very dims functions the tuner uses.  Built as a shared library:
**   cc -shared -fPIC -O2 -Ikernels bench/dims_shim.c -o libardims.so
*/
#include <string.h>
#include "attn_variants.h"

static const ar_kernel_variant *const all[] = {
  &ar_kv_gather_tok, &ar_kv_gather_page,
  &ar_kv_dense_bm128_d64, &ar_kv_dense_bm128_d128, &ar_kv_dense_bm128w8_d64,
  &ar_kv_dense_bm128w8_d128, &ar_kv_dense_bm64_d64, &ar_kv_dense_bm64_d128,
  &ar_kv_paged_bm128_d64, &ar_kv_paged_bm128_d128, &ar_kv_paged_bm128w8_d64,
  &ar_kv_paged_bm128w8_d128, &ar_kv_paged_bm64_d64, &ar_kv_paged_bm64_d128,
  &ar_kv_dense_bm128pp_d64, &ar_kv_dense_bm128pp_d128, &ar_kv_paged_bm128pp_d64,
  &ar_kv_paged_bm128pp_d128,
  &ar_kv_decode_w4_d64, &ar_kv_decode_w4_d128, &ar_kv_decode_w8_d64,
  &ar_kv_decode_w8_d128, &ar_kv_decode_w4m2_d64, &ar_kv_decode_w4m2_d128,
  &ar_kv_decode_reduce, &ar_kv_ref_paged,
};

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
