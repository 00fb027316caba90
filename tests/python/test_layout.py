"""test_layout.py -- the Python binding's ctypes mirrors (python/attnroute/_abi.py)
against the C compiler's view of runtime/include/attnroute.h, as printed by
layout_dump: every struct's size, every field's offset and size, the same
field names in the same order, and the constants the binding hard-codes.

    test_layout.py --dump LAYOUT_DUMP     (attnroute importable: PYTHONPATH)
"""
import argparse
import ctypes
import subprocess
import sys

import attnroute
from attnroute import _abi

ap = argparse.ArgumentParser()
ap.add_argument("--dump", required=True)
args = ap.parse_args()

consts, sizes, fields = {}, {}, {}
for line in subprocess.run([args.dump], check=True, capture_output=True,
                           text=True).stdout.splitlines():
    w = line.split()
    if w[0] == "const":
        consts[w[1]] = int(w[2])
    elif w[0] == "size":
        sizes[w[1]] = int(w[2])
        fields.setdefault(w[1], [])
    elif w[0] == "field":
        fields[w[1]].append((w[2], int(w[3]), int(w[4])))

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


check(set(sizes) == set(_abi.STRUCTS), "structs: C %s, Python %s" % (
    sorted(sizes), sorted(_abi.STRUCTS)))
for name, cls in _abi.STRUCTS.items():
    if name not in sizes:
        continue
    check(ctypes.sizeof(cls) == sizes[name], "sizeof attnroute_%s: C %d, ctypes %d" % (
        name, sizes[name], ctypes.sizeof(cls)))
    py = [(f, getattr(cls, f).offset, getattr(cls, f).size) for f, _ in cls._fields_]
    check([f[0] for f in py] == [f[0] for f in fields[name]],
          "attnroute_%s fields: C %s, ctypes %s" % (name, [f[0] for f in fields[name]],
                                                   [f[0] for f in py]))
    for c_field, p_field in zip(fields[name], py):
        check(c_field == p_field, "attnroute_%s.%s: C offset/size %d/%d, ctypes %d/%d" % (
            name, c_field[0], c_field[1], c_field[2], p_field[1], p_field[2]))

check(consts["TABLE_ABI"] == _abi.TABLE_ABI == attnroute.TABLE_ABI, "TABLE_ABI")
check(consts["TOPK"] == _abi.TOPK, "TOPK")
check(consts["NO_CANDIDATE"] == _abi.NO_CANDIDATE, "NO_CANDIDATE")
check(consts["NUM_AXES"] == _abi.NUM_AXES, "NUM_AXES")
check(consts["NUM_STATUS"] == len(_abi.STATUS_NAMES), "NUM_STATUS vs STATUS_NAMES")
for i, n in enumerate(_abi.STATUS_NAMES):
    check(consts[n] == i, "status %s" % n)
check(consts["NUM_DTYPES"] == len(_abi.DTYPES), "NUM_DTYPES")
for n, v in _abi.DTYPES.items():
    check(consts["DTYPE_" + n.upper()] == v, "dtype %s" % n)
for n, v in _abi.STEPS.items():
    check(consts["STEP_" + n.upper()] == v, "step %s" % n)
check(consts["NUM_ROUTES"] == len(_abi.ROUTE_NAMES), "NUM_ROUTES")
check(consts["NUM_POLICIES"] == len(attnroute.POLICIES), "NUM_POLICIES")
# Names the library gives match the binding's tables.
from attnroute import _lib
for i, n in enumerate(_abi.ROUTE_NAMES):
    check(_lib.route_name(i).decode() == n, "route name %d" % i)
for n, v in _abi.DTYPES.items():
    check(_lib.dtype_name(v).decode() == n, "dtype name %d" % v)
for i, n in enumerate(attnroute.POLICIES):
    check(_lib.policy_name(i).decode() == n, "policy name %d" % i)
check(attnroute.library_version() == consts["VERSION"],
      "library version %d, header %d" % (attnroute.library_version(), consts["VERSION"]))

n = sum(len(v) for v in fields.values())
if failures:
    print("FAIL: %d mismatch(es) between attnroute.h and python/attnroute/_abi.py:" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("test_layout: ok (%d structs, %d fields, %d constants)" % (len(sizes), n, len(consts)))
