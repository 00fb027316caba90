"""attnroute -- measured attention-kernel dispatch, from Python.

A thin binding (standard library only, ctypes) over the attnroute runtime
(libattnroute) and compiled tables (shared libraries made by
gen/attnroute_gen.py --library):

    import attnroute
    router = attnroute.Router("libattnroute_table_h100.so", "sm_90", 132,
                              policy="post-1345")
    if not router.bound:               # another device: legacy answers
        log(router.bind_reason)
    c = router.select(num_seqs=4, max_seqlen_q=2048, max_seqlen_k=6144,
                      num_q_heads=64, num_kv_heads=8, head_dim=64,
                      has_sinks=1, kv_block_size=16, step="prefill")
    c.name, c.candidate, c.from_table, c.reason_text, c.route_name
    router.write_shapes("missed.shapes")   # attnroute-tune --shapes missed.shapes

Router.selector() gives the per-layer fast path.  docs/ENGINE_PYTHON.md shows
where an engine calls it.
"""
from ._abi import DTYPES, STEPS, ROUTE_NAMES, STATUS_NAMES, TABLE_ABI
from ._lib import Error, PATH as LIBRARY_PATH
from ._lib import version as _version
from ._router import (Choice, Miss, PROBLEM_FIELDS, ENV_FIELDS, Router, Table,
                      shape_line, write_shapes)

STEP_AUTO, STEP_PREFILL, STEP_DECODE = STEPS["auto"], STEPS["prefill"], STEPS["decode"]
POLICIES = ("post-1345", "pre-1345")


def library_version():
    """ATTNROUTE_VERSION of the loaded runtime library (major*10000 + minor*100 + patch)."""
    return _version()


__all__ = ["Choice", "DTYPES", "ENV_FIELDS", "Error", "LIBRARY_PATH", "Miss", "POLICIES",
           "PROBLEM_FIELDS", "ROUTE_NAMES", "Router", "STATUS_NAMES", "STEPS", "STEP_AUTO",
           "STEP_DECODE", "STEP_PREFILL", "TABLE_ABI", "Table", "library_version",
           "shape_line", "write_shapes"]
