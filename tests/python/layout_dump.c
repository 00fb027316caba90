/*
** layout_dump.c -- prints what the C compiler says about attnroute.h's
** structs and constants, one fact a line, for tests/python/test_layout.py
** to compare with the Python binding's ctypes mirrors:
**   const NAME VALUE
**   size STRUCT SIZEOF
**   field STRUCT FIELD OFFSET SIZE
** STRUCT is the C name without "attnroute_".  A field appended to a struct
** in the header changes its size here, so a mirror that lacks it fails
** even before this list is extended.
*/
#include <stddef.h>
#include <stdio.h>

#include "attnroute.h"

#define SIZE(s) printf("size %s %u\n", #s, (unsigned)sizeof(attnroute_##s))
#define FIELD(s, f)                                                         \
  printf("field %s %s %u %u\n", #s, #f, (unsigned)offsetof(attnroute_##s, f), \
         (unsigned)sizeof(((attnroute_##s *)0)->f))
#define CONST(n) printf("const %s %ld\n", #n, (long)(ATTNROUTE_##n))

int main(void) {
  CONST(VERSION);
  CONST(TABLE_ABI);
  CONST(TOPK);
  CONST(NO_CANDIDATE);
  CONST(NUM_AXES);
  CONST(NUM_STATUS);
  CONST(NUM_DTYPES);
  CONST(NUM_ROUTES);
  CONST(NUM_POLICIES);
  CONST(DTYPE_BF16);
  CONST(DTYPE_FP16);
  CONST(DTYPE_FP8_E4M3);
  CONST(DTYPE_FP32);
  CONST(STEP_AUTO);
  CONST(STEP_PREFILL);
  CONST(STEP_DECODE);
  CONST(OK);
  CONST(NO_TABLE);
  CONST(ABI_MISMATCH);
  CONST(DEVICE_MISMATCH);
  CONST(BAD_ARGUMENT);
  CONST(BAD_PROBLEM);
  CONST(NO_CLASS);
  CONST(OUT_OF_DOMAIN);
  CONST(EMPTY_CELL);
  CONST(UNSUPPORTED);
  CONST(SIBLING_DEVICE);
  CONST(SIBLING_ALLOWED);

  SIZE(problem);
  FIELD(problem, num_seqs);
  FIELD(problem, max_seqlen_q);
  FIELD(problem, max_seqlen_k);
  FIELD(problem, has_cached);
  FIELD(problem, num_q_heads);
  FIELD(problem, num_kv_heads);
  FIELD(problem, head_dim);
  FIELD(problem, q_dtype);
  FIELD(problem, kv_dtype);
  FIELD(problem, has_sinks);
  FIELD(problem, sliding_window);
  FIELD(problem, kv_block_size);
  FIELD(problem, causal);
  FIELD(problem, total_seqlen_q);
  FIELD(problem, total_seqlen_k);

  SIZE(env);
  FIELD(env, step);
  FIELD(env, force_triton);
  FIELD(env, use_unified_attn);
  FIELD(env, asm_arch);
  FIELD(env, has_alibi);
  FIELD(env, has_dropout);
  FIELD(env, has_cu_seqlens);
  FIELD(env, flash_layout);
  FIELD(env, cu_count);

  SIZE(caps);
  FIELD(caps, head_dim_mask);
  FIELD(caps, q_dtype_mask);
  FIELD(caps, kv_dtype_mask);
  FIELD(caps, block_size_mask);
  FIELD(caps, sinks);
  FIELD(caps, window);
  FIELD(caps, causal);
  FIELD(caps, max_seqlen_q);
  FIELD(caps, gqa_exact);

  SIZE(candidate);
  FIELD(candidate, name);
  FIELD(candidate, code_hash);
  FIELD(candidate, legacy_route);
  FIELD(candidate, caps);

  SIZE(class);
  FIELD(class, head_dim);
  FIELD(class, q_dtype);
  FIELD(class, kv_dtype);
  FIELD(class, has_sinks);
  FIELD(class, sliding_window);
  FIELD(class, kv_block_size);
  FIELD(class, causal);
  FIELD(class, lookup);
  FIELD(class, axis_len);
  FIELD(class, axis_values);
  FIELD(class, cells);
  FIELD(class, num_nodes);
  FIELD(class, nodes);
  FIELD(class, ragged_key);
  FIELD(class, edge_clamp);

  SIZE(table);
  FIELD(table, abi);
  FIELD(table, struct_size);
  FIELD(table, arch);
  FIELD(table, cu_count);
  FIELD(table, device_name);
  FIELD(table, provenance);
  FIELD(table, num_candidates);
  FIELD(table, candidates);
  FIELD(table, num_classes);
  FIELD(table, classes);
  FIELD(table, memory_mib);
  FIELD(table, product);
  SIZE(device);
  FIELD(device, arch);
  FIELD(device, cu_count);
  FIELD(device, memory_bytes);
  FIELD(device, product);
  FIELD(device, allow_sibling);

  SIZE(choice);
  FIELD(choice, candidate);
  FIELD(choice, name);
  FIELD(choice, from_table);
  FIELD(choice, reason);
  FIELD(choice, route);
  FIELD(choice, rank);

  SIZE(router);
  FIELD(router, table);
  FIELD(router, bind_status);
  FIELD(router, policy);
  FIELD(router, env);
  FIELD(router, unavailable);
  FIELD(router, on_miss);
  FIELD(router, miss_user);
  FIELD(router, bound_table);
  FIELD(router, bound_cu_count);
  FIELD(router, bound_arch);

  SIZE(miss_entry);
  FIELD(miss_entry, problem);
  FIELD(miss_entry, reason);
  FIELD(miss_entry, count);

  SIZE(miss_set);
  FIELD(miss_set, entries);
  FIELD(miss_set, capacity);
  FIELD(miss_set, count);
  FIELD(miss_set, total);
  FIELD(miss_set, dropped);
  FIELD(miss_set, invalid);
  return 0;
}
