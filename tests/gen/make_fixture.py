#!/usr/bin/env python3
"""make_fixture.py -- build an attnroute db from db/schema.sql plus SQL scripts.

    make_fixture.py SCHEMA_SQL OUT_DB SCRIPT.sql...

Removes OUT_DB first, so the db is rebuilt from scratch every time.
"""
import os
import sqlite3
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: make_fixture.py SCHEMA_SQL OUT_DB SCRIPT.sql...\n")
        return 2
    schema, out, scripts = argv[0], argv[1], argv[2:]
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(out + suffix):
            os.remove(out + suffix)
    conn = sqlite3.connect(out)
    for path in [schema] + scripts:
        with open(path, encoding="utf-8") as f:
            conn.executescript(f.read())
    conn.commit()
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
