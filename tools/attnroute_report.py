#!/usr/bin/env python3
"""attnroute_report.py -- one self-contained HTML page about an attnroute db.

    attnroute_report.py DB -o report.html [--device ARCH:CU] [--allow-stale]
                        [--lookup nearest_log|floor|tree] [--eval EVAL_DB]
                        [--title TEXT]

For every static class and every (num_seqs, q heads, gqa) slice of its grid,
three heatmaps over (seqlen_q x cached): the winning candidate, and the
winner's speedup over what each legacy policy (post-1345, pre-1345; gates
of gen/attnroute_gen/legacy.py, default engine env) would have run: the candidate
standing in for the legacy route.  Above them: provenance, per-class
summaries, and the table's slowdown on shapes it was not tuned on -- held
out from the grid (one axis value at a time) for every lookup, and, with
--eval, on an evaluation db measured on the same device class (shapes
between grid points).  No network, no scripts: inline SVG and CSS.  Every
heatmap is an <svg class="heatmap">.  Exit 2 on bad input.
"""

import argparse
import copy
import html
import math
import sys

import gen_path  # noqa: F401  (the source tree: gen/ on sys.path)
import attnroute_gen as gen
from attnroute_gen import legacy

# Okabe-Ito, then Paul Tol's muted scheme: distinguishable with the common
# colour-vision deficiencies; the letter in each cell does not rely on colour.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
           "#CC79A7", "#999933", "#882255", "#44AA99", "#332288", "#AA4499",
           "#117733", "#88CCEE", "#DDCC77", "#CC6677"]
DARK_TEXT = {"#E69F00", "#56B4E9", "#F0E442", "#999933", "#44AA99", "#88CCEE",
             "#DDCC77", "#CC79A7", "#009E73", "#CC6677"}
# Sequential speedup scale (blues, light = small gain, dark = largest); no
# gain (the legacy gates run the winner, or under 1%) is a neutral grey.
SEQ = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b"]
NO_GAIN_FILL = "#e6e6e6"
# Family hues (degrees); each family's variants get shades of its hue.
FAMILY_HUES = [210, 30, 130, 300, 0, 60, 180, 260, 90, 330]
EMPTY_FILL = "#f2f2f2"
FAILED_FILL = "#7f7f7f"
NA_FILL = "#d9d9d9"

CELL_W, CELL_H = 64, 34
MARGIN_L, MARGIN_T, MARGIN_B, MARGIN_R = 58, 22, 40, 8

CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:20px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:2px solid #ddd;padding-bottom:3px}
h3{font-size:14px;margin:0 0 4px}
.muted{color:#666}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
table.t{border-collapse:collapse;margin:6px 0 10px}table.t td,table.t th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.t th{background:#f6f6f6}td.num{text-align:right}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:6px 0 10px;align-items:center}
.sw{display:inline-block;width:22px;height:16px;border:1px solid #555;vertical-align:middle;text-align:center;font:bold 11px/16px system-ui,sans-serif;margin-right:5px}
.bar{display:inline-block;width:220px;height:14px;border:1px solid #555;vertical-align:middle;margin:0 6px}
.slices{display:flex;flex-wrap:wrap;gap:14px}
.slice{border:1px solid #ddd;border-radius:6px;padding:8px 10px;background:#fcfcfc}
.maps{display:flex;flex-wrap:wrap;gap:10px}
figure{margin:0}figcaption{font-size:12px;color:#444;text-align:center;max-width:100%}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
"""


def esc(s):
    return html.escape(str(s), quote=True)


def fmt_us(t):
    return "%.3g us" % t


def seq_color(x):
    """Colour for x in [0, 1] along SEQ."""
    x = min(max(x, 0.0), 1.0) * (len(SEQ) - 1)
    i = min(int(x), len(SEQ) - 2)
    f = x - i
    a, b = SEQ[i], SEQ[i + 1]
    rgb = [round(int(a[k:k + 2], 16) * (1 - f) + int(b[k:k + 2], 16) * f) for k in (1, 3, 5)]
    return "#%02x%02x%02x" % tuple(rgb), (x / (len(SEQ) - 1)) > 0.45


def hsl_hex(h, s, l):
    """#rrggbb of an HSL colour (h degrees, s and l in 0..1)."""
    import colorsys
    r, g, b = colorsys.hls_to_rgb(h / 360.0, l, s)
    return "#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))


def family_colors(candidates):
    """name -> (fill, dark text): one hue per family (in name order), its
    variants spread from dark to light shades of it."""
    fams = sorted({c["family"] for c in candidates})
    out = {}
    for fi, f in enumerate(fams):
        members = sorted(c["name"] for c in candidates if c["family"] == f)
        hue = FAMILY_HUES[fi % len(FAMILY_HUES)]
        for vi, n in enumerate(members):
            light = 0.30 + 0.50 * (vi / (len(members) - 1) if len(members) > 1 else 0.3)
            out[n] = (hsl_hex(hue, 0.65, light), light > 0.55)
    return out


def letter(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# --------------------------------------------------------------------------
# Data.

# Engine switches of the legacy gates (gen/attnroute_gen/legacy.py env); --unified-attn.
LEGACY_ENV = {}


def legacy_pick(model, static, point, policy):
    """(route, candidate name or None) the legacy policy runs for a shape."""
    ns, sq, cached, hq, gqa = point
    p = legacy.problem(ns, sq, sq + cached, hq, hq // gqa, static["head_dim"],
                       gen.DTYPE_CODES[static["q_dtype"]], gen.DTYPE_CODES[static["kv_dtype"]],
                       static["has_sinks"], static["sliding_window"],
                       static["kv_block_size"], static["causal"])
    route = legacy.legacy_route(policy, p, LEGACY_ENV)
    return route, legacy.stand_in(model["candidates"], route, p)


def speedup(model, klass, point, policy):
    """(speedup or None, text for the tooltip)."""
    ranked = klass["cells"].get(point) or []
    route, name = legacy_pick(model, klass["static"], point, policy)
    rname = legacy.ROUTE_NAMES[route]
    if not ranked:
        return None, "no winner"
    if name is None:
        return None, "legacy route %s has no stand-in candidate" % rname
    status, t = klass["shapes"].get(point, {}).get(name, (None, None))
    if status != "ok" or t is None:
        return None, "legacy %s -> %s: %s" % (rname, name, status or "not measured")
    return t / ranked[0][1], "legacy %s -> %s %s; table %s %s" % (
        rname, name, fmt_us(t), ranked[0][0], fmt_us(ranked[0][1]))


def slices(klass):
    """(num_seqs, q_heads, gqa) slices holding at least one shape, in order."""
    return sorted({(p[0], p[3], p[4]) for p in klass["shapes"]})


def eval_regret(model, eval_model, lookup):
    """Slowdown of the table on the evaluation db's shapes, per class."""
    out = {}
    names = [c["name"] for c in model["candidates"]]
    for k in model["classes"]:
        ek = next((e for e in eval_model["classes"] if e["static_key"] == k["static_key"]), None)
        if ek is None:
            continue
        nodes = gen.build_tree(k, gen.TOPK, names) if lookup == "tree" else None
        logs, worst, outside, unanswered = [], 1.0, 0, 0
        for point in sorted(ek["cells"]):
            ranked = ek["cells"][point]
            if not ranked:
                continue
            pred = gen.predict_grid(k, point, lookup, gen.TOPK, nodes=nodes)
            if not pred:
                outside += 1
                continue
            r = gen.slowdown(ranked, pred)
            if r is None:
                unanswered += 1
                continue
            worst = max(worst, r)
            logs.append(math.log(r))
        out[k["static_key"]] = {
            "n": len(logs), "geomean": math.exp(sum(logs) / len(logs)) if logs else None,
            "worst": worst if logs else None, "outside": outside, "unanswered": unanswered}
    return out


# --------------------------------------------------------------------------
# SVG heatmaps.

def heatmap(title, klass, sl, cell_fn):
    """One <svg class="heatmap">: rows cached (ascending upward), columns
    seqlen_q.  cell_fn(point) -> (fill, text, dark_text, tooltip)."""
    ns, hq, gqa = sl
    xs = klass["axes"][1]
    ys = klass["axes"][2]
    w = MARGIN_L + CELL_W * len(xs) + MARGIN_R
    h = MARGIN_T + CELL_H * len(ys) + MARGIN_B
    o = ['<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" role="img" '
         'width="%d" height="%d" viewBox="0 0 %d %d" aria-label="%s">' % (w, h, w, h, esc(title)),
         "<title>%s</title>" % esc(title)]
    for yi, cached in enumerate(ys):
        y = MARGIN_T + CELL_H * (len(ys) - 1 - yi)
        o.append('<text x="%d" y="%d" text-anchor="end" font-size="11" fill="#333">%s</text>'
                 % (MARGIN_L - 5, y + CELL_H // 2 + 4, esc(short_num(cached))))
        for xi, sq in enumerate(xs):
            x = MARGIN_L + CELL_W * xi
            point = (ns, sq, cached, hq, gqa)
            fill, text, dark, tip = cell_fn(point)
            o.append('<g><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" '
                     'fill="%s" stroke="#fff" stroke-width="1"/>' % (
                         esc("seqlen_q=%d cached=%d: %s" % (sq, cached, tip)),
                         x, y, CELL_W, CELL_H, fill))
            lines = text.split("\n") if text else []
            for li, line in enumerate(lines):
                dy = (li - (len(lines) - 1) / 2.0) * 13
                o.append('<text x="%d" y="%d" text-anchor="middle" font-size="%d" '
                         'font-weight="%s" fill="%s">%s</text>' % (
                             x + CELL_W // 2, y + CELL_H // 2 + 4 + dy, 11 if li else 12,
                             "600" if li == 0 else "400", "#111" if dark else "#fff", esc(line)))
            o.append("</g>")
    base = MARGIN_T + CELL_H * len(ys)
    for xi, sq in enumerate(xs):
        o.append('<text x="%d" y="%d" text-anchor="middle" font-size="11" fill="#333">%s</text>'
                 % (MARGIN_L + CELL_W * xi + CELL_W // 2, base + 14, esc(short_num(sq))))
    o.append('<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#222">'
             'seqlen_q (new tokens per sequence) →</text>' % (MARGIN_L + CELL_W * len(xs) // 2, base + 32))
    o.append('<text x="2" y="14" font-size="12" fill="#222">cached (tokens) ↑</text>')
    o.append("</svg>")
    return "".join(o)


def short_us(t):
    """A time in a few characters: 7.3us, 183us, 1.41ms."""
    if t >= 1000:
        return "%.3gms" % (t / 1000.0)
    return "%.3gus" % t


def short_pct(ratio):
    """The runner-up's time against the winner's: "+8%", "+0.4%", "2.1x";
    negative ("-2.2%") where the winner is an incumbent kept within noise."""
    if ratio >= 2:
        return "%.1fx" % ratio
    g = (ratio - 1.0) * 100.0
    return "%+.1f%%" % g if abs(g) < 10 else "%+.0f%%" % g


def short_num(v):
    if v >= 1024 and v % 1024 == 0:
        return "%dk" % (v // 1024)
    return str(v)


# --------------------------------------------------------------------------
# Page.

def call_ranked(table_model):
    """{static_key: {point: (what, calls, first)}} of the cells the table
    gen makes ranks by trace calls (--traffic: "trace call"; --neighbours:
    "neighbours' call") instead of their grid shape."""
    out = {}
    for k in (table_model or {}).get("classes", []):
        marks = {}
        for what, cells in (("trace call", k.get("traffic")),
                            ("neighbours' call", k.get("neighbour_cells"))):
            for point, calls in (cells or {}).items():
                ranked = k["cells"].get(point)
                marks[point] = (what, calls, ranked[0][0] if ranked else None)
        out[k["static_key"]] = marks
    return out


def render(model, args, eval_model=None, table_model=None):
    marks = call_ranked(table_model)
    names = [c["name"] for c in model["candidates"]]
    shade = family_colors(model["candidates"])
    colors = {n: shade[n][0] for n in names}
    dark_text = {n for n in names if shade[n][1]}
    letters = {n: letter(i) for i, n in enumerate(names)}
    # One speedup scale for the whole page.
    top = 1.0
    for k in model["classes"]:
        for point in k["shapes"]:
            for pol in legacy.POLICY_NAMES:
                s, _ = speedup(model, k, point, pol)
                if s:
                    top = max(top, s)
    top = max(top, 1.25)

    def winner_cell(k):
        mark = marks.get(k["static_key"], {})

        def fn(point):
            fill, text, dark, tip = grid_winner(point)
            if point in mark:
                what, calls, first = mark[point]
                text = (text + " *") if "\n" not in text else text.replace("\n", " *\n", 1)
                tip += ("; * the table ranks this cell by %d %s%s, not this shape: first %s"
                        % (calls, what, "" if calls == 1 else "s", first or "none"))
            return fill, text, dark, tip

        def grid_winner(point):
            ranked = k["cells"].get(point)
            if point not in k["shapes"]:
                return EMPTY_FILL, "", True, "not measured"
            if not ranked:
                st = sorted(set(s for s, _ in k["shapes"][point].values()))
                return FAILED_FILL, "×", False, "no candidate ok (%s)" % ", ".join(st)
            n, t = ranked[0]
            tip = "%s %s" % (n, fmt_us(t))
            text = "%s %s" % (letters[n], short_us(t))
            if len(ranked) > 1:
                tip += "; next %s %s (%.2fx slower)" % (ranked[1][0], fmt_us(ranked[1][1]),
                                                         ranked[1][1] / t)
                text += "\n%s" % short_pct(ranked[1][1] / t)
            return colors[n], text, n in dark_text, tip
        return fn

    def speed_cell(k, pol):
        def fn(point):
            if point not in k["shapes"]:
                return EMPTY_FILL, "", True, "not measured"
            s, tip = speedup(model, k, point, pol)
            if s is None:
                if not k["cells"].get(point):
                    return FAILED_FILL, "×", False, tip
                return NA_FILL, "n/a", True, tip
            if k["cells"][point][0][0] == legacy_pick(model, k["static"], point, pol)[1]:
                return NO_GAIN_FILL, "=", True, tip + " (the same candidate: no gain)"
            if s < 1.01:
                return NO_GAIN_FILL, "%.2f×" % s, True, tip + " (under 1%: no gain)"
            fill, dark_bg = seq_color(math.log(s) / math.log(top))
            return fill, "%.2f×" % s if s < 9.995 else "%.0f×" % s, not dark_bg, tip
        return fn

    title = args.title or "attnroute table report: %s" % model["db"]
    o = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         "<title>%s</title>" % esc(title), "<style>%s</style></head><body>" % CSS]
    o.append("<h1>%s</h1>" % esc(title))
    dev = model["devices"][-1]
    o.append('<p class="muted">device class <b>%s:%d</b> (%s %s) · %d candidates · %d '
             'class(es) · newest measurement %s</p>' % (
                 esc(model["arch"]), model["cu_count"], esc(dev["vendor"]),
                 esc(model["device_name"]), len(names), len(model["classes"]),
                 esc(model["newest_measurement"])))

    # Legend.
    o.append("<h2>How to read</h2>")
    o.append("<p>Each class (static features) has one card per (num_seqs, q heads, "
             "gqa) slice. In each card: the <b>winner</b> (fastest candidate measured "
             "correct) per (seqlen_q, cached) cell, and the winner's <b>speedup over the "
             "legacy gates</b> after and before ATOM PR #1345 (the legacy pick is the "
             "candidate standing in for the route those gates choose; ATOM's default "
             "engine settings, unified attention " +
             ("on" if LEGACY_ENV.get("use_unified_attn") else "off") +
             "). A winner cell shows its candidate's letter and time, and below "
             "them the runner-up's margin (+8%: the next candidate is 8% slower; -2%: the winner "
             "is the incumbent the generator kept within noise). "
             "Colours: one hue per family, shades for its variants; speedups in blues, "
             "darker for more; grey where the table gains nothing. Hover a cell for "
             "both times. A <b>*</b> marks a cell the table ranks by trace calls (the "
             "calls that reach it, or its neighbours' calls: attnroute_gen.py --traffic, "
             "--neighbours) rather than by the grid shape shown; its tooltip names the "
             "table's first candidate there.</p>")
    o.append('<div class="legend"><b>winner:</b>')
    for n in names:
        o.append('<span><span class="sw" style="background:%s;color:%s">%s</span>%s</span>' % (
            colors[n], "#111" if n in dark_text else "#fff", letters[n], esc(n)))
    o.append("</div>")
    grad = ", ".join(SEQ)
    o.append('<div class="legend"><b>speedup:</b><span>1.01×<span class="bar" '
             'style="background:linear-gradient(to right, %s)"></span>%.2f× (log scale)'
             '</span></div>' % (grad, top))
    o.append('<div class="legend"><span><span class="sw" style="background:%s"></span>'
             'not measured</span><span><span class="sw" style="background:%s;color:#fff">×'
             '</span>no candidate correct</span><span><span class="sw" style="background:'
             '%s">=</span>no gain: legacy runs the winner (or under 1%%)</span><span><span class="sw" style="background:%s">'
             '</span>n/a: legacy pick not measured ok or no stand-in</span></div>'
             % (EMPTY_FILL, FAILED_FILL, NO_GAIN_FILL, NA_FILL))

    # Summary.
    o.append("<h2>Summary</h2>")
    o.append('<table class="t"><tr><th>class</th><th>grid</th><th>cells with a winner</th>'
             "<th>winners</th><th>geomean speedup vs post-1345</th>"
             "<th>geomean speedup vs pre-1345</th></tr>")
    for k in model["classes"]:
        wins = {}
        for r in k["cells"].values():
            if r:
                wins[r[0][0]] = wins.get(r[0][0], 0) + 1
        cols = []
        for pol in (legacy.POLICY_POST_1345, legacy.POLICY_PRE_1345):
            ss = [s for s in (speedup(model, k, p, pol)[0] for p in k["shapes"]) if s]
            if ss:
                cols.append("%.2f× (max %.2f×, %d cells)" % (
                    math.exp(sum(math.log(s) for s in ss) / len(ss)), max(ss), len(ss)))
            else:
                cols.append("—")
        grid = " × ".join("%d %s" % (len(v), gen.AXIS_LABELS[i])
                          for i, v in enumerate(k["axes"]))
        o.append("<tr><td>%s</td><td>%s</td><td class=num>%d</td><td>%s</td><td>%s</td>"
                 "<td>%s</td></tr>" % (
                     esc(gen.class_label(k["static"])), esc(grid), sum(wins.values()),
                     esc(", ".join("%s %d" % (n, wins[n]) for n in
                                   sorted(wins, key=lambda n: (-wins[n], n)))),
                     cols[0], cols[1]))
    o.append("</table>")

    # Regret.
    o.append("<h2>Lookups: leave-one-out estimate on the grid</h2>")
    o.append("<p>Slowdown of the table's pick against the measured best when one grid "
             "value of one axis is held out and its cells are predicted from the rest "
             "(interior values only), per lookup: an estimate from grid shapes, not a "
             "measurement of shapes off the grid (--eval gives that). 1.000× is perfect. "
             "<b>&#9664; table</b> marks the lookup this table uses (the generator's "
             "default, %s, unless --lookup says otherwise).</p>" % esc(args.lookup))
    o.append('<table class="t"><tr><th>class</th><th>lookup</th><th>geomean</th>'
             "<th>worst</th><th>cells</th><th>unanswered</th></tr>")
    for k in model["classes"]:
        for method in ("nearest_log", "floor", "tree"):
            g, worst, n, miss = gen.holdout_regret(k, method, gen.TOPK, names)
            o.append("<tr><td>%s</td><td>%s</td><td class=num>%s</td><td class=num>%s</td>"
                     "<td class=num>%d</td><td class=num>%d</td></tr>" % (
                         esc(gen.class_label(k["static"])),
                         method + (" <b>&#9664; table</b>" if method == args.lookup else ""),
                         "%.3f×" % g if n else "—", "%.3f×" % worst if n else "—", n, miss))
    o.append("</table>")
    if eval_model is not None:
        ev = eval_regret(model, eval_model, args.lookup)
        o.append("<h3>Measured off the grid</h3><p>Evaluation db <span class=mono>%s</span>, lookup %s: regret on its "
                 "shapes (table pick / measured best).</p>" % (esc(eval_model["db"]),
                                                                esc(args.lookup)))
        o.append('<table class="t"><tr><th>class</th><th>shapes</th><th>geomean</th>'
                 "<th>worst</th><th>outside grid</th><th>unanswered</th></tr>")
        for k in model["classes"]:
            e = ev.get(k["static_key"])
            if not e:
                continue
            o.append("<tr><td>%s</td><td class=num>%d</td><td class=num>%s</td>"
                     "<td class=num>%s</td><td class=num>%d</td><td class=num>%d</td></tr>" % (
                         esc(gen.class_label(k["static"])), e["n"],
                         "%.3f×" % e["geomean"] if e["n"] else "—",
                         "%.3f×" % e["worst"] if e["n"] else "—", e["outside"],
                         e["unanswered"]))
        o.append("</table>")
    else:
        o.append('<p class="muted">No evaluation db given (--eval).</p>')

    # Heatmaps.
    for ci, k in enumerate(model["classes"]):
        o.append('<h2 id="class%d">class %d: %s</h2>' % (ci, ci, esc(gen.class_label(k["static"]))))
        o.append('<div class="slices">')
        for sl in slices(k):
            ns, hq, gqa = sl
            head = "num_seqs=%d · q_heads=%d · gqa=%d (kv_heads=%d)" % (ns, hq, gqa, hq // gqa)
            o.append('<div class="slice"><h3>%s</h3><div class="maps">' % esc(head))
            maps = [("winner", winner_cell(k)),
                    ("speedup vs post-1345", speed_cell(k, legacy.POLICY_POST_1345)),
                    ("speedup vs pre-1345", speed_cell(k, legacy.POLICY_PRE_1345))]
            for cap, fn in maps:
                t = "class %d, %s: %s" % (ci, head, cap)
                o.append("<figure>%s<figcaption>%s</figcaption></figure>" % (
                    heatmap(t, k, sl, fn), esc(cap)))
            o.append("</div></div>")
        o.append("</div>")

    # Provenance.
    o.append("<h2>Provenance</h2>")
    o.append('<table class="t">')
    o.append("<tr><th>db content</th><td class=mono>sha256:%s</td></tr>" % model["content_sha256"])
    for d in model["devices"]:
        o.append("<tr><th>device</th><td>%s %s, %s, %d CUs, %.1f GiB, driver %s, runtime %s"
                 "</td></tr>" % (esc(d["vendor"]), esc(d["arch"]), esc(d["name"]),
                                 d["cu_count"], d["memory_bytes"] / 2.0 ** 30,
                                 esc(d["driver_version"]), esc(d["runtime_version"])))
    for p in model["timing_policies"]:
        o.append("<tr><th>timing policy</th><td class=mono>%s</td></tr>" % esc(p))
    o.append("<tr><th>tuner</th><td>%s</td></tr>" % esc(", ".join(model["tuner_versions"])))
    o.append("</table>")
    o.append('<table class="t"><tr><th></th><th>candidate</th><th>family</th><th>params</th>'
             "<th>legacy route</th><th>code hash</th></tr>")
    for c in model["candidates"]:
        o.append("<tr><td><span class=sw style=\"background:%s;color:%s\">%s</span></td>"
                 "<td>%s</td><td>%s</td><td class=mono>%s</td><td>%s</td>"
                 "<td class=mono>%s</td></tr>" % (
                     colors[c["name"]], "#111" if c["name"] in dark_text else "#fff",
                     letters[c["name"]], esc(c["name"]), esc(c["family"]), esc(c["params"]),
                     gen.ROUTE_NAMES[c["legacy_route"]], esc(c["code_hash"][:16])))
    o.append("</table>")
    o.append('<p class="muted">generated by tools/attnroute_report.py from %s</p>' % esc(model["db"]))
    o.append("</body></html>")
    return "\n".join(o) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="attnroute_report.py",
                                 description="Self-contained HTML report of an attnroute db.")
    ap.add_argument("--version", action="version", version="%(prog)s " + gen.VERSION)
    ap.add_argument("db")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--device", help="device class ARCH:CU when the db has several")
    ap.add_argument("--allow-stale", action="store_true")
    ap.add_argument("--lookup", default=gen.DEFAULT_LOOKUP, choices=("nearest_log", "floor", "tree"),
                    help="lookup used for the --eval regret")
    ap.add_argument("--eval", help="evaluation db (same device class, off-grid shapes)")
    ap.add_argument("--title")
    ap.add_argument("--unified-attn", choices=("on", "off"), default="off",
                    help="ATOM_USE_UNIFIED_ATTN for the legacy gates (default off, ATOM's)")
    args = ap.parse_args(argv)
    LEGACY_ENV["use_unified_attn"] = 1 if args.unified_attn == "on" else 0
    try:
        device = gen.parse_device_arg(args.device) if args.device else None
        model = gen.load_model(args.db, device, args.allow_stale)
        # The table gen makes from the db (its default lookup), for the cells
        # it ranks by trace calls.
        table_model = copy.deepcopy(model)
        gen.apply_lookup(table_model, gen.DEFAULT_LOOKUP, gen.TOPK)
        eval_model = None
        if args.eval:
            eval_model = gen.load_model(args.eval, (model["arch"], model["cu_count"]),
                                        args.allow_stale)
        page = render(model, args, eval_model, table_model)
    except gen.GenError as e:
        sys.stderr.write("attnroute_report: %s\n" % e)
        return 2
    try:
        gen.write_file(args.output, page)
    except OSError as e:
        sys.stderr.write("attnroute_report: %s: cannot write: %s\n" % (args.output, e.strerror or e))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
