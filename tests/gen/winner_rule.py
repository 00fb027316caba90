"""winner_rule.py -- the generator's winner rule, written again from its
description (gen/attnroute_gen/winners.py, module doc) and not from its code, for the
tests that check a generated table against the db:

    pick(conn, shape_id) -> the candidate the table should rank first, or None

Among the shape's ok measurements (the newest per candidate) the fastest
(equal medians: the smaller name) wins, unless the incumbent -- the
candidate standing in for the route gen/attnroute_gen/legacy.py's post-1345 gates take
on that shape -- is within max(1%, the larger half-spread (p90 - p10) / 2 /
median of the two) of it: then the incumbent.  The stand-in is found by the
one stand-in rule, legacy.stand_in (its legacy_route is that route and its
caps allow the shape: the runtime's attnroute_legacy_standin), not again.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from attnroute_gen import DTYPE_CODES, legacy  # noqa: E402
from attnroute_gen.model import parse_caps  # noqa: E402
from attnroute_gen.winners import LEGACY_ENV  # noqa: E402

MIN_GAIN = 0.01


def _half(p10, p90, med):
    if p10 is None or p90 is None or not med or not p10 <= med <= p90:
        return 0.0
    return (p90 - p10) / 2.0 / med


def pick(conn, shape_id):
    s = conn.execute("SELECT num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads, head_dim, "
                     "q_dtype, kv_dtype, has_sinks, sliding_window, kv_block_size, causal "
                     "FROM shape WHERE id = ?", (shape_id,)).fetchone()
    newest = {}
    for name, med, p10, p90, at, route, caps in conn.execute(
            "SELECT c.name, m.median_us, m.p10_us, m.p90_us, m.measured_at, c.legacy_route, "
            "c.caps FROM measurement m JOIN candidate c ON c.id = m.candidate_id "
            "WHERE m.shape_id = ? AND m.status = 'ok'", (shape_id,)):
        if name not in newest or at > newest[name][3]:
            newest[name] = (med, p10, p90, at, route, caps)
    if not newest:
        return None
    best = min(newest, key=lambda n: (newest[n][0], n))
    p = legacy.problem(s[0], s[1], s[2], s[3], s[4], s[5], DTYPE_CODES[s[6]], DTYPE_CODES[s[7]],
                       s[8], s[9], s[10], s[11])
    route = legacy.legacy_route(legacy.POLICY_POST_1345, p, LEGACY_ENV)
    measured = [{"name": name, "legacy_route": r, "caps": parse_caps(caps, "candidate %s" % name)}
                for name, (_, _, _, _, r, caps) in sorted(newest.items())]
    inc = legacy.stand_in(measured, route, p)
    if inc is None or inc == best:
        return best
    bi, ii = newest[best], newest[inc]
    noise = max(_half(bi[1], bi[2], bi[0]), _half(ii[1], ii[2], ii[0]))
    return best if ii[0] - bi[0] > max(MIN_GAIN, noise) * ii[0] else inc
