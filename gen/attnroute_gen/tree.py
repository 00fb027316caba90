"""tree.py -- the decision tree of ATTNROUTE_LOOKUP_TREE: CART over
log2(1 + axis) features.  A node's cost is the least summed log-slowdown
(t / best of the cell) any one candidate reaches over its cells
(TREE_MISS_COST where the candidate was not measured ok); splits minimise
the children's cost, then the impurity of the cells' winners, scanning each
axis once with running sums.  A leaf ranks its candidates by that summed
cost.
"""

import math

from .abi import AXES
from .lookup import float32, kept, log_feature

TREE_MAX_DEPTH = 12
TREE_MISS_COST = math.log(4.0)  # tree cost of a candidate not measured ok in a cell


def build_tree(klass, topk, names):
    """Nodes (dicts) of a slowdown-minimising decision tree for klass."""
    samples = []
    for point in sorted(klass["cells"]):
        ranked = klass["cells"][point]
        if ranked:
            best = ranked[0][1]
            times = dict(ranked)
            samples.append({
                "f": [log_feature(v) for v in point],
                "cost": [math.log(times[n] / best) if n in times else TREE_MISS_COST
                         for n in names],
                "ok": [n in times for n in names],
                "winner": names.index(ranked[0][0])})
    nc = len(names)
    nodes = []

    def gini(counts, n):
        return n - sum(c * c for c in counts) / n if n else 0.0

    def totals(subset):
        tot = [0.0] * nc
        counts = [0] * nc
        for smp in subset:
            c = smp["cost"]
            for j in range(nc):
                tot[j] += c[j]
            counts[smp["winner"]] += 1
        return tot, counts

    def leaf(subset, tot):
        seen = [any(smp["ok"][j] for smp in subset) for j in range(nc)]
        order = sorted((tot[j], names[j]) for j in range(nc) if seen[j])
        return [n for n, _ in kept([(n, t) for t, n in order], topk, klass["family"])]

    def grow(subset, depth):
        index = len(nodes)
        nodes.append(None)
        tot, counts = totals(subset)
        cost = min(tot) if subset else 0.0
        impurity = gini(counts, len(subset))
        best = None
        if depth < TREE_MAX_DEPTH and cost > 1e-9 and len(subset) > 1:
            for axis in range(len(AXES)):
                order = sorted(subset, key=lambda smp: smp["f"][axis])
                left = [0.0] * nc
                lcounts = [0] * nc
                for i, smp in enumerate(order[:-1]):
                    c = smp["cost"]
                    for j in range(nc):
                        left[j] += c[j]
                    lcounts[smp["winner"]] += 1
                    lo, hi = smp["f"][axis], order[i + 1]["f"][axis]
                    if lo == hi:
                        continue
                    split_cost = min(left) + min(tot[j] - left[j] for j in range(nc))
                    split_gini = (gini(lcounts, i + 1) + gini(
                        [counts[j] - lcounts[j] for j in range(nc)], len(order) - i - 1))
                    # Less slowdown or, as a greedy split can need a second
                    # one to pay off, as little with purer winners.
                    key = (round(split_cost, 9), round(split_gini, 9))
                    useful = (split_cost < cost - 1e-9 or
                              (split_cost < cost + 1e-9 and split_gini < impurity - 1e-9))
                    if useful and (best is None or key < best[0]):
                        best = (key, axis, float32((lo + hi) / 2.0))
        if best is None:
            nodes[index] = {"axis": -1, "threshold": 0.0, "left": 0, "right": 0,
                            "leaf": leaf(subset, tot) if subset else []}
            return index
        _, axis, thr = best
        node = {"axis": axis, "threshold": thr, "left": 0, "right": 0, "leaf": []}
        nodes[index] = node
        node["left"] = grow([smp for smp in subset if smp["f"][axis] <= thr], depth + 1)
        node["right"] = grow([smp for smp in subset if smp["f"][axis] > thr], depth + 1)
        return index

    grow(samples, 0)
    return nodes
