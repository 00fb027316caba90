"""replay_plan.py -- the host half of examples/engine_replay.py (standard
library only, no GPU): the calls of a trace (a trace file, or the calls a
tuner trace db recorded), the exact inputs each call needs on the device,
and the kernels each candidate launches on them with the tuner's arguments.

What the tuner does is mirrored here, so the replay runs the tuner's
problem and the tuner's launches:
  - inputs (tuner/core/workload.c ar_inputs_make_ragged): one query block per
    sequence (cu_seqlens_q), every sequence's whole context in the paged
    cache (seq_lens_k, cu_seqlens_k), ceil(ctx / page) pages of its own per
    sequence, AR_SPARE_BLOCKS spare pages;
  - split counts (tuner/candidates/families.c ar_decode_splits, ar_aiter_segments,
    ar_gluon_splits, and the batch statistics ar_workload_upload computes
    for the balanced rule: the keys a query row group of each sequence
    reads, its context or, with a window, window + sq - 1);
  - launches (tuner/candidates/families.c's run functions, per family).
tests/python/test_replay_plan.py checks these against the trace lines, and
the split counts against the C functions themselves.
"""
import sqlite3

DTYPE_NAMES = ("bf16", "fp16", "fp8_e4m3", "fp32")
CLASS_KEYS = ("head_dim", "sinks", "window", "block", "dtype", "kv_dtype", "causal",
              "q_heads", "kv_heads")
AR_SPARE_BLOCKS = 3                 # tuner/core/workload.c
AR_MAX_SPLITS = 64                  # tuner/core/measure.h
AR_DECODE_MIN_KEYS_PER_SPLIT = 128  # kernels/attn_variants.h
AR_DECODE_FIXED_SPLITS = 16         # kernels/attn_variants.h (the s16 candidate)


class TraceError(Exception):
    pass


def default_class():
    return {"sinks": 0, "window": -1, "block": 16, "dtype": "bf16", "kv_dtype": "bf16",
            "causal": 1}


def read_trace(path):
    """The calls of a trace file (tools/attnroute_trace.py's format): a list
    of (class dict, step, [(sq, ctx), ...]).  Raises TraceError naming
    file:line."""
    calls, cls, magic = [], None, False
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = "%s:%d" % (path, n)
            words = line.split()
            if not magic:
                if words != ["attnroute-trace", "1"]:
                    raise TraceError("%s: not an attnroute trace (want 'attnroute-trace 1')"
                                     % where)
                magic = True
            elif words[0] == "class":
                cls = default_class()
                for w in words[1:]:
                    k, eq, v = w.partition("=")
                    if not eq or k not in CLASS_KEYS:
                        raise TraceError("%s: unknown class key %r" % (where, w))
                    if k in ("dtype", "kv_dtype"):
                        if v not in DTYPE_NAMES:
                            raise TraceError("%s: unknown dtype %r" % (where, v))
                        cls[k] = v
                    else:
                        try:
                            cls[k] = int(v)
                        except ValueError:
                            raise TraceError("%s: %s=%r is no integer" % (where, k, v)) from None
                for k in ("head_dim", "q_heads", "kv_heads"):
                    if k not in cls:
                        raise TraceError("%s: class without %s" % (where, k))
            elif words[0] in ("prefill", "decode"):
                if cls is None:
                    raise TraceError("%s: a call before any class line" % where)
                seqs = []
                for w in words[1:]:
                    seqs.append(parse_seq(w, where))
                if not seqs:
                    raise TraceError("%s: a call without sequences" % where)
                calls.append((cls, words[0], seqs))
            else:
                raise TraceError("%s: unknown line %r" % (where, words[0]))
    if not magic:
        raise TraceError("%s: empty trace" % path)
    return calls


def parse_seq(word, where):
    sq, colon, ctx = word.partition(":")
    try:
        sq, ctx = int(sq), int(ctx)
    except ValueError:
        raise TraceError("%s: %r is not sq:ctx" % (where, word)) from None
    if not colon or sq < 1 or ctx < sq:
        raise TraceError("%s: %r: need 1 <= sq <= ctx" % (where, word))
    return (sq, ctx)


def read_trace_db(path, trace=None):
    """The calls a tuner trace db recorded (attnroute-tune --trace: tables
    trace_call and shape), in call order, and what the tuner measured on
    each: (calls, names, measured) where calls is as read_trace's, names the
    trace each call belongs to plus its call_index, and measured[i] maps
    candidate name -> (status, median_us) for call i (the newest run's row
    per candidate).  trace: only the calls of this trace name."""
    try:
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        rows = con.execute(
            "select tc.trace, tc.call_index, tc.step, s.id, s.head_dim, s.q_dtype, s.kv_dtype, "
            "s.has_sinks, s.sliding_window, s.kv_block_size, s.causal, s.num_seqs, s.seqlen_q, "
            "s.seqlen_k, s.num_q_heads, s.num_kv_heads, s.seqs from trace_call tc "
            "join shape s on s.id = tc.shape_id "
            "where ? is null or tc.trace = ? order by tc.trace, tc.call_index",
            (trace, trace)).fetchall()
        meas = {}
        for sid, name, status, med in con.execute(
                "select m.shape_id, c.name, m.status, m.median_us from measurement m "
                "join candidate c on c.id = m.candidate_id order by m.run_id, m.id"):
            meas.setdefault(sid, {})[name] = (status, med)
        con.close()
    except sqlite3.Error as e:
        raise TraceError("%s: not a tuner trace db: %s" % (path, e)) from None
    calls, names, measured = [], [], []
    for (tr, idx, step, sid, d, qdt, kvdt, sinks, win, block, causal, ns, sq, sk, hq, hkv,
         seqs_text) in rows:
        where = "%s: trace %s call %d" % (path, tr, idx)
        cls = {"head_dim": d, "sinks": sinks, "window": win, "block": block, "dtype": qdt,
               "kv_dtype": kvdt, "causal": causal, "q_heads": hq, "kv_heads": hkv}
        if seqs_text:
            seqs = [parse_seq(w, where) for w in seqs_text.split(",")]
        else:
            seqs = [(sq, sk)] * ns
        if (len(seqs) != ns or max(q for q, _ in seqs) != sq or
                max(c for _, c in seqs) != sk):
            raise TraceError("%s: seqs %r disagree with num_seqs %d, seqlen_q %d, seqlen_k %d"
                             % (where, seqs_text, ns, sq, sk))
        calls.append((cls, step, seqs))
        names.append((tr, idx))
        measured.append(meas.get(sid, {}))
    if not calls:
        raise TraceError("%s: no trace calls%s" % (path, " of trace %r" % trace if trace else ""))
    return calls, names, measured


def visible_keys(sq, ctx, causal, window):
    """Sum over a sequence's sq query rows of the keys each row sees (row i
    sees keys j <= i + ctx - sq when causal, and j > i + ctx - sq - window
    with a window)."""
    off = ctx - sq
    total = 0
    if not causal and window <= 0:
        return sq * ctx
    if window <= 0:  # causal, no window: row i sees off + i + 1 keys
        return sq * off + sq * (sq + 1) // 2
    for i in range(sq):
        hi = min(i + off, ctx - 1) if causal else ctx - 1
        lo = max(i + off - window + 1, 0)
        total += max(0, hi - lo + 1)
    return total


class CallInputs:
    """The device inputs of one call, as the tuner builds them for the
    same batch (tuner/core/workload.c), in plain integers:

      seqs            [(sq, ctx)] in batch order (ctx = cached prefix + sq)
      num_seqs, total_q, total_k, max_sq, max_ctx
      cached          max_ctx - max_sq (the tuner's w->cached)
      has_cached      some sequence has a prefix (ctx > sq)
      cu_seqlens_q    [0, sq_0, sq_0 + sq_1, ...]
      cu_seqlens_k    [0, ctx_0, ...]
      seq_lens_k      [ctx_0, ...]
      pages           [ceil(ctx_b / page)] pages of sequence b
      max_blocks_per_seq, used_blocks, num_blocks (used + AR_SPARE_BLOCKS)
      split_keys      per sequence, the keys one query row group reads:
                      ctx, or with a window min(ctx, window + sq - 1)
      split_max_keys, split_key_work   what the balanced split rule reads
      kv_bytes        K and V bytes a kernel reading each sequence's
                      visible keys once per kv head moves (bf16 caches)
      flops           4 x visible (query, key) pairs x Hq x D (the tuner's
                      ar_shape_flops)
    """

    def __init__(self, cls, seqs):
        if not seqs:
            raise ValueError("a call without sequences")
        self.cls = dict(cls)
        self.seqs = [(int(q), int(c)) for q, c in seqs]
        for q, c in self.seqs:
            if q < 1 or c < q:
                raise ValueError("sequence %d:%d: need 1 <= sq <= ctx" % (q, c))
        hq, hkv, d = cls["q_heads"], cls["kv_heads"], cls["head_dim"]
        page, window = cls["block"], cls["window"]
        if hkv < 1 or hq % hkv:
            raise ValueError("heads %d/%d: Hq must be a multiple of Hkv" % (hq, hkv))
        g = hq // hkv
        self.num_seqs = len(self.seqs)
        self.total_q = sum(q for q, _ in self.seqs)
        self.total_k = sum(c for _, c in self.seqs)
        self.max_sq = max(q for q, _ in self.seqs)
        self.max_ctx = max(c for _, c in self.seqs)
        self.cached = self.max_ctx - self.max_sq
        self.has_cached = any(c > q for q, c in self.seqs)
        self.cu_seqlens_q, self.cu_seqlens_k = [0], [0]
        for q, c in self.seqs:
            self.cu_seqlens_q.append(self.cu_seqlens_q[-1] + q)
            self.cu_seqlens_k.append(self.cu_seqlens_k[-1] + c)
        self.seq_lens_k = [c for _, c in self.seqs]
        self.pages = [-(-c // page) for c in self.seq_lens_k]
        self.max_blocks_per_seq = -(-self.max_ctx // page)
        self.used_blocks = sum(self.pages)
        self.num_blocks = self.used_blocks + AR_SPARE_BLOCKS
        self.split_keys = [min(c, window + q - 1) if window > 0 else c for q, c in self.seqs]
        self.split_max_keys = max(self.split_keys)
        self.split_key_work = sum(k * hkv * ((q * g + 15) // 16)
                                  for k, (q, _) in zip(self.split_keys, self.seqs))
        vis = sum(visible_keys(q, c, cls["causal"], window) for q, c in self.seqs)
        self.flops = 4.0 * vis * hq * d
        read = sum(min(c, window + q - 1) if window > 0 else c for q, c in self.seqs)
        self.kv_bytes = 2 * read * hkv * d * 2

    def problem_fields(self):
        """The attnroute problem of the call, as Router.select keywords (the
        ragged totals included)."""
        c = self.cls
        return dict(num_seqs=self.num_seqs, max_seqlen_q=self.max_sq,
                    max_seqlen_k=self.max_ctx, has_cached=int(self.has_cached),
                    num_q_heads=c["q_heads"], num_kv_heads=c["kv_heads"],
                    head_dim=c["head_dim"], q_dtype=c["dtype"], kv_dtype=c["kv_dtype"],
                    has_sinks=c["sinks"], sliding_window=c["window"],
                    kv_block_size=c["block"], causal=c["causal"],
                    total_seqlen_q=self.total_q, total_seqlen_k=self.total_k)

    def describe(self):
        c = self.cls
        return ("seqs %d (sq <= %d, ctx <= %d; %d q, %d k tokens) heads %d/%d d %d page %d "
                "window %d: reads %.1f MB of KV" % (
                    self.num_seqs, self.max_sq, self.max_ctx, self.total_q, self.total_k,
                    c["q_heads"], c["kv_heads"], c["head_dim"], c["block"], c["window"],
                    self.kv_bytes / 1e6))


def _next_pow2(n):
    p = 1
    while p < n:
        p *= 2
    return p


def aiter_segments(x, cu_count):
    """tuner/candidates/families.c ar_aiter_segments (aiter's gfx12 3D segment count)."""
    c = x.cls
    page = c["block"] if c["block"] > 0 else 1
    if c["window"] > 0:
        return 1
    wpe = 1
    if c["head_dim"] < 128:
        if c["kv_dtype"] in ("bf16", "fp16") and page <= 64:
            wpe = 2
        elif c["kv_dtype"] == "fp8_e4m3" and page <= 128:
            wpe = 2
    occ = wpe * 4
    programs = x.num_seqs * c["kv_heads"]
    seg = (cu_count if cu_count > 0 else 1) * 4 // 4 * occ // (programs if programs > 0 else 1)
    seg = max(seg, 1)
    cap = ((x.max_ctx if x.max_ctx > 0 else 1) + page - 1) // page
    seg = _next_pow2(min(seg, cap))
    return min(seg, 0x40000000)


def gluon_splits(x, cu_count):
    """tuner/candidates/families.c ar_gluon_splits (aiter's get_recommended_splits)."""
    c = x.cls
    if c["window"] > 0:
        return 1
    programs = max(1, x.num_seqs * c["kv_heads"])
    n = ((cu_count if cu_count > 0 else 1) * 2 + programs - 1) // programs
    n = min(n, 8, ((x.max_ctx if x.max_ctx > 0 else 1) + 255) // 256)
    return max(n, 1)


def decode_splits(tag, x, cu_count, max_splits=AR_MAX_SPLITS):
    """Split count of a paged_decode candidate by its split tag (sN, auto,
    bal, aiter, aiter_gather, gluon) on the call x: tuner/candidates/families.c
    ar_decode_splits, clamped to [1, max_splits]."""
    cus = cu_count if cu_count > 0 else 1
    c = x.cls
    if tag in ("aiter", "aiter_gather"):
        n = aiter_segments(x, cu_count)
    elif tag == "gluon":
        n = gluon_splits(x, cu_count)
    elif tag == "auto":
        g = c["q_heads"] // c["kv_heads"] if c["kv_heads"] > 0 else 1
        groups = (x.max_sq * g + 15) // 16
        work = x.num_seqs * c["kv_heads"] * groups
        by_keys = (x.max_ctx + AR_DECODE_MIN_KEYS_PER_SPLIT - 1) // AR_DECODE_MIN_KEYS_PER_SPLIT
        n = (cus + work - 1) // work if work > 0 else 1
        n = min(n, by_keys)
    elif tag == "bal":
        longest = x.split_max_keys if x.split_max_keys > 0 else 1
        budget = max(x.split_key_work // (2 * cus), AR_DECODE_MIN_KEYS_PER_SPLIT)
        n = (longest + budget - 1) // budget
    elif tag[:1] == "s" and tag[1:].isdigit() and int(tag[1:]) > 0:
        n = int(tag[1:])
    else:
        raise KeyError("unknown split tag %r" % tag)
    return max(1, min(n, max_splits))


class Launch:
    """One kernel launch of a candidate: symbol, the argument struct it
    takes (gather, dense, paged, reduce), what it reads as K/V for dense
    ("new" rows or the "gathered" ones), and its split count."""
    __slots__ = ("symbol", "args", "kv", "splits")

    def __init__(self, symbol, args, kv=None, splits=1):
        self.symbol, self.args, self.kv, self.splits = symbol, args, kv, splits

    def __repr__(self):
        extra = " kv=%s" % self.kv if self.kv else ""
        return "%s(%s%s%s)" % (self.symbol, self.args, extra,
                               " splits=%d" % self.splits if self.args != "gather" else "")


GATHER_SYMBOLS = {"gather": "ar_gather_tok", "gather_page": "ar_gather_page"}


def launches(name, x, cu_count):
    """The launches of candidate `name` on call x, in order, as the tuner's
    family run functions make them (tuner/candidates/families.c).  Raises KeyError for
    a candidate this replay has no kernels for (aiter's, a legacy route)."""
    parts = name.split(".")
    fam, d = parts[0], parts[-1]
    if not (d.startswith("d") and d[1:].isdigit()):
        raise KeyError("no launcher for candidate %r" % name)
    if fam == "dense_sink" and len(parts) == 4 and parts[1] in GATHER_SYMBOLS:
        dense = Launch("ar_dense_%s_%s" % (parts[2], d), "dense", "gathered" if x.has_cached
                       else "new")
        return [Launch(GATHER_SYMBOLS[parts[1]], "gather"), dense] if x.has_cached else [dense]
    if fam == "paged" and len(parts) == 3:
        return [Launch("ar_paged_%s_%s" % (parts[1], d), "paged")]
    if fam == "paged_gather" and len(parts) == 3:  # pre-1345: the gather is paid for nothing
        paged = Launch("ar_paged_%s_%s" % (parts[1], d), "paged")
        return [Launch("ar_gather_tok", "gather"), paged] if x.cached > 0 else [paged]
    if fam == "paged_decode" and len(parts) == 4:
        n = decode_splits(parts[2], x, cu_count)
        out = [Launch("ar_gather_tok", "gather")] if parts[2] == "aiter_gather" and x.cached > 0 \
            else []
        out.append(Launch("ar_decode_%s_%s" % (parts[1], d), "paged", splits=n))
        if n > 1:  # with one split the split kernel writes out itself
            out.append(Launch("ar_decode_reduce", "reduce", splits=n))
        return out
    raise KeyError("no launcher for candidate %r" % name)
