#!/usr/bin/env python3
"""attnroute_gen.py -- generate the attnroute C dispatch table from a db.

Reads an attnroute measurement db (db/schema.sql) read-only and writes one C
header holding an attnroute_table (runtime/include/attnroute.h) for one device
class (arch, CU count): the candidates, one class per static problem feature
set, and per class the full grid of tuned axes with the measured top-K
candidates of every cell.  The output is deterministic: the same db content
gives the same bytes (no dates, no row ids, no absolute paths).

    attnroute_gen.py DB -o HEADER [--text TEXT] [--name IDENT] [--device ARCH:CU]
                     [--allow-stale] [--lookup nearest_log|floor|tree|auto]
                     [--ragged-key auto|longest|mean|equiv] [--edge auto|legacy|clamp]
                     [--traffic auto|on|off]
                     [--topk N] [--library LIB.so [--cc CC] [--include-dir DIR]]
                     [--previous OLD_DB] [--min-gain PCT]

-o writes the header, --text the same table in the text format below (for
tools/eval's attnroute-eval, which loads a table at run time), --library a
compiled table: a shared library exporting the table as
attnroute_table_export() (gen/attnroute_table_export.c, built with --cc,
default $CC or cc, against the attnroute.h in --include-dir, default the
runtime's include folder next to this script, in the source or the install
tree), for engines that load tables at run time (Python's attnroute.Table);
at least one of the three is required.  Every class's comment in the header gives the
held-out (leave-one-out) slowdown of each lookup; --lookup auto keeps the
least.  The default lookup is DEFAULT_LOOKUP below, the one every part of
attnroute uses (the main job, the shipped tables, attnroute_report.py's
regret): the lookup with the least regret on off-grid shapes measured on
the H100 (docs/PERF.md, "Regret on off-grid shapes").

Schema v1 and v2 dbs are read.  The cells come from the grid shapes
(uniform batches no trace call refers to); ragged shapes (shape.seqs) and
trace calls (trace_call) are the calibration set: on it each class's ragged
key (attnroute_ragged_key: which batch features key the axes) and edge rules
(attnroute_class.edge_clamp: which grid edges a problem past them is clamped
to) are chosen by the time of the calls under the runtime's picks, misses
answered by the legacy policy post-1345 at the call's step (--ragged-key and
--edge force them).  Without calibration shapes a class keeps the longest
key and the default edge rules (clamp num_seqs, seqlen_q and cached; the
legacy gate past the head axes).  Then traffic (--traffic): each cell the
calibration calls reach (under the key and edge rules) may be ranked by
those calls instead -- each candidate's total time over them and the cell's
own grid shape -- which also fills cells the grid left unmeasured (a
max_context_tokens bound).  auto does so when it is faster on the calls out
of sample (two folds: ranked on half the calls, scored on the other half)
than the grid's cells are in sample.  A db that holds a trace sample of the
engine's traffic (attnroute-tune --trace, attnroute-merge into the grid's
db) so gets a table tuned on that traffic.  The header comment of each
class gives the times that chose all of it.

Winner rule (noise): a cell's first candidate is its incumbent -- the pick
of the previous table (--previous OLD_DB, the db that table came from; when
re-tuning into a db, a copy of it as it was) or else the candidate standing
in for the route the post-1345 gates take there -- unless the fastest beats
it by more than max(--min-gain (default 1%), the larger of the two
half-spreads (p90 - p10) / 2 / median): each median outside the other's
spread.  The rest follow in measured order, equal times by name.  The
header says how many cells kept their incumbent so.

Exit status: 0 written, 2 bad input (not an attnroute db, newer schema,
mixed device classes, stale candidates, malformed rows) or an output that
cannot be written, 1 other failure.

Text format (--text), version 2 (version 1, for table ABI 1, had no
RAGGED_KEY and EDGE_CLAMP).  Line-oriented ASCII, '\n' line ends, one
space between fields, no other whitespace.  The first line is exactly
"attnroute-table-text 2"; after it, lines starting with '#' are comments.
Then, in this order (UPPER = a field; INT decimal int32, no '+', no
leading zeros; HEX 0x + 8 lower-case hex digits, uint32; STR a string: the
bytes outside '!'..'~' and '%' written as %XX (two upper-case hex digits),
and only those, the empty string as a lone '-', the string "-" as %2D):

    abi INT                       ATTNROUTE_TABLE_ABI
    topk INT                      ATTNROUTE_TOPK
    arch STR
    cu_count INT
    device_name STR
    memory_mib INT                device memory of the tuned device, MiB (0 unknown)
    product STR                   its name as the driver reports it
    provenance STR
    candidates N
    candidate NAME CODE_HASH LEGACY_ROUTE HEAD_DIM_MASK Q_DTYPE_MASK
              KV_DTYPE_MASK BLOCK_SIZE_MASK SINKS WINDOW CAUSAL
              MAX_SEQLEN_Q GQA_EXACT              (N lines; masks HEX, the rest
                                                  STR STR then INT)
    classes M
    then M times:
      class HEAD_DIM Q_DTYPE KV_DTYPE HAS_SINKS SLIDING_WINDOW KV_BLOCK_SIZE
            CAUSAL LOOKUP NUM_NODES RAGGED_KEY EDGE_CLAMP
                                                  (INT but EDGE_CLAMP HEX; dtypes,
                                                  lookup and ragged key as
                                                  attnroute_dtype / _lookup /
                                                  _ragged_key)
      axis num_seqs LEN V...      the five axes in attnroute_axis order
      axis seqlen_q LEN V...      (num_seqs, seqlen_q, cached, q_heads, gqa),
      axis cached LEN V...        V ascending
      axis q_heads LEN V...
      axis gqa LEN V...
      cell NS SQ CACHED HQ GQA S0 .. S{TOPK-1}    one line per cell, row-major
                                  (num_seqs slowest), the cell's grid values
                                  then its slots (candidate index or 255)
      node AXIS THRESHOLD LEFT RIGHT S0 .. S{TOPK-1}   NUM_NODES lines;
                                  THRESHOLD the float32 written "%.9g"
    end

Nothing may follow "end".  The loaded table equals the header's
attnroute_table field by field.

The module is also imported by tools/attnroute_diff.py and
tools/attnroute_report.py: load_model() turns a db into the table model,
model_json() into the JSON block embedded in every header.  Python 3 standard
library only.
"""

import argparse
import hashlib
import json
import math
import os
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile
import urllib.parse

APPLICATION_ID = 1095914580  # "ARTT"
VERSION = "0.1.0"            # attnroute's version (CMakeLists.txt project()); the tools' --version
SCHEMA_VERSION = 2           # newest PRAGMA user_version understood
TABLE_ABI = 2                # ATTNROUTE_TABLE_ABI the emitted layout matches
TOPK = 4                     # ATTNROUTE_TOPK
NO_CANDIDATE = 255           # ATTNROUTE_NO_CANDIDATE
JSON_BEGIN = "/* attnroute-table-json"
JSON_END = "*/"
JSON_FORMAT = "attnroute-table-json"
JSON_VERSION = 1
TEXT_MAGIC = "attnroute-table-text"
TEXT_VERSION = 2

AXES = ("num_seqs", "seqlen_q", "cached", "num_q_heads", "gqa")
AXIS_LABELS = ("num_seqs", "seqlen_q", "cached", "q_heads", "gqa")
STATIC = ("head_dim", "q_dtype", "kv_dtype", "has_sinks", "sliding_window",
          "kv_block_size", "causal")

# attnroute_dtype values, with the spellings a db may use.
DTYPE_CODES = {"bf16": 0, "fp16": 1, "fp8_e4m3": 2, "fp32": 3}

# Winner rule: the cell's incumbent (the previous table's pick with
# --previous, else the legacy stand-in of the post-1345 gates) keeps first
# place unless the fastest beats it by more than the largest of MIN_GAIN and
# the two candidates' measured half-spreads ((p90 - p10) / 2 / median).
DEFAULT_MIN_GAIN = 0.01
DTYPE_ALIASES = {
    "bf16": "bf16", "bfloat16": "bf16",
    "fp16": "fp16", "f16": "fp16", "half": "fp16", "float16": "fp16",
    "fp8_e4m3": "fp8_e4m3", "fp8": "fp8_e4m3", "e4m3": "fp8_e4m3",
    "fp8e4m3": "fp8_e4m3", "float8_e4m3fn": "fp8_e4m3", "fp8_e4m3fn": "fp8_e4m3",
    "fp32": "fp32", "f32": "fp32", "float": "fp32", "float32": "fp32",
}
DTYPE_NAMES = {v: k for k, v in DTYPE_CODES.items()}

LOOKUPS = {"nearest_log": 0, "floor": 1, "tree": 2}
# The one default lookup (see the module doc); change it here only.
DEFAULT_LOOKUP = "floor"
LOOKUP_NAMES = {v: k for k, v in LOOKUPS.items()}
ROUTE_NAMES = {-1: "none", 0: "dense_sink_asm", 1: "triton_paged",
               2: "triton_splitkv", 3: "asm_paged_decode", 4: "triton_paged_gather",
               5: "triton_splitkv_gather", 6: "asm_persistent_decode",
               7: "gluon_paged_decode", 8: "asm_pa_fwd", 9: "dense_varlen",
               10: "engine_error"}  # attnroute_route (runtime/include/attnroute.h)

CAPS_FIELDS = ("head_dim_mask", "q_dtype_mask", "kv_dtype_mask", "block_size_mask",
               "sinks", "window", "causal", "max_seqlen_q", "gqa_exact")
CAP_WORDS = {"forbidden": 0, "required": 1, "optional": 2}

# attnroute_ragged_key values, and the edge-rule bits of attnroute_class.edge_clamp.
RAGGED_KEYS = {"longest": 0, "mean": 1, "equiv": 2}
RAGGED_NAMES = {v: k for k, v in RAGGED_KEYS.items()}


def edge_bit(axis, above):
    """ATTNROUTE_EDGE_BELOW(axis) / ATTNROUTE_EDGE_ABOVE(axis)."""
    return 1 << (2 * axis + (1 if above else 0))


# With no shape past an edge measured: clamp the axes engines vary call by
# call (num_seqs, seqlen_q, cached), the legacy gate for the heads.
EDGE_DEFAULT = sum(edge_bit(a, up) for a in range(3) for up in (False, True))
EDGE_POLICY = 0              # legacy policy the edge rules are measured against (post-1345)
# The engine switches of the generator's legacy references (incumbents and
# edge rules): unified attention on, the configuration PR #1345 changed
# (tools/legacy.py defaults to ATOM's own default, off).
LEGACY_ENV = {"use_unified_attn": 1}
MISS_PENALTY = 4.0           # cost of a pick not measured ok, in units of the call's best
STEPS = {"auto": 0, "prefill": 1, "decode": 2}  # attnroute_step

TREE_MAX_DEPTH = 12
TREE_MISS_COST = math.log(4.0)  # tree cost of a candidate not measured ok in a cell


class GenError(Exception):
    """Bad input: reported on stderr, exit status 2."""


# --------------------------------------------------------------------------
# Reading the db.

def open_db(path):
    """Open path read-only as an attnroute db; GenError names the file."""
    if not os.path.exists(path):
        raise GenError("%s: no such file" % path)
    if not os.path.isfile(path):
        raise GenError("%s: not a regular file" % path)
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:16] != b"SQLite format 3\x00":
        raise GenError("%s: not an attnroute db (not an SQLite database)" % path)
    # A WAL-mode db (header bytes 18-19 = 2) with no -wal beside it is the
    # whole db: read it as immutable.  A read-only connection would create
    # -wal and -shm files next to it (and leave them, since it cannot
    # checkpoint), which fails on read-only storage (a build from a
    # read-only tree).  With a -wal there (a tuner running, or killed), the
    # ordinary read-only connection reads it.
    wal_mode = len(head) == 20 and head[18] == 2 and head[19] == 2
    has_wal = os.path.exists(path + "-wal")
    uri = "file:%s?%s" % (urllib.parse.quote(os.path.abspath(path)),
                          "immutable=1" if wal_mode and not has_wal else "mode=ro")
    try:
        conn = sqlite3.connect(uri, uri=True)
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as e:
        hint = ""
        if os.path.exists(path + "-journal"):
            hint = ("; it has a hot journal (a tuner killed mid-transaction): the next "
                    "attnroute-tune run on it rolls that back")
        elif has_wal and not os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
            hint = ("; it has a -wal file that needs a -shm beside it: checkpoint it where "
                    "it can be written (attnroute-tune --dry-run does not; sqlite3 DB "
                    "'PRAGMA wal_checkpoint(TRUNCATE)' does)")
        raise GenError("%s: cannot read as SQLite: %s%s" % (path, e, hint))
    if app_id != APPLICATION_ID:
        conn.close()
        raise GenError("%s: not an attnroute db (application_id %d, expected %d)"
                       % (path, app_id, APPLICATION_ID))
    if version > SCHEMA_VERSION or version < 1:
        conn.close()
        raise GenError("%s: schema version %d not supported (this generator reads "
                       "1..%d; update attnroute)" % (path, version, SCHEMA_VERSION))
    return conn


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
    t = str(text).strip().lower()
    if t in DTYPE_ALIASES:
        return DTYPE_ALIASES[t]
    if t.isdigit() and int(t) in DTYPE_NAMES:
        return DTYPE_NAMES[int(t)]
    raise GenError("%s: unknown dtype %r" % (what, text))


MEASUREMENT_QUERY = """
SELECT s.id, %s,
       d.vendor, d.arch, d.cu_count, d.name, d.memory_bytes, d.driver_version,
       d.runtime_version,
       c.name, c.family, c.params, c.code_hash, c.legacy_route, c.caps,
       s.head_dim, s.q_dtype, s.kv_dtype, s.has_sinks, s.sliding_window,
       s.kv_block_size, s.causal, s.num_seqs, s.seqlen_q, s.seqlen_k,
       s.num_q_heads, s.num_kv_heads,
       m.status, m.median_us, m.p10_us, m.p90_us, m.reps, m.rel_err, m.message,
       m.measured_at,
       r.tuner_version, r.timing_policy, r.started_at
FROM measurement m
JOIN device d ON d.id = m.device_id
JOIN candidate c ON c.id = m.candidate_id
JOIN shape s ON s.id = m.shape_id
JOIN run r ON r.id = m.run_id
"""

DEVICE_KEYS = ("vendor", "arch", "cu_count", "name", "memory_bytes",
               "driver_version", "runtime_version")
CAND_KEYS = ("name", "family", "params", "code_hash", "legacy_route", "caps")
SHAPE_KEYS = ("head_dim", "q_dtype", "kv_dtype", "has_sinks", "sliding_window",
              "kv_block_size", "causal", "num_seqs", "seqlen_q", "seqlen_k",
              "num_q_heads", "num_kv_heads")
MEAS_KEYS = ("status", "median_us", "p10_us", "p90_us", "reps", "rel_err",
             "message", "measured_at")
RUN_KEYS = ("tuner_version", "timing_policy", "started_at")


STATUSES = ("ok", "unsupported", "wrong", "fault", "timeout")
INT_RANGES = {  # column -> inclusive range a table can hold
    "cu_count": (1, 2**31 - 1), "memory_bytes": (0, 2**63 - 1),
    "legacy_route": (-2**31, 2**31 - 1), "reps": (0, 2**63 - 1),
}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v):
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def check_row(row, path):
    """Refuse a measurement row whose values the schema's types allow but no
    tuner writes: text where numbers belong, a cu_count past int32, a status
    outside the list, an ok time that is missing, zero, negative, infinite or
    text, NUL bytes in names.  GenError names the db, candidate and shape."""
    dev = dict(zip(DEVICE_KEYS, row["device"]))
    cand = dict(zip(CAND_KEYS, row["cand"]))
    shape = dict(zip(SHAPE_KEYS, row["shape"]))
    meas = dict(zip(MEAS_KEYS, row["meas"]))
    name = cand["name"]
    where = "%s: measurement of %r on shape %s" % (path, name, tuple(row["shape"]))

    def bad(what):
        raise GenError("%s: %s" % (where, what))

    for group in (dev, cand):
        for k, v in group.items():
            if k in INT_RANGES:
                if not _is_int(v):
                    bad("%s %r is not an integer" % (k, v))
                lo, hi = INT_RANGES[k]
                if not lo <= v <= hi:
                    bad("%s %d is out of range [%d, %d]" % (k, v, lo, hi))
            elif not isinstance(v, str):
                bad("%s %r is not text" % (k, v))
            elif "\0" in v:
                bad("%s contains a NUL byte" % k)
    if not name:
        bad("the candidate name is empty")
    for k, v in shape.items():
        if k in ("q_dtype", "kv_dtype"):
            if not isinstance(v, (str, int)) or isinstance(v, bool):
                bad("%s %r is not a dtype" % (k, v))
        elif not _is_int(v):
            bad("shape %s %r is not an integer" % (k, v))
    if meas["status"] not in STATUSES:
        bad("status %r is not one of %s" % (meas["status"], ", ".join(STATUSES)))
    if not _is_int(meas["reps"]) or meas["reps"] < 0:
        bad("reps %r is not a count" % (meas["reps"],))
    if meas["status"] == "ok":
        t = meas["median_us"]
        if not _is_real(t) or t <= 0:
            bad("status ok with median_us %r (a time must be a finite number > 0)" % (t,))
        for k in ("p10_us", "p90_us"):
            if meas[k] is not None and (not _is_real(meas[k]) or meas[k] < 0):
                bad("status ok with %s %r" % (k, meas[k]))
    for k in ("message", "measured_at"):
        if not isinstance(meas[k], str):
            bad("%s %r is not text" % (k, meas[k]))
    for k, v in zip(RUN_KEYS, row["run"]):
        if not isinstance(v, str):
            bad("run %s %r is not text" % (k, v))


def has_column(conn, table, column):
    return any(r[1] == column for r in conn.execute("PRAGMA table_info(%s)" % table))


def read_rows(conn, path):
    """Every measurement row, grouped; a row's "shape" is the shape's columns,
    with the ragged sequence list appended when it has one (schema v2)."""
    try:
        seqs = "s.seqs" if has_column(conn, "shape", "seqs") else "''"
        raw = conn.execute(MEASUREMENT_QUERY % seqs).fetchall()
    except sqlite3.Error as e:
        raise GenError("%s: cannot read measurements: %s" % (path, e))
    rows = []
    for r in raw:
        i = 2
        row = {"shape_id": r[0]}
        if not isinstance(r[1], str):
            raise GenError("%s: shape %r: seqs %r is not text" % (path, r[0], r[1]))
        for group, keys in (("device", DEVICE_KEYS), ("cand", CAND_KEYS),
                            ("shape", SHAPE_KEYS), ("meas", MEAS_KEYS),
                            ("run", RUN_KEYS)):
            row[group] = tuple(r[i:i + len(keys)])
            i += len(keys)
        check_row(row, path)
        if r[1]:
            row["shape"] += (r[1],)
        rows.append(row)
    return rows


def read_trace_calls(conn, path):
    """{shape id: [(trace, call_index, step)]} from trace_call (schema v2;
    {} when the db has no such table)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                        "name = 'trace_call'").fetchone():
        return {}
    calls = {}
    try:
        rows = conn.execute("SELECT trace, call_index, step, shape_id FROM trace_call "
                            "ORDER BY trace, call_index").fetchall()
    except sqlite3.Error as e:
        raise GenError("%s: cannot read trace calls: %s" % (path, e))
    for trace, index, step, shape_id in rows:
        if step not in ("prefill", "decode") or not isinstance(trace, str):
            raise GenError("%s: trace call %r %r: step %r is not prefill or decode"
                           % (path, trace, index, step))
        calls.setdefault(shape_id, []).append((trace, index, step))
    return calls


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


def row_sort_key(r):
    return json.dumps([r["device"], r["cand"], r["shape"], r["meas"], r["run"]])


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
    pick at point (default engine env), or None."""
    legacy = import_legacy()
    ns, sq, cached, hq, gqa = point
    p = legacy.problem(ns, sq, sq + cached, hq, hq // gqa, static["head_dim"],
                       DTYPE_CODES[static["q_dtype"]], DTYPE_CODES[static["kv_dtype"]],
                       static["has_sinks"], static["sliding_window"],
                       static["kv_block_size"], static["causal"])
    route = legacy.legacy_route(legacy.POLICY_POST_1345, p, LEGACY_ENV)
    bit = static["head_dim"] // 16 - 1
    for c in candidates:
        if c["legacy_route"] == route and 0 <= bit < 32 and c["caps"]["head_dim_mask"] >> bit & 1:
            return c["name"]
    return None


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


# --------------------------------------------------------------------------
# Lookups in Python, mirroring the runtime, for the tree and for --lookup auto.

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


def caps_allow(caps, p):
    """runtime/src/caps.c attnroute_caps_allow (p valid)."""
    def bit(mask, b):
        return 0 <= b <= 31 and (mask >> b) & 1

    def cap_ok(cap, present):
        return {0: not present, 1: present, 2: True}.get(cap, False)

    hd = p["head_dim"]
    if hd < 16 or hd > 512 or hd % 16 or not bit(caps["head_dim_mask"], hd // 16 - 1):
        return False
    if not bit(caps["q_dtype_mask"], p["q_dtype"]) or not bit(caps["kv_dtype_mask"], p["kv_dtype"]):
        return False
    if caps["block_size_mask"]:
        b = p["kv_block_size"]
        if b <= 0 or b & (b - 1) or not bit(caps["block_size_mask"], b.bit_length() - 1):
            return False
    if not cap_ok(caps["sinks"], p["has_sinks"] != 0):
        return False
    if not cap_ok(caps["window"], p["sliding_window"] > 0):
        return False
    if not cap_ok(caps["causal"], p["causal"] != 0):
        return False
    if caps["max_seqlen_q"] and p["max_seqlen_q"] > caps["max_seqlen_q"]:
        return False
    if caps["gqa_exact"] and p["num_q_heads"] // p["num_kv_heads"] != caps["gqa_exact"]:
        return False
    return True


def import_legacy():
    """tools/legacy.py (installed next to this file, or in ../tools)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (here, os.path.join(os.path.dirname(here), "tools")):
        if os.path.isfile(os.path.join(d, "legacy.py")):
            if d not in sys.path:
                sys.path.insert(0, d)
            import legacy
            return legacy
    raise GenError("legacy.py (the legacy gates in Python) not found next to "
                   "attnroute_gen.py or in ../tools")



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


def cell_ranking(klass, axes_point, topk):
    return [n for n, _ in kept(klass["cells"].get(axes_point, []), topk, klass["family"])]


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


# --------------------------------------------------------------------------
# Decision tree (ATTNROUTE_LOOKUP_TREE): CART over log2(1 + axis) features.
# A node's cost is the least summed log-slowdown (t / best of the cell) any
# one candidate reaches over its cells (TREE_MISS_COST where the candidate was
# not measured ok); splits minimise the children's cost, then the impurity of
# the cells' winners, scanning each axis once with running sums.  A leaf
# ranks its candidates by that summed cost.

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


# --------------------------------------------------------------------------
# Held-out evaluation: hide one interior value of one axis, predict the hidden
# cells from the rest, and measure the slowdown against each cell's best.

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
                times = dict(ranked)
                pick = None
                for n in predict_grid(klass, point, method, topk, grid_axes, cells, nodes):
                    if n in times:
                        pick = times[n]
                        break
                if pick is None:
                    unanswered += 1
                    continue
                r = pick / ranked[0][1]
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
                         for m in ("nearest_log", "floor", "tree")})
        klass["holdout"] = cached
    return cached[1]


def choose_lookup(klass, topk, names):
    """--lookup auto: the method with the lowest held-out geomean slowdown,
    fewest unanswered cells first; nearest_log on ties."""
    best = None
    results = holdout_all(klass, topk, names)
    for method in ("nearest_log", "floor", "tree"):
        geo, _, _, missed = results[method]
        key = (missed, round(geo, 9))
        if best is None or key < best[0]:
            best = (key, method)
    return best[1]


# --------------------------------------------------------------------------
# The JSON block: what tools/attnroute_diff.py reads back from a header.

def model_json(model, topk=TOPK):
    classes = []
    for k in model["classes"]:
        cells, spread = [], []
        for point in sorted(k["cells"]):
            ranked = kept(k["cells"][point], topk, k["family"])
            if ranked:
                cells.append(list(point) + [[[n, t] for n, t in ranked]])
                sp = k.get("spread", {}).get(point, {})
                spread.append([list(sp.get(n) or (None, None)) for n, _ in ranked])
        classes.append({"static": k["static"], "lookup": k["lookup"],
                        "axes": dict(zip(AXES, k["axes"])), "cells": cells,
                        "spread_us": spread,  # per cell, per kept candidate: [p10, p90]
                        "ragged_key": k["ragged_key"], "edge_clamp": k["edge_clamp"]})
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "provenance": provenance_dict(model),
        "candidates": [{"name": c["name"], "code_hash": c["code_hash"],
                        "legacy_route": c["legacy_route"]} for c in model["candidates"]],
        "classes": classes,
    }


def provenance_dict(model):
    return {
        "content_sha256": model["content_sha256"],
        "device_class": "%s:%d" % (model["arch"], model["cu_count"]),
        "devices": model["devices"],
        "candidates": {c["name"]: c["code_hash"] for c in model["candidates"]},
        "timing_policies": model["timing_policies"],
        "tuner_versions": model["tuner_versions"],
        "newest_measurement": model["newest_measurement"],
        "winner_rule": model["winner_rule"],
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


# --------------------------------------------------------------------------
# C output.

def c_string(s):
    out = ['"']
    prev = ""
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "?" and prev == "?":
            out.append("\\?")
        elif 32 <= o < 127:
            out.append(ch)
        else:
            for b in ch.encode("utf-8"):
                out.append('\\%03o' % b)
        prev = ch
    out.append('"')
    return "".join(out)


def c_float(x):
    """A float literal (without the f) that reads back as float32(x)."""
    text = "%.9g" % float32(x)
    if not any(ch in text for ch in ".en"):
        text += ".0"
    return text


def comment_text(s):
    """Text safe in a C block comment."""
    s = "".join(ch if 32 <= ord(ch) < 127 else "." for ch in str(s))
    while "*/" in s or "/*" in s or "??" in s:
        s = s.replace("*/", "*_/").replace("/*", "/_*").replace("??", "?_?")
    return s


def identifier(s):
    s = re.sub(r"[^A-Za-z0-9_]", "_", s)
    if not s or s[0].isdigit():
        s = "_" + s
    return s


def fmt_us(t):
    return "%.4g us" % t


def command_line(args, output=None):
    """The generating command, path-independent (basenames, canonical order),
    naming `output` (default: the header) as what it writes."""
    if output is None:
        parts = ["attnroute_gen.py", os.path.basename(args.db), "-o",
                 os.path.basename(args.output)]
    else:
        parts = ["attnroute_gen.py", os.path.basename(args.db), "--text",
                 os.path.basename(output)]
    if args.name:
        parts += ["--name", args.name]
    if args.device:
        parts += ["--device", args.device]
    if args.allow_stale:
        parts.append("--allow-stale")
    if args.lookup != DEFAULT_LOOKUP:
        parts += ["--lookup", args.lookup]
    if args.ragged_key != "auto":
        parts += ["--ragged-key", args.ragged_key]
    if args.edge != "auto":
        parts += ["--edge", args.edge]
    if args.traffic != "auto":
        parts += ["--traffic", args.traffic]
    if args.topk != TOPK:
        parts += ["--topk", str(args.topk)]
    return " ".join(parts)


def provenance_string(model):
    devs = "; ".join("%s %s %d %s driver %s runtime %s" % (
        d["vendor"], d["arch"], d["cu_count"], d["name"], d["driver_version"],
        d["runtime_version"]) for d in model["devices"])
    return ("attnroute table from db content sha256:%s; device %s; tuner %s; "
            "timing %s; newest measurement %s" % (
                model["content_sha256"], devs, ", ".join(model["tuner_versions"]),
                " | ".join(model["timing_policies"]), model["newest_measurement"]))


def class_label(static):
    return ("head_dim=%d q=%s kv=%s sinks=%d window=%d block=%d causal=%d" % (
        static["head_dim"], static["q_dtype"], static["kv_dtype"], static["has_sinks"],
        static["sliding_window"], static["kv_block_size"], static["causal"]))


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
    for method in ("nearest_log", "floor", "tree"):
        geo, worst, n, missed = results[method]
        lines.append("  %-11s geomean %.4f max %.4f (%d cells scored, %d unanswered)%s" % (
            method, geo, worst, n, missed,
            "  <- used" if method == klass["lookup"] else ""))
    return lines


def render_header(model, name, cmdline, topk):
    names = [c["name"] for c in model["candidates"]]
    index = {n: i for i, n in enumerate(names)}
    guard = "ATTNROUTE_GEN_" + name.upper() + "_H"
    out = []
    w = out.append
    w("/*")
    w("** generated by gen/attnroute_gen.py, do not edit.")
    w("**")
    w("** command: %s" % comment_text(cmdline))
    w("** db content: sha256:%s" % model["content_sha256"])
    w("**   (sha256 over a sorted canonical dump of the rows used: devices,")
    w("**   candidates, shapes, measurements, runs' timing policies)")
    w("** device class: %s:%d" % (comment_text(model["arch"]), model["cu_count"]))
    for d in model["devices"]:
        w("**   vendor=%s arch=%s cu_count=%d name=\"%s\" memory_bytes=%d" % tuple(
            comment_text(x) if isinstance(x, str) else x for x in (
                d["vendor"], d["arch"], d["cu_count"], d["name"], d["memory_bytes"])))
        w("**   driver=%s runtime=%s" % (comment_text(d["driver_version"]),
                                         comment_text(d["runtime_version"])))
    w("** newest measurement: %s" % comment_text(model["newest_measurement"]))
    w("** tuner: %s" % comment_text(", ".join(model["tuner_versions"])))
    for p in model["timing_policies"]:
        w("** timing policy: %s" % comment_text(p))
    w("** winner rule: %s" % comment_text(model["winner_rule"]))
    w("**")
    w("** candidates (index, name, legacy route, code hash):")
    for i, c in enumerate(model["candidates"]):
        w("**   %2d %-28s %-16s %s" % (i, comment_text(c["name"]),
                                       ROUTE_NAMES[c["legacy_route"]],
                                       comment_text(c["code_hash"]) or "-"))
    for ci, k in enumerate(model["classes"]):
        w("**")
        w("** class %d: %s, lookup %s" % (ci, class_label(k["static"]), k["lookup"]))
        ncells = 1
        for i, a in enumerate(AXES):
            ncells *= len(k["axes"][i])
            w("**   %-10s %s" % (AXIS_LABELS[i], " ".join(str(v) for v in k["axes"][i])))
        wins = {}
        for ranked in k["cells"].values():
            if ranked:
                wins[ranked[0][0]] = wins.get(ranked[0][0], 0) + 1
        filled = sum(wins.values())
        w("**   cells: %d (%d with a winner, %d empty)" % (ncells, filled, ncells - filled))
        for n in sorted(wins, key=lambda n: (-wins[n], n)):
            w("**     %5d  %s" % (wins[n], comment_text(n)))
        held = k.get("held") or {}
        if held:
            w("**   incumbent kept within noise: %d cells (the fastest was up to %.2f%% faster)"
              % (len(held), 100.0 * max(g for _, _, g in held.values())))
        for line in holdout_lines(k):
            w("**   " + line)
        for line in batch_rule_lines(k):
            w("**   " + comment_text(line))
    w("*/")
    w(JSON_BEGIN)
    w(json_text(model_json(model, topk)))
    w(JSON_END)
    w("#ifndef %s" % guard)
    w("#define %s" % guard)
    w("")
    w('#include "attnroute.h"')
    w("")
    w("#if ATTNROUTE_TABLE_ABI != %d || ATTNROUTE_TOPK != %d || ATTNROUTE_NO_CANDIDATE != %d"
      % (TABLE_ABI, TOPK, NO_CANDIDATE))
    w('#error "table generated for another attnroute table ABI; regenerate it"')
    w("#endif")
    w("")
    w("static const attnroute_candidate %s__candidates[%d] = {" % (name, len(names)))
    for c in model["candidates"]:
        cp = c["caps"]
        w("  {%s, %s, %d," % (c_string(c["name"]), c_string(c["code_hash"]),
                              c["legacy_route"]))
        w("   {0x%08xu, 0x%08xu, 0x%08xu, 0x%08xu, %d, %d, %d, %d, %d}}," % tuple(
            cp[f] for f in CAPS_FIELDS))
    w("};")
    for ci, k in enumerate(model["classes"]):
        w("")
        w("/* class %d: %s */" % (ci, class_label(k["static"])))
        for i, a in enumerate(AXES):
            w("static const int32_t %s__c%d_%s[%d] = {%s};" % (
                name, ci, a, len(k["axes"][i]), ", ".join(str(v) for v in k["axes"][i])))
        ncells = 1
        for v in k["axes"]:
            ncells *= len(v)
        inner = len(k["axes"][3]) * len(k["axes"][4])
        w("/* cells, %d slots each (255 = none): a line per (num_seqs, seqlen_q, "
          "cached) holds %d cells, q_heads slower than gqa */" % (TOPK, inner))
        w("static const uint8_t %s__c%d_cells[%d] = {" % (name, ci, ncells * TOPK))
        for ns in k["axes"][0]:
            for sq in k["axes"][1]:
                for cached in k["axes"][2]:
                    slots = []
                    for hq in k["axes"][3]:
                        for gqa in k["axes"][4]:
                            ranked = k["cells"].get((ns, sq, cached, hq, gqa), [])
                            idx = [index[n] for n, _ in kept(ranked, topk, k["family"])]
                            idx += [NO_CANDIDATE] * (TOPK - len(idx))
                            slots.append(",".join(str(x) for x in idx))
                    w("  %s, /* num_seqs=%d seqlen_q=%d cached=%d */" % (
                        ", ".join(slots), ns, sq, cached))
        w("};")
        if k.get("nodes"):
            w("static const attnroute_tree_node %s__c%d_nodes[%d] = {" % (
                name, ci, len(k["nodes"])))
            for ni, nd in enumerate(k["nodes"]):
                leaf = [index[n] for n in nd["leaf"][:topk]]
                leaf += [NO_CANDIDATE] * (TOPK - len(leaf))
                if nd["axis"] >= 0:
                    note = "%d: %s <= %.4g ? %d : %d" % (
                        ni, AXIS_LABELS[nd["axis"]], 2 ** nd["threshold"] - 1,
                        nd["left"], nd["right"])
                else:
                    note = "%d: leaf %s" % (ni, " ".join(nd["leaf"][:topk]) or "none")
                w("  {%d, %sf, %d, %d, {%s}}, /* %s */" % (
                    nd["axis"], c_float(nd["threshold"]), nd["left"], nd["right"],
                    ", ".join(str(x) for x in leaf), comment_text(note)))
            w("};")
    w("")
    w("static const attnroute_class %s__classes[%d] = {" % (name, len(model["classes"])))
    for ci, k in enumerate(model["classes"]):
        s = k["static"]
        w("  {%d, %d, %d, %d, %d, %d, %d, %d, /* %s, lookup %s */" % (
            s["head_dim"], DTYPE_CODES[s["q_dtype"]], DTYPE_CODES[s["kv_dtype"]],
            s["has_sinks"], s["sliding_window"], s["kv_block_size"], s["causal"],
            LOOKUPS[k["lookup"]], class_label(s), k["lookup"]))
        w("   {%s}," % ", ".join(str(len(v)) for v in k["axes"]))
        w("   {%s}," % ", ".join("%s__c%d_%s" % (name, ci, a) for a in AXES))
        nodes = k.get("nodes") or []
        w("   %s__c%d_cells, %d, %s," % (name, ci, len(nodes),
                                         ("%s__c%d_nodes" % (name, ci)) if nodes else "0"))
        w("   %d, 0x%08xu}, /* ragged key %s; edge rules: %s */" % (
            RAGGED_KEYS[k["ragged_key"]], k["edge_clamp"], k["ragged_key"],
            edge_text(k["edge_clamp"])))
    w("};")
    w("")
    w("static const attnroute_table %s = {" % name)
    w("  %d, (uint32_t)sizeof(attnroute_table)," % TABLE_ABI)
    w("  %s, %d," % (c_string(model["arch"]), model["cu_count"]))
    w("  %s," % c_string(model["device_name"]))
    w("  %s," % c_string(provenance_string(model)))
    w("  %d, %s__candidates," % (len(names), name))
    w("  %d, %s__classes," % (len(model["classes"]), name))
    w("  %d, %s" % (model["memory_mib"], c_string(model["product"])))
    w("};")
    w("")
    w("#endif /* %s */" % guard)
    return "\n".join(out) + "\n"


def text_string(s):
    """A STR field of the text format."""
    if s == "":
        return "-"
    out = []
    for b in s.encode("utf-8"):
        if 0x21 <= b <= 0x7E and b != 0x25:
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    text = "".join(out)
    return "%2D" if text == "-" else text


def render_text(model, cmdline, topk):
    """The table in the --text format (see the module doc), the same table
    render_header writes."""
    names = [c["name"] for c in model["candidates"]]
    index = {n: i for i, n in enumerate(names)}
    out = []
    w = out.append
    w("%s %d" % (TEXT_MAGIC, TEXT_VERSION))
    w("# generated by gen/attnroute_gen.py, do not edit")
    w("# command: %s" % comment_text(cmdline))
    w("# db content: sha256:%s" % model["content_sha256"])
    w("abi %d" % TABLE_ABI)
    w("topk %d" % TOPK)
    w("arch %s" % text_string(model["arch"]))
    w("cu_count %d" % model["cu_count"])
    w("device_name %s" % text_string(model["device_name"]))
    w("memory_mib %d" % model["memory_mib"])
    w("product %s" % text_string(model["product"]))
    w("provenance %s" % text_string(provenance_string(model)))
    w("candidates %d" % len(names))
    for c in model["candidates"]:
        cp = c["caps"]
        w("candidate %s %s %d 0x%08x 0x%08x 0x%08x 0x%08x %d %d %d %d %d" % ((
            text_string(c["name"]), text_string(c["code_hash"]), c["legacy_route"])
            + tuple(cp[f] for f in CAPS_FIELDS)))
    w("classes %d" % len(model["classes"]))
    for ci, k in enumerate(model["classes"]):
        st = k["static"]
        nodes = k.get("nodes") or []
        w("# class %d: %s, lookup %s" % (ci, class_label(st), k["lookup"]))
        for line in holdout_lines(k):
            w("# " + line)
        for line in batch_rule_lines(k):
            w("# " + comment_text(line))
        w("class %d %d %d %d %d %d %d %d %d %d 0x%08x" % (
            st["head_dim"], DTYPE_CODES[st["q_dtype"]], DTYPE_CODES[st["kv_dtype"]],
            st["has_sinks"], st["sliding_window"], st["kv_block_size"], st["causal"],
            LOOKUPS[k["lookup"]], len(nodes), RAGGED_KEYS[k["ragged_key"]], k["edge_clamp"]))
        for i, label in enumerate(AXIS_LABELS):
            w("axis %s %d %s" % (label, len(k["axes"][i]),
                                 " ".join(str(v) for v in k["axes"][i])))
        for ns in k["axes"][0]:
            for sq in k["axes"][1]:
                for cached in k["axes"][2]:
                    for hq in k["axes"][3]:
                        for gqa in k["axes"][4]:
                            ranked = k["cells"].get((ns, sq, cached, hq, gqa), [])
                            idx = [index[n] for n, _ in kept(ranked, topk, k["family"])]
                            idx += [NO_CANDIDATE] * (TOPK - len(idx))
                            w("cell %d %d %d %d %d %s" % (
                                ns, sq, cached, hq, gqa, " ".join(str(x) for x in idx)))
        for nd in nodes:
            leaf = [index[n] for n in nd["leaf"][:topk]]
            leaf += [NO_CANDIDATE] * (TOPK - len(leaf))
            w("node %d %s %d %d %s" % (nd["axis"], "%.9g" % float32(nd["threshold"]),
                                       nd["left"], nd["right"],
                                       " ".join(str(x) for x in leaf)))
    w("end")
    return "\n".join(out) + "\n"


def apply_lookup(model, lookup, topk, ragged_key="auto", edge="auto", traffic="auto"):
    """Sets every class's lookup (and tree nodes), then its ragged key and
    edge rules (choose_batch_rules); every class also gets the held-out
    slowdown of each method (k["holdout"]) for the header comment."""
    names = [c["name"] for c in model["candidates"]]
    for k in model["classes"]:
        holdout_all(k, topk, names)
        method = choose_lookup(k, topk, names) if lookup == "auto" else lookup
        k["lookup"] = method
        k["nodes"] = build_tree(k, topk, names) if method == "tree" else None
        choose_batch_rules(k, topk, model["candidates"], ragged_key, edge, traffic)


# --------------------------------------------------------------------------
# Ragged key and edge rules, chosen on the class's calibration shapes (ragged
# shapes, trace calls): every pick is the runtime's (table_ranking, caps), a
# miss is the legacy policy's stand-in (post-1345, the call's step), and a
# call costs its pick's measured time (MISS_PENALTY x its best when the pick
# did not run ok).

EDGE_CHOICES = {"auto": None, "legacy": 0, "clamp": (1 << (2 * len(AXES))) - 1}


class CallCost:
    """Costs of picks on a class's calibration shapes."""

    def __init__(self, klass, topk, cands):
        self.klass, self.topk = klass, topk
        self.cands = cands
        self.caps = {c["name"]: c["caps"] for c in cands}
        self.legacy = import_legacy()
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
        route = self.legacy.legacy_route(EDGE_POLICY, p, dict(LEGACY_ENV, step=STEPS[step]))
        for c in self.cands:
            if c["legacy_route"] == route and caps_allow(c["caps"], p):
                return c["name"]
        return None

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
            legacy = self.cost(e, best, key, 0)
            for bit in range(2 * len(AXES)):
                if out >> bit & 1:
                    calls, tc, tl = evidence.get(bit, (0, 0.0, 0.0))
                    evidence[bit] = (calls + clamped[1], tc + clamped[0], tl + legacy[0])
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
        mapped = {}
        for e, best in entries:
            point, out, _ = edge_point(k["axes"], problem_point(e["problem"], key), mask)
            cell = None if out else cell_point(k["axes"], point, k["lookup"])
            if cell is not None:
                mapped.setdefault(cell, []).append((e, best))
        cells = dict(k["cells"])
        reached = {}
        for cell, group in sorted(mapped.items()):
            evidence = [(sum(e["steps"].values()), e["meas"], best) for e, best in group]
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
            cells[cell] = [(n, t) for t, n in ranked]
            reached[cell] = sum(w for w, _, _ in evidence[:len(group)])
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


def choose_batch_rules(klass, topk, cands, ragged_key="auto", edge="auto", traffic="auto"):
    """Sets klass["ragged_key"] and klass["edge_clamp"]: the key (auto: the
    least total time on the class's calibration shapes, "longest" on ties or
    without any) and the edge bits (auto: per bit, clamped when the shapes
    past that edge ran no slower on the edge cell's pick than on the legacy
    policy's, EDGE_DEFAULT where no shape lies past it); then, with traffic
    on (auto: when it is faster out of sample, CallCost.traffic_total, than
    the grid's cells in sample), the cells the calibration calls reach are
    ranked by those calls (CallCost.traffic_cells).  The evidence goes to
    klass["batch_rules"] for the header comment."""
    forced_mask = EDGE_CHOICES[edge]
    keys = [ragged_key] if ragged_key != "auto" else list(RAGGED_KEYS)
    klass["batch_rules"] = None
    klass["traffic"] = None
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
    if best[1]:
        cells, reached = cc.traffic_cells(best[0], klass["edge_clamp"], cc.entries)
        if reached:
            held = klass.get("held", {})
            for cell in reached:
                held.pop(cell, None)
            klass["cells"] = cells
            klass["traffic"] = reached
    klass["batch_rules"] = {"results": results, "ragged": sum(1 for e, _ in cc.entries if e["seqs"]),
                            "shapes": len(cc.entries), "chosen_by": ragged_key,
                            "traffic_by": traffic, "used": best}


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
    evidence = rules["results"][used][1]
    for bit in sorted(evidence):
        calls, tc, tl = evidence[bit]
        lines.append("    past the %s edge of %s: %d calls, edge cell %.6g us, legacy %.6g us" % (
            "upper" if bit & 1 else "lower", AXIS_LABELS[bit // 2], calls, tc, tl))
    return lines


def edge_text(mask):
    sides = []
    for a, label in enumerate(AXIS_LABELS):
        lo, hi = mask & edge_bit(a, False), mask & edge_bit(a, True)
        if lo and hi:
            sides.append(label)
        elif lo or hi:
            sides.append("%s %s" % (label, "below" if lo else "above"))
    return ", ".join(sides) if sides else "none"


C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto
    if inline int long register restrict return short signed sizeof static struct switch
    typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex
    _Generic _Imaginary _Noreturn _Static_assert _Thread_local alignas alignof and and_eq
    asm bitand bitor bool catch char8_t char16_t char32_t class compl concept consteval
    constexpr constinit const_cast co_await co_return co_yield decltype delete dynamic_cast
    explicit export false friend mutable namespace new noexcept not not_eq nullptr operator
    or or_eq private protected public reinterpret_cast requires static_assert static_cast
    template this thread_local throw true try typeid typename using virtual wchar_t xor
    xor_eq NULL""".split())


def check_table_name(name):
    """--name must be a C identifier the header can define: not a C or C++
    keyword, not reserved to the implementation (leading underscore and
    capital, or two underscores)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise GenError("--name %r is not a C identifier" % name)
    if name in C_KEYWORDS:
        raise GenError("--name %r is a C or C++ keyword" % name)
    if re.match(r"_[A-Z_]", name) or "__" in name:
        raise GenError("--name %r is reserved to the C implementation (leading _ and a "
                       "capital, or __)" % name)


def check_output_path(path, what):
    """A directory cannot be written as a file: refuse it before any work."""
    if os.path.isdir(path):
        raise GenError("%s %s: is a directory" % (what, path))


def write_file(path, text):
    """Write text to path atomically (a temporary file beside it, renamed
    over it).  A symlink is written through (its target replaced, the link
    kept); a device or FIFO (/dev/null, /dev/stdout) is written directly,
    never replaced by a regular file.  On failure no temporary is left."""
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return
    target = os.path.realpath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target) or ".",
                               prefix=os.path.basename(target) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        if os.path.exists(target):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


EXPORT_SOURCE = "attnroute_table_export.c"


def runtime_include_dir():
    """The folder holding attnroute.h: the runtime's, next to this script
    in the source tree (gen/ -> runtime/include) or in an install tree
    (share/attnroute -> include)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "..", "runtime", "include"),
              os.path.join(here, "..", "..", "include")):
        if os.path.isfile(os.path.join(d, "attnroute.h")):
            return os.path.normpath(d)
    return None


def build_library(header_text, name, library, cc, include_dir):
    """Compile header_text (a generated table named `name`) into the shared
    library `library` through gen/attnroute_table_export.c.  Raises GenError
    naming what failed."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), EXPORT_SOURCE)
    if not os.path.isfile(source):
        raise GenError("--library: %s not found next to the generator" % EXPORT_SOURCE)
    include_dir = include_dir or runtime_include_dir()
    if not include_dir or not os.path.isfile(os.path.join(include_dir, "attnroute.h")):
        raise GenError("--library: no attnroute.h in %s; give --include-dir"
                       % (include_dir or "the runtime's include folder"))
    cc = (cc or os.environ.get("CC") or "cc").split()
    with tempfile.TemporaryDirectory(prefix="attnroute-gen-") as tmp:
        header = os.path.join(tmp, "attnroute_table_export.h")
        write_file(header, header_text)
        out = os.path.join(tmp, "table.so")
        cmd = cc + ["-std=c99", "-O1", "-shared", "-fPIC", "-I", include_dir,
                    '-DATTNROUTE_TABLE_EXPORT_HEADER="%s"' % header,
                    "-DATTNROUTE_TABLE_EXPORT_NAME=%s" % name, source, "-o", out]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            raise GenError("--library: cannot run the C compiler %r: %s" % (cc[0], e))
        if p.returncode != 0:
            raise GenError("--library: %s failed (exit %d):\n%s" % (
                " ".join(cmd), p.returncode, (p.stderr or p.stdout).strip()))
        try:
            with open(out, "rb") as f:
                data = f.read()
            tmp_lib = library + ".tmp"
            with open(tmp_lib, "wb") as f:
                f.write(data)
            os.replace(tmp_lib, library)
        except OSError as e:
            raise GenError("--library: %s: cannot write: %s" % (library, e))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="attnroute_gen.py",
        description="Generate the attnroute C dispatch table header from a db.")
    ap.add_argument("--version", action="version", version="%(prog)s " + VERSION)
    ap.add_argument("db", help="attnroute measurement db (opened read-only)")
    ap.add_argument("-o", "--output", help="header to write")
    ap.add_argument("--text", metavar="TEXT",
                    help="also (or only) write the table in the text format "
                    "attnroute-eval loads (see the module doc)")
    ap.add_argument("--name", help="C identifier of the table "
                    "(default attnroute_table_<arch>_<cu>)")
    ap.add_argument("--device", help="device class ARCH:CU when the db has several")
    ap.add_argument("--allow-stale", action="store_true",
                    help="use the code hash of the latest run for candidates "
                    "measured under several")
    ap.add_argument("--lookup", default=DEFAULT_LOOKUP,
                    choices=("nearest_log", "floor", "tree", "auto"),
                    help="lookup of every class (default %s; auto: best held-out slowdown "
                    "per class)" % DEFAULT_LOOKUP)
    ap.add_argument("--ragged-key", default="auto", choices=("auto",) + tuple(RAGGED_KEYS),
                    help="batch feature keying the axes of every class (auto: the "
                    "least time on the db's ragged shapes and trace calls)")
    ap.add_argument("--edge", default="auto", choices=tuple(EDGE_CHOICES),
                    help="edge rules of every class (auto: by measurement on the "
                    "db's shapes past the grid's edges, else the default)")
    ap.add_argument("--traffic", default="auto", choices=TRAFFIC_CHOICES,
                    help="rank the cells the db's ragged shapes and trace calls reach by "
                    "those calls (auto: when that is faster out of sample)")
    ap.add_argument("--previous", metavar="DB",
                    help="db of the previous table: its picks are the incumbents "
                    "of the winner rule (default: the legacy stand-ins)")
    ap.add_argument("--min-gain", type=float, default=100.0 * DEFAULT_MIN_GAIN, metavar="PCT",
                    help="least gain in percent a candidate needs over the incumbent, "
                    "beyond the measured spread (default %(default)g)")
    ap.add_argument("--topk", type=int, default=TOPK,
                    help="candidates kept per cell, 1..%d" % TOPK)
    ap.add_argument("--library", metavar="LIB",
                    help="also (or only) write a compiled table: a shared library "
                    "exporting the table as attnroute_table_export()")
    ap.add_argument("--cc", help="C compiler for --library (default $CC or cc)")
    ap.add_argument("--include-dir", help="folder with attnroute.h for --library "
                    "(default: the runtime's, next to this script)")
    args = ap.parse_args(argv)
    if not args.output and not args.text and not args.library:
        ap.error("give -o HEADER, --text TEXT, --library LIB or several")
    try:
        if not 1 <= args.topk <= TOPK:
            raise GenError("--topk %d: must be 1..%d" % (args.topk, TOPK))
        if args.name is not None:
            check_table_name(args.name)
        for path, what in ((args.output, "-o"), (args.text, "--text")):
            if path:
                check_output_path(path, what)
        device = parse_device_arg(args.device) if args.device else None
        if not 0.0 <= args.min_gain < 100.0:
            raise GenError("--min-gain %g: must be 0 <= PCT < 100" % args.min_gain)
        previous = None
        if args.previous:
            previous = load_model(args.previous, device, True, None, args.min_gain / 100.0)
        model = load_model(args.db, device, args.allow_stale, previous, args.min_gain / 100.0)
        apply_lookup(model, args.lookup, args.topk, args.ragged_key, args.edge, args.traffic)
        name = args.name or identifier("attnroute_table_%s_%d" % (model["arch"],
                                                                 model["cu_count"]))
        outputs = []
        if args.output:
            outputs.append((args.output, render_header(model, name, command_line(args),
                                                       args.topk)))
        if args.library:
            header_args = argparse.Namespace(**vars(args))
            if not header_args.output:
                header_args.output = os.path.splitext(os.path.basename(args.library))[0] + ".h"
            build_library(render_header(model, name, command_line(header_args), args.topk),
                          name, args.library, args.cc, args.include_dir)
        if args.text:
            outputs.append((args.text, render_text(model, command_line(args, args.text),
                                                   args.topk)))
    except GenError as e:
        sys.stderr.write("attnroute_gen: %s\n" % e)
        return 2
    for path, text in outputs:
        try:
            write_file(path, text)
        except OSError as e:
            sys.stderr.write("attnroute_gen: %s: cannot write: %s\n" % (path, e.strerror or e))
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
