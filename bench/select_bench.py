#!/usr/bin/env python3
"""select_bench.py -- what one routing decision costs an engine, measured in
one run on this machine's CPU (no GPU involved):

  C select        attnroute_select from C on the compiled table (bench/select_c.c)
  py selector     the binding's per-layer fast path, Router.selector()(...)
  py select       the binding's Router.select(**fields)
  py naive ctypes a ctypes attnroute_problem filled field by field, then the call
  py legacy gates gen/attnroute_gen/legacy.py's legacy_route (the gates as Python code, the
                  way an engine runs them today)

Every figure is the median over passes of the mean time per call in a pass
over the same problem list (gpt-oss-like calls, hits and misses).

  python3 bench/select_bench.py --build BUILD [--db DB] [--lookup L] [--reps N] [--json OUT]

BUILD is a build folder (its python/ and runtime/ are used); DB defaults to
shipped/h100/gpt-oss.db (the table is compiled from it with gen --library).
"""
import argparse
import ctypes
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def problems():
    """gpt-oss-like calls: TP 1 and 8 heads, full attention, prefill and decode."""
    out = []
    for hq, hkv in ((64, 8), (8, 1)):
        for ns in (1, 4, 16, 64):
            for sq in (1, 256, 2048, 8192):
                for cached in (0, 4096, 30000):
                    if ns * sq > 16384:
                        continue
                    out.append(dict(num_seqs=ns, max_seqlen_q=sq, max_seqlen_k=sq + cached,
                                    has_cached=int(cached > 0), num_q_heads=hq,
                                    num_kv_heads=hkv, head_dim=64, has_sinks=1,
                                    sliding_window=-1, kv_block_size=16,
                                    step=2 if sq == 1 else 1))
    return out


def median_ns(fn, n_calls, reps):
    passes = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        passes.append((time.perf_counter_ns() - t0) / n_calls)
    return statistics.median(passes), min(passes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--db", default=os.path.join(ROOT, "shipped", "h100", "gpt-oss.db"))
    ap.add_argument("--lookup", default="floor", help="lookup of the compiled table "
                    "(the shipped gpt-oss table uses floor)")
    ap.add_argument("--reps", type=int, default=201)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--json")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    sys.path.insert(0, os.path.join(ROOT, "gen"))
    import attnroute
    from attnroute_gen import legacy

    tmp = tempfile.mkdtemp(prefix="attnroute-bench-")
    lib = os.path.join(tmp, "libtable.so")
    subprocess.run([sys.executable, os.path.join(ROOT, "gen", "attnroute_gen.py"), args.db,
                    "--library", lib, "--lookup", args.lookup, "--cc", args.cc,
                    "--name", "bench_table"], check=True)
    table = attnroute.Table(lib)
    probs = problems()
    n = len(probs)

    exe = os.path.join(tmp, "select_c")
    runtime_lib = os.path.join(args.build, "runtime", "libattnroute.a")
    subprocess.run([args.cc, "-std=c11", "-O2", "-I", os.path.join(ROOT, "runtime", "include"),
                    os.path.join(HERE, "select_c.c"), runtime_lib, "-ldl", "-lm", "-o", exe],
                   check=True)
    stdin = "".join("%d %d %d %d %d %d %d %d %d %d %d\n" % (
        p["num_seqs"], p["max_seqlen_q"], p["max_seqlen_k"], p["has_cached"], p["num_q_heads"],
        p["num_kv_heads"], p["head_dim"], p["has_sinks"], p["sliding_window"],
        p["kv_block_size"], p["step"]) for p in probs)
    c_out = subprocess.run([exe, lib, table.arch, str(table.cu_count), str(args.reps)],
                           input=stdin, capture_output=True, text=True, check=True).stdout.split()
    c_med, c_min, hits = float(c_out[1]), float(c_out[3]), int(c_out[5])

    router = attnroute.Router(table, table.arch, table.cu_count)
    rows = {}
    rows["C select"] = (c_med, c_min)

    static = dict(head_dim=64, has_sinks=1, sliding_window=-1, kv_block_size=16)
    sels = {(hq, hkv): router.selector(num_q_heads=hq, num_kv_heads=hkv, **static)
            for hq, hkv in ((64, 8), (8, 1))}
    fast = [(sels[(p["num_q_heads"], p["num_kv_heads"])], p["num_seqs"], p["max_seqlen_q"],
             p["max_seqlen_k"], p["has_cached"], p["step"]) for p in probs]

    def run_selector():
        for sel, a, b, c, d, e in fast:
            sel(a, b, c, d, e)
    rows["py selector"] = median_ns(run_selector, n, args.reps)

    kw = [dict((k, v) for k, v in p.items()) for p in probs]

    def run_select():
        for f in kw:
            router.select(**f)
    rows["py select"] = median_ns(run_select, n, args.reps)

    from attnroute import _abi, _lib
    raw = _lib._c.attnroute_select
    raw.argtypes = [ctypes.POINTER(_abi.Router), ctypes.POINTER(_abi.Problem),
                    ctypes.POINTER(_abi.Choice)]
    raw.restype = ctypes.c_int
    plain = _abi.Router()
    _lib.router_init(ctypes.byref(plain), table.address, table.arch.encode(), table.cu_count)
    names = [k for k in kw[0] if k != "step"]

    def run_naive():
        for f in kw:
            p = _abi.Problem()
            _lib.problem_init(p)
            for k in names:
                setattr(p, k, f[k])
            plain.env.step = f["step"]
            c = _abi.Choice()
            raw(plain, p, c)
            c.name.decode()
    rows["py naive ctypes"] = median_ns(run_naive, n, max(11, args.reps // 4))

    lp = [(legacy.problem(p["num_seqs"], p["max_seqlen_q"], p["max_seqlen_k"], p["num_q_heads"],
                          p["num_kv_heads"], p["head_dim"], has_sinks=p["has_sinks"]),
           {"step": p["step"]}) for p in probs]

    def run_legacy():
        for p, env in lp:
            legacy.legacy_route(legacy.POLICY_POST_1345, p, env)
    rows["py legacy gates"] = median_ns(run_legacy, n, args.reps)

    # The binding answers what the C runtime answers.
    for f, (sel, a, b, c, d, e) in zip(kw, fast):
        assert router.select(**f) is sel(a, b, c, d, e)

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print("%d problems (%d answered by the table), %d passes, %s, Python %s, load %s" % (
        n, hits, args.reps, cpu, platform.python_version(),
        " ".join("%.1f" % x for x in os.getloadavg())))
    print("%-17s %10s %10s" % ("path", "median ns", "min ns"))
    for k, (med, mn) in rows.items():
        print("%-17s %10.0f %10.0f" % (k, med, mn))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"problems": n, "hits": hits, "cpu": cpu, "python": platform.python_version(),
                       "rows": {k: {"median_ns": v[0], "min_ns": v[1]} for k, v in rows.items()}},
                      f, indent=1)


if __name__ == "__main__":
    main()
