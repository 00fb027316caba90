#!/usr/bin/env python3
"""test_trace.py -- ctest cases for tools/attnroute_trace.py.

    test_trace.py --root SRC --work DIR CASE

Each CASE runs the trace synthesizer into its own work folder and checks the
written trace against the engine it simulates: the format (magic, class
lines, call lines), the scheduler's limits (token budget, sequences per step,
KV capacity, context limit), multi-turn reuse through the prefix cache, and
determinism for a seed.  Exit 0 pass, 1 fail.
"""
import argparse
import os
import subprocess
import sys

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(ctx, *args):
    tool = os.path.join(ctx.root, "tools", "attnroute_trace.py")
    return subprocess.run([sys.executable, tool] + list(args), capture_output=True, text=True)


def parse(path):
    """[(class_line, [(kind, [(sq, ctx), ...]), ...]), ...] with strict checks."""
    sections, magic = [], False
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if not magic:
                check(line == "attnroute-trace 1", "%s:%d: magic line, got %r" % (path, n, line))
                magic = True
                continue
            words = line.split()
            if words[0] == "class":
                sections.append((line, []))
                continue
            check(words[0] in ("prefill", "decode"), "%s:%d: unknown word %r" % (path, n, words[0]))
            check(sections, "%s:%d: call before a class line" % (path, n))
            check(len(words) >= 2, "%s:%d: no sequences" % (path, n))
            seqs = []
            for tok in words[1:]:
                sq, ctx = (int(x) for x in tok.split(":"))
                check(1 <= sq <= ctx, "%s:%d: bad sequence %s" % (path, n, tok))
                seqs.append((sq, ctx))
            sections[-1][1].append((words[0], seqs))
    check(magic, "%s: no magic line" % path)
    return sections


@case
def format_and_limits(ctx):
    out = os.path.join(ctx.work, "t.trace")
    r = run(ctx, "-o", out, "--steps", "400", "--stride", "3", "--budget", "4096",
            "--max-seqs", "24", "--kv-capacity", "400000", "--seed", "7")
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    sections = parse(out)
    check(len(sections) == 4, "gpt-oss at TP 1,8, full and window: 4 classes, got %d" % len(sections))
    heads = sorted(set(s[0].split("q_heads=")[1] for s in sections))
    check(heads == ["64 kv_heads=8", "8 kv_heads=1"], "heads per TP: %s" % heads)
    windows = sorted(s[0].split("window=")[1].split()[0] for s in sections)
    check(windows == ["-1", "-1", "128", "128"], "full and window layers: %s" % windows)
    calls = sections[0][1]
    check(all(s[1] == calls for s in sections), "every class holds the same calls")
    check(len(calls) == 400, "400 calls, got %d" % len(calls))
    kinds = set(k for k, _ in calls)
    check(kinds == {"prefill", "decode"}, "both step kinds: %s" % kinds)
    for kind, seqs in calls:
        check(len(seqs) <= 24, "at most --max-seqs sequences: %d" % len(seqs))
        check(sum(c for _, c in seqs) <= 400000, "contexts within the KV capacity")
        check(max(c for _, c in seqs) <= 131072, "contexts within the model's limit")
        if kind == "decode":
            check(all(sq == 1 for sq, _ in seqs), "decode: one new token per sequence")
        else:
            check(sum(sq for sq, _ in seqs) <= 4096, "prefill within the token budget")
    pre = [s for k, s in calls if k == "prefill"]
    check(any(c > q for s in pre for q, c in s), "prefills with a cached prefix (multi-turn reuse)")
    check(any(len(set(s)) > 1 for _, s in calls), "ragged batches")


@case
def deterministic(ctx):
    a, b, c = (os.path.join(ctx.work, n) for n in ("a.trace", "b.trace", "c.trace"))
    for path in (a, b):
        r = run(ctx, "-o", a if path == a else b, "--steps", "200", "--seed", "3", "--model", "llama",
                "--tp", "1")
        check(r.returncode == 0, r.stderr)
    r = run(ctx, "-o", c, "--steps", "200", "--seed", "4", "--model", "llama", "--tp", "1")
    check(r.returncode == 0, r.stderr)
    body = lambda p: [l for l in open(p) if not l.startswith("# command")]
    check(body(a) == body(b), "same seed, same trace")
    check(body(a) != body(c), "another seed, another trace")
    sections = parse(a)
    check(len(sections) == 1 and "head_dim=128" in sections[0][0] and "sinks=0" in sections[0][0],
          "llama at TP 1: one class, head dim 128, no sinks")
    r = run(ctx, "-o", c, "--steps", "20", "--model", "llama", "--heads", "32/8", "--tp", "1,8")
    check(r.returncode == 0, r.stderr)
    heads = [s[0].split("q_heads=")[1] for s in parse(c)]
    check(heads == ["32 kv_heads=8", "4 kv_heads=1"], "--heads 32/8 at TP 1 and 8: %s" % heads)


@case
def bad_arguments(ctx):
    out = os.path.join(ctx.work, "bad.trace")
    for args, word in ((["--tp", "3"], "--tp"), (["--first-prompt", "9:2"], "--first-prompt"),
                       (["--rate", "nan"], "--rate"), (["--steps", "0"], "--steps"),
                       (["--kv-capacity", "10"], "--kv-capacity"), (["--cache-hit", "2"], "--cache-hit"),
                       (["--heads", "6/4"], "--heads"), (["--heads", "x"], "--heads")):
        r = run(ctx, "-o", out, *args)
        check(r.returncode == 2, "%s: exit 2, got %d" % (args, r.returncode))
        check(word in r.stderr, "%s: message names %s: %r" % (args, word, r.stderr))
        check(not os.path.exists(out), "%s: nothing written" % args)
    r = run(ctx, "-o", os.path.join(ctx.work, "no", "such", "dir", "t.trace"), "--steps", "5")
    check(r.returncode == 1 and "cannot write" in r.stderr, "unwritable output: exit 1, %r" % r.stderr)
    r = run(ctx, "--version")
    check(r.returncode == 0 and "attnroute_trace" in r.stdout, "--version")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("case", choices=sorted(CASES))
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    for f in os.listdir(a.work):
        os.unlink(os.path.join(a.work, f))
    try:
        CASES[a.case](a)
    except Fail as e:
        print("FAIL %s: %s" % (a.case, e))
        return 1
    print("ok %s" % a.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
