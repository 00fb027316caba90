#!/usr/bin/env python3
"""attnroute_diff.py -- a semantic diff of two attnroute tables.

    attnroute_diff.py OLD NEW [--json] [--fail-on-regression PCT]
                      [--device ARCH:CU] [--allow-stale]

OLD and NEW are each an attnroute db or a header generated from one (its
attnroute-table-json block is read; no C parsing).  The diff lists the cells
whose winner changed, merged into boxes of the grid (ranges along the axes)
that share the same old -> new change, with old and new winner, their times
and the speedup where both were measured; cells gained or lost; counts; the
geometric-mean time change and the worst regression; and changed provenance
(device, candidate code hashes, timing policy, db content).  Markdown by
default (ready for a pull-request comment), JSON with --json.

Identical inputs print nothing (markdown) and exit 0.  Exit 1 when
--fail-on-regression PCT is given and some cell's best time got more than
PCT percent slower; 2 on bad input.  --device and --allow-stale apply to db
inputs as in gen/attnroute_gen.py.
"""

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for _d in (HERE, os.path.join(HERE, "..", "gen")):
    if os.path.exists(os.path.join(_d, "attnroute_gen.py")):
        sys.path.insert(0, _d)
        break
import attnroute_gen as gen  # noqa: E402

AXES = gen.AXES
LABELS = gen.AXIS_LABELS
GROW_ORDER = (2, 1, 0, 3, 4)  # boxes grow along cached, seqlen_q, then the rest


def load(path, device, allow_stale):
    """A table from a db or a generated header, normalised for diffing."""
    with open(path, "rb") as f:
        is_db = f.read(16) == b"SQLite format 3\x00"
    if is_db:
        model = gen.load_model(path, device, allow_stale)
        obj = json.loads(json.dumps(gen.model_json(model)))
    else:
        obj = gen.read_header_json(path)
    classes = {}
    for k in obj["classes"]:
        label = gen.class_label(k["static"])
        cells = {}
        for c in k["cells"]:
            cells[tuple(c[:5])] = [(n, t) for n, t in c[5]]
        classes[label] = {"static": k["static"], "lookup": k.get("lookup"),
                          "axes": [k["axes"][a] for a in AXES], "cells": cells}
    return {"path": path, "label": os.path.basename(path),
            "provenance": obj["provenance"],
            "candidates": {c["name"]: c for c in obj["candidates"]},
            "classes": classes}


# --------------------------------------------------------------------------
# Boxes: merge cells with the same change into ranges along the axes.

def boxes(points, axes):
    """Greedy boxes covering points (index tuples), each box all in points."""
    remaining = set(points)
    out = []
    for p in sorted(points):
        if p not in remaining:
            continue
        lo, hi = list(p), list(p)
        for d in GROW_ORDER:
            while hi[d] + 1 < len(axes[d]):
                trial_lo, trial_hi = list(lo), list(hi)
                trial_lo[d] = trial_hi[d] = hi[d] + 1
                if all(q in remaining for q in box_points(trial_lo, trial_hi)):
                    hi[d] += 1
                else:
                    break
        members = list(box_points(lo, hi))
        remaining.difference_update(members)
        out.append((lo, hi, members))
    return out


def box_points(lo, hi):
    pts = [()]
    for a, b in zip(lo, hi):
        pts = [p + (i,) for p in pts for i in range(a, b + 1)]
    return pts


def range_text(axis_values, lo, hi):
    a, b = axis_values[lo], axis_values[hi]
    if lo == hi:
        return str(a)
    if lo == 0 and hi == len(axis_values) - 1 and len(axis_values) > 2:
        return "%d..%d (all)" % (a, b)
    return "%d..%d" % (a, b)


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


# --------------------------------------------------------------------------
# The diff.

def diff(old, new):
    result = {"old": old["label"], "new": new["label"], "classes": [],
              "provenance": provenance_changes(old, new),
              "candidates": candidate_changes(old, new)}
    ratios = []
    worst = None
    counts = {"cells_old": 0, "cells_new": 0, "compared": 0, "winner_changed": 0,
              "added": 0, "removed": 0, "faster": 0, "slower": 0}
    for label in sorted(set(old["classes"]) | set(new["classes"])):
        ko = old["classes"].get(label)
        kn = new["classes"].get(label)
        co = ko["cells"] if ko else {}
        cn = kn["cells"] if kn else {}
        counts["cells_old"] += len(co)
        counts["cells_new"] += len(cn)
        axes = [sorted(set(ko["axes"][i] if ko else []) | set(kn["axes"][i] if kn else []))
                for i in range(len(AXES))]
        index = [{v: j for j, v in enumerate(vals)} for vals in axes]
        groups = {}
        for point in sorted(set(co) | set(cn)):
            o, n = co.get(point), cn.get(point)
            if o and n:
                counts["compared"] += 1
                r = n[0][1] / o[0][1]
                ratios.append(r)
                if r > 1.0:
                    counts["slower"] += 1
                elif r < 1.0:
                    counts["faster"] += 1
                if worst is None or r > worst["ratio"]:
                    worst = {"ratio": r, "class": label, "cell": dict(zip(AXES, point)),
                             "old_winner": o[0][0], "new_winner": n[0][0],
                             "old_us": o[0][1], "new_us": n[0][1]}
                if o[0][0] == n[0][0]:
                    continue
                kind = "changed"
                counts["winner_changed"] += 1
            elif n:
                kind = "added"
                counts["added"] += 1
            else:
                kind = "removed"
                counts["removed"] += 1
            key = (kind, o[0][0] if o else None, n[0][0] if n else None)
            idx = tuple(index[i][v] for i, v in enumerate(point))
            groups.setdefault(key, {})[idx] = (o, n)
        regions = []
        for key in sorted(groups, key=lambda k: (k[0], str(k[1]), str(k[2]))):
            kind, ow, nw = key
            cells = groups[key]
            for lo, hi, members in boxes(set(cells), axes):
                olds = [cells[m][0][0][1] for m in members if cells[m][0]]
                news = [cells[m][1][0][1] for m in members if cells[m][1]]
                speed = [cells[m][0][0][1] / cells[m][1][0][1] for m in members
                         if cells[m][0] and cells[m][1]]
                regions.append({
                    "kind": kind, "old_winner": ow, "new_winner": nw,
                    "cells": len(members),
                    "ranges": {AXES[i]: [axes[i][lo[i]], axes[i][hi[i]]]
                               for i in range(len(AXES))},
                    "where": " · ".join("%s %s" % (LABELS[i], range_text(axes[i], lo[i], hi[i]))
                                        for i in range(len(AXES))),
                    "old_us": [min(olds), max(olds)] if olds else None,
                    "new_us": [min(news), max(news)] if news else None,
                    "speedup": geomean(speed),
                    "speedup_range": [min(speed), max(speed)] if speed else None,
                })
        status = "both"
        if not ko:
            status = "added"
        elif not kn:
            status = "removed"
        elif ko["lookup"] != kn["lookup"]:
            status = "lookup %s -> %s" % (ko["lookup"], kn["lookup"])
        if regions or status != "both":
            result["classes"].append({"class": label, "status": status, "regions": regions})
    g = geomean(ratios)
    result["summary"] = dict(counts, geomean_time_ratio=g, worst=worst)
    result["identical"] = (not result["classes"] and not result["provenance"]
                           and not any(result["candidates"].values())
                           and all(r == 1.0 for r in ratios))
    return result


def provenance_changes(old, new):
    po, pn = old["provenance"], new["provenance"]
    out = []
    for key, title in (("device_class", "device class"), ("devices", "device"),
                       ("timing_policies", "timing policy"),
                       ("tuner_versions", "tuner"),
                       ("content_sha256", "db content")):
        if po.get(key) != pn.get(key):
            out.append({"field": title, "old": fmt_prov(key, po.get(key)),
                        "new": fmt_prov(key, pn.get(key))})
    return out


def fmt_prov(key, v):
    if v is None:
        return "-"
    if key == "devices":
        return "; ".join("%s %s %s (%s CUs), driver %s, runtime %s" % (
            d["vendor"], d["arch"], d["name"], d["cu_count"], d["driver_version"],
            d["runtime_version"]) for d in v)
    if key == "content_sha256":
        return "sha256:" + v[:16]
    if isinstance(v, list):
        return " | ".join(str(x) for x in v)
    return str(v)


def candidate_changes(old, new):
    co, cn = old["candidates"], new["candidates"]
    return {
        "added": [{"name": n, "code_hash": cn[n]["code_hash"]} for n in sorted(set(cn) - set(co))],
        "removed": [{"name": n, "code_hash": co[n]["code_hash"]} for n in sorted(set(co) - set(cn))],
        "code_changed": [{"name": n, "old": co[n]["code_hash"], "new": cn[n]["code_hash"]}
                         for n in sorted(set(co) & set(cn))
                         if co[n]["code_hash"] != cn[n]["code_hash"]],
    }


# --------------------------------------------------------------------------
# Output.

def us(v):
    return "%.3g us" % v


def us_range(r):
    if r is None:
        return "—"
    return us(r[0]) if r[0] == r[1] else "%s–%s" % (us(r[0]), us(r[1]))


def pct(ratio):
    return "%+.1f%%" % ((ratio - 1.0) * 100.0)


def markdown(d):
    if d["identical"]:
        return ""
    s = d["summary"]
    w = []
    w.append("### attnroute table diff: `%s` → `%s`" % (d["old"], d["new"]))
    w.append("")
    line = "**%d of %d cells changed winner**" % (s["winner_changed"], s["compared"])
    if s["added"] or s["removed"]:
        line += ", %d cells gained a winner, %d lost theirs" % (s["added"], s["removed"])
    w.append(line + ".")
    if s["geomean_time_ratio"] is not None:
        g = s["geomean_time_ratio"]
        w.append("Best time over the %d cells measured in both: geomean %s (%s), "
                 "%d faster, %d slower." % (s["compared"], "×%.3f" % g, pct(g),
                                            s["faster"], s["slower"]))
    wr = s["worst"]
    if wr and wr["ratio"] > 1.0:
        w.append("Worst regression: **%s** (%s → %s) at %s, %s (%s → %s)." % (
            pct(wr["ratio"]), us(wr["old_us"]), us(wr["new_us"]), wr["class"],
            " ".join("%s=%d" % (LABELS[i], wr["cell"][a]) for i, a in enumerate(AXES)),
            wr["old_winner"], wr["new_winner"]))
    if d["provenance"]:
        w.append("")
        w.append("| provenance | old | new |")
        w.append("|---|---|---|")
        for p in d["provenance"]:
            w.append("| %s | %s | %s |" % (p["field"], md(p["old"]), md(p["new"])))
    c = d["candidates"]
    if any(c.values()):
        w.append("")
        w.append("Candidates:")
        for x in c["added"]:
            w.append("- added `%s` (%s)" % (x["name"], x["code_hash"][:12] or "no code hash"))
        for x in c["removed"]:
            w.append("- removed `%s` (%s)" % (x["name"], x["code_hash"][:12] or "no code hash"))
        for x in c["code_changed"]:
            w.append("- code changed `%s` (%s → %s)" % (x["name"], x["old"][:12], x["new"][:12]))
    for k in d["classes"]:
        w.append("")
        title = "#### class %s" % k["class"]
        if k["status"] != "both":
            title += " (%s)" % k["status"]
        w.append(title)
        if not k["regions"]:
            continue
        w.append("")
        w.append("| cells | where | old winner | new winner | old time | new time | speedup |")
        w.append("|---:|---|---|---|---|---|---|")
        for r in k["regions"]:
            if r["speedup"] is None:
                sp = "—"
            elif r["cells"] > 1 and r["speedup_range"][0] != r["speedup_range"][1]:
                sp = "×%.2f (×%.2f–×%.2f)" % (r["speedup"], r["speedup_range"][0],
                                             r["speedup_range"][1])
            else:
                sp = "×%.2f" % r["speedup"]
            w.append("| %d | %s | %s | %s | %s | %s | %s |" % (
                r["cells"], r["where"], md_name(r["old_winner"]), md_name(r["new_winner"]),
                us_range(r["old_us"]), us_range(r["new_us"]), sp))
    return "\n".join(w) + "\n"


def md(text):
    return str(text).replace("|", "\\|")


def md_name(n):
    return "`%s`" % n if n else "—"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="attnroute_diff.py",
                                 description="Semantic diff of two attnroute tables "
                                 "(dbs or generated headers).")
    ap.add_argument("--version", action="version", version="%(prog)s " + gen.VERSION)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--json", action="store_true", help="JSON instead of markdown")
    ap.add_argument("--fail-on-regression", type=float, metavar="PCT",
                    help="exit 1 when a cell's best time regresses more than PCT percent")
    ap.add_argument("--device", help="device class ARCH:CU for db inputs")
    ap.add_argument("--allow-stale", action="store_true",
                    help="db inputs: keep the latest code hash of stale candidates")
    args = ap.parse_args(argv)
    try:
        device = gen.parse_device_arg(args.device) if args.device else None
        for p in (args.old, args.new):
            if not os.path.isfile(p):
                raise gen.GenError("%s: no such file" % p)
        old = load(args.old, device, args.allow_stale)
        new = load(args.new, device, args.allow_stale)
    except (gen.GenError, OSError) as e:
        sys.stderr.write("attnroute_diff: %s\n" % e)
        return 2
    d = diff(old, new)
    if args.json:
        sys.stdout.write(json.dumps(d, indent=1, sort_keys=True) + "\n")
    else:
        sys.stdout.write(markdown(d))
    if args.fail_on_regression is not None:
        wr = d["summary"]["worst"]
        if wr and (wr["ratio"] - 1.0) * 100.0 > args.fail_on_regression:
            sys.stderr.write("attnroute_diff: regression %s exceeds %g%%\n"
                             % (pct(wr["ratio"]), args.fail_on_regression))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
