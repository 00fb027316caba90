#!/usr/bin/env python3
"""attnroute_diff.py -- a semantic diff of two attnroute tables.

    attnroute_diff.py OLD NEW [--json] [--fail-on-regression PCT]
                      [--device ARCH:CU] [--allow-stale] [--allow-different-devices]

OLD and NEW are each an attnroute db or a header generated from one (its
attnroute-table-json block is read; no C parsing).  The diff lists the cells
whose winner changed, merged into boxes of the grid (ranges along the axes)
that share the same old -> new change, with old and new winner, their times
and the speedup where both were measured; cells gained or lost; counts; the
geometric-mean time change and the worst regression; and changed provenance
(device, candidate code hashes, timing policy, db content).  Markdown by
default (ready for a pull-request comment), JSON with --json.

Noise: a cell's best-time change counts as real only beyond max(1%, the
larger measured half-spread (p90 - p10) / 2 / median of the old and the new
winner) -- the generator's winner rule; a winner change within that is listed
apart ("within noise", a tie that swapped).  Cells whose best time got slower
beyond noise are listed, winner changed or not.

Comparability: when the two tables come from different devices (device class,
or product / memory size: H100 vs H200) or different timing policies, their
times do not compare; a warning heads the output and --fail-on-regression
fails (exit 1) whatever the times say, unless --allow-different-devices.

Identical inputs print "identical" and exit 0.  Exit 1 when
--fail-on-regression PCT is given and some cell's best time got more than
PCT percent slower beyond noise (or the inputs do not compare); 2 on bad
input.  --device and --allow-stale apply to db inputs as in
gen/attnroute_gen.py.  Every string copied from an input (names, classes,
provenance) is escaped for Markdown and HTML.
"""

import argparse
import json
import math
import os
import re
import sys

import gen_path  # noqa: F401  (the source tree: gen/ on sys.path)
import attnroute_gen as gen

AXES = gen.AXES
LABELS = gen.AXIS_LABELS
GROW_ORDER = (2, 1, 0, 3, 4)  # boxes grow along cached, seqlen_q, then the rest


def load(path, device, allow_stale):
    """A table from a db or a generated header, normalised for diffing."""
    with open(path, "rb") as f:
        is_db = f.read(16) == b"SQLite format 3\x00"
    if is_db:
        model = gen.load_model(path, device, allow_stale)
        # the table gen makes from the db by default: with its trace calls'
        # cells (--traffic, --neighbours) where gen would rank them so
        gen.apply_lookup(model, gen.DEFAULT_LOOKUP, gen.TOPK)
        obj = json.loads(json.dumps(gen.model_json(model)))
    else:
        obj = gen.read_header_json(path)
    classes = {}
    for k in obj["classes"]:
        label = gen.class_label(k["static"])
        cells, spread, ranked_by = {}, {}, {}
        sp_list = k.get("spread_us") or []
        by_list = k.get("ranked_by") or []
        for i, c in enumerate(k["cells"]):
            cells[tuple(c[:5])] = [(n, t) for n, t in c[5]]
            if i < len(sp_list):
                spread[tuple(c[:5])] = {n: tuple(q) for (n, _), q in zip(c[5], sp_list[i])}
            if i < len(by_list) and by_list[i][0] != "grid":
                ranked_by[tuple(c[:5])] = tuple(by_list[i])
        classes[label] = {"static": k["static"], "lookup": k.get("lookup"),
                          "axes": [k["axes"][a] for a in AXES], "cells": cells,
                          "spread": spread, "ranked_by": ranked_by}
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

def noise_band(ko, kn, point, o, n):
    """max(min gain, the larger half-spread of the old winner (old table) and
    the new winner (new table)): changes within it are noise."""
    hw = [gen.half_spread(*(k["spread"].get(point, {}).get(w[0]) or (None, None)), w[1])
          for k, w in ((ko, o), (kn, n))]
    return max([gen.DEFAULT_MIN_GAIN] + hw)


def comparability(old, new):
    """Reasons the two tables' times do not compare ([] when they do)."""
    po, pn = old["provenance"], new["provenance"]
    out = []
    if po.get("device_class") != pn.get("device_class"):
        out.append("device class %s vs %s" % (po.get("device_class"), pn.get("device_class")))
    else:
        def ident(p):
            return sorted({(" ".join(str(d.get("name") or "").split()),
                            (d.get("memory_bytes") or 0) >> 20) for d in p.get("devices") or []},
                          key=lambda x: (gen.product_key(x[0]), x[1]))
        io, inn = ident(po), ident(pn)
        same = len(io) == len(inn) and all(
            gen.product_key(a[0]) == gen.product_key(b[0]) and gen.same_memory(a[1], b[1])
            for a, b in zip(io, inn))
        if not same:
            out.append("device %s vs %s (same class, another product or memory size)" % (
                ", ".join("%s %d MiB" % x for x in io), ", ".join("%s %d MiB" % x for x in inn)))
    if po.get("timing_policies") != pn.get("timing_policies"):
        out.append("timing policy %s vs %s" % (" | ".join(po.get("timing_policies") or []),
                                               " | ".join(pn.get("timing_policies") or [])))
    return out


def diff(old, new):
    result = {"old": old["label"], "new": new["label"], "classes": [],
              "provenance": provenance_changes(old, new),
              "candidates": candidate_changes(old, new),
              "not_comparable": comparability(old, new)}
    ratios = []
    worst = None
    slowed = []
    counts = {"cells_old": 0, "cells_new": 0, "compared": 0, "winner_changed": 0,
              "winner_changed_noise": 0, "added": 0, "removed": 0, "faster": 0,
              "slower": 0, "within_noise": 0,
              # cells ranked by trace calls (their own, or their neighbours')
              "by_calls_old": 0, "by_calls_new": 0, "by_calls_changed": 0}
    for label in sorted(set(old["classes"]) | set(new["classes"])):
        ko = old["classes"].get(label)
        kn = new["classes"].get(label)
        co = ko["cells"] if ko else {}
        cn = kn["cells"] if kn else {}
        counts["cells_old"] += len(co)
        counts["cells_new"] += len(cn)
        bo = ko["ranked_by"] if ko else {}
        bn = kn["ranked_by"] if kn else {}
        counts["by_calls_old"] += len(bo)
        counts["by_calls_new"] += len(bn)
        axes = [sorted(set(ko["axes"][i] if ko else []) | set(kn["axes"][i] if kn else []))
                for i in range(len(AXES))]
        index = [{v: j for j, v in enumerate(vals)} for vals in axes]
        groups = {}
        for point in sorted(set(co) | set(cn)):
            o, n = co.get(point), cn.get(point)
            if o and n and (point in bo or point in bn):
                # Ranked by trace calls on a side: its times are means over
                # those calls, not its grid shape's; winners compare, times not.
                if o[0][0] == n[0][0]:
                    continue
                kind = "changed (ranked by calls)"
                counts["by_calls_changed"] += 1
            elif o and n:
                counts["compared"] += 1
                r = n[0][1] / o[0][1]
                band = noise_band(ko, kn, point, o[0], n[0])
                noise = abs(r - 1.0) <= band
                ratios.append(r)
                if noise:
                    counts["within_noise"] += 1
                elif r > 1.0:
                    counts["slower"] += 1
                else:
                    counts["faster"] += 1
                entry = {"ratio": r, "noise": band, "class": label,
                         "cell": dict(zip(AXES, point)), "old_winner": o[0][0],
                         "new_winner": n[0][0], "old_us": o[0][1], "new_us": n[0][1]}
                if not noise and r > 1.0:
                    slowed.append(entry)
                    if worst is None or r > worst["ratio"]:
                        worst = entry
                if o[0][0] == n[0][0]:
                    continue
                kind = "changed within noise" if noise else "changed"
                counts["winner_changed_noise" if noise else "winner_changed"] += 1
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
    slowed.sort(key=lambda e: (-e["ratio"], e["class"], sorted(e["cell"].items())))
    result["slowed"] = slowed
    result["summary"] = dict(counts, geomean_time_ratio=g, worst=worst)
    result["identical"] = (not result["classes"] and not result["provenance"]
                           and not any(result["candidates"].values())
                           and all(r == 1.0 for r in ratios))
    result["same_tables"] = not result["classes"] and all(r == 1.0 for r in ratios)
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
    s = d["summary"]
    w = []
    w.append("### attnroute table diff: %s → %s" % (md(d["old"]), md(d["new"])))
    w.append("")
    if d["not_comparable"]:
        w.append("> **Warning: these tables do not compare** (%s): their times were taken "
                 "on other devices or under other timing policies, so speedups and "
                 "regressions below say nothing about the kernels; a regression gate "
                 "fails unless --allow-different-devices." % md("; ".join(d["not_comparable"])))
        w.append("")
    if d["identical"]:
        w.append("**identical**: same cells, same winners, same times, same provenance.")
        return "\n".join(w) + "\n"
    if d["same_tables"]:
        w.append("**Same table** (every cell's winner and time unchanged); only provenance "
                 "or candidates differ.")
    line = "**%d of %d cells changed winner beyond noise**" % (s["winner_changed"], s["compared"])
    line += ", %d within noise" % s["winner_changed_noise"]
    if s["added"] or s["removed"]:
        line += ", %d cells gained a winner, %d lost theirs" % (s["added"], s["removed"])
    w.append(line + ".")
    if s["geomean_time_ratio"] is not None:
        g = s["geomean_time_ratio"]
        w.append("Best time over the %d cells measured in both: geomean %s (%s); beyond "
                 "noise %d faster, %d slower; %d within noise." % (
                     s["compared"], "×%.3f" % g, pct(g), s["faster"], s["slower"],
                     s["within_noise"]))
    if s["by_calls_old"] or s["by_calls_new"]:
        w.append("Cells ranked by trace calls (their own or their neighbours', not their "
                 "grid shape): %d old, %d new; their times are means over those calls, so "
                 "where either side is one, winners are compared and times are not: %d "
                 "changed winner." % (s["by_calls_old"], s["by_calls_new"],
                                      s["by_calls_changed"]))
    wr = s["worst"]
    if wr:
        w.append("Worst regression beyond noise: **%s** (%s → %s) at %s, %s (%s → %s)." % (
            pct(wr["ratio"]), us(wr["old_us"]), us(wr["new_us"]), md(wr["class"]),
            cell_text(wr["cell"]), md_name(wr["old_winner"]), md_name(wr["new_winner"])))
    if d["provenance"]:
        w.append("")
        w.append("| provenance | old | new |")
        w.append("|---|---|---|")
        for p in d["provenance"]:
            w.append("| %s | %s | %s |" % (md(p["field"]), md(p["old"]), md(p["new"])))
    c = d["candidates"]
    if any(c.values()):
        w.append("")
        w.append("Candidates:")
        for x in c["added"]:
            w.append("- added %s (%s)" % (md_name(x["name"]), md(x["code_hash"][:12]) or "no code hash"))
        for x in c["removed"]:
            w.append("- removed %s (%s)" % (md_name(x["name"]), md(x["code_hash"][:12]) or "no code hash"))
        for x in c["code_changed"]:
            w.append("- code changed %s (%s → %s)" % (md_name(x["name"]), md(x["old"][:12]),
                                                     md(x["new"][:12])))
    if d["slowed"]:
        w.append("")
        w.append("Slower beyond noise (%d cell%s%s):" % (
            len(d["slowed"]), "" if len(d["slowed"]) == 1 else "s",
            ", the worst %d listed" % SLOWED_LISTED
            if len(d["slowed"]) > SLOWED_LISTED else ""))
        w.append("")
        w.append("| class | cell | old winner | new winner | old time | new time | change | noise |")
        w.append("|---|---|---|---|---|---|---:|---:|")
        for e in d["slowed"][:SLOWED_LISTED]:
            w.append("| %s | %s | %s | %s | %s | %s | %s | ±%.1f%% |" % (
                md(e["class"]), cell_text(e["cell"]), md_name(e["old_winner"]),
                md_name(e["new_winner"]), us(e["old_us"]), us(e["new_us"]), pct(e["ratio"]),
                100.0 * e["noise"]))
    for k in d["classes"]:
        w.append("")
        title = "#### class %s" % md(k["class"])
        if k["status"] != "both":
            title += " (%s)" % md(k["status"])
        w.append(title)
        if not k["regions"]:
            continue
        w.append("")
        w.append("| cells | where | change | old winner | new winner | old time | new time | speedup |")
        w.append("|---:|---|---|---|---|---|---|---|")
        for r in k["regions"]:
            if r["speedup"] is None:
                sp = "—"
            elif r["cells"] > 1 and r["speedup_range"][0] != r["speedup_range"][1]:
                sp = "×%.2f (×%.2f–×%.2f)" % (r["speedup"], r["speedup_range"][0],
                                             r["speedup_range"][1])
            else:
                sp = "×%.2f" % r["speedup"]
            w.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
                r["cells"], md(r["where"]), r["kind"], md_name(r["old_winner"]),
                md_name(r["new_winner"]), us_range(r["old_us"]), us_range(r["new_us"]), sp))
    return "\n".join(w) + "\n"


SLOWED_LISTED = 50
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~<>])")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.:=,+-]+")


def md(text):
    """text safe in Markdown (tables included) and HTML: &, < and > as
    entities, Markdown punctuation backslash-escaped, line breaks as spaces."""
    t = " ".join(str(text).splitlines())
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", t)


def md_name(n):
    """A candidate name: `name` when it is made of plain characters, else escaped."""
    if not n:
        return "—"
    return "`%s`" % n if _SAFE_NAME.fullmatch(n) else md(n)


def cell_text(cell):
    return " ".join("%s=%d" % (LABELS[i], cell[a]) for i, a in enumerate(AXES))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="attnroute_diff.py",
                                 description="Semantic diff of two attnroute tables "
                                 "(dbs or generated headers).")
    ap.add_argument("--version", action="version", version="%(prog)s " + gen.VERSION)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--json", action="store_true", help="JSON instead of markdown")
    ap.add_argument("--fail-on-regression", type=float, metavar="PCT",
                    help="exit 1 when a cell's best time regresses more than PCT percent "
                    "beyond noise, or when the tables do not compare")
    ap.add_argument("--allow-different-devices", action="store_true",
                    help="let --fail-on-regression judge tables of other devices or "
                    "timing policies by their times")
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
        if d["not_comparable"] and not args.allow_different_devices:
            sys.stderr.write("attnroute_diff: the tables do not compare (%s); the regression "
                             "gate fails (--allow-different-devices to judge the times)\n"
                             % "; ".join(d["not_comparable"]))
            return 1
        wr = d["summary"]["worst"]
        if wr and (wr["ratio"] - 1.0) * 100.0 > args.fail_on_regression:
            sys.stderr.write("attnroute_diff: regression %s exceeds %g%%\n"
                             % (pct(wr["ratio"]), args.fail_on_regression))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
