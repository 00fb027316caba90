#!/usr/bin/env python3
"""attnroute_gen.py -- generate the attnroute C dispatch table from a db.

    attnroute_gen.py DB -o HEADER [--text TEXT] [--library LIB.so] [options]

Runs the generator package attnroute_gen/ beside this script (its cli.py
lists the options, its __init__.py the modules).  Python 3 standard library
only.
"""

import sys

from attnroute_gen.cli import main

if __name__ == "__main__":
    sys.exit(main())
