"""test_tuner_worker_kill.py -- a worker killed from outside (SIGKILL as the
OOM killer or an operator sends it, SIGTERM as a job scheduler does) is not
the candidate's fault: the worker dies on SIGTERM (it used to ignore it),
nothing is recorded as `fault`, the measurement is taken again in a fresh
worker, and the grid completes."""

import os
import signal
import sqlite3
import subprocess
import time

from e2e_util import parse_args, rows, tune, workdir, fail

args = parse_args()
wd = workdir()
db = os.path.join(wd, "wk.db")
grid = os.path.join(args.src, "quick.grid")
cmd = [args.tune, "--backend", "host", "--grid", grid, "--db", db, "--warmup", "0",
       "--min-reps", "20000", "--max-reps", "20000", "--min-ms", "0", "--no-flush", "--timeout", "600",
       "--candidates", "paged.*"]


def count():
    try:
        return rows(db, "select count(*) from measurement")[0][0]
    except sqlite3.Error:
        return 0


def worker_of(pid):
    """The tuner's child process (its worker), from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            return int(entry)
    return None


for sig in (signal.SIGTERM, signal.SIGKILL):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while count() < 1 and time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
    w = worker_of(p.pid)
    if p.poll() is not None or w is None:
        fail(f"the tuner finished before its worker could be killed: {p.stderr.read()}")
    os.kill(w, sig)
    gone = time.time() + 5
    while os.path.exists(f"/proc/{w}") and time.time() < gone:
        try:
            with open(f"/proc/{w}/stat") as f:
                if f.read().split()[2] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.05)
    if time.time() >= gone:
        fail(f"the worker ignored {sig.name}")
    err = p.communicate(timeout=300)[1]
    if p.returncode not in (0, 3):
        fail(f"{sig.name}: tuner exited {p.returncode}: {err}")
    if p.returncode == 3:  # killed while setting a shape up: re-run
        tune(args, *cmd[1:])
    faults = rows(db, "select count(*) from measurement where status != 'ok'")[0][0]
    total = count()
    if faults or total != 4:
        fail(f"{sig.name}: {faults} non-ok of {total} measurements (want 0 of 4):\n{err}")
print("ok: a worker killed from outside is measured again, never recorded as a fault")
