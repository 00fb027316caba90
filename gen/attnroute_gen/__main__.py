"""__main__.py -- `python3 -m attnroute_gen ...`, the same as attnroute_gen.py."""

import sys

from .cli import main

sys.exit(main())
