"""model.py -- the table model of a db: one device class, its candidates
(caps parsed, stand-ins checked), and one class per static problem feature
set with its grid axes, the measured cells (fastest first, then the winner
rule of winners.py) and the calibration shapes (ragged shapes and trace
calls) its ragged key and edge rules are chosen on.
"""

import hashlib
import json
import math
import os
import sys

from .abi import AXES, CAP_WORDS, CAPS_FIELDS, DTYPE_CODES, \
    NO_CANDIDATE, ROUTE_NAMES
from .db import CAND_KEYS, DEVICE_KEYS, MEAS_KEYS, open_db, read_rows, read_trace_calls, \
    row_sort_key
from .errors import GenError
from .lookup import DEFAULT_LOOKUP, EDGE_DEFAULT
from .winners import DEFAULT_MIN_GAIN, settle_winners

STATIC = ("head_dim", "q_dtype", "kv_dtype", "has_sinks", "sliding_window",
          "kv_block_size", "causal")


def parse_int(text, what):
    t = text.strip().lower()
    try:
        if t.startswith(("0x", "-0x")):
            return int(t, 16)
        return int(t, 10)
    except ValueError:
        raise GenError("%s: %r is not an integer" % (what, text))


def parse_caps(text, what):
    """Parse the candidate.caps text "field=value,..." into a dict of ints."""
    caps = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise GenError("%s: caps item %r is not field=value" % (what, part))
        key, value = (s.strip() for s in part.split("=", 1))
        if key not in CAPS_FIELDS:
            continue  # fields appended by newer tuners are ignored
        if value.lower() in CAP_WORDS:
            caps[key] = CAP_WORDS[value.lower()]
        else:
            caps[key] = parse_int(value, "%s: caps %s" % (what, key))
    missing = [f for f in CAPS_FIELDS if f not in caps]
    if missing:
        raise GenError("%s: caps %r lack %s" % (what, text, ", ".join(missing)))
    for f in CAPS_FIELDS[:4]:
        if not 0 <= caps[f] <= 0xFFFFFFFF:
            raise GenError("%s: caps %s=%d out of uint32 range" % (what, f, caps[f]))
    for f in CAPS_FIELDS[4:]:
        if not -2**31 <= caps[f] < 2**31:
            raise GenError("%s: caps %s=%d out of int32 range" % (what, f, caps[f]))
    return caps


def dtype_name(text, what):
    """A shape's dtype text, as the store writes it (attnroute_dtype_name)."""
    if text in DTYPE_CODES:
        return text
    raise GenError("%s: unknown dtype %r (%s)" % (what, text, ", ".join(DTYPE_CODES)))


def device_classes(rows):
    return sorted({(r["device"][1], r["device"][2]) for r in rows})


def product_key(name):
    """A device name compared as the runtime does: case and blank runs ignored."""
    return " ".join(str(name or "").split()).lower()


def same_memory(a, b):
    """Memory sizes the runtime takes for one device (within 4%)."""
    return not a or not b or abs(a - b) * 25 <= max(a, b)


def check_siblings(rows, path, chosen):
    """GenError when one (arch, CU) class holds sibling devices (H100 and H200:
    both sm_90 with 132 SMs): the runtime tells them apart, one table cannot
    be both."""
    devs = sorted({(r["device"][3], r["device"][4] or 0) for r in rows})
    first = devs[0] if devs else None
    for d in devs[1:]:
        if product_key(d[0]) != product_key(first[0]) or not same_memory(d[1], first[1]):
            raise GenError("%s: device class %s:%d holds sibling devices (%s); tune each "
                           "into its own db" % (path, chosen[0], chosen[1], "; ".join(
                               "%s, %d MiB" % (n, (m or 0) >> 20) for n, m in devs)))


def parse_device_arg(text):
    if ":" not in text:
        raise GenError("--device %r: expected ARCH:CU, e.g. gfx1250:256" % text)
    arch, cu = text.rsplit(":", 1)
    return arch, parse_int(cu, "--device %r" % text)


def parse_seqs(text, ns, sq, sk):
    """The (sq, ctx) pairs of a ragged shape's seqs text, or None when the
    text is malformed or disagrees with num_seqs / seqlen_q / seqlen_k
    (their count and maxima, 1 <= sq <= ctx)."""
    seqs = []
    for item in text.split(","):
        parts = item.split(":")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            return None
        q, k = int(parts[0]), int(parts[1])
        if not 1 <= q <= k:
            return None
        seqs.append((q, k))
    if len(seqs) != ns or max(q for q, _ in seqs) != sq or max(k for _, k in seqs) != sk:
        return None
    return tuple(seqs)


def shape_axes(s):
    """(static key, axis tuple, seqs) of a shape row, or None if the shape is
    invalid; seqs is None for a uniform batch, else its (sq, ctx) pairs."""
    (hd, qdt, kvdt, sinks, window, block, causal, ns, sq, sk, hq, hkv) = s[:12]
    if min(hd, ns, sq, hq, hkv, block) <= 0 or sk < sq or hq % hkv:
        return None
    seqs = None
    if len(s) > 12:
        seqs = parse_seqs(s[12], ns, sq, sk)
        if seqs is None or sum(k for _, k in seqs) >= 2**31:
            return None
    window = window if window > 0 else -1  # the runtime reads <= 0 as none
    what = "shape %s" % (s,)
    static = (hd, dtype_name(qdt, what), dtype_name(kvdt, what), 1 if sinks else 0,
              window, block, 1 if causal else 0)
    axes = (ns, sq, sk - sq, hq, hq // hkv)
    for v in static[:1] + static[3:] + axes:
        if not -2**31 <= v < 2**31:
            return None
    return static, axes, seqs


def load_model(path, device=None, allow_stale=False, previous=None, min_gain=DEFAULT_MIN_GAIN):
    """Read db path into the table model (a dict); GenError on bad input.
    previous: the model of the previous table's db (its picks are the
    incumbents of the winner rule), or None (the legacy stand-ins are)."""
    conn = open_db(path)
    try:
        rows = read_rows(conn, path)
        trace_calls = read_trace_calls(conn, path)
    finally:
        conn.close()
    rows.sort(key=row_sort_key)
    classes = device_classes(rows)
    if not classes:
        raise GenError("%s: no measurements" % path)
    names = ", ".join("%s:%d" % c for c in classes)
    if device is not None:
        if device not in classes:
            raise GenError("%s: no device class %s:%d (the db has %s)"
                           % (path, device[0], device[1], names))
        chosen = device
    elif len(classes) > 1:
        raise GenError("%s: measurements from %d device classes (%s); pick one "
                       "with --device ARCH:CU" % (path, len(classes), names))
    else:
        chosen = classes[0]
    rows = [r for r in rows if (r["device"][1], r["device"][2]) == chosen]
    check_siblings(rows, path, chosen)

    # Stale candidates: one name, several code hashes.
    hashes = {}
    for r in rows:
        name, code_hash = r["cand"][0], r["cand"][3]
        key = (r["run"][2], r["meas"][7], code_hash)  # latest run, then measurement
        best = hashes.setdefault(name, {})
        if code_hash not in best or key > best[code_hash]:
            best[code_hash] = key
    stale = {n: h for n, h in hashes.items() if len(h) > 1}
    if stale and not allow_stale:
        lines = ["%s (%s)" % (n, ", ".join(sorted(h))) for n, h in sorted(stale.items())]
        raise GenError("%s: stale candidates measured under several code hashes on "
                       "%s:%d: %s; re-tune them, or pass --allow-stale to keep the "
                       "hash of the latest run" % (path, chosen[0], chosen[1],
                                                   "; ".join(lines)))
    keep_hash = {n: max(h.items(), key=lambda kv: kv[1])[0] for n, h in hashes.items()}
    rows = [r for r in rows if keep_hash[r["cand"][0]] == r["cand"][3]]

    # One measurement per (candidate, shape): several device rows of one class
    # (a driver update) keep the newest.
    newest = {}
    warned = set()
    for r in rows:
        sa = shape_axes(r["shape"])
        if sa is None:
            if r["shape"] not in warned:
                warned.add(r["shape"])
                sys.stderr.write("attnroute_gen: %s: skipping invalid shape %s\n"
                                 % (path, r["shape"]))
            continue
        key = (r["cand"][0], sa)
        order = (r["meas"][7], r["run"][2], row_sort_key(r))
        if key not in newest or order > newest[key][0]:
            newest[key] = (order, r, sa)
    used = sorted((v[1] for v in newest.values()), key=row_sort_key)

    candidates = {}
    for r in used:
        c = dict(zip(CAND_KEYS, r["cand"]))
        if c["name"] not in candidates:
            c["caps_text"] = c["caps"]
            c["caps"] = parse_caps(c["caps"], "%s: candidate %s" % (path, c["name"]))
            if c["legacy_route"] not in ROUTE_NAMES:
                raise GenError("%s: candidate %s: legacy_route %r unknown"
                               % (path, c["name"], c["legacy_route"]))
            candidates[c["name"]] = c
    cand_list = [candidates[n] for n in sorted(candidates)]
    if len(cand_list) >= NO_CANDIDATE:
        raise GenError("%s: %d candidates; a table holds at most %d"
                       % (path, len(cand_list), NO_CANDIDATE - 1))
    by_route = {}
    for c in cand_list:
        if c["legacy_route"] >= 0:
            by_route.setdefault(c["legacy_route"], []).append(c["name"])
    # Several stand-ins for one route are fine when no problem fits two of
    # them (one per head dim, say): the runtime takes the one whose caps
    # accept the problem.
    for route, ns in sorted(by_route.items()):
        masks = [candidates[n]["caps"]["head_dim_mask"] for n in ns]
        for i in range(len(ns)):
            for j in range(i + 1, len(ns)):
                if masks[i] & masks[j]:
                    raise GenError("%s: candidates %s and %s both stand in for legacy route %s "
                                   "for the same head dims; a table marks at most one per "
                                   "route and head dim" % (path, ns[i], ns[j], ROUTE_NAMES[route]))

    # Grid shapes make the cells; ragged shapes and trace calls are the
    # calibration set the ragged key and the edge rules are chosen on.  A
    # uniform trace call on a grid point is both.
    cls = {}
    devices = set()
    policies = set()
    tuners = set()
    newest_time = ""
    calls_of = {}  # (static, axes, seqs) -> trace calls of that shape
    for r in used:
        static, axes, seqs = newest[(r["cand"][0], shape_axes(r["shape"]))][2]
        c = cls.setdefault(static, {"shapes": {}, "calib": {}})
        m = dict(zip(MEAS_KEYS, r["meas"]))
        calls = trace_calls.get(r["shape_id"], [])
        if seqs is None and not calls:
            c["shapes"].setdefault(axes, {})[r["cand"][0]] = (m["status"], m["median_us"])
            c.setdefault("spread", {}).setdefault(axes, {})[r["cand"][0]] = (m["p10_us"], m["p90_us"])
        else:
            c["calib"].setdefault((axes, seqs), {})[r["cand"][0]] = (m["status"], m["median_us"])
            calls_of[(static, axes, seqs)] = calls
        devices.add(r["device"])
        policies.add(r["run"][1])
        tuners.add(r["run"][0])
        newest_time = max(newest_time, m["measured_at"])

    family = {c["name"]: c["family"] for c in cand_list}
    class_list = []
    for static in sorted(cls, key=lambda s: (s[0], DTYPE_CODES[s[1]], DTYPE_CODES[s[2]])
                         + s[3:]):
        shapes = cls[static]["shapes"]
        if not shapes:
            continue  # trace calls of a class the grid does not tune: no class
        axes = [sorted({a[i] for a in shapes}) for i in range(len(AXES))]
        calib = []
        for (point, seqs), meas in sorted(cls[static]["calib"].items(),
                                          key=lambda kv: (kv[0][0], kv[0][1] or ())):
            calls = calls_of[(static, point, seqs)]
            if seqs is None and not any(v not in axes[i] for i, v in enumerate(point)):
                shapes.setdefault(point, {}).update(meas)  # a grid point too
            calib.append(calib_entry(static, point, seqs, calls, meas))
        cells = {}
        for a, meas in shapes.items():
            ok = [(t, n) for n, (st, t) in meas.items()
                  if st == "ok" and t is not None and math.isfinite(t)]
            ok.sort()
            cells[a] = [(n, t) for t, n in ok]
        if not any(cells.values()):
            # Nothing ran on this class (every candidate unsupported or
            # failing, e.g. a head dim no kernel has): no table for it.
            sys.stderr.write("attnroute_gen: %s: leaving out class %s: no candidate measured "
                             "ok on any of its %d shapes\n"
                             % (path, dict(zip(STATIC, static)), len(shapes)))
            continue
        class_list.append({
            "static": dict(zip(STATIC, static)),
            "static_key": static,
            "axes": axes,
            "shapes": shapes,   # axes tuple -> {name: (status, median_us)}
            "cells": cells,     # axes tuple -> [(name, median_us)] fastest first
            "spread": cls[static].get("spread", {}),  # axes tuple -> {name: (p10, p90)}
            "family": family,   # candidate name -> family, for kept()
            "lookup": DEFAULT_LOOKUP,
            "calib": calib,     # ragged shapes and trace calls (calib_entry)
            "ragged_key": "longest",
            "edge_clamp": EDGE_DEFAULT,
        })

    if not class_list and not any(c["shapes"] for c in cls.values()):
        raise GenError("%s: no grid shapes, only %s (a trace or shape-list db): nothing to "
                       "make a table of; merge it into a grid's db (attnroute-merge), or "
                       "score a table on it with attnroute-eval --db %s --table TABLE.txt"
                       % (path, "trace calls" if trace_calls else "ragged shapes", path))
    if not class_list:
        raise GenError("%s: no candidate measured ok on any shape of %s:%d (every "
                       "measurement unsupported or failed); nothing to make a table of"
                       % (path, chosen[0], chosen[1]))

    rule = settle_winners(class_list, cand_list, previous, min_gain)

    dump = [json.dumps([r["device"], r["cand"], r["shape"], r["meas"],
                        [r["run"][0], r["run"][1]]]) for r in used]
    used_ids = {r["shape_id"]: r["shape"] for r in used}
    dump += [json.dumps(["trace_call", t, i, st, used_ids[sid]])
             for sid, calls in trace_calls.items() if sid in used_ids for t, i, st in calls]
    content = hashlib.sha256(("\n".join(sorted(dump)) + "\n").encode()).hexdigest()
    dev_list = [dict(zip(DEVICE_KEYS, d)) for d in sorted(devices)]
    latest_dev = max(used, key=lambda r: (r["run"][2], r["meas"][7], row_sort_key(r)))
    return {
        "db": os.path.basename(path),
        "arch": chosen[0],
        "cu_count": chosen[1],
        "device_name": latest_dev["device"][3],
        "memory_mib": int(latest_dev["device"][4] or 0) >> 20,
        "product": latest_dev["device"][3] or "",
        "devices": dev_list,
        "candidates": cand_list,
        "classes": class_list,
        "timing_policies": sorted(policies),
        "tuner_versions": sorted(tuners),
        "newest_measurement": newest_time,
        "content_sha256": content,
        "winner_rule": rule,
    }


def calib_entry(static, point, seqs, calls, meas):
    """A calibration shape (ragged, or a trace call's): the problem as the
    engine describes it (totals for a ragged batch), how often each step
    called it (a shape-list shape counts once, step auto), its measurements."""
    ns, sq, cached, hq, gqa = point
    sk = sq + cached
    problem = {
        "head_dim": static[0], "q_dtype": DTYPE_CODES[static[1]],
        "kv_dtype": DTYPE_CODES[static[2]], "has_sinks": static[3],
        "sliding_window": static[4], "kv_block_size": static[5], "causal": static[6],
        "num_seqs": ns, "max_seqlen_q": sq, "max_seqlen_k": sk,
        "has_cached": 1 if (any(k > q for q, k in seqs) if seqs else sk > sq) else 0,
        "num_q_heads": hq, "num_kv_heads": hq // gqa,
        "total_seqlen_q": sum(q for q, _ in seqs) if seqs else 0,
        "total_seqlen_k": sum(k for _, k in seqs) if seqs else 0}
    steps = {}
    for _, _, step in calls:
        steps[step] = steps.get(step, 0) + 1
    return {"point": point, "seqs": seqs, "problem": problem,
            "steps": steps or {"auto": 1}, "meas": meas}


def class_label(static):
    return ("head_dim=%d q=%s kv=%s sinks=%d window=%d block=%d causal=%d" % (
        static["head_dim"], static["q_dtype"], static["kv_dtype"], static["has_sinks"],
        static["sliding_window"], static["kv_block_size"], static["causal"]))
