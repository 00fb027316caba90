"""legacy.py -- the legacy gates of ROCm ATOM in Python.

Mirrors attnroute_legacy_route() of runtime/src/legacy.c (shared/FACTS.md):
which route ATOM's hand-written gates pick for a problem, before and after
ATOM PR #1345.  The report uses it to find the candidate each legacy policy
would have run (the candidate whose legacy_route is that route) and so the
table's speedup over it.  tests/tools/test_tools.py compares it with the C
function on a grid of problems when the runtime is built.
"""

ROUTE_DENSE_SINK_ASM = 0
ROUTE_TRITON_PAGED = 1
ROUTE_TRITON_SPLITKV = 2
ROUTE_ASM_PAGED_DECODE = 3
ROUTE_NAMES = {0: "dense_sink_asm", 1: "triton_paged", 2: "triton_splitkv",
               3: "asm_paged_decode"}

POLICY_POST_1345 = 0
POLICY_PRE_1345 = 1
POLICY_NAMES = {POLICY_POST_1345: "post-1345", POLICY_PRE_1345: "pre-1345"}

STEP_AUTO, STEP_PREFILL, STEP_DECODE = 0, 1, 2
DTYPE_BF16 = 0

DEFAULT_ENV = {"step": STEP_AUTO, "force_triton": 0, "use_unified_attn": 1,
               "asm_arch": 1, "has_alibi": 0, "has_dropout": 0, "has_cu_seqlens": 1}


def problem(num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads, head_dim,
            q_dtype=DTYPE_BF16, kv_dtype=DTYPE_BF16, has_sinks=0, sliding_window=-1,
            kv_block_size=16, causal=1):
    """An attnroute_problem as a dict (a uniform batch: has_cached = sk > sq)."""
    return {"num_seqs": num_seqs, "max_seqlen_q": seqlen_q, "max_seqlen_k": seqlen_k,
            "has_cached": 1 if seqlen_k > seqlen_q else 0, "num_q_heads": num_q_heads,
            "num_kv_heads": num_kv_heads, "head_dim": head_dim, "q_dtype": q_dtype,
            "kv_dtype": kv_dtype, "has_sinks": has_sinks,
            "sliding_window": sliding_window, "kv_block_size": kv_block_size,
            "causal": causal}


def problem_ok(p):
    """attnroute_problem_check: positive sizes, sk >= sq, Hq % Hkv == 0,
    known dtypes (any window: <= 0 means none)."""
    if min(p["num_seqs"], p["max_seqlen_q"], p["num_q_heads"], p["num_kv_heads"],
           p["head_dim"], p["kv_block_size"]) <= 0:
        return False
    if p["max_seqlen_k"] < p["max_seqlen_q"] or p["num_q_heads"] % p["num_kv_heads"]:
        return False
    return 0 <= p["q_dtype"] < 4 and 0 <= p["kv_dtype"] < 4


def _has_window(w):
    return w > 0


def _triton(p):
    # Split-KV ("3D") only for pure decode when num_seqs <= 128 / num_kv_heads.
    if p["max_seqlen_q"] == 1 and p["num_seqs"] <= 128 // p["num_kv_heads"]:
        return ROUTE_TRITON_SPLITKV
    return ROUTE_TRITON_PAGED


def _decode(env, p):
    if _has_window(p["sliding_window"]):
        return _triton(p)
    if env["use_unified_attn"] and p["kv_block_size"] == 256:
        return ROUTE_ASM_PAGED_DECODE
    return _triton(p)


def _prefill(policy, env, p):
    dense = (not env["force_triton"] and env["use_unified_attn"] and env["asm_arch"]
             and p["head_dim"] == 64 and p["has_sinks"]
             and not _has_window(p["sliding_window"]) and not env["has_alibi"]
             and not env["has_dropout"] and env["has_cu_seqlens"]
             and p["q_dtype"] == DTYPE_BF16 and p["kv_dtype"] == DTYPE_BF16
             and p["num_q_heads"] % p["num_kv_heads"] == 0)
    if dense and policy == POLICY_PRE_1345:
        dense = not p["has_cached"] and p["max_seqlen_q"] == p["max_seqlen_k"]
    return ROUTE_DENSE_SINK_ASM if dense else ROUTE_TRITON_PAGED


def legacy_route(policy, p, env=None):
    """The route ATOM's gates pick for problem p (a dict) under policy; env
    None means the defaults.  Invalid problems get ROUTE_TRITON_PAGED."""
    if not problem_ok(p):
        return ROUTE_TRITON_PAGED
    env = dict(DEFAULT_ENV, **(env or {}))
    if env["step"] == STEP_DECODE:
        decode = True
    elif env["step"] == STEP_PREFILL:
        decode = False
    else:
        decode = p["max_seqlen_q"] == 1
    return _decode(env, p) if decode else _prefill(policy, env, p)
