#!/usr/bin/env python3
"""test_header_facts.py -- every Python copy of runtime/include/attnroute.h's
facts against the header as the C compiler reads it: the generator's
(gen/attnroute_gen/abi.py: table ABI, TOPK, NO_CANDIDATE, version, axis,
dtype, lookup, route, ragged-key, step and capability-word orders, the caps
field order, the edge bits), the legacy gates' (gen/attnroute_gen/legacy.py:
route, policy, step and dtype constants, the env field order), the tools'
version, and the Python binding's name tables (python/attnroute/_abi.py);
and the generator's measurement statuses against db/schema.sql's CHECK.

The header is preprocessed (cc -E -P -dD: X-macro lists expanded, the
#defines kept); its enums and the two structs are read from that text and a
small C program compiled from it prints every enumerator and macro value.
Then the same checks run on mutated copies of the preprocessed header (a
route appended, two axes swapped, TOPK changed, a caps field appended, the
edge bits moved, a dtype renamed): each must be caught, so the test fails
when the header changes and the Python does not.

    test_header_facts.py --root SRC --cc CC --work DIR
"""

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--cc", required=True)
ap.add_argument("--work", required=True)
args = ap.parse_args()

sys.path.insert(0, os.path.join(args.root, "gen"))
from attnroute_gen import abi, batch_rules, legacy  # noqa: E402


def load_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


binding_abi = load_path("binding_abi", os.path.join(args.root, "python", "attnroute", "_abi.py"))
evalset = load_path("attnroute_evalset", os.path.join(args.root, "tools", "attnroute_evalset.py"))

shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("FAIL: %s (exit %d):\n%s" % (" ".join(cmd), p.returncode, p.stderr))
    return p.stdout


def preprocess():
    """attnroute.h preprocessed on its own: the system headers it includes
    are empty stand-ins (-nostdinc), the compiler's reserved macros dropped."""
    header = os.path.join(args.root, "runtime", "include", "attnroute.h")
    fake = os.path.join(args.work, "no_system_headers")
    os.makedirs(fake, exist_ok=True)
    for h in ("stddef.h", "stdint.h"):
        open(os.path.join(fake, h), "w").close()
    text = run(args.cc.split() + ["-E", "-P", "-dD", "-nostdinc", "-I", fake, "-std=c99", header])
    return "".join(l for l in text.splitlines(True) if not re.match(r"#\s*(define|undef)\s+_[A-Z_]", l))


def enums(text):
    """{enum name: [enumerator, ...]} in declaration order."""
    out = {}
    for m in re.finditer(r"enum\s+(attnroute_\w+)\s*\{(.*?)\}", text, re.S):
        names = []
        body = "\n".join(l for l in m.group(2).splitlines() if not l.lstrip().startswith("#"))
        for item in body.split(","):
            item = item.strip()
            if item:
                names.append(re.match(r"[A-Za-z_]\w*", item).group(0))
        out[m.group(1)] = names
    return out


def struct_fields(text, name):
    m = re.search(r"typedef\s+struct\s+%s\s*\{(.*?)\}\s*%s\s*;" % (name, name), text, re.S)
    if not m:
        return None
    return [re.search(r"([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*$", d.strip()).group(1)
            for d in m.group(1).split(";") if d.strip()]


MACROS = ("ATTNROUTE_TABLE_ABI", "ATTNROUTE_TOPK", "ATTNROUTE_NO_CANDIDATE",
          "ATTNROUTE_VERSION_MAJOR", "ATTNROUTE_VERSION_MINOR", "ATTNROUTE_VERSION_PATCH")


def values(text, tag):
    """{name: value} of every enumerator, the macros and the edge bits of
    each axis, as a program compiled from text prints them."""
    folder = os.path.join(args.work, tag)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "header.i.h"), "w") as f:
        f.write(text)
    names = [n for ns in enums(text).values() for n in ns]
    lines = ["#include <stddef.h>", "#include <stdint.h>", "#include <stdio.h>",
             '#include "header.i.h"', "int main(void) {"]
    for n in names + [m for m in MACROS if re.search(r"#define %s\b" % m, text)]:
        lines.append('  printf("%%s %%ld\\n", "%s", (long)(%s));' % (n, n))
    lines.append("  for (int a = 0; a < ATTNROUTE_NUM_AXES; a++)")
    lines.append('    printf("EDGE_BELOW_%d %lu\\nEDGE_ABOVE_%d %lu\\n", a, '
                 '(unsigned long)ATTNROUTE_EDGE_BELOW(a), a, (unsigned long)ATTNROUTE_EDGE_ABOVE(a));')
    lines.append("  return 0;\n}")
    src = os.path.join(folder, "facts.c")
    with open(src, "w") as f:
        f.write("\n".join(lines) + "\n")
    exe = os.path.join(folder, "facts")
    run(args.cc.split() + ["-std=c99", src, "-o", exe])
    return {w[0]: int(w[1]) for w in (l.split() for l in run([exe]).splitlines())}


def by_value(enum, prefix, vals):
    """{value: lower-case name after prefix} of an enum's members, the NUM_ count left out."""
    return {vals[n]: n[len(prefix):].lower() for n in enum if n.startswith(prefix)}


def check_all(text, tag):
    """The mismatches between the Python copies and the header text."""
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    e = enums(text)
    v = values(text, tag)
    for name, macro in (("TABLE_ABI", "ATTNROUTE_TABLE_ABI"), ("TOPK", "ATTNROUTE_TOPK"),
                        ("NO_CANDIDATE", "ATTNROUTE_NO_CANDIDATE")):
        check(getattr(abi, name) == v.get(macro), "abi.%s %r, header %s %r"
              % (name, getattr(abi, name), macro, v.get(macro)))
        check(getattr(binding_abi, name) == v.get(macro), "python/attnroute/_abi.py %s %r, "
              "header %r" % (name, getattr(binding_abi, name), v.get(macro)))
    version = "%d.%d.%d" % tuple(v.get("ATTNROUTE_VERSION_" + p, -1)
                                 for p in ("MAJOR", "MINOR", "PATCH"))
    check(abi.VERSION == version, "abi.VERSION %r, header %r" % (abi.VERSION, version))
    check(evalset.VERSION == version, "attnroute_evalset.VERSION %r, header %r"
          % (evalset.VERSION, version))

    def enum_check(what, enum, prefix, py, count=None):
        want = by_value(e.get(enum, []), prefix, v)
        check(py == want, "%s %r, header %s %r" % (what, py, enum, want))
        if count:
            check(len(want) == v.get(count), "%s: %s %r, %d members" % (
                enum, count, v.get(count), len(want)))

    enum_check("abi.AXIS_LABELS", "attnroute_axis", "ATTNROUTE_AXIS_",
               dict(enumerate(abi.AXIS_LABELS)), "ATTNROUTE_NUM_AXES")
    check(len(abi.AXES) == v.get("ATTNROUTE_NUM_AXES"), "abi.AXES has %d axes, header %r"
          % (len(abi.AXES), v.get("ATTNROUTE_NUM_AXES")))
    check(binding_abi.NUM_AXES == v.get("ATTNROUTE_NUM_AXES"), "_abi.py NUM_AXES")
    enum_check("abi.DTYPE_CODES", "attnroute_dtype", "ATTNROUTE_DTYPE_",
               {c: n for n, c in abi.DTYPE_CODES.items()}, "ATTNROUTE_NUM_DTYPES")
    check(abi.DTYPE_NAMES == {c: n for n, c in abi.DTYPE_CODES.items()}, "abi.DTYPE_NAMES")
    enum_check("python/attnroute/_abi.py DTYPES", "attnroute_dtype", "ATTNROUTE_DTYPE_",
               {c: n for n, c in binding_abi.DTYPES.items()})
    enum_check("abi.LOOKUPS", "attnroute_lookup", "ATTNROUTE_LOOKUP_",
               {c: n for n, c in abi.LOOKUPS.items()}, "ATTNROUTE_NUM_LOOKUPS")
    enum_check("abi.ROUTE_NAMES", "attnroute_route", "ATTNROUTE_ROUTE_",
               {c: n for c, n in abi.ROUTE_NAMES.items() if c >= 0}, "ATTNROUTE_NUM_ROUTES")
    check(abi.ROUTE_NAMES.get(-1) == "none", "abi.ROUTE_NAMES[-1] (no route) is not 'none'")
    enum_check("legacy.ROUTE_NAMES", "attnroute_route", "ATTNROUTE_ROUTE_", legacy.ROUTE_NAMES)
    enum_check("python/attnroute/_abi.py ROUTE_NAMES", "attnroute_route", "ATTNROUTE_ROUTE_",
               dict(enumerate(binding_abi.ROUTE_NAMES)))
    enum_check("abi.RAGGED_KEYS", "attnroute_ragged_key", "ATTNROUTE_RAGGED_",
               {c: n for n, c in abi.RAGGED_KEYS.items()}, "ATTNROUTE_NUM_RAGGED_KEYS")
    enum_check("abi.STEPS", "attnroute_step", "ATTNROUTE_STEP_",
               {c: n for n, c in abi.STEPS.items()})
    enum_check("python/attnroute/_abi.py STEPS", "attnroute_step", "ATTNROUTE_STEP_",
               {c: n for n, c in binding_abi.STEPS.items()})
    enum_check("abi.CAP_WORDS", "attnroute_cap", "ATTNROUTE_CAP_",
               {c: n for n, c in abi.CAP_WORDS.items()})
    status = [n[len("ATTNROUTE_"):] for n in sorted(e.get("attnroute_status", []), key=v.get)
              if n != "ATTNROUTE_NUM_STATUS"]
    check(list(binding_abi.STATUS_NAMES) == status, "python/attnroute/_abi.py STATUS_NAMES %r, "
          "header %r" % (binding_abi.STATUS_NAMES, status))
    policies = by_value(e.get("attnroute_policy", []), "ATTNROUTE_POLICY_", v)
    check(set(legacy.POLICY_NAMES) == set(policies), "legacy.POLICY_NAMES %r, header %r"
          % (sorted(legacy.POLICY_NAMES), sorted(policies)))
    # Every legacy.py constant named like a header enumerator has its value.
    for name in dir(legacy):
        if re.fullmatch(r"(ROUTE|POLICY|STEP|DTYPE)_[A-Z0-9_]+", name) and \
                isinstance(getattr(legacy, name), int):
            check(getattr(legacy, name) == v.get("ATTNROUTE_" + name),
                  "legacy.%s %r, header ATTNROUTE_%s %r" % (
                      name, getattr(legacy, name), name, v.get("ATTNROUTE_" + name)))
    for a in range(len(abi.AXES)):
        for above, side in ((False, "BELOW"), (True, "ABOVE")):
            check(abi.edge_bit(a, above) == v.get("EDGE_%s_%d" % (side, a)),
                  "abi.edge_bit(%d, %s) %d, header ATTNROUTE_EDGE_%s(%d) %r" % (
                      a, above, abi.edge_bit(a, above), side, a, v.get("EDGE_%s_%d" % (side, a))))
    every_edge = sum(v.get("EDGE_%s_%d" % (s, a), 0) for a in range(v["ATTNROUTE_NUM_AXES"])
                     for s in ("BELOW", "ABOVE"))
    check(batch_rules.EDGE_CHOICES["clamp"] == every_edge, "batch_rules.EDGE_CHOICES clamp "
          "0x%x, every header edge bit 0x%x" % (batch_rules.EDGE_CHOICES["clamp"], every_edge))
    caps = struct_fields(text, "attnroute_caps")
    check(list(abi.CAPS_FIELDS) == caps, "abi.CAPS_FIELDS %r, header attnroute_caps %r"
          % (abi.CAPS_FIELDS, caps))
    env = struct_fields(text, "attnroute_env")
    check(list(legacy.ENV_FIELDS) == env, "legacy.ENV_FIELDS %r, header attnroute_env %r"
          % (legacy.ENV_FIELDS, env))
    return failures


def add_enumerator(text, enum, name):
    """text with enumerator name appended to enum (before its NUM_ count)."""
    m = re.search(r"(enum\s+%s\s*\{)(.*?)(\})" % enum, text, re.S)
    body = m.group(2).rstrip()
    at = body.rfind("ATTNROUTE_NUM_")
    body = (body[:at] + name + ", " + body[at:]) if at >= 0 else body.rstrip(",") + ", " + name
    return text[:m.start(2)] + body + "\n" + text[m.end(2):]


def swap_enumerators(text, enum, a, b):
    """text with the values of enumerators a and b of enum swapped."""
    m = re.search(r"(enum\s+%s\s*\{)(.*?)(\})" % enum, text, re.S)
    was = values(text, "swap")
    body = re.sub(r"\b(%s|%s)\b\s*(=\s*[^,}]*)?" % (a, b),
                  lambda mm: "%s = %d" % (mm.group(1), was[b if mm.group(1) == a else a]),
                  m.group(2))
    return text[:m.start(2)] + body + text[m.end(2):]


def replace_once(text, pattern, repl):
    new, n = re.subn(pattern, repl, text, count=1, flags=re.M)
    if n != 1:
        sys.exit("FAIL: mutation pattern %r not found in the preprocessed header; update "
                 "the mutations of test_header_facts.py" % pattern)
    return new


text = preprocess()
failures = check_all(text, "header")
if failures:
    print("FAIL: %d mismatch(es) between runtime/include/attnroute.h and its Python copies:"
          % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)

mutations = [
    ("a route appended", "ROUTE_NAMES",
     add_enumerator(text, "attnroute_route", "ATTNROUTE_ROUTE_EXTRA_ROUTE")),
    ("two axes swapped", "AXIS_LABELS",
     swap_enumerators(text, "attnroute_axis", "ATTNROUTE_AXIS_NUM_SEQS", "ATTNROUTE_AXIS_SEQLEN_Q")),
    ("TOPK changed", "TOPK",
     replace_once(text, r"^#define ATTNROUTE_TOPK .*$", "#define ATTNROUTE_TOPK 5")),
    ("a caps field appended", "CAPS_FIELDS",
     replace_once(text, r"(typedef\s+struct\s+attnroute_caps\s*\{)", r"\1 int32_t extra_cap;")),
    ("the edge bits moved", "edge_bit",
     replace_once(text, r"^#define ATTNROUTE_EDGE_ABOVE\(axis\) .*$",
                  "#define ATTNROUTE_EDGE_ABOVE(axis) (1u << (2 * (axis) + 2))")),
    ("a dtype renamed", "DTYPE_CODES",
     replace_once(text, r"\bATTNROUTE_DTYPE_FP32\b", "ATTNROUTE_DTYPE_TF32")),
    ("a policy appended", "POLICY_NAMES",
     add_enumerator(text, "attnroute_policy", "ATTNROUTE_POLICY_EXTRA")),
]
missed = []
for i, (what, needle, mutated) in enumerate(mutations):
    found = check_all(mutated, "mutation%d" % i)
    if not any(needle in f for f in found):
        missed.append("%s: not caught (mismatches: %r)" % (what, found))
if missed:
    print("FAIL: header changes the checks miss:")
    for m in missed:
        print("  " + m)
    sys.exit(1)
# The measurement outcomes the generator accepts are the schema's CHECK list
# (tests/db outcome_list ties that list to db/outcome.h's AR_STATUS_LIST).
from attnroute_gen import db as gen_db  # noqa: E402
with open(os.path.join(args.root, "db", "schema.sql"), encoding="utf-8") as f:
    m = re.search(r"CHECK \(status IN \(([^)]*)\)\)", f.read())
schema_statuses = tuple(re.findall(r"'([^']*)'", m.group(1))) if m else None
if schema_statuses != tuple(gen_db.STATUSES):
    print("FAIL: db.STATUSES %r, db/schema.sql's status CHECK %r" % (gen_db.STATUSES, schema_statuses))
    sys.exit(1)
print("test_header_facts: ok (%d enums, every Python copy matches; %d header mutations caught)"
      % (len(enums(text)), len(mutations)))
