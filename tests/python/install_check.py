"""install_check.py -- the installed attnroute package, used from the install
tree only (run by install_test.cmake with PYTHONPATH at the installed
package and no LD_LIBRARY_PATH): the package and the library it loads lie
under the prefix; the installed generator, running the generator package
installed beside it, compiles a table (--library, attnroute.h found in the
prefix); both that table and a table built in the
build tree bind and answer.

    install_check.py --prefix PREFIX --table LIB --db DB --work DIR
"""
import argparse
import os
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--prefix", required=True)
ap.add_argument("--table", required=True)
ap.add_argument("--db", required=True)
ap.add_argument("--work", required=True)
args = ap.parse_args()
prefix = os.path.realpath(args.prefix)

import attnroute  # noqa: E402


def inside(path):
    return os.path.realpath(path).startswith(prefix + os.sep)


if not inside(attnroute.__file__):
    sys.exit("FAIL: attnroute imported from %s, not from %s" % (attnroute.__file__, prefix))
if not inside(attnroute.LIBRARY_PATH):
    sys.exit("FAIL: libattnroute loaded from %s, not from %s" % (attnroute.LIBRARY_PATH, prefix))
gen = os.path.join(prefix, "share", "attnroute", "attnroute_gen.py")
lib = os.path.join(args.work, "libinstalled_table.so")
p = subprocess.run([sys.executable, "-v", gen, args.db, "--library", lib,
                    "--name", "attnroute_table_fixture"], capture_output=True, text=True)
if p.returncode != 0:
    sys.exit("FAIL: installed generator --library: %s" % p.stderr)
# It ran the generator package installed beside it (Python's own search).
package = os.path.join(prefix, "share", "attnroute", "attnroute_gen", "__init__.py")
loaded = [l for l in p.stderr.splitlines() if "attnroute_gen" in l and "__init__" in l]
if not any(package in l for l in loaded):
    sys.exit("FAIL: the installed generator did not import %s:\n%s" % (package, "\n".join(loaded)))
for path in (lib, args.table):
    r = attnroute.Router(path, "gfx1250", 256)
    c = r.select(num_seqs=1, max_seqlen_q=512, max_seqlen_k=512, num_q_heads=64,
                 num_kv_heads=8, head_dim=64, has_sinks=1)
    if not r.bound or not c.from_table or c.name != "dense_sink.gather":
        sys.exit("FAIL: %s: %r %r" % (path, r, c))
print("install_check: ok (package and library in the prefix; %s)" % attnroute.LIBRARY_PATH)
