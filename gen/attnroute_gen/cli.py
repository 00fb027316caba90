"""cli.py -- the command line (main) of gen/attnroute_gen.py:

    attnroute_gen.py DB -o HEADER [--text TEXT] [--name IDENT] [--device ARCH:CU]
                     [--allow-stale] [--lookup nearest_log|floor|tree|auto]
                     [--ragged-key auto|longest|mean|equiv] [--edge auto|legacy|clamp]
                     [--traffic auto|on|off] [--neighbours auto|on|off]
                     [--topk N] [--library LIB.so [--cc CC] [--include-dir DIR]]
                     [--previous OLD_DB] [--min-gain PCT]

-o writes the header (emit_c.py), --text the same table in the text format
(emit_text.py; for tools/eval's attnroute-eval, which loads a table at run
time), --library a compiled table (library.py); at least one of the three is
required.  The table is flattened once (flat.py) and every output written
from that.

Exit status: 0 written, 2 bad input (not an attnroute db, newer schema,
mixed device classes, stale candidates, malformed rows) or an output that
cannot be written, 1 other failure.
"""

import argparse
import os
import sys

from .abi import RAGGED_KEYS, TOPK, VERSION
from .batch_rules import EDGE_CHOICES, NEIGHBOUR_CHOICES, TRAFFIC_CHOICES
from .emit_c import check_table_name, header_text, identifier
from .emit_text import table_text
from .errors import GenError
from .files import check_output_path, write_file
from .flat import flatten
from .holdout import apply_lookup
from .library import build_library
from .lookup import DEFAULT_LOOKUP
from .model import load_model, parse_device_arg
from .winners import DEFAULT_MIN_GAIN


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
    if args.neighbours != "auto":
        parts += ["--neighbours", args.neighbours]
    if args.topk != TOPK:
        parts += ["--topk", str(args.topk)]
    return " ".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="attnroute_gen.py",
        description="Generate the attnroute C dispatch table header from a db.")
    ap.add_argument("--version", action="version", version="%(prog)s " + VERSION)
    ap.add_argument("db", help="attnroute measurement db (opened read-only)")
    ap.add_argument("-o", "--output", help="header to write")
    ap.add_argument("--text", metavar="TEXT",
                    help="also (or only) write the table in the text format "
                    "attnroute-eval loads (gen/attnroute_gen/emit_text.py)")
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
    ap.add_argument("--neighbours", default="auto", choices=NEIGHBOUR_CHOICES,
                    help="with traffic: rank the unreached cells next to reached ones by "
                    "their neighbours' calls (auto: when that is faster cell by cell "
                    "out of sample)")
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
                    "(default: the runtime's, next to the generator)")
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
        apply_lookup(model, args.lookup, args.topk, args.ragged_key, args.edge, args.traffic,
                     args.neighbours)
        name = args.name or identifier("attnroute_table_%s_%d" % (model["arch"],
                                                                 model["cu_count"]))
        table = flatten(model, args.topk)
        outputs = []
        if args.output:
            outputs.append((args.output, header_text(table, name, command_line(args))))
        if args.library:
            header_args = argparse.Namespace(**vars(args))
            if not header_args.output:
                header_args.output = os.path.splitext(os.path.basename(args.library))[0] + ".h"
            build_library(header_text(table, name, command_line(header_args)),
                          name, args.library, args.cc, args.include_dir)
        if args.text:
            outputs.append((args.text, table_text(table, command_line(args, args.text))))
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
