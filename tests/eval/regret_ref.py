"""regret_ref.py -- attnroute-eval's numbers recomputed in Python, for tests.

An independent re-computation on the same inputs: the table model comes from
gen/attnroute_gen.py (load_model + apply_lookup, the generator's own lookups
in Python), select is re-implemented here after runtime/src/router.c and
lookup.c, the legacy gates, caps and stand-ins come from
gen/attnroute_gen/legacy.py, and the eval db is read with the sqlite3
module.  reference() returns the same
per-shape picks and per-policy summaries attnroute-eval reports.
"""
import math
import os
import sqlite3
import sys

TOPK = 4
POLICIES = ("table", "pre-1345", "post-1345")


def import_modules(root):
    d = os.path.join(root, "gen")
    if d not in sys.path:
        sys.path.insert(0, d)
    import attnroute_gen
    from attnroute_gen import legacy
    return attnroute_gen, legacy


class Ref:
    def __init__(self, root, grid_db, lookup, fallback="post-1345", unified=False):
        self.gen, self.legacy = import_modules(root)
        self.model = self.gen.load_model(grid_db)
        self.gen.apply_lookup(self.model, lookup, TOPK)
        self.cands = self.model["candidates"]
        self.names = [c["name"] for c in self.cands]
        self.by_name = {c["name"]: c for c in self.cands}
        self.fallback = self.legacy.POLICY_PRE_1345 if fallback == "pre-1345" \
            else self.legacy.POLICY_POST_1345
        self.env = {"use_unified_attn": 1 if unified else 0}  # attnroute-eval --unified-attn

    def stand_in(self, route, p):
        """The candidate standing in for route on p (the package's legacy.py, tied to
        the runtime's attnroute_legacy_standin by tests/python)."""
        return self.legacy.stand_in(self.cands, route, p)

    def klass(self, p):
        dn = self.gen.DTYPE_NAMES
        static = (p["head_dim"], dn[p["q_dtype"]], dn[p["kv_dtype"]], 1 if p["has_sinks"] else 0,
                  p["sliding_window"] if p["sliding_window"] > 0 else -1, p["kv_block_size"],
                  1 if p["causal"] else 0)
        return next((k for k in self.model["classes"] if k["static_key"] == static), None)

    def on_grid(self, p):
        k = self.klass(p)
        point = (p["num_seqs"], p["max_seqlen_q"], p["max_seqlen_k"] - p["max_seqlen_q"],
                 p["num_q_heads"], p["num_q_heads"] // p["num_kv_heads"])
        return k is not None and all(v in k["axes"][i] for i, v in enumerate(point))

    @staticmethod
    def point(p, key):
        """runtime/src/lookup.c problem_axes: the axis values under a ragged key."""
        n, sq, sk = p["num_seqs"], p["max_seqlen_q"], p["max_seqlen_k"]
        tk = p.get("total_seqlen_k", 0) or n * sk
        tq = p.get("total_seqlen_q", 0) or n * sq
        if tq > tk:
            tq = tk
        point = [n, sq, sk - sq, p["num_q_heads"], p["num_q_heads"] // p["num_kv_heads"]]
        if key == "mean":
            point[1] = (tq + n - 1) // n
            point[2] = (tk - tq + n - 1) // n
        elif key == "equiv":
            point[0] = (tk + sk - 1) // sk
        return point

    def select(self, p, step=0):
        """(candidate name or None, from_table, rank, reason, route); step
        (attnroute_step) is what the legacy fallback gets."""
        klass = self.klass(p)
        reason = None
        if klass is None:
            reason = "no_class"
        else:
            point = self.point(p, klass["ragged_key"])
            axes = klass["axes"]
            for i, v in enumerate(point):  # the edge rules: clamp where a bit allows
                if v < axes[i][0] and klass["edge_clamp"] >> (2 * i) & 1:
                    point[i] = axes[i][0]
                elif v > axes[i][-1] and klass["edge_clamp"] >> (2 * i + 1) & 1:
                    point[i] = axes[i][-1]
            if any(v < axes[i][0] or v > axes[i][-1] for i, v in enumerate(point)):
                reason = "out_of_domain"
            else:
                ranking = self.gen.predict_grid(klass, point, klass["lookup"], TOPK,
                                                nodes=klass.get("nodes"))
                if not ranking:
                    reason = "empty_cell"
                else:
                    for i, n in enumerate(ranking):
                        if self.legacy.caps_allow(self.by_name[n]["caps"], p):
                            return (n, 1, i, "ok", None)
                    reason = "unsupported"
        route = self.legacy.legacy_route(self.fallback, p, dict(self.env, step=step))
        return (self.stand_in(route, p), 0, -1, reason, route)


def read_eval(path, names, arch, cu):
    """[(shape_id, problem dict, {name: (status, median)})] in shape id order."""
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    rows = conn.execute(
        "SELECT s.id, s.head_dim, s.has_sinks, s.sliding_window, s.kv_block_size, s.causal, "
        "s.num_seqs, s.seqlen_q, s.seqlen_k, s.num_q_heads, s.num_kv_heads, c.name, m.status, "
        "m.median_us FROM measurement m JOIN shape s ON s.id = m.shape_id "
        "JOIN candidate c ON c.id = m.candidate_id JOIN device d ON d.id = m.device_id "
        "WHERE d.arch = ? AND d.cu_count = ? ORDER BY s.id, m.measured_at, m.id",
        (arch, cu)).fetchall()
    conn.close()
    shapes = {}
    order = []
    for (sid, hd, sinks, window, block, causal, ns, sq, sk, hq, hkv, name, status, us) in rows:
        if sid not in shapes:
            p = {"num_seqs": ns, "max_seqlen_q": sq, "max_seqlen_k": sk,
                 "has_cached": 1 if sk > sq else 0, "num_q_heads": hq, "num_kv_heads": hkv,
                 "head_dim": hd, "q_dtype": 0, "kv_dtype": 0, "has_sinks": 1 if sinks else 0,
                 "sliding_window": window if window > 0 else -1, "kv_block_size": block,
                 "causal": 1 if causal else 0}
            shapes[sid] = (p, {})
            order.append(sid)
        if name in names:
            shapes[sid][1][name] = (status, us)
    return [(sid, shapes[sid][0], shapes[sid][1]) for sid in order]


def percentile(sorted_vals, pct):
    n = len(sorted_vals)
    if not n:
        return None
    rank = min(max((pct * n + 99) // 100, 1), n)
    return sorted_vals[rank - 1]


def summarise(picks):
    """picks: [(regret or inf, optimal bool)] -> the summary dict."""
    finite = [r for r, _ in picks if math.isfinite(r)]
    s = {"shapes": len(picks), "failed": len(picks) - len(finite),
         "optimal": sum(1 for r, o in picks if math.isfinite(r) and o)}
    if finite:
        s["geomean"] = math.exp(sum(math.log(r) for r in finite) / len(finite))
        srt = sorted(finite)
        s["p50"], s["p95"], s["max"] = percentile(srt, 50), percentile(srt, 95), srt[-1]
    else:
        s["geomean"] = s["p50"] = s["p95"] = s["max"] = None
    return s


def reference(root, grid_db, eval_db, lookup, fallback="post-1345", include_grid=False,
              unified=False):
    ref = Ref(root, grid_db, lookup, fallback, unified)
    arch, cu = ref.model["arch"], ref.model["cu_count"]
    shapes = read_eval(eval_db, set(ref.names), arch, cu)
    out = {"shapes": {}, "evaluated": 0, "incomplete": 0, "no_ok": 0, "on_grid": 0,
           "fallbacks": {}}
    picks = {p: [] for p in POLICIES}
    for sid, p, meas in shapes:
        if any(n not in meas or (meas[n][0] == "ok" and not (meas[n][1] and meas[n][1] > 0))
               for n in ref.names):
            out["incomplete"] += 1
            continue
        ok = [(meas[n][1], ref.names.index(n), n) for n in ref.names if meas[n][0] == "ok"]
        if not ok:
            out["no_ok"] += 1
            continue
        if not include_grid and ref.on_grid(p):
            out["on_grid"] += 1
            continue
        out["evaluated"] += 1
        oracle_us, _, oracle = min(ok)
        name, from_table, rank, reason, route = ref.select(p)
        if not from_table:
            out["fallbacks"][reason] = out["fallbacks"].get(reason, 0) + 1
        chosen = {"table": name}
        for pol, code in (("pre-1345", ref.legacy.POLICY_PRE_1345),
                          ("post-1345", ref.legacy.POLICY_POST_1345)):
            chosen[pol] = ref.stand_in(ref.legacy.legacy_route(code, p, ref.env), p)
        rec = {"oracle": oracle, "oracle_us": oracle_us, "from_table": from_table, "rank": rank,
               "reason": reason}
        for pol in POLICIES:
            n = chosen[pol]
            st = meas[n][0] if n else "none"
            us = meas[n][1] if n and st == "ok" else None
            regret = us / oracle_us if us is not None else math.inf
            rec[pol] = {"candidate": n, "status": st, "us": us, "regret": regret}
            picks[pol].append((regret, n == oracle or us == oracle_us))
        out["shapes"][sid] = rec
    out["policies"] = {pol: summarise(picks[pol]) for pol in POLICIES}
    return out


# --------------------------------------------------------------------------
# Trace calls (trace_call rows, schema v2): tools/eval/trace.c recomputed.

STEPS = {"prefill": 1, "decode": 2}
TRACE_POLICIES = ("table", "pre-1345", "post-1345", "best")


def read_calls(path, names, arch, cu):
    """[(trace, call_index, step, problem or None, {name: (status, us)})] in
    (trace, call_index) order; the problem has the ragged totals of seqs."""
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    meas = {}
    for sid, name, status, us in conn.execute(
            "SELECT m.shape_id, c.name, m.status, m.median_us FROM measurement m "
            "JOIN candidate c ON c.id = m.candidate_id JOIN device d ON d.id = m.device_id "
            "WHERE d.arch = ? AND d.cu_count = ? ORDER BY m.shape_id, m.measured_at, m.id",
            (arch, cu)):
        if name in names:
            meas.setdefault(sid, {})[name] = (status, us)
    out = []
    for trace, index, step, sid, hd, sinks, window, block, causal, ns, sq, sk, hq, hkv, seqs in \
            conn.execute("SELECT t.trace, t.call_index, t.step, s.id, s.head_dim, s.has_sinks, "
                         "s.sliding_window, s.kv_block_size, s.causal, s.num_seqs, s.seqlen_q, "
                         "s.seqlen_k, s.num_q_heads, s.num_kv_heads, s.seqs FROM trace_call t "
                         "JOIN shape s ON s.id = t.shape_id ORDER BY t.trace, t.call_index"):
        pairs = [tuple(int(x) for x in item.split(":")) for item in seqs.split(",")] if seqs else []
        p = {"num_seqs": ns, "max_seqlen_q": sq, "max_seqlen_k": sk,
             "has_cached": 1 if (any(k > q for q, k in pairs) if pairs else sk > sq) else 0,
             "num_q_heads": hq, "num_kv_heads": hkv, "head_dim": hd, "q_dtype": 0, "kv_dtype": 0,
             "has_sinks": 1 if sinks else 0, "sliding_window": window if window > 0 else -1,
             "kv_block_size": block, "causal": 1 if causal else 0,
             "total_seqlen_q": sum(q for q, _ in pairs), "total_seqlen_k": sum(k for _, k in pairs)}
        out.append((trace, index, step, p if sid in meas else None, meas.get(sid, {})))
    conn.close()
    return out


def trace_reference(root, grid_db, eval_db, lookup, fallback="post-1345", unified=False):
    """What attnroute-eval reports on the trace calls of eval_db."""
    ref = Ref(root, grid_db, lookup, fallback, unified)
    arch, cu = ref.model["arch"], ref.model["cu_count"]
    out = {"calls": {"total": 0, "ragged": 0, "scored": 0, "failed": 0, "incomplete": 0, "no_ok": 0,
                     "no_shape": 0},
           "answered": {"calls": 0, "of": 0, "by_step": {s: {"calls": 0, "of": 0} for s in STEPS},
                        "not_answered_by_reason": {}},
           "per_call": {}}
    scored = []
    for trace, index, step, p, meas in read_calls(eval_db, set(ref.names), arch, cu):
        out["calls"]["total"] += 1
        if p is None:
            out["calls"]["no_shape"] += 1
            continue
        out["calls"]["ragged"] += 1 if p["total_seqlen_q"] else 0
        code = STEPS[step]
        name, from_table, rank, reason, route = ref.select(p, code)
        out["answered"]["of"] += 1
        out["answered"]["by_step"][step]["of"] += 1
        if from_table:
            out["answered"]["calls"] += 1
            out["answered"]["by_step"][step]["calls"] += 1
        else:
            r = out["answered"]["not_answered_by_reason"]
            r[reason] = r.get(reason, 0) + 1
        if any(n not in meas or (meas[n][0] == "ok" and not (meas[n][1] and meas[n][1] > 0))
               for n in ref.names):
            out["calls"]["incomplete"] += 1
            continue
        ok = [(meas[n][1], ref.names.index(n), n) for n in ref.names if meas[n][0] == "ok"]
        if not ok:
            out["calls"]["no_ok"] += 1
            continue
        best_us, _, best = min(ok)
        chosen = {"table": name, "best": best}
        routes = {"table": route, "best": None}
        for pol, pc in (("pre-1345", ref.legacy.POLICY_PRE_1345),
                        ("post-1345", ref.legacy.POLICY_POST_1345)):
            routes[pol] = ref.legacy.legacy_route(pc, p, dict(ref.env, step=code))
            chosen[pol] = ref.stand_in(routes[pol], p)
        rec = {"from_table": from_table, "reason": reason, "step": step, "problem": p,
               "best_us": best_us}
        for pol in TRACE_POLICIES:
            n = chosen[pol]
            st = meas[n][0] if n else "none"
            us = meas[n][1] if n and st == "ok" else None
            rec[pol] = {"candidate": n, "status": st, "us": us,
                        "route": ref.legacy.ROUTE_NAMES[routes[pol]] if routes[pol] is not None
                        else None,
                        "regret": us / best_us if us is not None else math.inf}
        rec["scored"] = all(math.isfinite(rec[pol]["regret"]) for pol in TRACE_POLICIES)
        out["calls"]["scored" if rec["scored"] else "failed"] += 1
        out["per_call"][(trace, index)] = rec
        scored.append(rec)
    out["policies"] = {}
    for pol in TRACE_POLICIES:
        ok_calls = [r for r in scored if r["scored"]]
        s = summarise([(r[pol]["regret"], r[pol]["us"] == r["best"]["us"]) for r in ok_calls])
        s["calls"] = s.pop("shapes")
        s["failed"] = sum(1 for r in scored if not math.isfinite(r[pol]["regret"]))
        s["total_us"] = sum(r[pol]["us"] for r in ok_calls)
        out["policies"][pol] = s
    # Each policy over every evaluated call its own pick ran ok on, and why
    # its other picks were not timed: no stand-in (by route), failed (by status).
    out["policies_all_ok"], out["not_timed"] = {}, {}
    for pol in TRACE_POLICIES:
        own = [r for r in scored if math.isfinite(r[pol]["regret"])]
        s = summarise([(r[pol]["regret"], r[pol]["us"] == r["best_us"]) for r in own])
        s["calls"] = s.pop("shapes")
        del s["failed"]
        s["total_us"] = sum(r[pol]["us"] for r in own)
        s["best_total_us"] = sum(r["best_us"] for r in own)
        s["x_best"] = s["total_us"] / s["best_total_us"] if own else None
        out["policies_all_ok"][pol] = s
        nt = {"no_standin": 0, "no_standin_routes": {}, "failed": 0, "failed_by_status": {}}
        for r in scored:
            pk = r[pol]
            if math.isfinite(pk["regret"]):
                continue
            if pk["candidate"] is None:
                nt["no_standin"] += 1
                nt["no_standin_routes"][pk["route"]] = nt["no_standin_routes"].get(pk["route"], 0) + 1
            else:
                nt["failed"] += 1
                nt["failed_by_status"][pk["status"]] = nt["failed_by_status"].get(pk["status"], 0) + 1
        out["not_timed"][pol] = nt
    return out
