"""winners.py -- the winner rule (noise).  A cell's first candidate is its
incumbent -- the pick of the previous table (--previous OLD_DB, the db that
table came from; when re-tuning into a db, a copy of it as it was) or else
the candidate standing in for the route the post-1345 gates take there --
unless the fastest beats it by more than max(--min-gain (default 1%), the
larger of the two half-spreads (p90 - p10) / 2 / median): each median
outside the other's spread.  The rest follow in measured order, equal times
by name.  The header says how many cells kept their incumbent so.
"""

from . import legacy
from .abi import DTYPE_CODES

# Winner rule: the cell's incumbent (the previous table's pick with
# --previous, else the legacy stand-in of the post-1345 gates) keeps first
# place unless the fastest beats it by more than the largest of MIN_GAIN and
# the two candidates' measured half-spreads ((p90 - p10) / 2 / median).
DEFAULT_MIN_GAIN = 0.01
# The engine switches of the generator's legacy references (incumbents and
# edge rules): unified attention on, the configuration PR #1345 changed
# (legacy.py defaults to ATOM's own default, off).
LEGACY_ENV = {"use_unified_attn": 1}


def half_spread(p10, p90, median):
    """(p90 - p10) / 2 / median; 0 when a quantile is missing or the three
    are not in order (p10 <= median <= p90: a row edited by hand)."""
    if p10 is None or p90 is None or not median or median <= 0 or not p10 <= median <= p90:
        return 0.0
    return (p90 - p10) / 2.0 / median


def displaces(klass, point, challenger, incumbent, min_gain):
    """True when challenger ((name, median)) beats incumbent by more than
    noise: its gain over the incumbent exceeds max(min_gain, the larger
    half-spread of the two) -- each median lies outside the other's spread."""
    sp = klass["spread"].get(point, {})
    noise = max(half_spread(*(sp.get(n) or (None, None)), t) for n, t in (challenger, incumbent))
    return incumbent[1] - challenger[1] > max(min_gain, noise) * incumbent[1]


def legacy_standin(candidates, static, point):
    """Name of the candidate standing in for the route the post-1345 gates
    pick at point (default engine env), or None: legacy.stand_in, the
    runtime's attnroute_legacy_standin (caps must allow the shape)."""
    ns, sq, cached, hq, gqa = point
    p = legacy.problem(ns, sq, sq + cached, hq, hq // gqa, static["head_dim"],
                       DTYPE_CODES[static["q_dtype"]], DTYPE_CODES[static["kv_dtype"]],
                       static["has_sinks"], static["sliding_window"],
                       static["kv_block_size"], static["causal"])
    route = legacy.legacy_route(legacy.POLICY_POST_1345, p, LEGACY_ENV)
    return legacy.stand_in(candidates, route, p)


def settle_winners(class_list, cand_list, previous, min_gain):
    """Apply the winner rule to every cell of class_list in place: the
    incumbent moves to first place when the fastest does not beat it beyond
    noise (the rest keep their measured order).  Records per class
    klass["held"][point] = (incumbent, fastest, gain).  Returns the rule as
    text (header comment, JSON provenance)."""
    prev_picks = {}
    if previous is not None:
        for pk in previous["classes"]:
            prev_picks[pk["static_key"]] = {pt: r[0][0] for pt, r in pk["cells"].items() if r}
    for k in class_list:
        held = {}
        picks = prev_picks.get(k["static_key"], {})
        for point in sorted(k["cells"]):
            ranked = k["cells"][point]
            if len(ranked) < 2:
                continue
            names = [n for n, _ in ranked]
            inc = picks.get(point)
            if inc not in names:
                inc = legacy_standin(cand_list, k["static"], point)
            if inc is None or inc not in names or names[0] == inc:
                continue
            at = names.index(inc)
            if not displaces(k, point, ranked[0], ranked[at], min_gain):
                held[point] = (inc, names[0], ranked[at][1] / ranked[0][1] - 1.0)
                k["cells"][point] = [ranked[at]] + ranked[:at] + ranked[at + 1:]
        k["held"] = held
    source = "legacy stand-in (post-1345 gates)"
    if previous is not None:
        source = ("previous table (db content sha256:%s), else the legacy stand-in "
                  "(post-1345 gates)" % previous["content_sha256"])
    return ("incumbent %s keeps first place unless the fastest is faster by more than "
            "max(%g, the larger half-spread (p90-p10)/2/median of the two); ties: name order"
            % (source, min_gain))
