/*
** attn_launch.h -- launch geometry of attnroute's kernels, in plain C.
**
** A kernel variant is a symbol in a code object plus a function computing
** its grid, block and dynamic shared memory from its argument struct
** (attn_args.h).  The variant tables themselves live beside the kernels
** (kernels/attn_variants.h for the CUDA/HIP kernels) and are turned into
** candidates by tuner/candidates/candidates_*.c through tuner/candidates/families.c.
*/
#ifndef ATTN_LAUNCH_H
#define ATTN_LAUNCH_H

#include "attn_args.h"

typedef struct ar_launch_dims {
  unsigned grid[3];
  unsigned block[3];
  unsigned shared_bytes; /* dynamic shared memory */
} ar_launch_dims;

/* Fill *out for the kernel given its packed argument struct. */
typedef void (*ar_dims_fn)(const void *args, ar_launch_dims *out);

typedef struct ar_kernel_variant {
  const char *module; /* code object file name, e.g. "attn_dense.sm_90.cubin" */
  const char *symbol; /* extern "C" kernel name */
  ar_dims_fn dims;
} ar_kernel_variant;

#endif /* ATTN_LAUNCH_H */
