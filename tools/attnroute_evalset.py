#!/usr/bin/env python3
"""attnroute_evalset.py -- random off-grid shapes to evaluate a table on.

    attnroute_evalset.py GRID -o SHAPES [--count N] [--seed S]

GRID is a grid file (format in tuner/core/grid.h) or builtin:NAME for
grids/NAME.grid.  Writes N shapes in the shape-list format attnroute-tune
reads with --shapes, one per line:

    head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 num_seqs=3 seqlen_q=181 cached=5127 q_heads=64 kv_heads=8

The shapes are drawn inside the grid's range, class by class (N split evenly
over the grid's classes, the first classes taking the remainder):
  - num_seqs and seqlen_q log-uniform between the axis' smallest and largest
    grid value, rounded to an integer;
  - cached log-uniform in log(1 + cached) over the axis' range, rounded; when
    the axis holds 0, one draw in 8 is exactly 0 (prefill without a prefix);
  - when the seqlen_q axis holds 1, one draw in 8 is exactly 1 (decode);
  - the q/kv heads pair is one of the grid's pairs (heads are a model's,
    not a continuum);
  - num_seqs * seqlen_q <= max_tokens and num_seqs * (seqlen_q + cached) <=
    max_context_tokens when the class sets them.
Grid points themselves (every axis value on the grid) and repeats are
redrawn, so the table is judged on shapes it was not tuned on.  The output
is sorted and deterministic for a seed (Python's Mersenne Twister).

Exit status: 0 written (a warning on stderr when fewer than N distinct
off-grid shapes exist), 2 bad input (the grid's file:line is named) or an output
that cannot be written.  Python 3 standard library only.
"""

import argparse
import math
import os
import random
import sys

VERSION = "0.1.0"  # attnroute's version, as attnroute_gen.VERSION (tests/tools checks both)
DTYPES = ("bf16", "fp16", "fp8_e4m3", "fp32")
CLASS_KEYS = {"head_dim": (1, 1024), "sinks": (0, 1), "window": (-1, 1 << 30),
              "block": (1, 1 << 20), "causal": (0, 1)}
AXIS_RANGES = {"num_seqs": (1, 1 << 20), "seqlen_q": (1, 1 << 24), "cached": (0, 1 << 26)}
MAX_AXIS = 64
MAX_HEADS = 32
SPECIAL_FRACTION = 8      # one draw in 8 is cached=0 / seqlen_q=1 (see above)
TRIES_PER_SHAPE = 2000    # draws per wanted shape before giving up


class GridError(Exception):
    """Bad grid: "file:line: message", exit status 2."""


def parse_int(where, key, tok, lo, hi):
    """An integer with an optional k suffix (x1024) in [lo, hi], as grid.c."""
    text = tok
    mult = 1
    if text[-1:] in ("k", "K"):
        text, mult = text[:-1], 1024
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit() or not body.isascii():
        raise GridError("%s: %s: '%s' is not an integer" % (where, key, tok))
    v = int(text, 10) * mult
    if not lo <= v <= hi:
        raise GridError("%s: %s: %s is out of range [%d, %d]" % (where, key, tok, lo, hi))
    return v


def new_class(where, toks):
    """A grid section from a `class` line's key=value tokens."""
    c = {"head_dim": 0, "sinks": 0, "window": -1, "block": 16, "dtype": "bf16",
         "kv_dtype": "bf16", "causal": 1, "heads": None, "num_seqs": None,
         "seqlen_q": None, "cached": None, "max_tokens": 0, "max_context_tokens": 0,
         "where": where}
    seen = set()
    for tok in toks:
        if "=" not in tok:
            raise GridError("%s: class: expected key=value, got '%s'" % (where, tok))
        key, val = tok.split("=", 1)
        if key in seen:
            raise GridError("%s: class: '%s' is given twice" % (where, key))
        seen.add(key)
        if key in ("num_seqs", "seqlen_q", "cached", "q_heads", "kv_heads"):
            raise GridError("%s: class: '%s' is an axis, give it its own line" % (where, key))
        if key in ("dtype", "kv_dtype"):
            if val not in DTYPES:
                raise GridError("%s: %s: unknown dtype '%s' (bf16, fp16, fp8_e4m3, fp32)"
                                % (where, key, val))
            c[key] = val
        elif key in CLASS_KEYS:
            v = parse_int(where, key, val, *CLASS_KEYS[key])
            if key == "window" and v == 0:
                raise GridError("%s: window: 0 is not a width (use -1 for none)" % where)
            c[key] = v
        else:
            raise GridError("%s: class: unknown key '%s' (head_dim, sinks, window, block, "
                            "dtype, kv_dtype, causal)" % (where, key))
    if c["head_dim"] == 0:
        raise GridError("%s: class: head_dim is required" % where)
    return c


def close_class(c):
    if c is None:
        return
    for key in ("heads", "num_seqs", "seqlen_q", "cached"):
        if c[key] is None:
            raise GridError("%s: class has no '%s' line" % (c["where"], key))


def parse_grid(text, name):
    """Classes (dicts) of a grid text; GridError names name:line."""
    classes = []
    cur = None
    for lineno, raw in enumerate(text.split("\n"), 1):
        where = "%s:%d" % (name, lineno)
        if "\0" in raw:
            raise GridError("%s: NUL byte in text" % where)
        line = raw.split("#", 1)[0]
        toks = line.replace("\t", " ").replace("\r", " ").split()
        if not toks:
            continue
        head, rest = toks[0], toks[1:]
        if head == "class":
            close_class(cur)
            cur = new_class(where, rest)
            classes.append(cur)
            continue
        if cur is None:
            raise GridError("%s: '%s' before any 'class' line" % (where, head))
        if head == "heads":
            if not rest:
                raise GridError("%s: 'heads' needs at least one q/kv pair" % where)
            if len(rest) > MAX_HEADS:
                raise GridError("%s: 'heads' has more than %d pairs" % (where, MAX_HEADS))
            pairs = []
            for tok in rest:
                if "/" not in tok:
                    raise GridError("%s: heads: expected q_heads/kv_heads, got '%s'"
                                    % (where, tok))
                q, kv = tok.split("/", 1)
                hq = parse_int(where, "heads", q, 1, 4096)
                hkv = parse_int(where, "heads", kv, 1, 4096)
                if hq % hkv:
                    raise GridError("%s: heads: %d q heads are not a multiple of %d kv "
                                    "heads" % (where, hq, hkv))
                pairs.append((hq, hkv))
            cur["heads"] = pairs
        elif head in AXIS_RANGES:
            if not rest:
                raise GridError("%s: '%s' needs at least one value" % (where, head))
            if len(rest) > MAX_AXIS:
                raise GridError("%s: '%s' has more than %d values" % (where, head, MAX_AXIS))
            vals = []
            for tok in rest:
                v = parse_int(where, head, tok, *AXIS_RANGES[head])
                if v in vals:
                    raise GridError("%s: '%s': value %s is listed twice" % (where, head, tok))
                vals.append(v)
            cur[head] = vals
        elif head in ("max_tokens", "max_context_tokens"):
            if len(rest) != 1:
                raise GridError("%s: '%s' takes one value" % (where, head))
            cur[head] = parse_int(where, head, rest[0], 1, 2**31 - 1)
        else:
            raise GridError("%s: unknown line '%s' (class, heads, num_seqs, seqlen_q, "
                            "cached, max_tokens, max_context_tokens)" % (where, head))
    close_class(cur)
    if not any(grid_points(c) for c in classes):
        raise GridError("%s: no shapes (empty grid)" % name)
    return classes


def in_bounds(c, ns, sq, cached):
    """The class's max_tokens and max_context_tokens allow the shape."""
    return (not c["max_tokens"] or ns * sq <= c["max_tokens"]) and \
        (not c["max_context_tokens"] or ns * (sq + cached) <= c["max_context_tokens"])


def grid_points(c):
    """The shapes the tuner measures for class c: (hq, hkv, ns, sq, cached)."""
    pts = set()
    for hq, hkv in c["heads"]:
        for ns in c["num_seqs"]:
            for sq in c["seqlen_q"]:
                for cached in c["cached"]:
                    if in_bounds(c, ns, sq, cached):
                        pts.add((hq, hkv, ns, sq, cached))
    return pts


def load_grid(spec, root):
    if spec.startswith("builtin:"):
        name = spec[len("builtin:"):]
        path = os.path.join(root, "grids", name + ".grid")
        if not name or "/" in name or not os.path.isfile(path):
            known = sorted(f[:-5] for f in os.listdir(os.path.join(root, "grids"))
                           if f.endswith(".grid")) if os.path.isdir(
                               os.path.join(root, "grids")) else []
            raise GridError("%s: no such embedded grid (known: %s)"
                            % (spec, ", ".join(known) or "none"))
    else:
        path = spec
    try:
        with open(path, "rb") as f:
            data = f.read((64 << 20) + 1)
    except OSError as e:
        raise GridError("%s: cannot open: %s" % (path, e.strerror or e))
    if len(data) > 64 << 20:
        raise GridError("%s: larger than 64 MiB, not a grid" % path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise GridError("%s: not UTF-8 text, not a grid" % path)
    return parse_grid(text, path)


def log_uniform(rng, lo, hi):
    """An integer in [lo, hi] (lo >= 1) with log(v) uniform, rounded."""
    if lo == hi:
        return lo
    v = int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))
    return min(max(v, lo), hi)


def log1p_uniform(rng, lo, hi):
    """An integer in [lo, hi] (lo >= 0) with log(1 + v) uniform, rounded."""
    if lo == hi:
        return lo
    v = int(round(math.expm1(rng.uniform(math.log1p(lo), math.log1p(hi)))))
    return min(max(v, lo), hi)


def draw(rng, c):
    """One random shape (hq, hkv, ns, sq, cached) in class c's range."""
    hq, hkv = c["heads"][rng.randrange(len(c["heads"]))]
    ns_lo, ns_hi = min(c["num_seqs"]), max(c["num_seqs"])
    sq_lo, sq_hi = min(c["seqlen_q"]), max(c["seqlen_q"])
    ca_lo, ca_hi = min(c["cached"]), max(c["cached"])
    ns = log_uniform(rng, ns_lo, ns_hi)
    if sq_lo == 1 and rng.randrange(SPECIAL_FRACTION) == 0:
        sq = 1
    else:
        sq = log_uniform(rng, sq_lo, sq_hi)
    if ca_lo == 0 and rng.randrange(SPECIAL_FRACTION) == 0:
        cached = 0
    else:
        cached = log1p_uniform(rng, ca_lo, ca_hi)
    return (hq, hkv, ns, sq, cached)


def sample_class(rng, c, want):
    """Up to `want` distinct off-grid shapes of class c, sorted."""
    on_grid = (set(c["num_seqs"]), set(c["seqlen_q"]), set(c["cached"]))
    got = set()
    tries = 0
    while len(got) < want and tries < want * TRIES_PER_SHAPE:
        tries += 1
        s = draw(rng, c)
        hq, hkv, ns, sq, cached = s
        if not in_bounds(c, ns, sq, cached):
            continue
        if ns in on_grid[0] and sq in on_grid[1] and cached in on_grid[2]:
            continue  # a grid point: the table was tuned there
        got.add(s)
    return sorted(got)


def shape_line(c, s):
    hq, hkv, ns, sq, cached = s
    return ("head_dim=%d sinks=%d window=%d block=%d dtype=%s kv_dtype=%s causal=%d "
            "num_seqs=%d seqlen_q=%d cached=%d q_heads=%d kv_heads=%d" % (
                c["head_dim"], c["sinks"], c["window"], c["block"], c["dtype"],
                c["kv_dtype"], c["causal"], ns, sq, cached, hq, hkv))


def make_shapes(classes, count, seed):
    """(lines, shortfall): the shape-list lines for count shapes."""
    rng = random.Random(seed)
    lines = []
    seen = set()
    short = 0
    n = len(classes)
    for i, c in enumerate(classes):
        want = count // n + (1 if i < count % n else 0)
        if want == 0:
            continue
        shapes = sample_class(rng, c, want)
        short += want - len(shapes)
        for s in shapes:
            line = shape_line(c, s)
            if line not in seen:  # two classes with one static key
                seen.add(line)
                lines.append(line)
    return lines, short


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="attnroute_evalset.py",
        description="Random off-grid shapes (a shape list for attnroute-tune --shapes) "
        "drawn inside a grid's range, to measure how a table does on shapes it was "
        "not tuned on.")
    ap.add_argument("--version", action="version", version="%(prog)s " + VERSION)
    ap.add_argument("grid", help="grid file, or builtin:NAME for grids/NAME.grid")
    ap.add_argument("-o", "--output", required=True, help="shape list to write ('-': stdout)")
    ap.add_argument("--count", type=int, default=200, help="shapes in all (default 200)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not 1 <= args.count <= 1000000:
        sys.stderr.write("attnroute_evalset: --count %d: must be 1..1000000\n" % args.count)
        return 2
    try:
        classes = load_grid(args.grid, root)
    except GridError as e:
        sys.stderr.write("attnroute_evalset: %s\n" % e)
        return 2
    lines, short = make_shapes(classes, args.count, args.seed)
    if not lines:
        sys.stderr.write("attnroute_evalset: %s: no off-grid shapes exist in its range\n"
                         % args.grid)
        return 2
    if short:
        sys.stderr.write("attnroute_evalset: warning: %d of %d shapes written (the grid's "
                         "range holds no more distinct off-grid shapes)\n"
                         % (len(lines), args.count))
    text = ("# attnroute_evalset.py %s --count %d --seed %d: %d off-grid shapes\n"
            % (os.path.basename(args.grid), args.count, args.seed, len(lines))
            + "".join(l + "\n" for l in lines))
    try:
        if args.output == "-":
            sys.stdout.write(text)
        else:
            tmp = args.output + ".tmp"
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            os.replace(tmp, args.output)
    except OSError as e:
        if args.output != "-" and os.path.exists(args.output + ".tmp"):
            os.unlink(args.output + ".tmp")
        sys.stderr.write("attnroute_evalset: %s: cannot write: %s\n" % (args.output, e.strerror or e))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
