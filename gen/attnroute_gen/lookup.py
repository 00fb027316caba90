"""lookup.py -- the runtime's lookups in Python, for the tree, the held-out
evaluation, the batch rules and the tools: a problem's point on the axes
under a ragged key, the edge rules, the capability check, the floor and
nearest_log grid lookups, the tree walk, and which candidates a cell keeps.
"""

import math
import struct

from .abi import AXIS_LABELS, edge_bit
from .legacy import caps_allow  # noqa: F401  (the runtime's caps rule; re-exported)

# The one default lookup (see the package doc); change it here only.
DEFAULT_LOOKUP = "floor"
# With no shape past an edge measured: clamp the axes engines vary call by
# call (num_seqs, seqlen_q, cached), the legacy gate for the heads.
EDGE_DEFAULT = sum(edge_bit(a, up) for a in range(3) for up in (False, True))


def div_up(a, b):
    return -(-a // b)


def problem_point(p, key):
    """The problem's value on each axis under ragged key `key` (a name): the
    runtime's problem_axes.  A total of 0 is unknown (num_seqs x the max)."""
    n, sq, sk = p["num_seqs"], p["max_seqlen_q"], p["max_seqlen_k"]
    tk = p.get("total_seqlen_k") or n * sk
    tq = min(p.get("total_seqlen_q") or n * sq, tk)
    point = [n, sq, max(sk - sq, 0), p["num_q_heads"], p["num_q_heads"] // p["num_kv_heads"]]
    if key == "mean":
        point[1] = div_up(tq, n)
        point[2] = div_up(tk - tq, n)
    elif key == "equiv":
        point[0] = div_up(tk, sk)
    return point


def edge_point(axes, point, mask):
    """(point clamped where mask allows, edge bits outside and not clamped,
    edge bits clamped): the runtime's domain check with the edge rules."""
    point = list(point)
    out = used = 0
    for a, v in enumerate(point):
        if v < axes[a][0]:
            bit, edge = edge_bit(a, False), axes[a][0]
        elif v > axes[a][-1]:
            bit, edge = edge_bit(a, True), axes[a][-1]
        else:
            continue
        if mask & bit:
            point[a] = edge
            used |= bit
        else:
            out |= bit
    return point, out, used


def edge_text(mask):
    sides = []
    for a, label in enumerate(AXIS_LABELS):
        lo, hi = mask & edge_bit(a, False), mask & edge_bit(a, True)
        if lo and hi:
            sides.append(label)
        elif lo or hi:
            sides.append("%s %s" % (label, "below" if lo else "above"))
    return ", ".join(sides) if sides else "none"


def table_ranking(klass, p, topk, key=None, mask=None, cells=None):
    """The ranking (names) the runtime reads for problem p in klass under its
    ragged key and edge rules (or those given) and its cells (or those
    given); None when p is out of the domain no edge rule covers."""
    key = klass["ragged_key"] if key is None else key
    mask = klass["edge_clamp"] if mask is None else mask
    point, out, _ = edge_point(klass["axes"], problem_point(p, key), mask)
    if out:
        return None
    return predict_grid(klass, point, klass["lookup"], topk, cells=cells,
                        nodes=klass.get("nodes"))




def log_feature(v):
    return math.log2(1.0 + v)


def nearest_index(values, v):
    """Index of the grid value nearest v in log2(1 + v), ties to the lower;
    the runtime's exact integer form: lower iff (1+v)^2 <= (1+lo)(1+hi)."""
    at = floor_index(values, v)
    if at is None:
        return 0
    if at + 1 >= len(values):
        return at
    x = v + 1
    return at if x * x <= (values[at] + 1) * (values[at + 1] + 1) else at + 1


def floor_index(values, v):
    """Index of the largest grid value <= v, or None below the grid."""
    idx = None
    for i, g in enumerate(values):
        if g <= v:
            idx = i
    return idx


def kept(ranked, topk, family):
    """The topk of ranked ((name, key) pairs, best first) a table keeps, best
    first: the best of each family (as many families as fit), then the next
    best of any.  A cell whose fastest are all of one narrow family (split-KV
    decode, sq <= 16) so keeps a general one for the problems its capability
    check turns away, measured instead of the legacy gate."""
    chosen, seen = [], set()
    for n, t in ranked:
        if family.get(n, n) not in seen and len(chosen) < topk:
            seen.add(family.get(n, n))
            chosen.append((n, t))
    names = {n for n, _ in chosen}
    for n, t in ranked:
        if len(chosen) >= topk:
            break
        if n not in names:
            chosen.append((n, t))
            names.add(n)
    position = {n: i for i, (n, _) in enumerate(ranked)}
    return sorted(chosen, key=lambda nt: position[nt[0]])


def snap_prefix(cached_axis, v):
    """The runtime's prefix snap: a cached prefix below the first positive
    grid value is looked up as that value, never as "no prefix"."""
    if v > 0 and len(cached_axis) > 1 and cached_axis[0] == 0 and v < cached_axis[1]:
        return cached_axis[1]
    return v


def in_domain(axes, point):
    """The runtime's domain check: every axis value within its grid."""
    return all(axes[i] and axes[i][0] <= v <= axes[i][-1] for i, v in enumerate(point))


def cell_point(axes, point, method):
    """The grid cell (axes tuple) a grid lookup (floor or nearest_log) reads
    for point, after the prefix snap; None out of the domain."""
    if not in_domain(axes, point):
        return None
    point = list(point)
    point[2] = snap_prefix(axes[2], point[2])
    key = []
    for i, v in enumerate(point):
        j = nearest_index(axes[i], v) if method == "nearest_log" else floor_index(axes[i], v)
        if j is None:
            return None
        key.append(axes[i][j])
    return tuple(key)


def predict_grid(klass, point, method, topk, grid_axes=None, cells=None, nodes=None):
    """Ranking (names) the lookup method gives for point; [] when none."""
    axes = grid_axes if grid_axes is not None else klass["axes"]
    cells = cells if cells is not None else klass["cells"]
    if not in_domain(axes, point):
        return []
    if method == "tree":
        point = list(point)
        point[2] = snap_prefix(axes[2], point[2])
        node = nodes[0]
        while node["axis"] >= 0:
            f = log_feature(point[node["axis"]])
            node = nodes[node["left"] if f <= node["threshold"] else node["right"]]
        return node["leaf"][:topk]
    key = cell_point(axes, point, method)
    if key is None:
        return []
    return [n for n, _ in kept(cells.get(key, []), topk, klass["family"])]


def float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]
