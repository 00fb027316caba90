#!/usr/bin/env python3
"""bitflip_campaign.py -- flip one random bit of a complete tuner-made db and
run the tuner on it, n times.  A flip that damages the db (integrity_check
of the flipped file is not ok, or SQLite cannot read it) must be refused
before any write: the tuner exits 1 and the file keeps its bytes.  A flip
the tuner accepts must leave a db that passes integrity_check with every
measurement exactly once (no re-measuring, no duplicates).  Accepted flips
are counted by what they changed: nothing (unused bytes) or a stored value
no check can see without checksums (a time, a message).

    bitflip_campaign.py --tune attnroute-tune --grid tests/e2e/tiny.grid -n 300
"""
import os
import random
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign  # noqa: E402


def content(path):
    """Every row of every table, or None when unreadable."""
    try:
        con = sqlite3.connect("file:%s?immutable=1" % path, uri=True)
        con.text_factory = bytes  # a flip inside text may leave invalid UTF-8: still a value
        try:
            out = []
            for (name,) in con.execute("select name from sqlite_master where type = 'table' "
                                       "order by name").fetchall():
                name = name.decode()
                out.append((name, sorted(map(repr, con.execute('select * from "%s"' % name)))))
            return out
        finally:
            con.close()
    except (sqlite3.Error, UnicodeDecodeError):  # a garbled schema's error text may not decode
        return None


args = campaign.parse_args(__doc__, 20)
rng = random.Random(args.seed)
t = campaign.Tally("bitflip_campaign")
base = os.path.join(args.work, "base.db")
campaign.remove_db(base)
ALL = ("--candidates", "*")  # every host candidate: a fuller db
rc, err = campaign.run_tuner(args, base, *ALL)
if rc != 0:
    sys.exit("tuning the base db failed: %s" % err)
con = sqlite3.connect(base)
con.execute("pragma wal_checkpoint(truncate)")
con.close()
expected = len(campaign.snapshot(base))
base_content = content(base)
size = os.path.getsize(base)
print("bitflip_campaign: base db %d bytes, %d measurements" % (size, expected), flush=True)
db = os.path.join(args.work, "flip.db")
for trial in range(args.n):
    campaign.remove_db(db)
    shutil.copy(base, db)
    at = rng.randrange(size)
    bit = rng.randrange(8)
    with open(db, "r+b") as f:
        f.seek(at)
        byte = f.read(1)[0]
        f.seek(at)
        f.write(bytes([byte ^ (1 << bit)]))
    flipped = content(db)
    damaged = campaign.integrity(db) != "ok" or flipped is None
    before = campaign.digest(db)
    rc, err = campaign.run_tuner(args, db, *ALL)
    t.add("trials")
    if damaged:
        t.add("damaged")
        if rc == 1 and campaign.digest(db) == before and not os.path.exists(db + "-wal"):
            t.add("damaged_refused_unchanged")
        else:
            t.fail("flip at byte %d bit %d damaged the db but the tuner exited %d and %s: %s"
                   % (at, bit, rc, "changed it" if campaign.digest(db) != before else
                      "left it", err.strip()[:300]))
        continue
    if rc != 0:
        # Undamaged by integrity_check but refused (e.g. a flipped
        # application_id or schema version): refused before a write is fine.
        if campaign.digest(db) == before:
            t.add("intact_refused_unchanged")
        else:
            t.fail("flip at byte %d: refused (%d) after writing: %s" % (at, rc, err.strip()[:300]))
        continue
    after = campaign.integrity(db)
    try:
        snap = campaign.snapshot(db)
    except AssertionError as e:
        t.fail("flip at byte %d: %s" % (at, e))
        continue
    if after != "ok" or snap is None or len(snap) != expected:
        t.fail("flip at byte %d bit %d accepted, then integrity %r, %s measurements (want %d)"
               % (at, bit, after, None if snap is None else len(snap), expected))
        t.add("accepted_and_wrong")
        continue
    t.add("accepted_unused_bytes" if flipped == base_content else "accepted_value_changed")
sys.exit(t.finish())
