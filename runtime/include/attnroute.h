/*
** attnroute.h -- the only header an inference engine includes.
**
** attnroute picks the attention kernel for one call of an engine's prefill or
** decode step from a table measured ahead of time (see gen/attnroute_gen.py),
** and falls back to the engine's legacy gates wherever the table has no
** answer.  It never allocates, never blocks, never reads files, keeps no
** global mutable state and is safe on any input.  C99.
**
** A complete call:
**
**     #include "attnroute.h"
**     #include "attnroute_table_h100.h"      generated: defines attnroute_table_h100
**
**     attnroute_router router;              engine-owned, e.g. one per model
**     attnroute_router_init(&router, &attnroute_table_h100, "sm_90", 132);
**     router.policy = ATTNROUTE_POLICY_POST_1345;   what answers on a miss
**
**     attnroute_problem p;
**     attnroute_problem_init(&p);           defaults: bf16, causal, no window
**     p.num_seqs = 4; p.max_seqlen_q = 2048; p.max_seqlen_k = 6144;
**     p.has_cached = 1; p.num_q_heads = 64; p.num_kv_heads = 8;
**     p.head_dim = 64; p.has_sinks = 1; p.kv_block_size = 16;
**     p.total_seqlen_q = 2800; p.total_seqlen_k = 12000;  a ragged batch
**                                           (0: unknown, taken as uniform)
**
**     attnroute_choice c;
**     attnroute_select(&router, &p, &c);
**     if (c.candidate >= 0)  run the kernel named c.name
**     else                   run the legacy path c.route (ATTNROUTE_ROUTE_*)
**
** attnroute_router_init refuses a table built for another device (arch name
** AND compute-unit count must match) or for another table ABI: the router
** then has no table and every select is answered by the legacy policy, with
** the refusal in choice.reason.  Sibling devices share arch and CU count
** (H100 / H200): attnroute_router_init_device also compares memory size and
** product and refuses a sibling's table unless the engine opts in.
**
** ABI rules: ATTNROUTE_TABLE_ABI changes whenever a table struct changes
** layout; struct fields are only ever appended.  attnroute_version() returns
** ATTNROUTE_VERSION of the compiled library, so a header/library mismatch is
** detectable.  All enums are plain int32_t values in structs.
*/
#ifndef ATTNROUTE_H
#define ATTNROUTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ATTNROUTE_API
#define ATTNROUTE_API extern
#endif

#define ATTNROUTE_VERSION_MAJOR 0
#define ATTNROUTE_VERSION_MINOR 1
#define ATTNROUTE_VERSION_PATCH 0
#define ATTNROUTE_VERSION \
  (ATTNROUTE_VERSION_MAJOR * 10000 + ATTNROUTE_VERSION_MINOR * 100 + ATTNROUTE_VERSION_PATCH)

/* Layout version of attnroute_table and everything it points to. */
#define ATTNROUTE_TABLE_ABI 2
/* Candidates kept per table cell, in rank order (fastest measured first). */
#define ATTNROUTE_TOPK 4
/* Cell slot value meaning "no candidate". */
#define ATTNROUTE_NO_CANDIDATE 255

/* ------------------------------------------------------------------------
** Status codes.  0 is success (the table answered); every other value says
** why the legacy policy answered instead.  One X-macro makes both the enum
** and attnroute_status_str().
*/
#define ATTNROUTE_STATUS_LIST(X)                                                  \
  X(OK, "answered from the table")                                             \
  X(NO_TABLE, "no table bound")                                                \
  X(ABI_MISMATCH, "table built for another attnroute table ABI")               \
  X(DEVICE_MISMATCH, "table built for another device (arch or CU count)")      \
  X(BAD_ARGUMENT, "null pointer argument")                                     \
  X(BAD_PROBLEM, "problem is not a valid attention call")                      \
  X(NO_CLASS, "no table class for these head dim / dtypes / sinks / window / " \
              "block size / causal")                                           \
  X(OUT_OF_DOMAIN, "problem outside the range the table was tuned on")         \
  X(EMPTY_CELL, "table cell has no measured candidate")                        \
  X(UNSUPPORTED, "no candidate of the cell supports this problem or is "       \
                 "available")                                                  \
  X(SIBLING_DEVICE, "table built for a sibling device (same arch and CU count, " \
                    "other memory size or product); allow_sibling not set")     \
  X(SIBLING_ALLOWED, "bound a sibling device's table: the engine opted in "    \
                     "(allow_sibling); selects answer from it")

enum attnroute_status {
#define ATTNROUTE__ENUM(name, text) ATTNROUTE_##name,
  ATTNROUTE_STATUS_LIST(ATTNROUTE__ENUM)
#undef ATTNROUTE__ENUM
  ATTNROUTE_NUM_STATUS
};

/* Element types: X(NAME, value, "name"), the name as shape lines, grids,
** the db and the tables spell it.  One list: the enum, the runtime's names
** and the tools' all come from it.  Values are ABI: append only. */
#define ATTNROUTE_DTYPE_LIST(X) \
  X(BF16, 0, "bf16")            \
  X(FP16, 1, "fp16")            \
  X(FP8_E4M3, 2, "fp8_e4m3")    \
  X(FP32, 3, "fp32")

enum attnroute_dtype {
#define ATTNROUTE__DTYPE_ENUM(name, value, text) ATTNROUTE_DTYPE_##name = value,
  ATTNROUTE_DTYPE_LIST(ATTNROUTE__DTYPE_ENUM)
#undef ATTNROUTE__DTYPE_ENUM
  ATTNROUTE_NUM_DTYPES
};

/* ------------------------------------------------------------------------
** The problem: one attention call, as the engine knows it on the host.
*/
typedef struct attnroute_problem {
  int32_t num_seqs;       /* sequences in the batch */
  int32_t max_seqlen_q;   /* sq: new query tokens per sequence (max) */
  int32_t max_seqlen_k;   /* sk: cached prefix + new tokens (max) */
  int32_t has_cached;     /* nonzero when any sequence has a cached prefix */
  int32_t num_q_heads;    /* Hq */
  int32_t num_kv_heads;   /* Hkv; GQA ratio = Hq / Hkv */
  int32_t head_dim;       /* D */
  int32_t q_dtype;        /* attnroute_dtype */
  int32_t kv_dtype;       /* attnroute_dtype */
  int32_t has_sinks;      /* nonzero: per-head learnable sink logit (gpt-oss) */
  int32_t sliding_window; /* -1: none; else window width in tokens */
  int32_t kv_block_size;  /* page size of the paged KV cache, in tokens */
  int32_t causal;         /* nonzero: causal, bottom-right aligned if sq < sk */
  /* A ragged batch (sequences of different lengths), as far as the host
  ** knows it; 0 = unknown, the batch is taken as uniform (every sequence
  ** max_seqlen_q new tokens, max_seqlen_k keys).  When nonzero they must be
  ** consistent with num_seqs and the maxima (attnroute_problem_check). */
  int32_t total_seqlen_q; /* sum of new tokens over the sequences */
  int32_t total_seqlen_k; /* sum of context (keys: cached + new) over the sequences */
} attnroute_problem;

/* ------------------------------------------------------------------------
** Legacy routes: what the hand-written gates of ROCm ATOM chose.  A table
** marks at most one candidate per route as its stand-in, so that a legacy
** answer can still name a runnable candidate.  X(NAME, value, "name"):
** one list makes the enum and attnroute_route_name's names (the db's
** legacy_pick view spells them too; tests/db checks it).  Values are ABI:
** append only.
*/
#define ATTNROUTE_ROUTE_LIST(X)                                                     \
  /* aiter fmha_fwd_with_sink_varlen_asm (on the gathered K/V when a prefix    \
     is cached) */                                                             \
  X(DENSE_SINK_ASM, 0, "dense_sink_asm")                                       \
  /* Triton unified_attention, 2D */                                           \
  X(TRITON_PAGED, 1, "triton_paged")                                           \
  /* Triton unified_attention, 3D split-KV with aiter's segment count */       \
  X(TRITON_SPLITKV, 2, "triton_splitkv")                                       \
  /* aiter pa_decode_bf16_asm (+ pa_reduce_v1 when max_seqlen_k > page size) */ \
  X(ASM_PAGED_DECODE, 3, "asm_paged_decode")                                   \
  /* pre-1345: the prefix gather, then 2D */                                   \
  X(TRITON_PAGED_GATHER, 4, "triton_paged_gather")                             \
  /* pre-1345: the prefix gather, then 3D */                                   \
  X(TRITON_SPLITKV_GATHER, 5, "triton_splitkv_gather")                         \
  /* aiter pa_persistent_fwd (no sinks) */                                     \
  X(ASM_PERSISTENT_DECODE, 6, "asm_persistent_decode")                         \
  /* aiter pa_decode_gluon, recommended split count (unified attention off) */ \
  X(GLUON_PAGED_DECODE, 7, "gluon_paged_decode")                               \
  /* aiter pa_fwd_asm (unified off, D 128) */                                  \
  X(ASM_PA_FWD, 8, "asm_pa_fwd")                                               \
  /* aiter flash_attn_varlen_func's other dense kernels (CK / FlyDSL), on the  \
     gathered K/V when a prefix is cached */                                   \
  X(DENSE_VARLEN, 9, "dense_varlen")                                           \
  /* the engine's path raises for this call (a kernel refuses it or has no     \
     code object for the arch) */                                              \
  X(ENGINE_ERROR, 10, "engine_error")

enum attnroute_route {
#define ATTNROUTE__ROUTE_ENUM(name, value, text) ATTNROUTE_ROUTE_##name = value,
  ATTNROUTE_ROUTE_LIST(ATTNROUTE__ROUTE_ENUM)
#undef ATTNROUTE__ROUTE_ENUM
  ATTNROUTE_NUM_ROUTES
};

/* Legacy policies: the gates before and after ATOM PR #1345. */
enum attnroute_policy {
  ATTNROUTE_POLICY_POST_1345 = 0, /* default */
  ATTNROUTE_POLICY_PRE_1345 = 1,  /* also requires no cached prefix and sq == sk */
  ATTNROUTE_NUM_POLICIES
};

/* Prefill or decode step, as the engine runs it (ATOM: context.is_prefill;
** an MTP decode step has max_seqlen_q = mtp + 1, so set it explicitly). */
enum attnroute_step {
  ATTNROUTE_STEP_AUTO = 0, /* decode when max_seqlen_q == 1, else prefill */
  ATTNROUTE_STEP_PREFILL = 1,
  ATTNROUTE_STEP_DECODE = 2
};

/* Engine facts the legacy gates read, beyond the problem itself.  The
** defaults are ATOM's (atom/utils/envs.py) on gfx1250.  Fields are only
** ever appended. */
typedef struct attnroute_env {
  int32_t step;             /* attnroute_step */
  int32_t force_triton;     /* ATOM_FORCE_ATTN_TRITON (default 0) */
  int32_t use_unified_attn; /* ATOM_USE_UNIFIED_ATTN (default 0: ATOM enables it
                               only when the variable is "1") */
  int32_t asm_arch;         /* the device is gfx1250, the arch ATOM's ASM gates
                               and aiter's gfx12 rules name (default 1) */
  int32_t has_alibi;        /* default 0 */
  int32_t has_dropout;      /* dropout probability nonzero (default 0) */
  int32_t has_cu_seqlens;   /* cu_seqlens_q/k present (default 1) */
  int32_t flash_layout;     /* KV cache in flash layout (PagedAttentionImpl.
                               use_flash_layout; default 0, as both ATOM MHA
                               backends leave it) */
  int32_t cu_count;         /* compute units aiter counts (get_cu_num), read by
                               its non-gfx12 Triton rule (default 256) */
} attnroute_env;

/* ------------------------------------------------------------------------
** Table layout (what gen/attnroute_gen.py emits).  Stable: fields are only
** appended, and ATTNROUTE_TABLE_ABI changes when anything changes.
*/
enum attnroute_cap {
  ATTNROUTE_CAP_FORBIDDEN = 0, /* feature must be absent */
  ATTNROUTE_CAP_REQUIRED = 1,  /* feature must be present */
  ATTNROUTE_CAP_OPTIONAL = 2   /* either */
};

/* Hard capability limits of a candidate: never performance guesses. */
typedef struct attnroute_caps {
  uint32_t head_dim_mask;   /* bit (D/16 - 1) set: D supported (D % 16 == 0, 16..512) */
  uint32_t q_dtype_mask;    /* bit attnroute_dtype set: supported */
  uint32_t kv_dtype_mask;   /* bit attnroute_dtype set: supported */
  uint32_t block_size_mask; /* bit log2(page) set: supported; 0 = any page size */
  int32_t sinks;            /* attnroute_cap */
  int32_t window;           /* attnroute_cap (FORBIDDEN: only -1 accepted) */
  int32_t causal;           /* attnroute_cap */
  int32_t max_seqlen_q;     /* 0 = unlimited */
  int32_t gqa_exact;        /* 0 = any ratio; else Hq / Hkv must equal this */
} attnroute_caps;

typedef struct attnroute_candidate {
  const char *name;      /* stable name, e.g. "dense_sink.gather.bm128" */
  const char *code_hash; /* sha256 (hex) of its code objects; "" if none */
  int32_t legacy_route;  /* attnroute_route it stands in for, or -1 */
  attnroute_caps caps;
} attnroute_candidate;

/* The tuned grid axes of a class. */
enum attnroute_axis {
  ATTNROUTE_AXIS_NUM_SEQS = 0,
  ATTNROUTE_AXIS_SEQLEN_Q = 1,
  ATTNROUTE_AXIS_CACHED = 2, /* max_seqlen_k - max_seqlen_q */
  ATTNROUTE_AXIS_Q_HEADS = 3,
  ATTNROUTE_AXIS_GQA = 4,    /* num_q_heads / num_kv_heads */
  ATTNROUTE_NUM_AXES
};

/* How a problem between grid points finds its cell.  For every lookup a
** cached prefix below the first positive value of a cached axis that starts
** at 0 is taken as that value: a prefix, however short, is never answered
** by the cells tuned without one. */
enum attnroute_lookup {
  ATTNROUTE_LOOKUP_NEAREST_LOG = 0, /* nearest grid value of log2(1 + v), per axis */
  ATTNROUTE_LOOKUP_FLOOR = 1,       /* largest grid value <= v, per axis */
  ATTNROUTE_LOOKUP_TREE = 2,        /* decision tree over log2(1 + v) features */
  ATTNROUTE_NUM_LOOKUPS
};

/* Which batch features a class's num_seqs, seqlen_q and cached axes are
** keyed by (attnroute_class.ragged_key).  The generator picks the key by
** measurement: the one whose picks on the db's ragged batches (trace calls,
** ragged shape-list shapes) cost the least total time; LONGEST when the db
** has none.  With both totals unknown (0) every key gives the LONGEST values.
** A total left 0 is taken as num_seqs x the maximum (total_q at most
** total_k: the keys include the queries).  Divisions round up. */
enum attnroute_ragged_key {
  ATTNROUTE_RAGGED_LONGEST = 0, /* num_seqs, max sq, max sk - max sq: every
                                   sequence taken as the longest */
  ATTNROUTE_RAGGED_MEAN = 1,    /* num_seqs, total_q / num_seqs,
                                   (total_k - total_q) / num_seqs: the mean */
  ATTNROUTE_RAGGED_EQUIV = 2,   /* total_k / max sk sequences of max sq and
                                   max sk - max sq: the batch's keys packed
                                   into the fewest longest sequences */
  ATTNROUTE_NUM_RAGGED_KEYS
};

/* Edge rules (attnroute_class.edge_clamp): a problem whose value on axis a
** lies below the axis's first grid value is looked up at the first value
** when bit ATTNROUTE_EDGE_BELOW(a) is set, one above the last value at the
** last when bit ATTNROUTE_EDGE_ABOVE(a) is set; otherwise (or for an axis
** whose bit is clear) the select answers ATTNROUTE_OUT_OF_DOMAIN and the
** legacy policy runs.  The generator sets a bit when the db's shapes past
** that edge (trace calls, ragged shapes) ran faster on the edge cell's pick
** than on the legacy policy's (post-1345), clears it when slower, and with
** no such shapes sets it for num_seqs, seqlen_q and cached (the axes engines
** vary call by call: the edge cell is a measurement on this device, the gate
** a guess) and leaves it clear for q_heads and gqa (another model's heads).
** The prefix snap applies after clamping. */
#define ATTNROUTE_EDGE_BELOW(axis) (1u << (2 * (axis)))
#define ATTNROUTE_EDGE_ABOVE(axis) (1u << (2 * (axis) + 1))

/* Decision-tree node (ATTNROUTE_LOOKUP_TREE).  Internal node: go to `left`
** when log2(1 + value of axis) <= threshold, else `right`.  Leaf: axis = -1
** and `leaf` holds candidate indices in rank order. */
typedef struct attnroute_tree_node {
  int32_t axis;      /* attnroute_axis, or -1 for a leaf */
  float threshold;   /* compared with log2(1 + value) */
  int32_t left;      /* node index */
  int32_t right;     /* node index */
  uint8_t leaf[ATTNROUTE_TOPK];
} attnroute_tree_node;

/* One static class: a table per (head dim, dtypes, sinks, window, page, causal). */
typedef struct attnroute_class {
  int32_t head_dim;
  int32_t q_dtype;
  int32_t kv_dtype;
  int32_t has_sinks;
  int32_t sliding_window;
  int32_t kv_block_size;
  int32_t causal;
  int32_t lookup;                               /* attnroute_lookup */
  int32_t axis_len[ATTNROUTE_NUM_AXES];         /* grid values per axis (>= 1) */
  const int32_t *axis_values[ATTNROUTE_NUM_AXES]; /* ascending */
  /* Cells in row-major order over the axes (NUM_SEQS slowest, GQA fastest),
  ** ATTNROUTE_TOPK slots each, ATTNROUTE_NO_CANDIDATE padded. */
  const uint8_t *cells;
  int32_t num_nodes;                 /* ATTNROUTE_LOOKUP_TREE only */
  const attnroute_tree_node *nodes;  /* node 0 is the root */
  int32_t ragged_key;                /* attnroute_ragged_key (ABI 2) */
  uint32_t edge_clamp;               /* ATTNROUTE_EDGE_* bits (ABI 2) */
} attnroute_class;

/* What the runtime trusts: a table is C data, and C arrays carry no
** length.  attnroute_select believes every count and index the table
** states -- num_candidates entries behind candidates, num_classes behind
** classes, axis_len[a] values behind axis_values[a], the product of the
** axis lengths times ATTNROUTE_TOPK bytes behind cells, num_nodes behind
** nodes -- and checks only what it can without a length: slot and node
** indices against those counts, axis values ascending.  A table is made by
** gen/attnroute_gen.py (or loaded by a checked reader, as attnroute-eval's
** text loader is); one built by hand with arrays shorter than it says is
** read out of bounds.  What it cannot trust it re-checks: the ABI on every
** select, and the device when the router's table was set by hand (below). */
typedef struct attnroute_table {
  uint32_t abi;            /* ATTNROUTE_TABLE_ABI */
  uint32_t struct_size;    /* sizeof(attnroute_table) */
  const char *arch;        /* e.g. "sm_90", "gfx1250", "x86_64" */
  int32_t cu_count;        /* SMs / CUs / CPU cores of the tuned device */
  const char *device_name; /* informational */
  const char *provenance;  /* db content hash, tuner version, timing policy */
  int32_t num_candidates;
  const attnroute_candidate *candidates;
  int32_t num_classes;
  const attnroute_class *classes;
  /* ABI 2: what tells sibling devices apart (H100 and H200 are both sm_90
  ** with 132 SMs; MI300X and MI325X both gfx942 with 304 CUs).  Checked by
  ** attnroute_router_init_device, not by attnroute_router_init. */
  int32_t memory_mib;      /* device memory in MiB of the tuned device; 0 = unknown */
  const char *product;     /* its name as the driver reports it; NULL or "" = unknown */
} attnroute_table;

/* ------------------------------------------------------------------------
** The answer.
*/
typedef struct attnroute_choice {
  int32_t candidate;  /* index into table->candidates, or -1: run legacy route */
  const char *name;   /* candidate name or "legacy:<route>"; never NULL */
  int32_t from_table; /* 1: a measured table cell answered; 0: legacy policy */
  int32_t reason;     /* attnroute_status: ATTNROUTE_OK, or why legacy answered */
  int32_t route;      /* legacy route when from_table == 0, else -1 */
  int32_t rank;       /* position in the cell's ranking (0 = fastest), -1 if legacy */
} attnroute_choice;

/* Called on every select the table did not answer. */
typedef void (*attnroute_miss_fn)(void *user, const attnroute_problem *problem,
                                  const attnroute_choice *choice);

/* Engine-owned routing state.  Fill with attnroute_router_init, then adjust
** the public fields.  attnroute_select only reads it: many threads may
** select through one router (the miss hook must then be thread-safe). */
typedef struct attnroute_router {
  const attnroute_table *table; /* NULL when none bound or refused */
  int32_t bind_status;          /* attnroute_status of attnroute_router_init */
  int32_t policy;               /* attnroute_policy answering misses */
  attnroute_env env;            /* facts for the legacy gates */
  const unsigned char *unavailable; /* optional, table->num_candidates flags:
                                       nonzero = the engine cannot run it */
  attnroute_miss_fn on_miss;    /* optional (default NULL) */
  void *miss_user;              /* passed to on_miss */
  /* Set by attnroute_router_init(_device), not to be changed: the table
  ** that passed the device check and the device it was checked against.
  ** A table put into `table` by hand is checked against that device (arch,
  ** CU count) on every select: another device's table answers
  ** ATTNROUTE_DEVICE_MISMATCH (legacy routes), never its cells. */
  const attnroute_table *bound_table;
  int32_t bound_cu_count;
  char bound_arch[64];          /* "" when none (an arch this long or longer) */
} attnroute_router;

/* The device an engine binds a table to (attnroute_router_init_device).
** Fill with attnroute_device_init, then set what the driver reports. */
typedef struct attnroute_device {
  const char *arch;       /* "sm_90", "gfx942", ...: must equal the table's */
  int32_t cu_count;       /* SMs / CUs: must equal the table's */
  uint64_t memory_bytes;  /* cuDeviceTotalMem / hipDeviceTotalMem; 0 = unknown */
  const char *product;    /* cuDeviceGetName / hipDeviceProp_t.name; NULL = unknown */
  int32_t allow_sibling;  /* nonzero: bind a sibling's table anyway (reported) */
} attnroute_device;

/* A ready-made miss hook: counts misses by reason and keeps the last few
** problems.  Not thread-safe; use one per thread or lock around it. */
#define ATTNROUTE_MISS_RING 8
typedef struct attnroute_miss_counter {
  uint64_t total;
  uint64_t by_reason[ATTNROUTE_NUM_STATUS];
  attnroute_problem recent[ATTNROUTE_MISS_RING];
  uint32_t next; /* index of the slot the next miss overwrites */
} attnroute_miss_counter;

/* A ready-made miss hook that keeps each distinct missed shape once, in
** storage the caller provides (attnroute_miss_set_init), so that the misses
** can be written as an attnroute-tune --shapes file with
** attnroute_problem_shape_line.  Two problems are the same shape when their
** shape lines are equal.  Not thread-safe, like attnroute_miss_counter. */
typedef struct attnroute_miss_entry {
  attnroute_problem problem; /* the first problem of this shape */
  int32_t reason;            /* attnroute_status of its first miss */
  uint32_t count;            /* misses of this shape; 0 = free slot */
} attnroute_miss_entry;

typedef struct attnroute_miss_set {
  attnroute_miss_entry *entries; /* caller's storage: `capacity` entries,
                                    a hash table (slots in no useful order) */
  uint32_t capacity;
  uint32_t count;   /* distinct shapes held */
  uint64_t total;   /* misses seen, invalid problems included */
  uint64_t dropped; /* misses of a new shape that found the set full */
  uint64_t invalid; /* misses of a problem that is no attention call */
} attnroute_miss_set;

/* Compiled tables: a shared library holding one generated table
** (gen/attnroute_gen.py --library, or attnroute_generate_table(... LIBRARY))
** exports it as a function of this name and type, for engines that load
** tables at run time (dlopen + dlsym, or Python's attnroute package). */
#define ATTNROUTE_TABLE_EXPORT_SYMBOL "attnroute_table_export"
typedef const attnroute_table *(*attnroute_table_export_fn)(void);

/* ------------------------------------------------------------------------
** Functions.
*/

/* ATTNROUTE_VERSION of the compiled library. */
ATTNROUTE_API int attnroute_version(void);

/* Text for an attnroute_status; "unknown status" for anything else. */
ATTNROUTE_API const char *attnroute_status_str(int status);

/* "dense_sink_asm", "triton_paged", "triton_splitkv", "asm_paged_decode",
** "triton_paged_gather", "triton_splitkv_gather", "asm_persistent_decode",
** "gluon_paged_decode", "asm_pa_fwd", "dense_varlen", "engine_error";
** "unknown" for anything else. */
ATTNROUTE_API const char *attnroute_route_name(int route);

/* The name of an attnroute_dtype ("bf16", "fp16", "fp8_e4m3", "fp32");
** "unknown" for anything else.  attnroute_dtype_parse returns the dtype
** named exactly so (lower case), or -1 for NULL or any other string. */
ATTNROUTE_API const char *attnroute_dtype_name(int dtype);
ATTNROUTE_API int attnroute_dtype_parse(const char *name);

/* "pre-1345", "post-1345"; "unknown" otherwise.  attnroute_policy_parse
** returns the policy for such a name, or -1. */
ATTNROUTE_API const char *attnroute_policy_name(int policy);
ATTNROUTE_API int attnroute_policy_parse(const char *name);

/* Defaults: bf16 q and kv, causal, no sinks, no window, page 16, others 0. */
ATTNROUTE_API void attnroute_problem_init(attnroute_problem *p);

/* The engine defaults listed in attnroute_env. */
ATTNROUTE_API void attnroute_env_init(attnroute_env *env);

/* ATTNROUTE_OK when p describes an attention call any kernel could run:
** positive sizes, sk >= sq, Hq % Hkv == 0, known dtypes, window -1 or > 0,
** positive page size, and ragged totals that some batch has: each total 0,
** or between max + (num_seqs - 1) and num_seqs x max, and total_k >=
** total_q when both are given.  ATTNROUTE_BAD_PROBLEM otherwise. */
ATTNROUTE_API int attnroute_problem_check(const attnroute_problem *p);

/* Nonzero when caps allow p (p assumed checked). */
ATTNROUTE_API int attnroute_caps_allow(const attnroute_caps *caps,
                                       const attnroute_problem *p);

/* The legacy gates: ATOM's attention_mha.py dispatch and the aiter rules
** under it, as the code runs them (runtime/src/legacy.c cites the sources).
** env may be NULL (defaults).  Always returns an attnroute_route; a NULL or
** invalid problem gets ATTNROUTE_ROUTE_TRITON_PAGED. */
ATTNROUTE_API int attnroute_legacy_route(int policy, const attnroute_env *env,
                                         const attnroute_problem *p);

/* The candidate of table t standing in for legacy route `route` on p (the
** one attnroute_select names on a miss): the lowest index whose
** legacy_route is `route`, that has a name, is not marked in `unavailable`
** (NULL, or t->num_candidates flags as in attnroute_router) and whose caps
** allow p.  -1 when there is none, or for a NULL t or p or a negative route.
** p is taken as checked (attnroute_problem_check). */
ATTNROUTE_API int attnroute_legacy_standin(const attnroute_table *t,
                                           const unsigned char *unavailable,
                                           int route, const attnroute_problem *p);

/* Bind a table to the device the engine runs on.  Always initialises r
** (policy post-1345, default env, no hook); returns ATTNROUTE_OK, or the
** reason the table was refused (r->table is then NULL).  table may be NULL. */
ATTNROUTE_API int attnroute_router_init(attnroute_router *r,
                                        const attnroute_table *table,
                                        const char *arch, int32_t cu_count);

/* attnroute_router_init cannot tell sibling devices apart: it compares arch
** and CU count only, so it binds an H100 table on an H200 (and an MI300X
** table on an MI325X) without a word, status ATTNROUTE_OK.  Engines that
** can read the device's memory size and name should bind with
** attnroute_router_init_device instead. */

/* No arch, CU count 0, memory and product unknown, allow_sibling 0. */
ATTNROUTE_API void attnroute_device_init(attnroute_device *d);

/* Bind a table to the device d describes.  As attnroute_router_init (arch
** and CU count must match, else ATTNROUTE_DEVICE_MISMATCH), and then, where
** both the table and d know them: the memory sizes must agree within 4%
** (driver reservations, ECC) and the products must be the same name
** (case and runs of blanks ignored).  A table failing only those checks is
** a sibling's: refused with ATTNROUTE_SIBLING_DEVICE, or, when
** d->allow_sibling is set, bound with status ATTNROUTE_SIBLING_ALLOWED
** (returned and kept in r->bind_status; selects then answer ATTNROUTE_OK
** from the table).  What is unknown on either side is not compared.  A NULL
** d binds nothing (ATTNROUTE_BAD_ARGUMENT after initialising r). */
ATTNROUTE_API int attnroute_router_init_device(attnroute_router *r,
                                               const attnroute_table *table,
                                               const attnroute_device *d);

/* Choose the kernel for p.  Always fills *out (when out is non-NULL) and
** returns out->reason: ATTNROUTE_OK when the table answered. */
ATTNROUTE_API int attnroute_select(const attnroute_router *r,
                                   const attnroute_problem *p,
                                   attnroute_choice *out);

/* An attnroute_miss_fn; user must point to an attnroute_miss_counter. */
ATTNROUTE_API void attnroute_miss_count(void *user, const attnroute_problem *problem,
                                        const attnroute_choice *choice);

/* Write p as one line of an attnroute-tune --shapes file (tuner/core/grid.h),
** without a newline, e.g. "head_dim=64 sinks=1 window=-1 block=16
** dtype=bf16 kv_dtype=bf16 causal=1 num_seqs=4 seqlen_q=100 cached=3000
** q_heads=64 kv_heads=8" (seqlen_q = max_seqlen_q, cached = max_seqlen_k -
** max_seqlen_q).  A ragged problem (total_seqlen_q / total_seqlen_k given
** and not num_seqs x the max) is written as a ragged shape, "... q_heads=64
** kv_heads=8 seqs=1:9000,1:3000,1:3000": a batch with the problem's
** num_seqs, maxima and totals (sequence 0 at both maxima, the others
** sharing the rest evenly), since the problem holds no other per-sequence
** lengths; totals no batch has (total_k - max_seqlen_k < total_q -
** max_seqlen_q) are written uniform.  An unknown total (0) counts as
** num_seqs x its max.  Like snprintf: returns the line's
** length, writes at most size - 1 characters and a NUL into buf (nothing
** when size is 0), so a return value >= size means truncated; returns -1 (buf untouched) for a NULL
** or invalid problem.  No allocation. */
ATTNROUTE_API int attnroute_problem_shape_line(const attnroute_problem *p, char *buf,
                                               size_t size);

/* Point set at `capacity` caller-owned entries and empty it (entries are
** zeroed).  NULL set is ignored; NULL entries or capacity 0 give a set that
** drops every miss. */
ATTNROUTE_API void attnroute_miss_set_init(attnroute_miss_set *set,
                                           attnroute_miss_entry *entries,
                                           uint32_t capacity);

/* An attnroute_miss_fn; user must point to an attnroute_miss_set. */
ATTNROUTE_API void attnroute_miss_shapes(void *user, const attnroute_problem *problem,
                                         const attnroute_choice *choice);

#ifdef __cplusplus
}
#endif
#endif /* ATTNROUTE_H */
