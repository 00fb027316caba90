#!/usr/bin/env python3
"""attnroute_lookup_study.py -- which lookup to ship, chosen by measurement.

    attnroute_lookup_study.py GRID_DB EVAL_DB [--eval ATTNROUTE_EVAL]
                              [--device ARCH:CU] [--fallback POLICY] [--json]
                              [--keep DIR]

Generates the table of GRID_DB (the tuned grid) with every lookup
(nearest_log, floor, tree, and auto: per class the one with the least
leave-one-out slowdown on the grid), exports each with attnroute_gen's
--text, runs attnroute-eval on EVAL_DB (shapes off the grid, see
tools/attnroute_evalset.py) and prints the table's regret per lookup:
failed picks, optimal picks, geomean, p95 and max of time(pick) /
time(oracle), fallbacks to the legacy gates, next to the grid's own
leave-one-out estimate; then the same per class.  The lookup to keep is
the one with the least held-out regret: fewest failed picks, then lowest
geomean, then lowest max.

ATTNROUTE_EVAL defaults to $ATTNROUTE_EVAL, then attnroute-eval on PATH,
then build/tools/eval/attnroute-eval of this source tree.  --keep DIR keeps
the exported tables and the eval reports.  Exit status: 0 done, 2 bad input
(either db, or attnroute-eval refused it), 1 other failure.  Python 3
standard library only.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import gen_path  # noqa: F401  (the source tree: gen/ on sys.path)
import attnroute_gen as gen

HERE = os.path.dirname(os.path.abspath(__file__))

LOOKUPS = ("nearest_log", "floor", "tree", "auto")


class StudyError(Exception):
    """Reported on stderr; .code is the exit status."""

    def __init__(self, msg, code=2):
        Exception.__init__(self, msg)
        self.code = code


def find_eval(arg):
    for cand in (arg, os.environ.get("ATTNROUTE_EVAL"), shutil.which("attnroute-eval"),
                 os.path.join(HERE, "..", "build", "tools", "eval", "attnroute-eval")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    if arg:
        raise StudyError("--eval %s: not an executable file" % arg)
    raise StudyError("attnroute-eval not found: pass --eval PATH (it is built in "
                     "BUILD/tools/eval/attnroute-eval)")


def run_eval(exe, eval_db, table_txt, device, fallback):
    cmd = [exe, "--db", eval_db, "--table", table_txt, "--json", "--worst", "0",
           "--fallback", fallback]
    if device:
        cmd += ["--device", device]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        raise StudyError("attnroute-eval failed (exit %d): %s" % (p.returncode, p.stderr.strip()),
                         2 if p.returncode == 2 else 1)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise StudyError("attnroute-eval wrote no JSON: %s" % e, 1)


def loo_summary(model, method):
    """The grid's leave-one-out (geomean, max, cells) for one method over
    every class (auto: each class's own choice)."""
    logs = 0.0
    cells = 0
    worst = 1.0
    for k in model["classes"]:
        results = k["holdout"][1]
        m = k["lookup"] if method == "auto" else method
        geo, mx, n, _ = results[m]
        if n:
            logs += n * math.log(geo)
            cells += n
            worst = max(worst, mx)
    return (math.exp(logs / cells) if cells else None, worst if cells else None, cells)


def best_key(stats):
    """Fewest failed picks, then lowest geomean, then lowest max."""
    inf = float("inf")
    g = stats["geomean"]
    m = stats["max"]
    return (stats["failed"], inf if g is None else round(g, 12), inf if m is None else round(m, 12))


def study(args):
    exe = find_eval(args.eval)
    device = gen.parse_device_arg(args.device) if args.device else None
    if not os.path.isfile(args.eval_db):
        raise StudyError("%s: no such file" % args.eval_db)
    model = gen.load_model(args.grid_db, device, False)
    work = args.keep or tempfile.mkdtemp(prefix="attnroute-lookup-")
    os.makedirs(work, exist_ok=True)
    results = {}
    try:
        for lookup in LOOKUPS:
            gen.apply_lookup(model, lookup, gen.TOPK)
            txt = os.path.join(work, "table_%s.txt" % lookup)
            cmdline = "attnroute_gen.py %s --text %s --lookup %s" % (
                os.path.basename(args.grid_db), os.path.basename(txt), lookup)
            gen.write_file(txt, gen.render_text(model, cmdline, gen.TOPK))
            report = run_eval(exe, args.eval_db, txt, args.eval_device, args.fallback)
            if args.keep:
                with open(os.path.join(work, "eval_%s.json" % lookup), "w") as f:
                    json.dump(report, f, indent=1, sort_keys=True)
            results[lookup] = {
                "table": report["policies"]["table"],
                "classes": [c["table"] for c in report["classes"]],
                "fallbacks": report["fallbacks"]["total"],
                "class_lookups": [k["lookup"] for k in model["classes"]],
                "loo": loo_summary(model, lookup),
                "evaluated": report["db"]["evaluated"],
                "legacy": {p: report["policies"][p] for p in ("pre-1345", "post-1345")},
            }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    best = min(LOOKUPS, key=lambda m: (best_key(results[m]["table"]), LOOKUPS.index(m)))
    labels = [gen.class_label(k["static"]) for k in model["classes"]]
    class_best = []
    for ci in range(len(labels)):
        scored = [m for m in LOOKUPS if results[m]["classes"][ci]["shapes"]]
        class_best.append(min(scored, key=lambda m: (best_key(results[m]["classes"][ci]),
                                                     LOOKUPS.index(m))) if scored else None)
    return {"format": "attnroute-lookup-study", "version": 1,
            "grid_db": args.grid_db, "eval_db": args.eval_db,
            "device": "%s:%d" % (model["arch"], model["cu_count"]),
            "lookups": results, "best": best, "classes": labels, "class_best": class_best}


def fmt(v, spec="%.4f"):
    return "-" if v is None else spec % v


def print_text(out, r):
    w = out.write
    any_lookup = r["lookups"][LOOKUPS[0]]
    w("lookup study: table of %s (%s), regret on the %d evaluated shapes of %s\n"
      % (r["grid_db"], r["device"], any_lookup["evaluated"], r["eval_db"]))
    w("regret = time(pick) / time(fastest ok candidate); LOO = the grid's own "
      "leave-one-out estimate\n\n")
    w("  %-12s %7s %7s %8s %9s %9s %9s %9s %11s\n" % (
        "lookup", "shapes", "failed", "optimal", "geomean", "p95", "max", "fallback",
        "LOO geomean"))
    for m in LOOKUPS:
        s = r["lookups"][m]["table"]
        w("  %-12s %7d %7d %8d %9s %9s %9s %9d %11s%s\n" % (
            m, s["shapes"], s["failed"], s["optimal"], fmt(s["geomean"]), fmt(s["p95"]),
            fmt(s["max"]), r["lookups"][m]["fallbacks"], fmt(r["lookups"][m]["loo"][0]),
            "  <- least regret" if m == r["best"] else ""))
    for p in ("pre-1345", "post-1345"):
        s = any_lookup["legacy"][p]
        w("  %-12s %7d %7d %8d %9s %9s %9s %9s %11s\n" % (
            p, s["shapes"], s["failed"], s["optimal"], fmt(s["geomean"]), fmt(s["p95"]),
            fmt(s["max"]), "-", "-"))
    if r["classes"]:
        w("\nper class, geomean regret [failed picks]; auto chose %s\n" % ", ".join(
            r["lookups"]["auto"]["class_lookups"]))
        for ci, label in enumerate(r["classes"]):
            w("  class %d: %s\n   " % (ci, label))
            for m in LOOKUPS:
                s = r["lookups"][m]["classes"][ci]
                w(" %s %s [%d]" % (m, fmt(s["geomean"]), s["failed"]))
            w("  -> %s\n" % (r["class_best"][ci] or "no shapes"))
    w("\nleast held-out regret: %s   (attnroute_gen.py %s -o TABLE.h --lookup %s)\n"
      % (r["best"], os.path.basename(r["grid_db"]), r["best"]))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="attnroute_lookup_study.py",
        description="Generate a grid db's table with every lookup and compare their "
        "regret on an eval db of off-grid shapes (attnroute-eval).")
    ap.add_argument("--version", action="version", version="%(prog)s " + gen.VERSION)
    ap.add_argument("grid_db", help="the tuned grid's db (the table's source)")
    ap.add_argument("eval_db", help="db measured on off-grid shapes")
    ap.add_argument("--eval", help="attnroute-eval executable")
    ap.add_argument("--device", help="device class ARCH:CU of GRID_DB when it has several "
                    "(the eval db is read for the same class)")
    ap.add_argument("--eval-device", help="device class of EVAL_DB's measurements, when "
                    "not the table's")
    ap.add_argument("--fallback", default="post-1345", choices=("pre-1345", "post-1345"),
                    help="legacy policy answering the table's misses")
    ap.add_argument("--json", action="store_true", help="JSON instead of text")
    ap.add_argument("--keep", metavar="DIR", help="keep the tables and reports in DIR")
    args = ap.parse_args(argv)
    try:
        r = study(args)
    except gen.GenError as e:
        sys.stderr.write("attnroute_lookup_study: %s\n" % e)
        return 2
    except StudyError as e:
        sys.stderr.write("attnroute_lookup_study: %s\n" % e)
        return e.code
    except OSError as e:
        sys.stderr.write("attnroute_lookup_study: %s\n" % e)
        return 1
    if args.json:
        sys.stdout.write(json.dumps(r, sort_keys=True, indent=1) + "\n")
    else:
        print_text(sys.stdout, r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
