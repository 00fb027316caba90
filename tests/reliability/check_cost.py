#!/usr/bin/env python3
"""check_cost.py -- what the store's open check costs on given dbs: the same
statements db/store.c runs before it writes (PRAGMA integrity_check(1), the
status list, PRAGMA foreign_key_check) and, for comparison, quick_check;
the median of 5 runs per db in CPU time (steady on a loaded machine), read
immutable (the file untouched).

    check_cost.py shipped/h100/*.db
"""
import os
import sqlite3
import statistics
import sys
import time
import urllib.parse

CHECKS = {
    "quick_check": ["PRAGMA quick_check(1)"],
    "store_check": ["PRAGMA integrity_check(1)",
                    "SELECT count(*) FROM measurement WHERE status NOT IN "
                    "('ok','unsupported','wrong','fault','timeout')",
                    "SELECT * FROM pragma_foreign_key_check LIMIT 1"],
}

print("sqlite %s" % sqlite3.sqlite_version)
for path in sys.argv[1:]:
    uri = "file:%s?immutable=1" % urllib.parse.quote(os.path.abspath(path))
    line = ["%s (%d KiB)" % (path, os.path.getsize(path) // 1024)]
    for name, sqls in CHECKS.items():
        times = []
        for _ in range(5):
            con = sqlite3.connect(uri, uri=True)
            t = time.process_time()
            for q in sqls:
                con.execute(q).fetchall()
            times.append(time.process_time() - t)
            con.close()
        line.append("%s %.1f ms CPU" % (name, 1e3 * statistics.median(times)))
    print(": ".join(line[:1]) + ": " + ", ".join(line[1:]))
