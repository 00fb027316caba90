"""flat.py -- the table in the one flattened form every emitter writes (the
C header of emit_c.py, the text format of emit_text.py, the JSON block of
emit_json.py): candidates with their caps in attnroute_caps order, and per
class its attnroute_class key, lookup, axes, every cell of the grid in
row-major order (num_seqs slowest) with the candidates it keeps and their
slots, the tree nodes, the ragged key and edge rules, and the comment lines
that say how they were chosen.
"""

import itertools

from .abi import CAPS_FIELDS, DTYPE_CODES, LOOKUPS, NO_CANDIDATE, RAGGED_KEYS, ROUTE_NAMES, \
    TOPK
from .batch_rules import batch_rule_lines
from .holdout import holdout_lines
from .lookup import edge_text, kept
from .model import class_label


def flatten(model, topk):
    """The table of model (load_model, then apply_lookup or not) keeping
    topk candidates per cell, as a dict (see the module doc)."""
    names = [c["name"] for c in model["candidates"]]
    index = {n: i for i, n in enumerate(names)}

    def slots(ranking):
        idx = [index[n] for n in ranking[:topk]]
        return idx + [NO_CANDIDATE] * (TOPK - len(idx))

    candidates = [{"name": c["name"], "code_hash": c["code_hash"],
                   "legacy_route": c["legacy_route"],
                   "route_name": ROUTE_NAMES[c["legacy_route"]],
                   "caps": tuple(c["caps"][f] for f in CAPS_FIELDS)}
                  for c in model["candidates"]]
    classes = []
    for k in model["classes"]:
        st = k["static"]
        spread = k.get("spread", {})
        traffic, lent = k.get("traffic") or {}, k.get("neighbour_cells") or {}
        cells = []
        wins = {}
        for point in itertools.product(*k["axes"]):
            ranked = kept(k["cells"].get(point, []), topk, k["family"])
            sp = spread.get(point, {})
            cells.append({"point": point, "kept": ranked,
                          "slots": slots([n for n, _ in ranked]),
                          "spread": [list(sp.get(n) or (None, None)) for n, _ in ranked],
                          # what ranked the cell: its grid shape, the trace calls
                          # reaching it, or its neighbours' calls (and how many)
                          "ranked_by": ("traffic", traffic[point]) if point in traffic else
                                       ("neighbours", lent[point]) if point in lent else
                                       ("grid", 0)})
            if ranked:
                wins[ranked[0][0]] = wins.get(ranked[0][0], 0) + 1
        nodes = [{"axis": nd["axis"], "threshold": nd["threshold"], "left": nd["left"],
                  "right": nd["right"], "leaf": nd["leaf"][:topk], "slots": slots(nd["leaf"])}
                 for nd in k.get("nodes") or []]
        classes.append({
            "static": st,
            "label": class_label(st),
            # attnroute_class's first eight fields
            "fields": (st["head_dim"], DTYPE_CODES[st["q_dtype"]], DTYPE_CODES[st["kv_dtype"]],
                       st["has_sinks"], st["sliding_window"], st["kv_block_size"],
                       st["causal"], LOOKUPS[k["lookup"]]),
            "lookup": k["lookup"],
            "axes": k["axes"],
            "cells": cells,
            "wins": wins,                  # candidate name -> cells it is first in
            "held": k.get("held") or {},   # point -> (incumbent, fastest, gain)
            "nodes": nodes,
            "ragged_key": k["ragged_key"],
            "ragged_code": RAGGED_KEYS[k["ragged_key"]],
            "edge_clamp": k["edge_clamp"],
            "edge_text": edge_text(k["edge_clamp"]),
            "notes": [comment_text(line) for line in holdout_lines(k) + batch_rule_lines(k)],
        })
    return {
        "arch": model["arch"], "cu_count": model["cu_count"],
        "device_name": model["device_name"], "memory_mib": model["memory_mib"],
        "product": model["product"], "provenance": provenance_string(model),
        "content_sha256": model["content_sha256"], "devices": model["devices"],
        "timing_policies": model["timing_policies"],
        "tuner_versions": model["tuner_versions"],
        "newest_measurement": model["newest_measurement"],
        "winner_rule": model["winner_rule"],
        "candidates": candidates,
        "classes": classes,
    }


def provenance_string(model):
    devs = "; ".join("%s %s %d %s driver %s runtime %s" % (
        d["vendor"], d["arch"], d["cu_count"], d["name"], d["driver_version"],
        d["runtime_version"]) for d in model["devices"])
    return ("attnroute table from db content sha256:%s; device %s; tuner %s; "
            "timing %s; newest measurement %s" % (
                model["content_sha256"], devs, ", ".join(model["tuner_versions"]),
                " | ".join(model["timing_policies"]), model["newest_measurement"]))


def comment_text(s):
    """Text safe in a C block comment."""
    s = "".join(ch if 32 <= ord(ch) < 127 else "." for ch in str(s))
    while "*/" in s or "/*" in s or "??" in s:
        s = s.replace("*/", "*_/").replace("/*", "/_*").replace("??", "?_?")
    return s
