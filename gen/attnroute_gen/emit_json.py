"""emit_json.py -- the JSON block embedded in every generated header (what
tools/attnroute_diff.py reads back): the flattened table's candidates and
cells with their measured times and spreads (and, where trace calls ranked
some cells, what ranked each), and its provenance.  Also
read_header_json, which reads the block back from a header.
"""

import json

from .abi import AXES, TOPK
from .errors import GenError
from .flat import flatten

JSON_BEGIN = "/* attnroute-table-json"
JSON_END = "*/"
JSON_FORMAT = "attnroute-table-json"
JSON_VERSION = 1


def table_json(table):
    """The JSON object of a flattened table (flat.flatten)."""
    classes = []
    for k in table["classes"]:
        filled = [c for c in k["cells"] if c["kept"]]
        classes.append({"static": k["static"], "lookup": k["lookup"],
                        "axes": dict(zip(AXES, k["axes"])),
                        "cells": [list(c["point"]) + [[[n, t] for n, t in c["kept"]]]
                                  for c in filled],
                        # per cell, per kept candidate: [p10, p90]
                        "spread_us": [c["spread"] for c in filled],
                        "ragged_key": k["ragged_key"], "edge_clamp": k["edge_clamp"]})
        if any(c["ranked_by"][0] != "grid" for c in filled):
            # per cell: ["grid", 0], ["traffic", calls reaching it] or
            # ["neighbours", calls of the reached cells next to it]; the
            # times of such a cell are means over those calls
            classes[-1]["ranked_by"] = [list(c["ranked_by"]) for c in filled]
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "provenance": provenance_dict(table),
        "candidates": [{"name": c["name"], "code_hash": c["code_hash"],
                        "legacy_route": c["legacy_route"]} for c in table["candidates"]],
        "classes": classes,
    }


def model_json(model, topk=TOPK):
    """The JSON object of the table of model keeping topk per cell."""
    return table_json(flatten(model, topk))


def provenance_dict(table):
    return {
        "content_sha256": table["content_sha256"],
        "device_class": "%s:%d" % (table["arch"], table["cu_count"]),
        "devices": table["devices"],
        "candidates": {c["name"]: c["code_hash"] for c in table["candidates"]},
        "timing_policies": table["timing_policies"],
        "tuner_versions": table["tuner_versions"],
        "newest_measurement": table["newest_measurement"],
        "winner_rule": table["winner_rule"],
    }


def json_text(obj):
    """JSON safe inside a C block comment: ASCII, no '*/', no '??' trigraphs.
    '/' and '?' only occur inside JSON strings, where escapes keep them."""
    lines = []
    top = dict(obj)
    classes = top.pop("classes", [])
    head = json.dumps(top, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    lines.append(head[:-1] + ',"classes":[')
    for i, k in enumerate(classes):
        cells = k["cells"]
        rest = {key: v for key, v in k.items() if key != "cells"}
        body = json.dumps(rest, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
        lines.append(body[:-1] + ',"cells":[')
        for j, c in enumerate(cells):
            lines.append(json.dumps(c, ensure_ascii=True, separators=(",", ":"))
                         + ("," if j + 1 < len(cells) else ""))
        lines.append("]}" + ("," if i + 1 < len(classes) else ""))
    lines.append("]}")
    text = "\n".join(lines)
    return text.replace("/", "\\/").replace("?", "\\u003f")


def read_header_json(path):
    """The JSON block of a generated header, or GenError."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise GenError("%s: cannot read: %s" % (path, e))
    start = text.find(JSON_BEGIN + "\n")
    if start < 0:
        raise GenError("%s: not an attnroute db nor a generated header (no "
                       "attnroute-table-json block)" % path)
    start += len(JSON_BEGIN) + 1
    end = text.find("\n" + JSON_END, start)
    try:
        obj = json.loads(text[start:end])
    except ValueError as e:
        raise GenError("%s: bad attnroute-table-json block: %s" % (path, e))
    if obj.get("format") != JSON_FORMAT or obj.get("version", 99) > JSON_VERSION:
        raise GenError("%s: attnroute-table-json version %r not supported"
                       % (path, obj.get("version")))
    return obj
