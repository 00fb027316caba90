#!/usr/bin/env python3
"""attnroute_trace.py -- synthesize an attention-call trace by simulating a serving engine.

    attnroute_trace.py -o TRACE [--model gpt-oss|llama] [--seed S] [--steps N] ...

Simulates what an LLM serving engine's scheduler issues, step by step, and
writes one attention call per engine step in the trace format attnroute-tune
reads with --trace (format below):

  - conversations arrive as a Poisson process (--rate per second), each with
    a geometric number of turns (--turns, mean); between turns the user
    thinks (--think, mean seconds, exponential);
  - a turn's prompt is the conversation's whole history (earlier prompts and
    answers) plus new user tokens (--first-prompt for the first turn,
    --followup-prompt after it: P50:P90 of a log-normal); the history is
    found in the prefix cache with probability --cache-hit, so it is a
    cached prefix of the prefill, not new tokens;
  - answers are --output tokens long (P50:P90, log-normal); a conversation
    ends when its next turn would pass the model's context limit
    (--max-context), answers are cut at it;
  - the scheduler runs prefill first (as ATOM and vLLM's default scheduler
    do): while prompts wait it issues a prefill step of at most --budget new
    tokens (chunked prefill: unfinished prompts continue first, then waiting
    ones are admitted while the batch has fewer than --max-seqs sequences
    and the KV cache (--kv-capacity tokens, each request reserving its whole
    answer) has room); otherwise a decode step of every running sequence;
  - simulated time advances by a rough step-cost model (a fixed cost plus a
    cost per new token and per context token) that only orders arrivals.

The first --warmup seconds are simulated and not written (the engine starts
empty), then steps are written until --steps are: every prefill step
(--prefill-stride) and every tenth decode step (--stride), so a trace spans
minutes of serving and still holds its rarer prefill steps.  The same call list is written once
per model class (every TP degree in --tp, and for gpt-oss both the full and
the sliding-window-128 layers): every layer of a step makes the same call.

Trace format (version 1):

    # comments
    attnroute-trace 1
    class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 q_heads=64 kv_heads=8
    prefill 2048:10240 512:512
    decode 1:27001 1:5120

`prefill`/`decode` is the engine's step kind (is_prefill); each `sq:ctx` is
one sequence: sq new query tokens attending to ctx keys (cached prefix plus
the new tokens), 1 <= sq <= ctx.

Deterministic for a seed (Python's Mersenne Twister).  Exit status: 0
written, 2 bad arguments, 1 cannot write.  Python 3 standard library only.
"""

import argparse
import collections
import heapq
import math
import os
import random
import sys

VERSION = "attnroute_trace 0.1.0"
TRACE_MAGIC = "attnroute-trace 1"

MODELS = {
    # head_dim, sinks, windows (layer kinds), heads per TP degree at TP 1
    "gpt-oss": {"head_dim": 64, "sinks": 1, "windows": (-1, 128), "heads": (64, 8),
                "max_context": 131072},
    "llama": {"head_dim": 128, "sinks": 0, "windows": (-1,), "heads": (64, 8),
              "max_context": 131072},
}

# Step-cost model (seconds): only orders arrivals against steps.
STEP_FIXED_S = 0.012
STEP_PER_NEW_TOKEN_S = 4e-5
STEP_PER_CONTEXT_TOKEN_S = 5e-9

Z90 = 1.2815515655446004  # standard normal quantile of 0.9


class ArgError(Exception):
    """Bad command line: exit status 2."""


def parse_p50_p90(name, text):
    """'P50:P90' -> (p50, p90) with 1 <= p50 <= p90."""
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        p50, p90 = int(parts[0]), int(parts[1])
    except ValueError:
        raise ArgError("%s: '%s' is not P50:P90 (two integers)" % (name, text))
    if p50 < 1 or p90 < p50:
        raise ArgError("%s: '%s' needs 1 <= P50 <= P90" % (name, text))
    return p50, p90


def parse_heads(text):
    """'HQ/HKV' -> (hq, hkv) with HKV dividing HQ."""
    try:
        hq, hkv = (int(x) for x in text.split("/"))
    except ValueError:
        raise ArgError("--heads: '%s' is not HQ/HKV (two integers)" % text)
    if hq < 1 or hkv < 1 or hq % hkv or hq > 4096:
        raise ArgError("--heads: '%s' needs 1 <= HKV, HKV dividing HQ, HQ <= 4096" % text)
    return hq, hkv


def parse_tp(text, heads):
    out = []
    for tok in text.split(","):
        try:
            tp = int(tok)
        except ValueError:
            raise ArgError("--tp: '%s' is not an integer" % tok)
        if tp < 1 or heads[0] % tp or heads[1] % tp:
            raise ArgError("--tp: %d does not divide the model's %d/%d heads" %
                           (tp, heads[0], heads[1]))
        if tp not in out:
            out.append(tp)
    return out


class LogNormal:
    """Integer log-normal draws with the given median and 90th percentile."""

    def __init__(self, p50, p90):
        self.mu = math.log(p50)
        self.sigma = (math.log(p90) - math.log(p50)) / Z90

    def draw(self, rng):
        return max(1, int(round(math.exp(rng.gauss(self.mu, self.sigma)))))


class Request:
    __slots__ = ("conv", "prompt", "done", "output", "generated", "arrived")

    def __init__(self, conv, prompt, cached, output, arrived):
        self.conv = conv
        self.prompt = prompt        # prompt tokens in all (history + new)
        self.done = cached          # prompt tokens in the KV cache so far
        self.output = output        # answer tokens to generate
        self.generated = 0
        self.arrived = arrived

    def context(self):
        return self.done + self.generated


class Conversation:
    __slots__ = ("turns_left", "history")

    def __init__(self, turns):
        self.turns_left = turns
        self.history = 0


class Engine:
    """The scheduler and the world around it; step() returns one call."""

    def __init__(self, a, rng):
        self.a = a
        self.rng = rng
        self.first = LogNormal(*a.first_prompt)
        self.followup = LogNormal(*a.followup_prompt)
        self.output = LogNormal(*a.output)
        self.now = 0.0
        self.events = []            # (time, seq, kind, conversation)
        self.seq = 0
        self.waiting = collections.deque()
        self.prefilling = []        # admitted, prompt not finished
        self.decoding = []
        self.reserved = 0           # KV tokens reserved by admitted requests
        self.schedule_arrival(self.rng.expovariate(a.rate))

    def push(self, t, kind, conv):
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, conv))

    def schedule_arrival(self, t):
        self.push(t, "arrive", None)

    def turn(self, conv, first):
        """A new turn of conv enters the waiting queue (or the conversation ends)."""
        a = self.a
        new = (self.first if first else self.followup).draw(self.rng)
        prompt = conv.history + new
        if prompt + 1 > a.max_context or conv.turns_left <= 0:
            return
        conv.turns_left -= 1
        out = min(self.output.draw(self.rng), a.max_context - prompt)
        cached = conv.history if conv.history and self.rng.random() < a.cache_hit else 0
        if cached >= prompt:
            cached = prompt - 1
        self.waiting.append(Request(conv, prompt, cached, out, self.now))

    def advance_world(self):
        while self.events and self.events[0][0] <= self.now:
            t, _, kind, conv = heapq.heappop(self.events)
            if kind == "arrive":
                turns = 1
                while self.rng.random() < 1.0 - 1.0 / self.a.turns:
                    turns += 1
                self.turn(Conversation(turns), True)
                self.schedule_arrival(t + self.rng.expovariate(self.a.rate))
            else:
                self.turn(conv, False)

    def admit(self, r):
        need = r.prompt + r.output
        if len(self.prefilling) + len(self.decoding) >= self.a.max_seqs:
            return False
        if self.reserved + need > self.a.kv_capacity:
            return False
        self.reserved += need
        return True

    def step(self):
        """One engine step: ('prefill'|'decode', [(sq, ctx), ...]) or None when idle."""
        a = self.a
        self.advance_world()
        while self.waiting and self.admit(self.waiting[0]):
            self.prefilling.append(self.waiting.popleft())
        if self.prefilling:
            budget, seqs, new_tokens = a.budget, [], 0
            for r in self.prefilling:
                if budget <= 0:
                    break
                sq = min(r.prompt - r.done, budget)
                seqs.append((sq, r.done + sq))
                r.done += sq
                budget -= sq
                new_tokens += sq
            ctx_total = sum(c for _, c in seqs)
            still = []
            for r in self.prefilling:
                if r.done >= r.prompt:
                    r.generated = 1      # the prefill step samples the first token
                    self.finish_or_decode(r)
                else:
                    still.append(r)
            self.prefilling = still
            self.now += STEP_FIXED_S + STEP_PER_NEW_TOKEN_S * new_tokens + \
                STEP_PER_CONTEXT_TOKEN_S * ctx_total
            return "prefill", seqs
        if self.decoding:
            seqs = [(1, r.context()) for r in self.decoding]
            for r in self.decoding:
                r.generated += 1
            ctx_total = sum(c for _, c in seqs)
            running = self.decoding
            self.decoding = []
            for r in running:
                self.finish_or_decode(r)
            self.now += STEP_FIXED_S + STEP_PER_NEW_TOKEN_S * len(seqs) + \
                STEP_PER_CONTEXT_TOKEN_S * ctx_total
            return "decode", seqs
        # idle: jump to the next event
        if self.events:
            self.now = max(self.now, self.events[0][0])
        return None

    def finish_or_decode(self, r):
        if r.generated < r.output:
            self.decoding.append(r)
            return
        self.reserved -= r.prompt + r.output
        conv = r.conv
        conv.history = r.prompt + r.output
        if conv.turns_left > 0:
            self.push(self.now + self.rng.expovariate(1.0 / self.a.think), "turn", conv)


def simulate(a):
    """The written calls, in order: [(kind, [(sq, ctx), ...]), ...]."""
    rng = random.Random(a.seed)
    eng = Engine(a, rng)
    calls = []
    counted = {"prefill": 0, "decode": 0}
    stride = {"prefill": a.prefill_stride, "decode": a.stride}
    while eng.now < a.warmup or len(calls) < a.steps:
        c = eng.step()
        if c is None or eng.now < a.warmup:
            continue
        if counted[c[0]] % stride[c[0]] == 0:
            calls.append(c)
        counted[c[0]] += 1
    return calls


def classes(a):
    m = MODELS[a.model]
    hq, hkv = a.heads
    out = []
    for tp in a.tp:
        for w in m["windows"]:
            out.append("class head_dim=%d sinks=%d window=%d block=%d dtype=bf16 "
                       "kv_dtype=bf16 causal=1 q_heads=%d kv_heads=%d" %
                       (m["head_dim"], m["sinks"], w, a.block, hq // tp, hkv // tp))
    return out


def render(a, calls, argv):
    pre = [c for c in calls if c[0] == "prefill"]
    dec = [c for c in calls if c[0] == "decode"]
    maxctx = max((ctx for _, s in calls for _, ctx in s), default=0)
    dec_seqs = sorted(len(s) for _, s in dec)
    med = dec_seqs[len(dec_seqs) // 2] if dec_seqs else 0
    cached_pre = sum(1 for _, s in pre if any(ctx > sq for sq, ctx in s))
    lines = [
        "# attnroute trace, synthesized by tools/attnroute_trace.py (generated; do not edit)",
        "# command: attnroute_trace.py " + " ".join(argv),
        "# model %s, TP %s, %d calls per class: %d prefill (%d with a cached prefix), "
        "%d decode (median %d sequences); longest context %d" %
        (a.model, ",".join(str(t) for t in a.tp), len(calls), len(pre), cached_pre,
         len(dec), med, maxctx),
        TRACE_MAGIC,
    ]
    body = ["%s %s" % (kind, " ".join("%d:%d" % sc for sc in seqs)) for kind, seqs in calls]
    for cl in classes(a):
        lines.append(cl)
        lines.extend(body)
    return "\n".join(lines) + "\n"


def build_parser():
    p = argparse.ArgumentParser(
        prog="attnroute_trace.py",
        description="Synthesize an attention-call trace by simulating a serving engine "
                    "(multi-turn conversations, prefix cache, chunked prefill).")
    p.add_argument("-o", "--output-file", dest="out", required=True, help="trace file to write")
    p.add_argument("--model", choices=sorted(MODELS), default="gpt-oss")
    p.add_argument("--tp", default="1,8", help="TP degrees, comma-separated (default 1,8)")
    p.add_argument("--heads", default=None,
                   help="q/kv heads at TP 1, e.g. 32/8 (default: the model's, gpt-oss 64/8, "
                        "llama 64/8)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=2000, help="engine steps written (default 2000)")
    p.add_argument("--stride", type=int, default=10,
                   help="write every STRIDE-th decode step, so the trace spans more time "
                        "(default 10)")
    p.add_argument("--prefill-stride", type=int, default=1,
                   help="write every STRIDE-th prefill step (default 1: all of them)")
    p.add_argument("--warmup", type=float, default=900.0,
                   help="simulated seconds before the first written step (default 900)")
    p.add_argument("--rate", type=float, default=0.3, help="conversations per second (default 0.3)")
    p.add_argument("--turns", type=float, default=10.0, help="mean turns per conversation (default 10)")
    p.add_argument("--think", type=float, default=20.0, help="mean seconds between turns (default 20)")
    p.add_argument("--first-prompt", default="7000:27000", help="first prompt P50:P90 tokens")
    p.add_argument("--followup-prompt", default="1500:8000", help="follow-up prompt P50:P90 tokens")
    p.add_argument("--output", default="800:4000", help="answer length P50:P90 tokens")
    p.add_argument("--cache-hit", type=float, default=0.9,
                   help="probability a turn finds its history in the prefix cache (default 0.9)")
    p.add_argument("--budget", type=int, default=8192, help="new tokens per prefill step (default 8192)")
    p.add_argument("--max-seqs", type=int, default=256, help="sequences per step (default 256)")
    p.add_argument("--max-context", type=int, default=None,
                   help="model context limit (default: the model's, 131072)")
    p.add_argument("--kv-capacity", type=int, default=1 << 20,
                   help="KV cache capacity in tokens (default 1048576)")
    p.add_argument("--block", type=int, default=16, help="KV page size (default 16)")
    p.add_argument("--version", action="version", version=VERSION)
    return p


def check_args(a):
    def need(cond, msg):
        if not cond:
            raise ArgError(msg)
    for name in ("warmup", "rate", "turns", "think", "cache_hit"):
        v = getattr(a, name)
        need(math.isfinite(v), "--%s: must be a finite number" % name.replace("_", "-"))
    need(a.steps >= 1 and a.steps <= 10000000, "--steps: must be in 1..10000000")
    need(1 <= a.stride <= 1000000, "--stride: must be in 1..1000000")
    need(1 <= a.prefill_stride <= 1000000, "--prefill-stride: must be in 1..1000000")
    need(a.warmup >= 0, "--warmup: must be >= 0")
    need(a.rate > 0, "--rate: must be > 0")
    need(a.turns >= 1, "--turns: must be >= 1")
    need(a.think > 0, "--think: must be > 0")
    need(0 <= a.cache_hit <= 1, "--cache-hit: must be in [0, 1]")
    need(a.budget >= 1, "--budget: must be >= 1")
    need(a.max_seqs >= 1, "--max-seqs: must be >= 1")
    need(a.block >= 1, "--block: must be >= 1")
    if a.max_context is None:
        a.max_context = MODELS[a.model]["max_context"]
    need(2 <= a.max_context <= (1 << 30), "--max-context: must be in 2..2^30")
    need(a.kv_capacity >= a.max_context,
         "--kv-capacity: must hold at least one full context (%d tokens)" % a.max_context)
    a.first_prompt = parse_p50_p90("--first-prompt", a.first_prompt)
    a.followup_prompt = parse_p50_p90("--followup-prompt", a.followup_prompt)
    a.output = parse_p50_p90("--output", a.output)
    a.heads = parse_heads(a.heads) if a.heads is not None else MODELS[a.model]["heads"]
    a.tp = parse_tp(a.tp, a.heads)


def main(argv):
    p = build_parser()
    a = p.parse_args(argv)
    try:
        check_args(a)
    except ArgError as e:
        print("attnroute_trace.py: %s" % e, file=sys.stderr)
        return 2
    calls = simulate(a)
    text = render(a, calls, argv)
    tmp = a.out + ".tmp"
    try:
        with open(tmp, "w", encoding="ascii") as f:
            f.write(text)
        os.replace(tmp, a.out)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        print("attnroute_trace.py: cannot write %s: %s" % (a.out, e.strerror or e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
