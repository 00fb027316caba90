#!/usr/bin/env python3
"""engine_replay.py -- replay an attention-call trace the way a Python engine
would run it with attnroute, and time every policy's kernels on the GPU as
attnroute-tune times them.

For each call of a trace (a trace file in tools/attnroute_trace.py's
format, or the calls a tuner trace db recorded): select through the
attnroute Python binding (the table), ask the same router what each legacy
policy (post-1345, pre-1345) would run (the table's stand-in candidate for
the legacy route), build the call's exact batch on the GPU (every
sequence's sq and context, the paged cache holding every context, checked
against the host plan of examples/replay_plan.py), run the tuner's
reference kernel, check every pick against it (NaN-poisoned output,
tolerance 2e-2: a wrong pick is reported and not timed), and time each pick
as the tuner does (examples/replay_gpu.py: L2 flushed before each
repetition, one event pair per call, the median).  Reports the attention
time per call and per engine step (x --layers) for each policy, the table's
speedup over each legacy policy, and, where the tuner measured the same
call (--trace-db, or --compare-db), the replay's time over the tuner's for
the same candidate; JSON under --out.

  python3 examples/engine_replay.py --trace T --table LIB --cubins DIR [--out DIR]
  python3 examples/engine_replay.py --trace-db shipped/h200/gpt-oss.trace.db --table LIB ...
      GPU run: needs torch with CUDA and the cubins.
  python3 examples/engine_replay.py --trace T --table LIB --select-only --arch A --cu N
      no GPU, no torch: only the selects (what each policy would run, the
      table's misses) and each shown call's plan (its inputs and the
      launches of the table's pick), e.g. to check a table against a trace.

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
sys.path.insert(0, HERE)

import attnroute  # noqa: E402  (PYTHONPATH: <build>/python)
import replay_plan as rp  # noqa: E402

TraceError = rp.TraceError


def problem_fields(x):
    """The attnroute problem of call x (replay_plan.CallInputs) as
    Router.select keywords; the ragged totals where this runtime has them."""
    f = x.problem_fields()
    for k in ("total_seqlen_q", "total_seqlen_k"):
        if k not in attnroute.PROBLEM_FIELDS:
            del f[k]
    return f


def picks(router, policies, fields, step, seqs=None):
    """{policy: Choice} for the table and each legacy policy."""
    kw = {"seqs": seqs} if seqs is not None else {}
    out = {"table": router.select(step=step, **fields, **kw)}
    for pol in policies:
        out[pol] = router.legacy(policy=pol, step=step, **fields)
    return out


def runnable(choice):
    return choice.candidate >= 0


def shape_key(cls, seqs):
    return (tuple(cls[k] for k in rp.CLASS_KEYS), tuple(seqs))


def tuner_figures(args):
    """shape key -> {candidate: (status, median_us)} of the tuner trace db
    named by --compare-db (or --trace-db), or {}."""
    path = args.compare_db or args.trace_db
    if not path:
        return {}
    calls, _, measured = rp.read_trace_db(path)
    return {shape_key(cls, seqs): m for (cls, _, seqs), m in zip(calls, measured)}


def load_calls(args):
    """[(cls, step, seqs, label)] of --trace or --trace-db."""
    if args.trace_db:
        calls, names, _ = rp.read_trace_db(args.trace_db, args.trace_name)
        return [(c, st, sq, "%s:%d" % nm) for (c, st, sq), nm in zip(calls, names)]
    return [(c, st, sq, str(i)) for i, (c, st, sq) in enumerate(rp.read_trace(args.trace))]


# ---------------------------------------------------------------- GPU part

def gpu_replay(args, calls, policies):
    import torch
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import attn_torch as at  # the project's cubin launcher (bench/attn_torch.py)
    import replay_gpu as rg

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
    stream = torch.cuda.current_stream().cuda_stream
    timer = rg.Timer(torch, warmup=args.warmup, min_reps=args.min_reps, min_ms=args.min_ms,
                     max_reps=args.max_reps, max_ms=args.max_ms)
    tuner = tuner_figures(args)
    rows = []
    for i, (cls, step, seqs, label) in enumerate(calls):
        x = rp.CallInputs(cls, seqs)
        chosen = picks(router, policies, problem_fields(x), step, seqs=x.seqs)
        plans = {}
        for c in chosen.values():
            if runnable(c) and c.name not in plans:
                try:
                    plans[c.name] = rp.launches(c.name, x, cu)
                except KeyError as e:
                    plans[c.name] = str(e)
        row = {"call": label, "step": step, "num_seqs": x.num_seqs, "max_sq": x.max_sq,
               "max_ctx": x.max_ctx, "total_q": x.total_q, "total_k": x.total_k,
               "q_heads": cls["q_heads"], "kv_heads": cls["kv_heads"], "window": cls["window"],
               "kv_bytes": x.kv_bytes, "picks": {}, "us": {}, "status": {}, "relerr": {},
               "launches": {}, "reps": {}, "tuner_us": {}}
        measured = tuner.get(shape_key(cls, seqs), {})
        for pol, c in chosen.items():
            row["picks"][pol] = {"name": c.name, "from_table": c.from_table,
                                 "reason": c.reason_text}
        splits = [ln.splits for p in plans.values() if not isinstance(p, str) for ln in p]
        call = None
        try:
            call = rg.DeviceCall(at, torch, x, seed=i + 1, max_splits=max(splits or [1]))
            ref, ref_err = rg.reference(at, drv, torch, call)
            if ref_err:
                row["error"] = ref_err
            for name, plan in plans.items():
                if isinstance(plan, str):
                    row["status"][name] = "no launcher"
                    continue
                row["launches"][name] = [repr(ln) for ln in plan]
                if name in measured:
                    row["tuner_us"][name] = measured[name][1] if measured[name][0] == "ok" \
                        else measured[name][0]
                if ref_err:
                    continue
                prep = rg.Prepared(drv, call, plan, stream)
                status, err = rg.check(at, torch, call, prep, ref)
                row["status"][name], row["relerr"][name] = status, err
                if status == "ok":
                    row["us"][name], row["reps"][name] = timer.median_us(prep.run)
        except rg.InputMismatch as e:
            row["error"] = "inputs: %s" % e
        except RuntimeError as e:  # a launch failed: the context may be lost, stop here
            row["error"] = "fault: %s" % e
        finally:
            if call is not None:
                call.free()
            del call
        rows.append(row)
        print(call_line(row, policies), flush=True)
        if row.get("error", "").startswith("fault"):
            break
        torch.cuda.empty_cache()
    return {"device": props.name, "arch": arch, "sms": cu, "bound": router.bound,
            "bind_reason": router.bind_reason, "torch": torch.__version__,
            "timing": {"warmup": args.warmup, "min_reps": args.min_reps,
                       "min_ms": args.min_ms, "max_reps": args.max_reps, "max_ms": args.max_ms,
                       "flush_cache": 1, "host_cover_redone": timer.redone},
            "rows": rows, "misses": [m.shape_line for m in router.misses()]}


def call_line(row, policies):
    line = "call %-10s %-7s seqs %3d sq<=%-5d ctx<=%-6d heads %d/%d win %d KV %.1fMB |" % (
        row["call"], row["step"], row["num_seqs"], row["max_sq"], row["max_ctx"],
        row["q_heads"], row["kv_heads"], row["window"], row["kv_bytes"] / 1e6)
    for pol in ["table"] + policies:
        name = row["picks"][pol]["name"]
        us = row["us"].get(name)
        tu = row["tuner_us"].get(name)
        line += " %s %s %s%s" % (pol, name, "%.1fus" % us if us is not None else
                                 row["status"].get(name, "n/a"),
                                 " (tuner %.1f)" % tu if isinstance(tu, float) else "")
    if row.get("error"):
        line += "  ERROR %s" % row["error"]
    bad = [n for n, s in row["status"].items() if s == "wrong"]
    if bad:
        line += "  WRONG %s" % bad
    return line


def policy_us(row, pol):
    return row["us"].get(row["picks"][pol]["name"])


def summarize(res, policies, layers):
    rows = res["rows"]
    all_pols = ["table"] + policies
    timed = [r for r in rows if all(policy_us(r, p) is not None for p in all_pols)]
    tot = {p: sum(policy_us(r, p) for r in timed) / 1e3 for p in all_pols}
    best = sum(min(policy_us(r, p) for p in all_pols) for r in timed) / 1e3
    wrong = sum(1 for r in rows if any(s == "wrong" for s in r["status"].values()))
    errors = sum(1 for r in rows if r.get("error"))
    ratios = sorted(r["us"][n] / r["tuner_us"][n] for r in rows for n in r["us"]
                    if isinstance(r["tuner_us"].get(n), float) and r["tuner_us"][n] > 0)
    summary = {"calls": len(rows), "timed_calls": len(timed),
               "untimed_calls": len(rows) - len(timed), "layers": layers,
               "attention_ms_sum": tot, "best_of_policies_ms": best,
               "step_ms": {p: tot[p] * layers / max(1, len(timed)) for p in all_pols},
               "table_speedup": {p: (tot[p] / tot["table"] if tot["table"] else None)
                                 for p in policies},
               "wrong_calls": wrong, "error_calls": errors,
               "vs_tuner": quantiles(ratios)}
    for kind in ("prefill", "decode"):
        sub = [r for r in timed if r["step"] == kind]
        summary[kind] = {p: sum(policy_us(r, p) for r in sub) / 1e3 for p in all_pols}
        summary[kind]["calls"] = len(sub)
    res["summary"] = summary
    print("\n== %d calls timed (of %d); attention summed over calls, mean step = mean call "
          "x %d layers" % (len(timed), len(rows), layers))
    for p in all_pols:
        print("  %-10s total %9.3f ms   mean step %8.3f ms   prefill %8.3f ms   decode %8.3f ms"
              % (p, tot[p], summary["step_ms"][p], summary["prefill"][p],
                 summary["decode"][p]))
    print("  %-10s total %9.3f ms (fastest of the policies' picks, per call)" % ("best", best))
    for p in policies:
        sp = summary["table_speedup"][p]
        print("  table vs %-9s %.3fx" % (p, sp) if sp else "  table vs %s: n/a" % p)
    q = summary["vs_tuner"]
    if q:
        print("  replay / tuner time, same candidate on the same call: median %.3f "
              "(p10 %.3f, p90 %.3f, %d pairs)" % (q["median"], q["p10"], q["p90"], q["n"]))
    if wrong or errors:
        print("  %d call(s) with a wrong pick, %d with an input or reference error"
              % (wrong, errors))


def quantiles(v):
    if not v:
        return None
    at = lambda f: v[min(len(v) - 1, max(0, int(f * (len(v) - 1) + 0.5)))]  # noqa: E731
    return {"n": len(v), "p10": at(0.1), "median": at(0.5), "p90": at(0.9)}


def legacy_env(args):
    """The engine switches of the legacy gates: ATOM_USE_UNIFIED_ATTN."""
    return {"use_unified_attn": 1 if args.unified_attn == "on" else 0}


def select_only(args, calls, policies):
    router = attnroute.Router(args.table, args.arch, args.cu, env=legacy_env(args))
    print("table %s on %s:%d: %s" % (args.table, args.arch, args.cu,
                                     "bound" if router.bound else
                                     "refused (%s)" % router.bind_reason))
    counts = {}
    tuner = tuner_figures(args)
    expect = {p: 0.0 for p in ["table"] + policies}
    expect_calls = 0
    for i, (cls, step, seqs, label) in enumerate(calls):
        x = rp.CallInputs(cls, seqs)
        chosen = picks(router, policies, problem_fields(x), step, seqs=x.seqs)
        for pol, c in chosen.items():
            counts.setdefault(pol, {}).setdefault(c.name, 0)
            counts[pol][c.name] += 1
        measured = tuner.get(shape_key(cls, seqs), {})
        us = {pol: measured.get(c.name, ("", None)) for pol, c in chosen.items()}
        if all(st == "ok" for st, _ in us.values()):
            expect_calls += 1
            for pol, (_, t) in us.items():
                expect[pol] += t
        if i < args.show:
            print("call %4s %-7s seqs %3d | %s" % (label, step, len(seqs), " | ".join(
                "%s %s%s" % (pol, c.name, "" if c.from_table or pol != "table"
                             else " (miss: %s)" % c.reason_text)
                for pol, c in chosen.items())))
            if args.plan:
                print("     %s" % x.describe())
                for pol, c in chosen.items():
                    if runnable(c):
                        try:
                            plan = rp.launches(c.name, x, args.cu)
                        except KeyError as e:
                            plan = str(e)
                        print("     %s: %s" % (pol, plan))
    for pol, names in counts.items():
        print("%-10s " % pol + ", ".join("%s x%d" % kv for kv in sorted(
            names.items(), key=lambda kv: -kv[1])))
    st = router.miss_stats()
    print("table misses: %d of %d calls, %d distinct shapes" % (
        st["total"], len(calls), st["distinct"]))
    if tuner:
        print("the tuner's times of these picks (%d calls with every pick measured): %s" % (
            expect_calls, ", ".join("%s %.3f ms" % (p, t / 1e3) for p, t in expect.items())))
    if args.shapes:
        print("%d shapes added to %s" % (router.write_shapes(args.shapes), args.shapes))
    return {"counts": counts, "misses": st}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--trace", help="attnroute trace file")
    src.add_argument("--trace-db", help="a tuner trace db (attnroute-tune --trace): replay "
                     "the calls it recorded and compare with its measurements")
    ap.add_argument("--trace-name", help="--trace-db: only this trace's calls")
    ap.add_argument("--compare-db", help="a tuner trace db whose measurements of the same "
                    "calls (same class and sequences) are shown next to the replay's")
    ap.add_argument("--table", required=True, help="compiled table (gen --library)")
    ap.add_argument("--cubins", default=os.path.join(ROOT, "build", "kernels"),
                    help="folder of the project's cubins (default build/kernels)")
    ap.add_argument("--policies", default="post-1345,pre-1345",
                    help="legacy policies to compare with, comma-separated")
    ap.add_argument("--calls", type=int, default=0, help="replay only the first N calls")
    ap.add_argument("--layers", type=int, default=36,
                    help="attention layers per engine step (gpt-oss-120b: 36)")
    # attnroute-tune's timing; the defaults are those the shipped trace dbs used
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--min-ms", type=float, default=10.0)
    ap.add_argument("--max-reps", type=int, default=300)
    ap.add_argument("--max-ms", type=float, default=400.0)
    ap.add_argument("--out", default=os.environ.get("OUT", "."), help="folder for replay.json")
    ap.add_argument("--allow-sibling", action="store_true",
                    help="bind a sibling device's table (same arch and SM count, other "
                    "memory or product: an H100 table on an H200), reported as such")
    ap.add_argument("--select-only", action="store_true", help="no GPU: selects only")
    ap.add_argument("--arch", help="--select-only: the device arch to bind for")
    ap.add_argument("--cu", type=int, help="--select-only: the device CU / SM count")
    ap.add_argument("--show", type=int, default=20, help="--select-only: calls to print")
    ap.add_argument("--plan", action="store_true", help="--select-only: print each shown "
                    "call's inputs and the launches of every policy's pick")
    ap.add_argument("--shapes", help="--select-only: add the table's misses to this "
                    "--shapes file (a ragged call as its own ragged shape)")
    ap.add_argument("--unified-attn", choices=("on", "off"), default="off",
                    help="ATOM_USE_UNIFIED_ATTN for the legacy gates (default off, ATOM's)")
    args = ap.parse_args(argv)
    policies = [p for p in args.policies.split(",") if p]
    for p in policies:
        if p not in attnroute.POLICIES:
            ap.error("--policies: unknown policy %r (%s)" % (p, ", ".join(attnroute.POLICIES)))
    try:
        calls = load_calls(args)
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
    except (attnroute.Error, TraceError) as e:
        sys.stderr.write("engine_replay: %s\n" % e)
        return 2
    summarize(res, policies, args.layers)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "replay.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    print("written", path)
    s = res["summary"]
    return 1 if s["wrong_calls"] or s["error_calls"] else 0


if __name__ == "__main__":
    sys.exit(main())
