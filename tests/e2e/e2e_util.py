"""e2e_util.py -- shared helpers of the end-to-end tests: argument parsing,
running the tuner, reading a db (Python standard library only)."""

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune", required=True, help="attnroute-tune binary")
    ap.add_argument("--gen", help="gen/attnroute_gen.py")
    ap.add_argument("--cc", help="C compiler")
    ap.add_argument("--include", action="append", default=[], help="include dirs")
    ap.add_argument("--lib", help="runtime static library")
    ap.add_argument("--grid", help="grid file")
    ap.add_argument("--src", help="source dir of this test")
    ap.add_argument("--backend", default="host", help="backend to tune on")
    ap.add_argument("--cflags", default="", help="extra compiler flags (sanitizers)")
    return ap.parse_args()


def workdir():
    return tempfile.mkdtemp(prefix="attnroute-e2e-")


def tune(args, *extra, env=None, check=True, timeout=900):
    """Run attnroute-tune; returns the CompletedProcess."""
    cmd = [args.tune, *extra]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def rows(db, sql, params=()):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)
