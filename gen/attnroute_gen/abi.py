"""abi.py -- the facts of runtime/include/attnroute.h the generator writes:
the table ABI, TOPK, the enum values and orders (axes, dtypes, lookups,
routes, ragged keys, steps, capability words), the caps field order and the
edge-rule bits.  tests/gen/test_header_facts.py compares every one with the
header as the C compiler reads it; change them together.
"""

VERSION = "0.1.0"            # attnroute's version (ATTNROUTE_VERSION_*); the tools' --version
TABLE_ABI = 2                # ATTNROUTE_TABLE_ABI the emitted layout matches
TOPK = 4                     # ATTNROUTE_TOPK
NO_CANDIDATE = 255           # ATTNROUTE_NO_CANDIDATE

# attnroute_axis order: the fields of a grid point, then their labels
# (ATTNROUTE_AXIS_<LABEL>, the text format's axis lines).
AXES = ("num_seqs", "seqlen_q", "cached", "num_q_heads", "gqa")
AXIS_LABELS = ("num_seqs", "seqlen_q", "cached", "q_heads", "gqa")

# attnroute_dtype values, named as attnroute_dtype_name names them (the only
# spellings the store writes).
DTYPE_CODES = {"bf16": 0, "fp16": 1, "fp8_e4m3": 2, "fp32": 3}
DTYPE_NAMES = {v: k for k, v in DTYPE_CODES.items()}

LOOKUPS = {"nearest_log": 0, "floor": 1, "tree": 2}  # attnroute_lookup
ROUTE_NAMES = {-1: "none", 0: "dense_sink_asm", 1: "triton_paged",
               2: "triton_splitkv", 3: "asm_paged_decode", 4: "triton_paged_gather",
               5: "triton_splitkv_gather", 6: "asm_persistent_decode",
               7: "gluon_paged_decode", 8: "asm_pa_fwd", 9: "dense_varlen",
               10: "engine_error"}  # attnroute_route (-1: stands in for none)

CAPS_FIELDS = ("head_dim_mask", "q_dtype_mask", "kv_dtype_mask", "block_size_mask",
               "sinks", "window", "causal", "max_seqlen_q", "gqa_exact")  # attnroute_caps
CAP_WORDS = {"forbidden": 0, "required": 1, "optional": 2}  # attnroute_cap

# attnroute_ragged_key values, and the edge-rule bits of attnroute_class.edge_clamp.
RAGGED_KEYS = {"longest": 0, "mean": 1, "equiv": 2}


def edge_bit(axis, above):
    """ATTNROUTE_EDGE_BELOW(axis) / ATTNROUTE_EDGE_ABOVE(axis)."""
    return 1 << (2 * axis + (1 if above else 0))


STEPS = {"auto": 0, "prefill": 1, "decode": 2}  # attnroute_step
