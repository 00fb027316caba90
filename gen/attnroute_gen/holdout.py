"""holdout.py -- each class's lookup, chosen by held-out evaluation: hide
one interior value of one axis, predict the hidden cells from the rest, and
measure the slowdown against each cell's best.  apply_lookup sets every
class's lookup (and tree), then its ragged key and edge rules
(batch_rules.py).
"""

import math

from .abi import AXES, LOOKUPS
from .batch_rules import choose_batch_rules
from .lookup import predict_grid
from .tree import build_tree

# The lookups in attnroute_lookup order: nearest_log first, so it wins ties.
METHODS = tuple(LOOKUPS)

def slowdown(ranked, prediction):
    """The time of the first candidate of prediction (names) measured in a
    cell, over the cell's best (ranked: (name, time) pairs, fastest first);
    None when none of them was measured."""
    times = dict(ranked)
    t = next((times[n] for n in prediction if n in times), None)
    return None if t is None else t / ranked[0][1]


def holdout_regret(klass, method, topk, names):
    """(geomean slowdown, worst slowdown, cells evaluated, unanswered)."""
    logs = []
    worst = 1.0
    unanswered = 0
    for axis in range(len(AXES)):
        vals = klass["axes"][axis]
        for hidden in vals[1:-1]:
            grid_axes = [list(v) for v in klass["axes"]]
            grid_axes[axis] = [v for v in vals if v != hidden]
            cells = {p: r for p, r in klass["cells"].items() if p[axis] != hidden}
            nodes = None
            if method == "tree":
                sub = dict(klass, cells=cells)
                nodes = build_tree(sub, topk, names)
            for point in sorted(p for p in klass["cells"] if p[axis] == hidden):
                ranked = klass["cells"][point]
                if not ranked:
                    continue
                r = slowdown(ranked, predict_grid(klass, point, method, topk, grid_axes,
                                                  cells, nodes))
                if r is None:
                    unanswered += 1
                    continue
                worst = max(worst, r)
                logs.append(math.log(r))
    if not logs:
        return (1.0, 1.0, 0, unanswered)
    return (math.exp(sum(logs) / len(logs)), worst, len(logs), unanswered)


def holdout_all(klass, topk, names):
    """holdout_regret of every lookup method, by name (cached in klass)."""
    cached = klass.get("holdout")
    if cached is None or cached[0] != topk:
        cached = (topk, {m: holdout_regret(klass, m, topk, names)
                         for m in METHODS})
        klass["holdout"] = cached
    return cached[1]


def choose_lookup(klass, topk, names):
    """--lookup auto: the method with the lowest held-out geomean slowdown,
    fewest unanswered cells first; nearest_log on ties."""
    best = None
    results = holdout_all(klass, topk, names)
    for method in METHODS:
        geo, _, _, missed = results[method]
        key = (missed, round(geo, 9))
        if best is None or key < best[0]:
            best = (key, method)
    return best[1]


def holdout_lines(klass):
    """The held-out (leave-one-out) slowdown of every lookup for a class, as
    comment lines; --lookup auto keeps the least (fewest unanswered first)."""
    results = (klass.get("holdout") or (None, None))[1]
    if not results:
        return []
    if all(n == 0 and missed == 0 for _, _, n, missed in results.values()):
        return ["held-out slowdown: none (no axis has an interior value to hide)"]
    lines = ["held-out slowdown (hide one interior axis value, predict its cells "
             "from the rest):"]
    for method in METHODS:
        geo, worst, n, missed = results[method]
        lines.append("  %-11s geomean %.4f max %.4f (%d cells scored, %d unanswered)%s" % (
            method, geo, worst, n, missed,
            "  <- used" if method == klass["lookup"] else ""))
    return lines


def apply_lookup(model, lookup, topk, ragged_key="auto", edge="auto", traffic="auto",
                 neighbours="auto"):
    """Sets every class's lookup (and tree nodes), then its ragged key and
    edge rules (choose_batch_rules); every class also gets the held-out
    slowdown of each method (k["holdout"]) for the header comment."""
    names = [c["name"] for c in model["candidates"]]
    for k in model["classes"]:
        holdout_all(k, topk, names)
        method = choose_lookup(k, topk, names) if lookup == "auto" else lookup
        k["lookup"] = method
        k["nodes"] = build_tree(k, topk, names) if method == "tree" else None
        choose_batch_rules(k, topk, model["candidates"], ragged_key, edge, traffic, neighbours)
