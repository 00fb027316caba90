#!/usr/bin/env python3
"""engine_replay.py -- replay an attention-call trace the way a Python engine
would run it with attnroute, and time every policy's kernels on the GPU.

For each call of a trace (the format of tools/attnroute_trace.py and
attnroute-tune --trace): select through the attnroute Python binding (the
table), ask the same router what each legacy policy (post-1345, pre-1345)
would run (the table's stand-in candidate for the legacy route), launch
each chosen project kernel on the GPU from torch (the cubins built under
build/kernels, loaded through the CUDA driver with bench/attn_torch.py's
Driver and launch helpers, imported, not copied), check that every policy's
output agrees, and time it.  Reports the attention time per call and per
engine step (x --layers) for each policy, and the table's speedup over each
legacy policy; JSON under --out.

  python3 examples/engine_replay.py --trace T --table LIB --cubins DIR [--out DIR]
      GPU run: needs torch with CUDA and the cubins.
  python3 examples/engine_replay.py --trace T --table LIB --select-only --arch A --cu N
      no GPU, no torch: only the selects (what each policy would run, the
      table's misses), e.g. to check a table against a trace on any machine.

The table is a compiled table (gen/attnroute_gen.py DB --library LIB); on
the GPU the router binds it to the device torch reports (arch sm_XY, SM
count, memory, name), so a table tuned on another device is refused and
every policy then runs its legacy pick; a sibling's table (an H100 table on
an H200: same arch and SM count) only with --allow-sibling, said so in the
output.  PYTHONPATH must reach the attnroute package
(<build>/python, or the installed one).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

import attnroute  # noqa: E402  (PYTHONPATH: <build>/python)

DTYPE_NAMES = {"bf16", "fp16", "fp8_e4m3", "fp32"}
CLASS_KEYS = ("head_dim", "sinks", "window", "block", "dtype", "kv_dtype", "causal",
              "q_heads", "kv_heads")


class TraceError(Exception):
    pass


def read_trace(path):
    """The calls of a trace file: a list of (class dict, step, [(sq, ctx), ...]).
    Raises TraceError naming file:line."""
    calls, cls, magic = [], None, False
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = "%s:%d" % (path, n)
            words = line.split()
            if not magic:
                if words != ["attnroute-trace", "1"]:
                    raise TraceError("%s: not an attnroute trace (want 'attnroute-trace 1')"
                                     % where)
                magic = True
            elif words[0] == "class":
                cls = {"sinks": 0, "window": -1, "block": 16, "dtype": "bf16",
                       "kv_dtype": "bf16", "causal": 1}
                for w in words[1:]:
                    k, eq, v = w.partition("=")
                    if not eq or k not in CLASS_KEYS:
                        raise TraceError("%s: unknown class key %r" % (where, w))
                    if k in ("dtype", "kv_dtype"):
                        if v not in DTYPE_NAMES:
                            raise TraceError("%s: unknown dtype %r" % (where, v))
                        cls[k] = v
                    else:
                        try:
                            cls[k] = int(v)
                        except ValueError:
                            raise TraceError("%s: %s=%r is no integer" % (where, k, v)) from None
                for k in ("head_dim", "q_heads", "kv_heads"):
                    if k not in cls:
                        raise TraceError("%s: class without %s" % (where, k))
            elif words[0] in ("prefill", "decode"):
                if cls is None:
                    raise TraceError("%s: a call before any class line" % where)
                seqs = []
                for w in words[1:]:
                    sq, colon, ctx = w.partition(":")
                    try:
                        sq, ctx = int(sq), int(ctx)
                    except ValueError:
                        raise TraceError("%s: %r is not sq:ctx" % (where, w)) from None
                    if not colon or sq < 1 or ctx < sq:
                        raise TraceError("%s: %r: need 1 <= sq <= ctx" % (where, w))
                    seqs.append((sq, ctx))
                if not seqs:
                    raise TraceError("%s: a call without sequences" % where)
                calls.append((cls, words[0], seqs))
            else:
                raise TraceError("%s: unknown line %r" % (where, words[0]))
    if not magic:
        raise TraceError("%s: empty trace" % path)
    return calls


def problem_fields(cls, seqs):
    """The attnroute problem of one call, as Router.select keywords."""
    f = dict(num_seqs=len(seqs), max_seqlen_q=max(s[0] for s in seqs),
             max_seqlen_k=max(s[1] for s in seqs), has_cached=int(any(c > q for q, c in seqs)),
             num_q_heads=cls["q_heads"], num_kv_heads=cls["kv_heads"], head_dim=cls["head_dim"],
             q_dtype=cls["dtype"], kv_dtype=cls["kv_dtype"], has_sinks=cls["sinks"],
             sliding_window=cls["window"], kv_block_size=cls["block"], causal=cls["causal"])
    # The ragged totals, where this runtime has them (attnroute_problem fields).
    if "total_seqlen_q" in attnroute.PROBLEM_FIELDS:
        f["total_seqlen_q"] = sum(s[0] for s in seqs)
        f["total_seqlen_k"] = sum(s[1] for s in seqs)
    return f


def picks(router, policies, fields, step):
    """{policy: Choice} for the table and each legacy policy."""
    out = {"table": router.select(step=step, **fields)}
    for pol in policies:
        out[pol] = router.legacy(policy=pol, step=step, **fields)
    return out


def runnable(choice):
    return choice.candidate >= 0


# ---------------------------------------------------------------- GPU part

def decode_splits(tag, p, cu_count, max_splits=64, min_keys=128):
    """Splits of a paged_decode candidate, as the tuner runs it
    (tuner/candidates/families.c ar_decode_splits; kernels/attn_variants.h's
    AR_DECODE_MIN_KEYS_PER_SPLIT = 128, tuner/core/measure.c's 64 at most):
    fixed sN, or auto: enough to cover the SMs once, none shorter than
    min_keys keys."""
    if tag == "bal":
        # families.c's balanced rule: a key budget per block of the batch's key
        # work over twice the SMs; enough splits for the longest sequence.
        g = p.hq // p.hkv
        groups = (p.max_sq * g + 15) // 16
        win = getattr(p, "window", -1)
        total = p.total_k if p.total_k > 0 else p.num_seqs * p.max_sk
        longest = p.max_sk
        if win is not None and win > 0:
            total, longest = min(total, p.num_seqs * win), min(longest, win)
        budget = max(min_keys, total * p.hkv * groups // (2 * cu_count))
        n = -(-longest // budget)
    elif tag != "auto":
        n = int(tag[1:])
    else:
        g = p.hq // p.hkv
        work = p.num_seqs * p.hkv * ((p.max_sq * g + 15) // 16)
        n = -(-cu_count // work) if work > 0 else 1
        n = min(n, -(-p.max_sk // min_keys))
    return max(1, min(n, max_splits))


class Runner:
    """Launches a candidate by its table name with bench/attn_torch.py's
    driver: dense_sink.gather[_page].<tile>.d<D> (the gather when the call
    has a cached prefix, then the dense kernel), paged.<tile>.d<D>,
    paged_decode.<warps>.<auto|bal|sN>.d<D> (the split kernel, and the reduce
    when it splits)."""

    def __init__(self, at, drv, torch, cu_count):
        self.at, self.drv, self.torch, self.cu = at, drv, torch, cu_count

    def prepare(self, p):
        t = self.torch
        self.out = t.empty(p.total_q, p.hq, p.d, dtype=t.bfloat16, device="cuda")
        self.k_out = t.empty_like(p.k)
        self.v_out = t.empty_like(p.v)
        self.part_out = self.part_ml = None  # split-KV partials: made for decode picks

    def partials(self, p, splits):
        t = self.torch
        if self.part_out is None or self.part_out.shape[0] < splits:
            self.part_out = t.empty(splits, p.total_q, p.hq, p.d, device="cuda")
            self.part_ml = t.empty(splits, p.total_q, p.hq, 2, device="cuda")

    def fn(self, name, p):
        at, drv = self.at, self.drv
        parts = name.split(".")
        fam = parts[0]
        cached = any(c > q for q, c in p.seqs)
        if fam == "dense_sink" and len(parts) == 4:
            gather = {"gather": "ar_gather_tok", "gather_page": "ar_gather_page"}[parts[1]]
            tile = parts[2]

            def run():
                if cached:
                    at.run_gather(drv, p, gather, self.k_out, self.v_out)
                    at.run_dense(drv, p, tile, self.out, k=self.k_out, v=self.v_out)
                else:
                    at.run_dense(drv, p, tile, self.out)
            return run
        if fam == "paged" and len(parts) == 3:
            return lambda: at.run_paged(drv, p, parts[1], self.out)
        if fam == "paged_decode" and len(parts) == 4:
            tile, splits = parts[1], decode_splits(parts[2], p, self.cu)
            sym = "ar_decode_%s_d%d" % (tile, p.d)
            self.partials(p, splits)

            def run():
                if splits == 1:  # the split kernel writes out itself (no reduce)
                    drv.launch(sym, p.paged_args(self.out, 1, self.part_out, self.part_ml))
                else:
                    at.run_decode(drv, p, tile, self.out, splits, self.part_out, self.part_ml)
            return run
        raise KeyError("no launcher for candidate %r" % name)


def gpu_replay(args, calls, policies):
    import torch
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import attn_torch as at  # the project's cubin launcher (bench/attn_torch.py)

    props = torch.cuda.get_device_properties(0)
    major, minor = torch.cuda.get_device_capability(0)
    arch, cu = "sm_%d%d" % (major, minor), props.multi_processor_count
    router = attnroute.Router(args.table, arch, cu, memory_bytes=props.total_memory,
                              product=props.name, allow_sibling=args.allow_sibling,
                              env=legacy_env(args))
    print("device %s (%s, %d SMs, %d MiB); table %s: %s" % (
        props.name, arch, cu, props.total_memory >> 20, args.table,
        router.bind_reason if router.bound else
        "REFUSED (%s): every policy runs its legacy pick" % router.bind_reason), flush=True)
    drv = at.Driver(args.cubins)
    runner = Runner(at, drv, torch, cu)
    rows = []
    for i, (cls, step, seqs) in enumerate(calls):
        fields = problem_fields(cls, seqs)
        chosen = picks(router, policies, fields, step)
        p = at.Problem(seqs, cls["q_heads"], cls["kv_heads"], cls["head_dim"], cls["block"],
                       max(0, cls["window"]), bool(cls["sinks"]), bool(cls["causal"]),
                       seed=i + 1)
        runner.prepare(p)
        row = {"call": i, "step": step, "num_seqs": len(seqs), "max_sq": p.max_sq,
               "max_sk": p.max_sk, "total_q": p.total_q, "total_k": p.total_k,
               "window": cls["window"], "picks": {}, "ms": {}, "relerr": {}}
        ref = None
        times = {}
        for pol, c in chosen.items():
            row["picks"][pol] = {"name": c.name, "from_table": c.from_table,
                                 "reason": c.reason_text}
            if not runnable(c):
                continue
            if c.name not in times:
                fn = runner.fn(c.name, p)
                runner.out.fill_(float("nan"))
                fn()
                torch.cuda.synchronize()
                if ref is None:
                    ref = runner.out.float().clone()
                err = at.relerr(runner.out, ref)
                row["relerr"][c.name] = err
                times[c.name] = at.time_fn(fn, reps=args.reps)
            row["ms"][pol] = times[c.name]
        bad = [n for n, e in row["relerr"].items() if not (e == e and e < 2e-2)]
        if bad:
            row["disagree"] = bad
        rows.append(row)
        line = "call %4d %-7s seqs %3d sq %6d sk %6d |" % (i, step, len(seqs), p.max_sq,
                                                           p.max_sk)
        for pol in ["table"] + policies:
            ms = row["ms"].get(pol)
            line += " %s %s %s" % (pol, row["picks"][pol]["name"],
                                   "%.1fus" % (ms * 1e3) if ms is not None else "n/a")
        print(line + ("  DISAGREE %s" % bad if bad else ""), flush=True)
        del p
        torch.cuda.empty_cache()
    return {"device": props.name, "arch": arch, "sms": cu, "bound": router.bound,
            "bind_reason": router.bind_reason, "torch": torch.__version__, "rows": rows,
            "misses": [m.shape_line for m in router.misses()]}


def summarize(res, policies, layers):
    rows = res["rows"]
    all_pols = ["table"] + policies
    timed = [r for r in rows if all(p in r["ms"] for p in all_pols)]
    tot = {p: sum(r["ms"][p] for r in timed) for p in all_pols}
    best = sum(min(r["ms"].values()) for r in timed)
    summary = {"calls": len(rows), "timed_calls": len(timed),
               "untimed_calls": len(rows) - len(timed), "layers": layers,
               "attention_ms_per_call_sum": tot, "best_of_policies_ms": best,
               "step_ms": {p: tot[p] * layers / max(1, len(timed)) for p in all_pols},
               "table_speedup": {p: (tot[p] / tot["table"] if tot["table"] else None)
                                 for p in policies},
               "disagreements": sum(1 for r in rows if r.get("disagree"))}
    for kind in ("prefill", "decode"):
        sub = [r for r in timed if r["step"] == kind]
        summary[kind] = {p: sum(r["ms"][p] for r in sub) for p in all_pols}
        summary[kind]["calls"] = len(sub)
    res["summary"] = summary
    print("\n== %d calls timed (of %d); attention per call, mean over calls, x %d layers "
          "per step" % (len(timed), len(rows), layers))
    for p in all_pols:
        print("  %-10s total %9.3f ms   mean step %8.3f ms   prefill %8.3f ms   decode %8.3f ms"
              % (p, tot[p], summary["step_ms"][p], summary["prefill"][p],
                 summary["decode"][p]))
    print("  %-10s total %9.3f ms (fastest of the policies' picks, per call)" % ("best", best))
    for p in policies:
        sp = summary["table_speedup"][p]
        print("  table vs %-9s %.3fx" % (p, sp) if sp else "  table vs %s: n/a" % p)
    if summary["disagreements"]:
        print("  %d call(s) where the policies' outputs disagree (relerr >= 2e-2)"
              % summary["disagreements"])


def legacy_env(args):
    """The engine switches of the legacy gates: ATOM_USE_UNIFIED_ATTN."""
    return {"use_unified_attn": 1 if args.unified_attn == "on" else 0}


def select_only(args, calls, policies):
    router = attnroute.Router(args.table, args.arch, args.cu, env=legacy_env(args))
    print("table %s on %s:%d: %s" % (args.table, args.arch, args.cu,
                                     "bound" if router.bound else
                                     "refused (%s)" % router.bind_reason))
    counts = {}
    for i, (cls, step, seqs) in enumerate(calls):
        chosen = picks(router, policies, problem_fields(cls, seqs), step)
        for pol, c in chosen.items():
            counts.setdefault(pol, {}).setdefault(c.name, 0)
            counts[pol][c.name] += 1
        if i < args.show:
            print("call %4d %-7s seqs %3d | %s" % (i, step, len(seqs), " | ".join(
                "%s %s%s" % (pol, c.name, "" if c.from_table or pol != "table"
                             else " (miss: %s)" % c.reason_text)
                for pol, c in chosen.items())))
    for pol, names in counts.items():
        print("%-10s " % pol + ", ".join("%s x%d" % kv for kv in sorted(
            names.items(), key=lambda kv: -kv[1])))
    st = router.miss_stats()
    print("table misses: %d of %d calls, %d distinct shapes" % (
        st["total"], len(calls), st["distinct"]))
    if args.shapes:
        print("%d shapes added to %s" % (router.write_shapes(args.shapes), args.shapes))
    return {"counts": counts, "misses": st}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trace", required=True, help="attnroute trace file")
    ap.add_argument("--table", required=True, help="compiled table (gen --library)")
    ap.add_argument("--cubins", default=os.path.join(ROOT, "build", "kernels"),
                    help="folder of the project's cubins (default build/kernels)")
    ap.add_argument("--policies", default="post-1345,pre-1345",
                    help="legacy policies to compare with, comma-separated")
    ap.add_argument("--calls", type=int, default=0, help="replay only the first N calls")
    ap.add_argument("--layers", type=int, default=36,
                    help="attention layers per engine step (gpt-oss-120b: 36)")
    ap.add_argument("--reps", type=int, default=7, help="timed samples per kernel")
    ap.add_argument("--out", default=os.environ.get("OUT", "."), help="folder for replay.json")
    ap.add_argument("--allow-sibling", action="store_true",
                    help="bind a sibling device's table (same arch and SM count, other "
                    "memory or product: an H100 table on an H200), reported as such")
    ap.add_argument("--select-only", action="store_true", help="no GPU: selects only")
    ap.add_argument("--arch", help="--select-only: the device arch to bind for")
    ap.add_argument("--cu", type=int, help="--select-only: the device CU / SM count")
    ap.add_argument("--show", type=int, default=20, help="--select-only: calls to print")
    ap.add_argument("--shapes", help="--select-only: add the table's misses to this "
                    "--shapes file")
    ap.add_argument("--unified-attn", choices=("on", "off"), default="off",
                    help="ATOM_USE_UNIFIED_ATTN for the legacy gates (default off, ATOM's)")
    args = ap.parse_args(argv)
    policies = [p for p in args.policies.split(",") if p]
    for p in policies:
        if p not in attnroute.POLICIES:
            ap.error("--policies: unknown policy %r (%s)" % (p, ", ".join(attnroute.POLICIES)))
    try:
        calls = read_trace(args.trace)
    except (TraceError, OSError) as e:
        sys.stderr.write("engine_replay: %s\n" % e)
        return 2
    if args.calls:
        calls = calls[:args.calls]
    try:
        if args.select_only:
            if not args.arch or args.cu is None:
                ap.error("--select-only needs --arch and --cu")
            select_only(args, calls, policies)
            return 0
        res = gpu_replay(args, calls, policies)
    except attnroute.Error as e:
        sys.stderr.write("engine_replay: %s\n" % e)
        return 2
    summarize(res, policies, args.layers)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "replay.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    print("written", path)
    return 1 if res["summary"]["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())
