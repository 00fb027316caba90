"""legacy.py -- the legacy gates of ROCm ATOM in Python.

Mirrors attnroute_legacy_route() of runtime/src/legacy.c, which cites the
ATOM and aiter sources each rule comes from: the route ATOM's
PagedAttentionImpl takes for a problem, before and after ATOM PR #1345, with
unified attention on or off (env "use_unified_attn"; ATOM's default is off).
The report, the generator and the eval reference use it to find the
candidate each legacy policy would have run (stand_in: the candidate whose
legacy_route is that route and whose caps allow the problem, as
attnroute_legacy_standin finds it).
tests/tools/test_tools.py compares it with the C function over the whole
space of switches, dtype mixes, windows, steps and page sizes.
"""

ROUTE_DENSE_SINK_ASM = 0
ROUTE_TRITON_PAGED = 1
ROUTE_TRITON_SPLITKV = 2
ROUTE_ASM_PAGED_DECODE = 3
ROUTE_TRITON_PAGED_GATHER = 4
ROUTE_TRITON_SPLITKV_GATHER = 5
ROUTE_ASM_PERSISTENT_DECODE = 6
ROUTE_GLUON_PAGED_DECODE = 7
ROUTE_ASM_PA_FWD = 8
ROUTE_DENSE_VARLEN = 9
ROUTE_ENGINE_ERROR = 10
ROUTE_NAMES = {0: "dense_sink_asm", 1: "triton_paged", 2: "triton_splitkv",
               3: "asm_paged_decode", 4: "triton_paged_gather",
               5: "triton_splitkv_gather", 6: "asm_persistent_decode",
               7: "gluon_paged_decode", 8: "asm_pa_fwd", 9: "dense_varlen",
               10: "engine_error"}

POLICY_POST_1345 = 0
POLICY_PRE_1345 = 1
POLICY_NAMES = {POLICY_POST_1345: "post-1345", POLICY_PRE_1345: "pre-1345"}

STEP_AUTO, STEP_PREFILL, STEP_DECODE = 0, 1, 2
DTYPE_BF16, DTYPE_FP16, DTYPE_FP8_E4M3, DTYPE_FP32 = 0, 1, 2, 3

# attnroute_env_init: ATOM's defaults on gfx1250 (unified attention off).
DEFAULT_ENV = {"step": STEP_AUTO, "force_triton": 0, "use_unified_attn": 0,
               "asm_arch": 1, "has_alibi": 0, "has_dropout": 0, "has_cu_seqlens": 1,
               "flash_layout": 0, "cu_count": 256}
ENV_FIELDS = tuple(DEFAULT_ENV)  # attnroute_env field order


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


def _triton_splits(env, p):
    # unified_attention's use_2d_kernel: gfx12 splits exactly pure decode
    # without a window; other archs as vLLM (sk > 512, few 2D programs).
    all_decode = p["max_seqlen_q"] == 1
    if _has_window(p["sliding_window"]):
        return False
    if env["asm_arch"]:
        return all_decode
    if p["head_dim"] >= 512 and not all_decode:
        return False
    if p["max_seqlen_k"] <= 512:
        return False
    gqa = p["num_q_heads"] // p["num_kv_heads"]
    block_m = 16
    while block_m < gqa:
        block_m *= 2
    block_q = block_m // gqa
    if all_decode:
        q_blocks = p["num_seqs"]
    else:
        q_blocks = p["num_seqs"] * p["max_seqlen_q"] // block_q + p["num_seqs"]
    target = max(env["cu_count"], 1) * 4
    return q_blocks * p["num_kv_heads"] <= target


def _unified(env, p, gather):
    if _triton_splits(env, p):
        return ROUTE_TRITON_SPLITKV_GATHER if gather else ROUTE_TRITON_SPLITKV
    return ROUTE_TRITON_PAGED_GATHER if gather else ROUTE_TRITON_PAGED


def _paged_triton(env, p):
    if env["use_unified_attn"] or env["flash_layout"]:
        return _unified(env, p, False)
    return ROUTE_GLUON_PAGED_DECODE


def _persistent_asm(env, p):
    if p["has_sinks"]:
        if (env["asm_arch"] and p["kv_dtype"] == DTYPE_FP8_E4M3 and p["head_dim"] == 64
                and p["num_q_heads"] // p["num_kv_heads"] == 8 and p["max_seqlen_q"] <= 2):
            return ROUTE_ASM_PAGED_DECODE
        return ROUTE_ENGINE_ERROR
    return ROUTE_ENGINE_ERROR if env["asm_arch"] else ROUTE_ASM_PERSISTENT_DECODE


def _decode(env, p):
    if _has_window(p["sliding_window"]):
        return _paged_triton(env, p)
    if env["use_unified_attn"]:
        if env["force_triton"]:
            return _paged_triton(env, p)
        if p["kv_block_size"] == 256:
            return _persistent_asm(env, p)
        return _paged_triton(env, p)
    if env["force_triton"] or p["head_dim"] != 128 or env["flash_layout"]:
        return _paged_triton(env, p)
    if p["has_sinks"] or env["asm_arch"]:
        return ROUTE_ENGINE_ERROR
    return ROUTE_ASM_PA_FWD


def _atom_sink_gate(policy, env, p):
    if env["force_triton"] or not (env["use_unified_attn"] or env["flash_layout"]):
        return False
    if not env["asm_arch"] or p["head_dim"] != 64 or not p["has_sinks"]:
        return False
    if _has_window(p["sliding_window"]) or env["has_alibi"] or env["has_dropout"]:
        return False
    if not env["has_cu_seqlens"] or p["q_dtype"] != DTYPE_BF16:
        return False
    if policy == POLICY_PRE_1345 and (p["has_cached"]
                                      or p["max_seqlen_q"] != p["max_seqlen_k"]):
        return False
    return True


def _varlen(env, p):
    pair = (p["head_dim"] == 64 and p["has_sinks"]) or (p["head_dim"] == 128
                                                        and not p["has_sinks"])
    if (env["asm_arch"] and p["q_dtype"] == DTYPE_BF16 and pair
            and not _has_window(p["sliding_window"]) and not env["has_dropout"]):
        return ROUTE_DENSE_SINK_ASM
    return ROUTE_DENSE_VARLEN


def _prefill(policy, env, p):
    if _atom_sink_gate(policy, env, p):
        return ROUTE_DENSE_SINK_ASM
    if env["use_unified_attn"] or env["flash_layout"]:
        return _unified(env, p, policy == POLICY_PRE_1345 and bool(p["has_cached"]))
    return _varlen(env, p)


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


def caps_allow(caps, p):
    """runtime/src/caps.c attnroute_caps_allow: whether a candidate's caps
    (a dict of attnroute_caps fields) allow problem p (valid)."""
    def bit(mask, b):
        return 0 <= b <= 31 and (mask >> b) & 1

    def cap_ok(cap, present):
        return {0: not present, 1: present, 2: True}.get(cap, False)

    hd = p["head_dim"]
    if hd < 16 or hd > 512 or hd % 16 or not bit(caps["head_dim_mask"], hd // 16 - 1):
        return False
    if not bit(caps["q_dtype_mask"], p["q_dtype"]) or not bit(caps["kv_dtype_mask"], p["kv_dtype"]):
        return False
    if caps["block_size_mask"]:
        b = p["kv_block_size"]
        if b <= 0 or b & (b - 1) or not bit(caps["block_size_mask"], b.bit_length() - 1):
            return False
    if not cap_ok(caps["sinks"], p["has_sinks"] != 0):
        return False
    if not cap_ok(caps["window"], p["sliding_window"] > 0):
        return False
    if not cap_ok(caps["causal"], p["causal"] != 0):
        return False
    if caps["max_seqlen_q"] and p["max_seqlen_q"] > caps["max_seqlen_q"]:
        return False
    if caps["gqa_exact"] and p["num_q_heads"] // p["num_kv_heads"] != caps["gqa_exact"]:
        return False
    return True


def stand_in(candidates, route, p, unavailable=()):
    """attnroute_legacy_standin (runtime/src/router.c): the first of
    candidates (dicts with name, legacy_route and caps) standing in for
    route on problem p -- its legacy_route is route, it has a name, is not
    in `unavailable` (names) and its caps allow p -- or None.
    tests/python/test_binding.py compares the two on random tables."""
    if route is None or route < 0:
        return None
    for c in candidates:
        if c["legacy_route"] == route and c["name"] and c["name"] not in unavailable \
                and caps_allow(c["caps"], p):
            return c["name"]
    return None
