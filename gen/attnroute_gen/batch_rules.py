"""batch_rules.py -- each class's ragged key and edge rules, and whether
the cells its calibration calls reach are ranked by them (traffic), chosen
on its calibration shapes (ragged shapes, trace calls): every pick is the
runtime's (table_ranking, caps), a miss is the legacy policy's stand-in
(post-1345, the call's step), and a call costs its pick's measured time
(MISS_PENALTY x its best when the pick did not run ok).
"""

import math

from . import legacy
from .abi import AXES, AXIS_LABELS, RAGGED_KEYS, STEPS
from .lookup import EDGE_DEFAULT, caps_allow, cell_point, edge_point, edge_text, \
    problem_point, table_ranking
from .winners import LEGACY_ENV

EDGE_POLICY = legacy.POLICY_POST_1345  # the legacy policy the edge rules are measured against
MISS_PENALTY = 4.0           # cost of a pick not measured ok, in units of the call's best
EDGE_CHOICES = {"auto": None, "legacy": 0, "clamp": (1 << (2 * len(AXES))) - 1}


class CallCost:
    """Costs of picks on a class's calibration shapes."""

    def __init__(self, klass, topk, cands):
        self.klass, self.topk = klass, topk
        self.cands = cands
        self.caps = {c["name"]: c["caps"] for c in cands}
        self.entries = []
        for e in klass["calib"]:
            ok = [t for st, t in e["meas"].values()
                  if st == "ok" and t is not None and math.isfinite(t) and t > 0]
            if ok:
                self.entries.append((e, min(ok)))

    def time(self, e, best, name):
        st, t = e["meas"].get(name, ("none", None))
        if name is not None and st == "ok" and t is not None and math.isfinite(t) and t > 0:
            return t
        return MISS_PENALTY * best

    def legacy_pick(self, p, step):
        route = legacy.legacy_route(EDGE_POLICY, p, dict(LEGACY_ENV, step=STEPS[step]))
        return legacy.stand_in(self.cands, route, p)

    def table_pick(self, p, key, mask, cells=None):
        ranking = table_ranking(self.klass, p, self.topk, key, mask, cells)
        return next((n for n in ranking or () if caps_allow(self.caps[n], p)), None)

    def cost(self, e, best, key, mask, cells=None):
        """(time of the calls of e under key, mask and cells (default the
        class's), their count, summed log regret)."""
        p = e["problem"]
        name = self.table_pick(p, key, mask, cells)
        total = logs = 0.0
        calls = 0
        for step in sorted(e["steps"]):
            n = e["steps"][step]
            t = self.time(e, best, name if name is not None else self.legacy_pick(p, step))
            total += n * t
            logs += n * math.log(t / best)
            calls += n
        return total, calls, logs

    def edges(self, key):
        """The edge bits measurement supports under key, and the evidence:
        {bit: (calls, time clamped, time by the legacy policy)}."""
        evidence = {}
        for e, best in self.entries:
            p = e["problem"]
            _, out, _ = edge_point(self.klass["axes"], problem_point(p, key), 0)
            if not out:
                continue
            clamped = self.cost(e, best, key, out)
            gated = self.cost(e, best, key, 0)
            for bit in range(2 * len(AXES)):
                if out >> bit & 1:
                    calls, tc, tl = evidence.get(bit, (0, 0.0, 0.0))
                    evidence[bit] = (calls + clamped[1], tc + clamped[0], tl + gated[0])
        mask = 0
        for bit in range(2 * len(AXES)):
            if bit in evidence:
                _, tc, tl = evidence[bit]
                mask |= (1 << bit) if tc <= tl else 0
            else:
                mask |= EDGE_DEFAULT & (1 << bit)
        return mask, evidence

    def total(self, key, mask, cells=None, entries=None):
        total = logs = 0.0
        calls = 0
        for e, best in self.entries if entries is None else entries:
            t, n, lg = self.cost(e, best, key, mask, cells)
            total += t
            calls += n
            logs += lg
        return total, calls, math.exp(logs / calls) if calls else 1.0

    def map_calls(self, key, mask, entries):
        """{cell: [(entry, best), ...]}: the grid cell each calibration
        shape's lookup reads (key, edge rules mask); shapes out of the
        domain are left out."""
        k = self.klass
        mapped = {}
        for e, best in entries:
            point, out, _ = edge_point(k["axes"], problem_point(e["problem"], key), mask)
            cell = None if out else cell_point(k["axes"], point, k["lookup"])
            if cell is not None:
                mapped.setdefault(cell, []).append((e, best))
        return mapped

    def rank_by(self, group, cell):
        """A cell's ranking [(name, mean time)] by the calls of group and
        the cell's own grid shape (MISS_PENALTY x the best where a candidate
        did not run ok), and how many calls group holds."""
        k = self.klass
        evidence = [(sum(e["steps"].values()), e["meas"], best) for e, best in group]
        calls = sum(w for w, _, _ in evidence)
        grid = k["shapes"].get(cell, {})
        grid_ok = [t for st, t in grid.values()
                   if st == "ok" and t is not None and math.isfinite(t) and t > 0]
        if grid_ok:
            evidence.append((1, grid, min(grid_ok)))
        names = sorted({n for _, meas, _ in evidence for n, (st, t) in meas.items()
                        if st == "ok" and t is not None and math.isfinite(t) and t > 0})
        weight = sum(w for w, _, _ in evidence)
        ranked = []
        for n in names:
            total = 0.0
            for w, meas, best in evidence:
                st, t = meas.get(n, ("none", None))
                ok = st == "ok" and t is not None and math.isfinite(t) and t > 0
                total += w * (t if ok else MISS_PENALTY * best)
            ranked.append((total / weight, n))
        ranked.sort()
        return [(n, t) for t, n in ranked], calls

    def neighbours(self, cell):
        """The cells one grid step from cell along num_seqs and cached (the
        batch axes), the other coordinates equal."""
        axes = self.klass["axes"]
        out = []
        at = [axes[i].index(v) for i, v in enumerate(cell)]
        for d0 in (-1, 0, 1):
            for d2 in (-1, 0, 1):
                i0, i2 = at[0] + d0, at[2] + d2
                if (d0 or d2) and 0 <= i0 < len(axes[0]) and 0 <= i2 < len(axes[2]):
                    c = list(cell)
                    c[0], c[2] = axes[0][i0], axes[2][i2]
                    out.append(tuple(c))
        return out

    def neighbour_cells(self, mapped):
        """{cell: (ranking, calls)} for the cells next to reached ones
        (neighbours(); mapped: map_calls()) that no call reaches: ranked by
        the calls of the reached cells next to them (and their own grid
        shape), as a call the calibration did not see there would run."""
        out = {}
        targets = sorted({n for c in mapped for n in self.neighbours(c)} - set(mapped))
        for cell in targets:
            group = self.neighbour_calls(mapped, cell)
            if group:
                out[cell] = self.rank_by(group, cell)
        return out

    def neighbour_calls(self, mapped, cell):
        """The calls of the reached cells next to cell (not its own)."""
        return [g for c in self.neighbours(cell) if c in mapped for g in mapped[c]]

    def neighbours_total(self, key, mask):
        """Whether neighbours' calls rank better, cell by cell out of sample:
        each reached cell's calls are scored once on the cell as the grid
        ranks it (what a call in a cell no call reached gets) and once on
        the cell ranked by its neighbours' calls alone.  Returns ((time,
        calls) on the grid's ranking, (time, calls) on the neighbours')."""
        mapped = self.map_calls(key, mask, self.entries)
        without = [0.0, 0]
        with_ = [0.0, 0]
        for cell, group in sorted(mapped.items()):
            lent = self.neighbour_calls(mapped, cell)
            if not lent:
                continue  # no reached neighbour: it would not be ranked by neighbours either
            cells = dict(self.klass["cells"])
            cells[cell] = self.rank_by(lent, cell)[0]
            for e, best in group:
                t0, n, _ = self.cost(e, best, key, mask)
                t1, _, _ = self.cost(e, best, key, mask, cells)
                without[0] += t0
                with_[0] += t1
                without[1] += n
                with_[1] += n
        return tuple(without), tuple(with_)

    def traffic_cells(self, key, mask, entries):
        """Cells ranked by traffic: every calibration shape of entries is
        mapped to the grid cell its lookup reads (key, edge rules mask); a
        cell with shapes mapped to it ranks its candidates by their total
        time over those calls and the cell's own grid shape (MISS_PENALTY x
        the best where a candidate did not run ok), keeping each one's mean
        time per problem.  Returns (the class's cells with those replaced
        or added, {cell: calls mapped}); grid cells no call reaches keep
        their measured ranking."""
        k = self.klass
        if k["lookup"] not in ("floor", "nearest_log"):
            return k["cells"], {}
        mapped = self.map_calls(key, mask, entries)
        cells = dict(k["cells"])
        reached = {}
        for cell, group in sorted(mapped.items()):
            cells[cell], reached[cell] = self.rank_by(group, cell)
        return cells, reached

    def traffic_total(self, key, mask):
        """total() of traffic-ranked cells out of sample: the calibration
        shapes split in two by position, each half scored on cells ranked by
        the other half's calls."""
        folds = (self.entries[0::2], self.entries[1::2])
        total = logs = 0.0
        calls = 0
        for fit, score in ((folds[0], folds[1]), (folds[1], folds[0])):
            cells, _ = self.traffic_cells(key, mask, fit)
            t, n, g = self.total(key, mask, cells, score)
            total += t
            calls += n
            logs += math.log(g) * n
        return total, calls, math.exp(logs / calls) if calls else 1.0


TRAFFIC_CHOICES = ("auto", "on", "off")
NEIGHBOUR_CHOICES = ("auto", "on", "off")


def choose_batch_rules(klass, topk, cands, ragged_key="auto", edge="auto", traffic="auto",
                       neighbours="auto"):
    """Sets klass["ragged_key"] and klass["edge_clamp"]: the key (auto: the
    least total time on the class's calibration shapes, "longest" on ties or
    without any) and the edge bits (auto: per bit, clamped when the shapes
    past that edge ran no slower on the edge cell's pick than on the legacy
    policy's, EDGE_DEFAULT where no shape lies past it); then, with traffic
    on (auto: when it is faster out of sample, CallCost.traffic_total, than
    the grid's cells in sample), the cells the calibration calls reach are
    ranked by those calls (CallCost.traffic_cells); and with neighbours on
    (--neighbours; auto: when, cell by cell out of sample,
    CallCost.neighbours_total, a
    reached cell's calls run faster on the ranking its neighbours' calls
    give than on the grid's), the cells next to reached ones that no call
    reaches are ranked by their neighbours' calls (CallCost.neighbour_cells):
    a real batch in a cell the calibration missed is more like the batches
    next to it than like the cell's uniform grid shape.  The evidence goes
    to klass["batch_rules"] for the header comment."""
    forced_mask = EDGE_CHOICES[edge]
    keys = [ragged_key] if ragged_key != "auto" else list(RAGGED_KEYS)
    klass["batch_rules"] = None
    klass["traffic"] = None
    klass["neighbour_cells"] = None
    if not klass["calib"]:
        klass["ragged_key"] = keys[0] if ragged_key != "auto" else "longest"
        klass["edge_clamp"] = EDGE_DEFAULT if forced_mask is None else forced_mask
        return
    cc = CallCost(klass, topk, cands)
    results = {}
    modes = [False, True] if traffic == "auto" else [traffic == "on"]
    for key in keys:
        mask, evidence = cc.edges(key) if forced_mask is None else (forced_mask, {})
        for mode in modes:
            score = cc.traffic_total(key, mask) if mode else cc.total(key, mask)
            results[(key, mode)] = (mask, evidence) + score
    best = None
    for key in keys:  # RAGGED_KEYS order: longest first, so it wins ties
        for mode in modes:  # grid cells before traffic on ties
            t = results[(key, mode)][2]
            if best is None or t < results[best][2] * (1 - 1e-9):
                best = (key, mode)
    klass["ragged_key"] = best[0]
    klass["edge_clamp"] = results[best][0]
    neighbour_evidence = None
    if best[1]:
        key, mask = best[0], klass["edge_clamp"]
        cells, reached = cc.traffic_cells(key, mask, cc.entries)
        if reached and neighbours != "off":
            neighbour_evidence = cc.neighbours_total(key, mask)
            (t_grid, _), (t_lent, n_lent) = neighbour_evidence
            if neighbours == "on" or (n_lent and t_lent < t_grid * (1 - 1e-9)):
                lent = cc.neighbour_cells(cc.map_calls(key, mask, cc.entries))
                for cell, (ranking, _) in lent.items():
                    cells[cell] = ranking
                klass["neighbour_cells"] = {cell: calls for cell, (_, calls) in lent.items()}
        if reached:
            held = klass.get("held", {})
            for cell in list(reached) + list(klass["neighbour_cells"] or ()):
                held.pop(cell, None)
            klass["cells"] = cells
            klass["traffic"] = reached
    klass["batch_rules"] = {"results": results, "ragged": sum(1 for e, _ in cc.entries if e["seqs"]),
                            "shapes": len(cc.entries), "chosen_by": ragged_key,
                            "traffic_by": traffic, "used": best,
                            "neighbours_by": neighbours, "neighbours": neighbour_evidence}


def batch_rule_lines(klass):
    """Comment lines: the ragged key and edge rules and the measurements
    that chose them."""
    key, mask = klass["ragged_key"], klass["edge_clamp"]
    rules = klass.get("batch_rules")
    lines = ["ragged key: %s; edge rules (clamp to the edge cell): %s" % (
        key, edge_text(mask))]
    if not rules:
        lines.append("  no ragged shapes or trace calls in the db: key longest, edge rules "
                     "by default (clamp num_seqs, seqlen_q, cached; legacy for the heads)")
        return lines
    lines.append("  chosen on %d calibration shapes (%d ragged), time of their calls:"
                 % (rules["shapes"], rules["ragged"]))
    used = rules["used"]
    for k, mode in sorted(rules["results"], key=lambda km: (RAGGED_KEYS[km[0]], km[1])):
        m, _, total, calls, geo = rules["results"][(k, mode)]
        lines.append("    %-8s %-7s %12.6g us over %d calls, geomean regret %.4f, edges %s%s" % (
            k, "traffic" if mode else "grid", total, calls, geo, edge_text(m),
            "  <- used" if (k, mode) == used else ""))
    if klass.get("traffic"):
        reached = klass["traffic"]
        lines.append("  cells ranked by traffic (grid: the grid's cells, in sample; traffic: "
                     "cells ranked by the calls, two-fold out of sample): %d cells, %d calls"
                     % (len(reached), sum(reached.values())))
    if rules.get("neighbours"):
        (t_grid, calls), (t_lent, _) = rules["neighbours"]
        lent = klass.get("neighbour_cells") or {}
        lines.append("  unreached cells next to reached ones, ranked by their neighbours' calls: "
                     "%s (cell by cell out of sample over %d calls: grid ranking %.6g us, "
                     "neighbours' calls %.6g us)" % (
                         "%d cells" % len(lent) if lent else "not used", calls, t_grid,
                         t_lent))
    evidence = rules["results"][used][1]
    for bit in sorted(evidence):
        calls, tc, tl = evidence[bit]
        lines.append("    past the %s edge of %s: %d calls, edge cell %.6g us, legacy %.6g us" % (
            "upper" if bit & 1 else "lower", AXIS_LABELS[bit // 2], calls, tc, tl))
    return lines
