"""attnroute_gen -- the table generator as a package (Python 3 standard
library only): it reads an attnroute measurement db (db/schema.sql)
read-only and makes the C dispatch table (runtime/include/attnroute.h) of
one device class (arch, CU count): the candidates, one class per static
problem feature set, and per class the full grid of tuned axes with the
measured top-K candidates of every cell.  The output is deterministic: the
same db content gives the same bytes (no dates, no row ids, no absolute
paths).  gen/attnroute_gen.py runs it (cli.py has the options).

The modules, in the order a table is made:

    abi          attnroute.h's constants and enum orders (checked against the
                 header by tests/gen/test_header_facts.py)
    errors       GenError (bad input: exit status 2)
    db           opening the db, the measurement rows and their checks, trace calls
    model        the table model: device class, candidates, classes, cells,
                 calibration shapes (load_model)
    winners      the winner rule (noise): incumbents and the measured spread
    legacy       the legacy gates of ROCm ATOM (runtime/src/legacy.c in Python)
    lookup       the runtime's lookups: a problem's point under a ragged key,
                 edge rules, caps, floor / nearest_log, the tree walk, kept()
    tree         the decision tree (ATTNROUTE_LOOKUP_TREE)
    holdout      each class's lookup by held-out slowdown (apply_lookup)
    batch_rules  each class's ragged key and edge rules, on calibration shapes
    flat         the one flattened form of a table that every emitter writes
    emit_c       the C header      emit_text  the text format
    emit_json    the JSON block in every header, and reading it back
    files        writing outputs atomically
    library      a compiled table (--library)
    cli          the command line

Every class's comment in the header gives the held-out (leave-one-out)
slowdown of each lookup; --lookup auto keeps the least.  The default lookup
is DEFAULT_LOOKUP (lookup.py), the one every part of attnroute uses (the
main job, the shipped tables, attnroute_report.py's regret): the lookup with
the least regret on off-grid shapes measured on the H100 (docs/PERF.md,
"Regret on off-grid shapes").

The cells come from the grid shapes (uniform batches no trace call refers
to); ragged shapes (shape.seqs) and trace calls (trace_call) are the
calibration set: on it each class's ragged key (attnroute_ragged_key: which
batch features key the axes) and edge rules (attnroute_class.edge_clamp:
which grid edges a problem past them is clamped to) are chosen by the time
of the calls under the runtime's picks, misses answered by the legacy policy
post-1345 at the call's step (--ragged-key and --edge force them).  Without
calibration shapes a class keeps the longest key and the default edge rules
(clamp num_seqs, seqlen_q and cached; the legacy gate past the head axes).
Then traffic (--traffic): each cell the calibration calls reach (under the
key and edge rules) may be ranked by those calls instead -- each
candidate's total time over them and the cell's own grid shape -- which
also fills cells the grid left unmeasured (a max_context_tokens bound).
auto does so when it is faster on the calls out of sample (two folds:
ranked on half the calls, scored on the other half) than the grid's cells
are in sample.  With traffic, --neighbours ranks the unreached cells next to
reached ones (one step along num_seqs or cached) by their neighbours' calls;
auto does so when, cell by cell out of sample (each reached cell ranked by
its neighbours' calls alone), that is faster on the cell's calls than the
grid's ranking.  A db that holds a trace sample of the engine's traffic
(attnroute-tune --trace, attnroute-merge into the grid's db) so gets a
table tuned on that traffic.  The header comment of each class gives the
times that chose all of it.  The winner rule is winners.py's; the header
says how many cells kept their incumbent so.

The tools (tools/attnroute_diff.py, attnroute_report.py,
attnroute_lookup_study.py) import the package: load_model() turns a db into
the table model, model_json() into the JSON block embedded in every header.
Installed, the package lies in share/attnroute beside the tools and
attnroute_gen.py; from the source tree the tools find it through
tools/gen_path.py.  The names below are the package's interface.
"""

from .abi import AXES, AXIS_LABELS, CAPS_FIELDS, DTYPE_CODES, DTYPE_NAMES, LOOKUPS, \
    NO_CANDIDATE, RAGGED_KEYS, ROUTE_NAMES, STEPS, TABLE_ABI, TOPK, VERSION, edge_bit
from .batch_rules import choose_batch_rules
from .emit_c import header_text, render_header
from .emit_json import model_json, read_header_json, table_json
from .emit_text import render_text, table_text
from .errors import GenError
from .files import write_file
from .flat import flatten
from .holdout import apply_lookup, choose_lookup, holdout_regret, slowdown
from .lookup import DEFAULT_LOOKUP, EDGE_DEFAULT, caps_allow, kept, predict_grid, \
    snap_prefix, table_ranking
from .model import STATIC, class_label, load_model, parse_device_arg, product_key, \
    same_memory
from .tree import build_tree
from .winners import DEFAULT_MIN_GAIN, half_spread

__all__ = [
    "AXES", "AXIS_LABELS", "CAPS_FIELDS", "DTYPE_CODES", "DTYPE_NAMES", "LOOKUPS",
    "NO_CANDIDATE", "RAGGED_KEYS", "ROUTE_NAMES", "STEPS", "TABLE_ABI", "TOPK", "VERSION",
    "edge_bit", "choose_batch_rules", "header_text", "render_header", "model_json",
    "read_header_json", "table_json", "render_text", "table_text", "GenError", "write_file",
    "flatten", "apply_lookup", "choose_lookup", "holdout_regret", "slowdown", "DEFAULT_LOOKUP",
    "EDGE_DEFAULT", "caps_allow", "kept", "predict_grid", "snap_prefix", "table_ranking",
    "STATIC", "class_label", "load_model", "parse_device_arg", "product_key", "same_memory",
    "build_tree", "DEFAULT_MIN_GAIN", "half_spread",
]
