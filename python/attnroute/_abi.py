"""_abi.py -- ctypes mirrors of the structs in runtime/include/attnroute.h.

Every struct here has the field order and types of its C twin; the runtime
only ever appends fields, and so must this file.  tests/python/test_layout.py
compares every offset and size with what the C compiler says (a small C
program prints offsetof/sizeof), so a field appended to the header and not
here fails the tests instead of drifting silently.
"""
import ctypes

i32 = ctypes.c_int32
u32 = ctypes.c_uint32
u64 = ctypes.c_uint64
vp = ctypes.c_void_p
cp = ctypes.c_char_p

TOPK = 4           # ATTNROUTE_TOPK
NO_CANDIDATE = 255  # ATTNROUTE_NO_CANDIDATE
NUM_AXES = 5       # ATTNROUTE_NUM_AXES
TABLE_ABI = 2      # ATTNROUTE_TABLE_ABI

STATUS_NAMES = ("OK", "NO_TABLE", "ABI_MISMATCH", "DEVICE_MISMATCH", "BAD_ARGUMENT",
                "BAD_PROBLEM", "NO_CLASS", "OUT_OF_DOMAIN", "EMPTY_CELL", "UNSUPPORTED",
                "SIBLING_DEVICE", "SIBLING_ALLOWED")
OK, NO_TABLE, ABI_MISMATCH, DEVICE_MISMATCH, BAD_ARGUMENT, BAD_PROBLEM, NO_CLASS, \
    OUT_OF_DOMAIN, EMPTY_CELL, UNSUPPORTED, SIBLING_DEVICE, SIBLING_ALLOWED = \
    range(len(STATUS_NAMES))

DTYPES = {"bf16": 0, "fp16": 1, "fp8_e4m3": 2, "fp32": 3}
STEPS = {"auto": 0, "prefill": 1, "decode": 2}
ROUTE_NAMES = ("dense_sink_asm", "triton_paged", "triton_splitkv", "asm_paged_decode",
               "triton_paged_gather", "triton_splitkv_gather", "asm_persistent_decode",
               "gluon_paged_decode", "asm_pa_fwd", "dense_varlen", "engine_error")


class Problem(ctypes.Structure):
    """attnroute_problem."""
    _fields_ = [("num_seqs", i32), ("max_seqlen_q", i32), ("max_seqlen_k", i32),
                ("has_cached", i32), ("num_q_heads", i32), ("num_kv_heads", i32),
                ("head_dim", i32), ("q_dtype", i32), ("kv_dtype", i32),
                ("has_sinks", i32), ("sliding_window", i32), ("kv_block_size", i32),
                ("causal", i32), ("total_seqlen_q", i32), ("total_seqlen_k", i32)]


class Env(ctypes.Structure):
    """attnroute_env."""
    _fields_ = [("step", i32), ("force_triton", i32), ("use_unified_attn", i32),
                ("asm_arch", i32), ("has_alibi", i32), ("has_dropout", i32),
                ("has_cu_seqlens", i32), ("flash_layout", i32), ("cu_count", i32)]


class Caps(ctypes.Structure):
    """attnroute_caps."""
    _fields_ = [("head_dim_mask", u32), ("q_dtype_mask", u32), ("kv_dtype_mask", u32),
                ("block_size_mask", u32), ("sinks", i32), ("window", i32),
                ("causal", i32), ("max_seqlen_q", i32), ("gqa_exact", i32)]


class Candidate(ctypes.Structure):
    """attnroute_candidate."""
    _fields_ = [("name", cp), ("code_hash", cp), ("legacy_route", i32), ("caps", Caps)]


class Class(ctypes.Structure):
    """attnroute_class (read for its static features only)."""
    _fields_ = [("head_dim", i32), ("q_dtype", i32), ("kv_dtype", i32),
                ("has_sinks", i32), ("sliding_window", i32), ("kv_block_size", i32),
                ("causal", i32), ("lookup", i32), ("axis_len", i32 * NUM_AXES),
                ("axis_values", vp * NUM_AXES), ("cells", vp), ("num_nodes", i32),
                ("nodes", vp), ("ragged_key", i32), ("edge_clamp", u32)]


class Table(ctypes.Structure):
    """attnroute_table."""
    _fields_ = [("abi", u32), ("struct_size", u32), ("arch", cp), ("cu_count", i32),
                ("device_name", cp), ("provenance", cp), ("num_candidates", i32),
                ("candidates", ctypes.POINTER(Candidate)), ("num_classes", i32),
                ("classes", ctypes.POINTER(Class)), ("memory_mib", i32), ("product", cp)]


class Choice(ctypes.Structure):
    """attnroute_choice."""
    _fields_ = [("candidate", i32), ("name", cp), ("from_table", i32), ("reason", i32),
                ("route", i32), ("rank", i32)]


class Router(ctypes.Structure):
    """attnroute_router."""
    _fields_ = [("table", ctypes.POINTER(Table)), ("bind_status", i32), ("policy", i32),
                ("env", Env), ("unavailable", vp), ("on_miss", vp), ("miss_user", vp),
                ("bound_table", ctypes.POINTER(Table)), ("bound_cu_count", i32),
                ("bound_arch", ctypes.c_char * 64)]


class Device(ctypes.Structure):
    """attnroute_device."""
    _fields_ = [("arch", cp), ("cu_count", i32), ("memory_bytes", u64), ("product", cp),
                ("allow_sibling", i32)]


class MissEntry(ctypes.Structure):
    """attnroute_miss_entry."""
    _fields_ = [("problem", Problem), ("reason", i32), ("count", u32)]


class MissSet(ctypes.Structure):
    """attnroute_miss_set."""
    _fields_ = [("entries", ctypes.POINTER(MissEntry)), ("capacity", u32), ("count", u32),
                ("total", u64), ("dropped", u64), ("invalid", u64)]


# Name -> ctypes struct, as the layout test walks them (C name without the
# attnroute_ prefix).
STRUCTS = {"problem": Problem, "env": Env, "caps": Caps, "candidate": Candidate,
           "class": Class, "table": Table, "choice": Choice, "router": Router,
           "miss_entry": MissEntry, "miss_set": MissSet, "device": Device}
