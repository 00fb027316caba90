"""db.py -- reading an attnroute measurement db (db/schema.sql) read-only:
opening it (application id, schema version, WAL and hot-journal cases), the
measurement rows with their checks, and the trace calls.  Schema v1 and v2
dbs are read.
"""

import json
import math
import os
import sqlite3
import urllib.parse

from .errors import GenError

APPLICATION_ID = 1095914580  # "ARTT"
SCHEMA_VERSION = 3           # newest PRAGMA user_version understood


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


def row_sort_key(r):
    return json.dumps([r["device"], r["cand"], r["shape"], r["meas"], r["run"]])
