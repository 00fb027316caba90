"""test_grid_python.py -- the two grid parsers agree: tuner/core's (C, through
grid_dump) and tools/attnroute_evalset.py's (Python).

Every grids/*.grid and tests/e2e/*.grid, and deterministic mutations of them
(lines dropped, repeated and swapped, numbers changed, keys renamed, bounds
added), are read by both: both refuse, naming the same file:line, or both
accept with the same shapes (the C's shape lines against evalset's
shape_line of its grid points, as sets and counts).

    test_grid_python.py --dump GRID_DUMP --root SRC --work DIR
"""
import argparse
import glob
import os
import random
import re
import shutil
import subprocess
import sys

ap = argparse.ArgumentParser()
for flag in ("--dump", "--root", "--work"):
    ap.add_argument(flag, required=True)
args = ap.parse_args()
sys.path.insert(0, os.path.join(args.root, "tools"))
import attnroute_evalset as evalset  # noqa: E402

shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)

sources = sorted(glob.glob(os.path.join(args.root, "grids", "*.grid")) +
                 glob.glob(os.path.join(args.root, "tests", "e2e", "*.grid")))
if len(sources) < 3:
    sys.exit("test_grid_python: found only %d grids under %s" % (len(sources), args.root))


def mutate(rng, text):
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.randrange(8)
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(i, lines[i])
    elif kind == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 3:  # a number changed
        nums = list(re.finditer(r"\d+", lines[i]))
        if nums:
            m = rng.choice(nums)
            new = rng.choice(("0", "1", "3", "7", "2k", "4096", "99999999", "-1", "x"))
            lines[i] = lines[i][:m.start()] + new + lines[i][m.end():]
    elif kind == 4:  # a key renamed
        lines[i] = re.sub(r"\b(sinks|window|block|dtype|causal|heads|cached)\b",
                          rng.choice(("sink", "blok", "dtype", "kv_dtype", "head_dim")),
                          lines[i], count=1)
    elif kind == 5:
        lines.insert(i, rng.choice(("max_tokens 4096", "max_context_tokens 65536",
                                    "max_context_tokens 300", "max_tokens 1 2",
                                    "max_context_tokens", "cached 0 1024", "heads 8/3")))
    elif kind == 6:
        lines[i] = lines[i].replace(" ", "  ", 1).replace("bf16", rng.choice(("fp16", "bf17")))
    else:
        lines.insert(i, "class head_dim=%d" % rng.choice((64, 128, 0)))
    return "\n".join(lines)


rng = random.Random(7)
paths = list(sources)
for n, src in enumerate(sources):
    with open(src) as f:
        text = f.read()
    for k in range(60):
        t = text
        for _ in range(rng.randint(1, 3)):
            t = mutate(rng, t)
        p = os.path.join(args.work, "m%d_%d.grid" % (n, k))
        with open(p, "w") as f:
            f.write(t)
        paths.append(p)

out = subprocess.run([args.dump] + paths, stdout=subprocess.PIPE, universal_newlines=True,
                     check=True).stdout
c_side = {}
cur = None
for line in out.split("\n"):
    if line.startswith("== "):
        cur = line[3:]
        c_side[cur] = []
    elif line:
        c_side[cur].append(line)

failures = []
accepted = refused = 0
for p in paths:
    c = c_side.get(p)
    try:
        classes = evalset.load_grid(p, args.root)
        py = [evalset.shape_line(k, s) for k in classes for s in evalset.grid_points(k)]
        py_err = None
    except evalset.GridError as e:
        py, py_err = None, str(e)
    c_err = c[0][len("error: "):] if c and c[0].startswith("error: ") else None
    if c is None:
        failures.append("%s: no C output" % p)
    elif c_err is not None or py_err is not None:
        where = [re.match(r"[^:]*:\d+:", e).group(0) if e and re.match(r"[^:]*:\d+:", e) else e
                 for e in (c_err, py_err)]
        if c_err is None or py_err is None or where[0] != where[1]:
            failures.append("%s: C %r, Python %r" % (p, c_err or "%d shapes" % len(c),
                                                      py_err or "%d shapes" % len(py)))
        refused += 1
    elif sorted(c) != sorted(py):
        failures.append("%s: C %d shapes, Python %d; only C: %s; only Python: %s" % (
            p, len(c), len(py), sorted(set(c) - set(py))[:3], sorted(set(py) - set(c))[:3]))
    else:
        accepted += 1

for f in failures[:20]:
    print("FAIL:", f)
if failures:
    print("test_grid_python: %d of %d grids read differently" % (len(failures), len(paths)))
    sys.exit(1)
if accepted < len(sources) or refused < 20:
    sys.exit("test_grid_python: too few grids accepted (%d) or refused (%d)" % (accepted, refused))
print("test_grid_python: ok (%d grids read alike: %d accepted, %d refused)"
      % (len(paths), accepted, refused))
