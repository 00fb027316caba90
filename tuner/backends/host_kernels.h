/*
** host_kernels.h -- the host backend's built-in "code object": C attention
** kernels taking the argument structs of kernels/attn_args.h.
**
** Each kernel is `void fn(const void *args)` over one packed argument struct,
** runs single-threaded and synchronously, and implements exactly the
** semantics stated in attn_args.h (bottom-right causal, window, sinks as an
** extra softmax column with a zero value vector, GQA).  Inputs are bf16,
** accumulation is in float, outputs are rounded to bf16.  backend_host.c
** resolves symbols through ar_host_kernel_find() and checks each launch's
** argument size against the table.
**
** Symbols (module "host"):
**   host_gather               ar_gather_args  paged cache -> dense K/V
**   host_dense_sink_q1_bk16   ar_dense_args   one (row, head) at a time, 16-key blocks
**   host_dense_sink_q16_bk64  ar_dense_args   16 rows x all heads of a kv group
**                                             against 64-key tiles (K/V reuse)
**   host_paged_q1_bk16        ar_paged_args   as above, K/V via the block table
**   host_paged_q16_bk64       ar_paged_args
**   host_paged_split          ar_paged_args   split-KV (num_splits > 1 writes
**                                             part_out / part_ml), 16x64 tiles
**   host_reduce               ar_reduce_args  combines the splits and the sink
**
** Split-KV convention (host_paged_split + host_reduce; the same as the
** CUDA/HIP decode kernels, kernels/attn_variants.h): split s of a sequence
** with sk keys covers keys [s*c, min(sk, (s+1)*c)), c = ceil(sk / num_splits).
** part_out[s][t][h][:] = sum_j exp(x_j - m) v_j over the split's visible keys
** (unnormalised), part_ml[s][t][h] = (m, l) with x_j the scaled logit, m the
** split's largest (-inf when it saw no key) and l = sum_j exp(x_j - m) (0
** when empty).  Sinks are applied by the reduce only.  With num_splits 1 the
** split kernel writes out (sink included) and host_reduce does nothing.
** lse (host_dense_* when lse != 0): natural log of the full softmax
** denominator, sink included (so the sink logit for a row that sees no
** key, -inf without a sink).
*/
#ifndef AR_HOST_KERNELS_H
#define AR_HOST_KERNELS_H

#include <stddef.h>

/* The name of the host backend's one built-in module, in candidates'
** modules[] and for module_load. */
#define AR_HOST_MODULE "host"

typedef void (*ar_host_kernel_fn)(const void *args);

typedef struct ar_host_kernel {
  const char *symbol;   /* e.g. "host_dense_sink_q16_bk64" */
  ar_host_kernel_fn fn;
  size_t args_size;     /* sizeof the attn_args.h struct it takes */
} ar_host_kernel;

/* The built-in kernel table; *count set to its length. */
const ar_host_kernel *ar_host_kernels(int *count);

/* The entry named symbol, or NULL. */
const ar_host_kernel *ar_host_kernel_find(const char *symbol);

#endif /* AR_HOST_KERNELS_H */
