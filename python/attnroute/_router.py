"""_router.py -- attnroute.Table (a compiled table library), attnroute.Router
(a table bound to this device, answering one attention call at a time) and
the objects they return.

A Router owns its C state (attnroute_router, a problem, a choice, the miss
set's storage) in ctypes memory made once; a select packs the problem's
integers into that memory, makes one foreign call and returns a cached,
immutable Choice, so nothing is allocated per call once every distinct
answer has been seen.
"""
import ctypes
import operator
import os
import re
import struct
import tempfile

from . import _abi
from . import _lib
from ._lib import Error

PROBLEM_FIELDS = tuple(name for name, _ in _abi.Problem._fields_)
# What a selector takes per call (the rest is fixed per layer).
PER_CALL_FIELDS = tuple(f for f in ("num_seqs", "max_seqlen_q", "max_seqlen_k", "has_cached",
                                    "total_seqlen_q", "total_seqlen_k") if f in PROBLEM_FIELDS)
ENV_FIELDS = tuple(name for name, _ in _abi.Env._fields_)
_DTYPE_FIELDS = ("q_dtype", "kv_dtype")


def _int_field(name, value, table):
    """value as the int32 a struct field holds: bools, ints, and names for
    dtype and step fields."""
    if isinstance(value, str) and table is not None:
        try:
            return table[value]
        except KeyError:
            raise Error("%s=%r: unknown name (%s)" % (name, value, ", ".join(table))) from None
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, int):
        raise TypeError("%s=%r: expected an int" % (name, value))
    if not -2**31 <= value < 2**31:
        raise Error("%s=%d: outside int32" % (name, value))
    return value


def _name_table(field):
    if field in _DTYPE_FIELDS:
        return _abi.DTYPES
    if field == "step":
        return _abi.STEPS
    return None


class Table:
    """A compiled table: a shared library exporting one generated table as
    attnroute_table_export() (gen/attnroute_gen.py --library).  Raises Error
    when the file cannot be loaded or exports no table."""

    def __init__(self, path):
        self.path = os.fspath(path)
        try:
            self._dll = ctypes.CDLL(os.path.abspath(self.path))
        except OSError as e:
            raise Error("%s: cannot load the table library: %s" % (self.path, e)) from None
        try:
            export = self._dll.attnroute_table_export
        except AttributeError:
            raise Error("%s: exports no attnroute_table_export (not a compiled attnroute "
                        "table)" % self.path) from None
        export.restype = ctypes.c_void_p
        export.argtypes = []
        address = export()
        if not address:
            raise Error("%s: attnroute_table_export() returned NULL" % self.path)
        self.address = address
        head = (ctypes.c_uint32 * 2).from_address(address)
        self.abi, self.struct_size = head[0], head[1]
        # Fields past the ABI header are read only from a table of this ABI.
        self.readable = (self.abi == _abi.TABLE_ABI and
                         self.struct_size == ctypes.sizeof(_abi.Table))
        self.arch = self.device_name = self.provenance = self.product = None
        self.cu_count = self.memory_mib = None
        self.candidates = []
        self.legacy_routes = []
        if self.readable:
            t = _abi.Table.from_address(address)
            self.arch = t.arch.decode() if t.arch else None
            self.cu_count = t.cu_count
            self.device_name = t.device_name.decode() if t.device_name else None
            self.provenance = t.provenance.decode() if t.provenance else None
            self.memory_mib = t.memory_mib or None
            self.product = t.product.decode() if t.product else None
            for k in range(max(0, t.num_candidates)):
                c = t.candidates[k]
                self.candidates.append(c.name.decode() if c.name else None)
                self.legacy_routes.append(c.legacy_route)

    def __repr__(self):
        return "attnroute.Table(%r: %s:%s, %d candidates)" % (
            self.path, self.arch, self.cu_count, len(self.candidates))


class Choice:
    """The answer for one call.  candidate: index into the table's candidates,
    or -1 (run the legacy route); name: candidate name or "legacy:<route>";
    from_table: the table answered; reason / reason_text: the runtime's
    status (0, "answered from the table", or why the legacy policy answered);
    route / route_name: the legacy route when from_table is False (-1 and
    None otherwise); rank: position in the cell's ranking, -1 if legacy."""
    __slots__ = ("candidate", "name", "from_table", "reason", "reason_text", "route",
                 "route_name", "rank")

    def __init__(self, c):
        self.candidate = c.candidate
        self.name = c.name.decode() if c.name else None
        self.from_table = bool(c.from_table)
        self.reason = c.reason
        self.reason_text = _lib.status_text(c.reason)
        self.route = c.route
        self.route_name = _abi.ROUTE_NAMES[c.route] if 0 <= c.route < len(_abi.ROUTE_NAMES) \
            else None
        self.rank = c.rank

    def __setattr__(self, name, value):
        if hasattr(self, "rank"):
            raise AttributeError("Choice is immutable")
        object.__setattr__(self, name, value)

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return "Choice(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self.__slots__)


class Miss:
    """One distinct missed shape: its --shapes line (the runtime's,
    attnroute_problem_shape_line), how often it missed, the reason of its
    first miss, the first problem (a dict of its fields), and lines: what
    write_shapes writes for it (the shape line, or the exact ragged shapes
    of the calls that missed with their sequences given, select(seqs=...))."""
    __slots__ = ("shape_line", "count", "reason", "reason_text", "problem", "lines")

    def __init__(self, shape_line, count, reason, problem, lines=None):
        self.shape_line = shape_line
        self.count = count
        self.reason = reason
        self.reason_text = _lib.status_text(reason)
        self.problem = problem
        self.lines = list(lines) if lines else [shape_line]

    def __repr__(self):
        return "Miss(%r, count=%d, reason=%r)" % (self.shape_line, self.count, self.reason_text)


def shape_line(problem):
    """The --shapes line of a problem (an _abi.Problem), or None when it is
    not a valid attention call."""
    buf = ctypes.create_string_buffer(512)
    n = _lib.problem_shape_line(ctypes.byref(problem), buf, len(buf))
    if n < 0:
        return None
    if n >= len(buf):
        buf = ctypes.create_string_buffer(n + 1)
        _lib.problem_shape_line(ctypes.byref(problem), buf, len(buf))
    return buf.value.decode()


def _int_seq(x, what):
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError("%s=%r: expected an int" % (what, x))
    return x


def seqs_fields(seqs):
    """The problem fields a batch of (sq, ctx) pairs (new tokens, keys =
    cached + new, per sequence in batch order) fixes: num_seqs, the maxima,
    has_cached and the ragged totals.  Raises Error naming a bad sequence."""
    out = []
    try:
        pairs = list(seqs)
    except TypeError:
        raise TypeError("seqs=%r: expected (sq, ctx) pairs" % (seqs,)) from None
    for i, pair in enumerate(pairs):
        try:
            q, c = pair
        except (TypeError, ValueError):
            raise TypeError("seqs[%d]=%r: expected an (sq, ctx) pair" % (i, pair)) from None
        q, c = _int_seq(q, "seqs[%d].sq" % i), _int_seq(c, "seqs[%d].ctx" % i)
        if not 1 <= q <= c < 2**31:
            raise Error("seqs[%d]=(%d, %d): need 1 <= sq <= ctx < 2^31" % (i, q, c))
        out.append((q, c))
    if not out:
        raise Error("seqs: no sequences")
    f = {"num_seqs": len(out), "max_seqlen_q": max(q for q, _ in out),
         "max_seqlen_k": max(c for _, c in out), "has_cached": int(any(c > q for q, c in out))}
    if "total_seqlen_q" in PROBLEM_FIELDS:
        f["total_seqlen_q"] = sum(q for q, _ in out)
        f["total_seqlen_k"] = sum(c for _, c in out)
        if f["total_seqlen_k"] >= 2**31:
            raise Error("seqs: %d keys in all, outside int32" % f["total_seqlen_k"])
    return out, f


_BATCH_KEYS = re.compile(r" num_seqs=\d+ seqlen_q=\d+ cached=\d+")


def ragged_shape_line(uniform_line, seqs):
    """The --shapes line of the batch seqs, from the runtime's uniform line
    of its class and heads: the line itself when every sequence is the
    same, else that line with num_seqs / seqlen_q / cached replaced by the
    sequences (seqs=sq:ctx,..., in batch order; tuner/core/grid.h)."""
    if all(s == seqs[0] for s in seqs):
        return uniform_line
    return _BATCH_KEYS.sub("", uniform_line) + " seqs=" + ",".join(
        "%d:%d" % s for s in seqs)


SHAPES_HEADER = "# attnroute-tune --shapes file: shapes a table missed (attnroute Router)\n"


def write_shapes(path, lines):
    """Add `lines` (shape lines) to the --shapes file at path, keeping what it
    holds and writing each line once.  Written to a temporary file and
    renamed over path.  Returns the number of lines added."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            old = f.read()
    except FileNotFoundError:
        old = SHAPES_HEADER
    have = {ln.strip() for ln in old.splitlines()}
    new = []
    for ln in lines:
        if ln not in have:
            have.add(ln)
            new.append(ln)
    if old and not old.endswith("\n"):
        old += "\n"
    text = old + "".join(ln + "\n" for ln in new)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".attnroute-shapes-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return len(new)


class Router:
    """A table bound to the device the engine runs on.

    table: a Table, a path to a compiled table library, or None (every call
    answered by the legacy policy).  arch, cu_count: the device (a table
    built for another device is refused: bind_status / bind_reason say why,
    and every select is answered by the legacy policy; no exception).
    memory_bytes, product, allow_sibling: what the driver reports of the
    device (total memory, device name); when any is given the table is bound
    with attnroute_router_init_device, which also refuses a sibling device's
    table (same arch and CU count, other memory size or product: an H100
    table on an H200) with SIBLING_DEVICE unless allow_sibling, and then
    binds it with status SIBLING_ALLOWED (bound, and said so in bind_reason).
    policy: "post-1345" or "pre-1345" (or its number).  env: engine facts
    for the legacy gates, a dict of attnroute_env fields (step may be
    "auto", "prefill" or "decode").  unavailable: candidate names the engine
    cannot run.  miss_capacity: distinct missed shapes kept (the C hook
    attnroute_miss_shapes fills caller storage; further new shapes are
    counted as dropped).  strict: raise Error on a select the runtime
    rejects as no attention call (BAD_PROBLEM) instead of returning the
    legacy answer.

    Not thread-safe beyond the GIL: a select runs with the GIL held, so
    Python threads sharing a Router serialise.
    """

    def __init__(self, table, arch, cu_count, policy="post-1345", env=None, *,
                 memory_bytes=None, product=None, allow_sibling=False,
                 unavailable=None, miss_capacity=4096, strict=False):
        if table is not None and not isinstance(table, Table):
            table = Table(table)
        self.table = table
        self.strict = strict
        self._r = _abi.Router()
        address = table.address if table else None
        arch_b = str(arch).encode()
        cu = _int_field("cu_count", cu_count, None)
        if memory_bytes is None and product is None and not allow_sibling:
            status = _lib.router_init(ctypes.byref(self._r), address, arch_b, cu)
        else:
            dev = _abi.Device()
            _lib.device_init(ctypes.byref(dev))
            dev.arch, dev.cu_count = arch_b, cu
            if memory_bytes is not None:
                if not isinstance(memory_bytes, int) or not 0 <= memory_bytes < 2**64:
                    raise Error("memory_bytes=%r: expected a byte count" % (memory_bytes,))
                dev.memory_bytes = memory_bytes
            self._product = None if product is None else str(product).encode()
            dev.product = self._product
            dev.allow_sibling = int(bool(allow_sibling))
            status = _lib.router_init_device(ctypes.byref(self._r), address, ctypes.byref(dev))
        self.bind_status = status
        self.bind_reason = _lib.status_text(status)
        self.bound = status in (_abi.OK, _abi.SIBLING_ALLOWED)
        self.arch, self.cu_count = str(arch), cu_count
        self._r.policy = self._policy(policy)
        self.policy = _lib.policy_name(self._r.policy).decode()
        for k, v in (env or {}).items():
            if k not in ENV_FIELDS:
                raise TypeError("env: unknown field %r (%s)" % (k, ", ".join(ENV_FIELDS)))
            setattr(self._r.env, k, _int_field(k, v, _name_table(k)))
        self._unavailable = None
        if unavailable:
            names = self.table.candidates if self.table else []
            flags = (ctypes.c_ubyte * max(1, len(names)))()
            for n in unavailable:
                if n not in names:
                    raise Error("unavailable: %r is no candidate of the table" % n)
                flags[names.index(n)] = 1
            self._unavailable = flags
            self._r.unavailable = ctypes.cast(flags, ctypes.c_void_p)
        cap = _int_field("miss_capacity", miss_capacity, None)
        if cap < 0:
            raise Error("miss_capacity=%d: must be >= 0" % cap)
        self._exact, self._exact_count, self._exact_dropped = {}, 0, set()
        self._miss_entries = (_abi.MissEntry * max(1, cap))()
        self._misses = _abi.MissSet()
        _lib.miss_set_init(ctypes.byref(self._misses), self._miss_entries, cap)
        self._r.on_miss = _lib.MISS_SHAPES
        self._r.miss_user = ctypes.addressof(self._misses)

        self._problem = _abi.Problem()
        _lib.problem_init(ctypes.byref(self._problem))
        self._defaults = [getattr(self._problem, f) for f in PROBLEM_FIELDS]
        self._index = {f: i for i, f in enumerate(PROBLEM_FIELDS)}
        self._has_cached = self._index["has_cached"]
        self._default_map = dict(zip(PROBLEM_FIELDS, self._defaults))
        self._getter = operator.itemgetter(*PROBLEM_FIELDS)
        self._max_q, self._max_k = self._index["max_seqlen_q"], self._index["max_seqlen_k"]
        self._pack = struct.Struct("=%di" % len(PROBLEM_FIELDS)).pack_into
        self._pmem = memoryview(self._problem).cast("B")
        self._choice = _abi.Choice()
        self._cmem = memoryview(self._choice).cast("B")
        self._args = (ctypes.byref(self._r), ctypes.byref(self._problem),
                      ctypes.byref(self._choice))
        env_at = _abi.Router.env.offset + _abi.Env.step.offset
        self._step = memoryview(self._r).cast("B")[env_at:env_at + 4].cast("i")
        self._env_step = self._r.env.step  # what a select without step= uses
        self._answers = {}

    @staticmethod
    def _policy(policy):
        if isinstance(policy, str):
            p = _lib.policy_parse(policy.encode())
            if p < 0:
                raise Error("policy %r: unknown (post-1345, pre-1345)" % policy)
            return p
        if _lib.policy_name(_int_field("policy", policy, None)) == b"unknown":
            raise Error("policy %r: unknown (0 post-1345, 1 pre-1345)" % policy)
        return policy

    @property
    def candidates(self):
        return list(self.table.candidates) if self.table else []

    def _answer(self):
        key = self._cmem.tobytes()
        c = self._answers.get(key)
        if c is None:
            c = self._answers[key] = Choice(self._choice)
        return c

    def _fill_checked(self, fields):
        """The slow path of _fill: converts names and bools, and raises an
        error naming the field that is unknown or not an int32."""
        vals = list(self._defaults)
        for k, v in fields.items():
            i = self._index.get(k)
            if i is None:
                raise TypeError("select: unknown field %r (%s, step)" % (
                    k, ", ".join(PROBLEM_FIELDS)))
            vals[i] = _int_field(k, v, _name_table(k))
        if "has_cached" not in fields:
            vals[self._has_cached] = int(vals[self._max_k] > vals[self._max_q])
        self._pack(self._pmem, 0, *vals)

    def _fill(self, fields):
        """Packs a problem given by keywords into the router's problem struct."""
        merged = {**self._default_map, **fields}
        if len(merged) == len(PROBLEM_FIELDS):
            if "has_cached" not in fields:
                merged["has_cached"] = int(merged["max_seqlen_k"] > merged["max_seqlen_q"])
            try:
                self._pack(self._pmem, 0, *self._getter(merged))
                return
            except struct.error:  # a name, a bool subclass is fine; else say which
                pass
        self._fill_checked(fields)

    def select(self, step=None, seqs=None, **fields):
        """Choose the kernel for one call.  Keywords: every attnroute_problem
        field by name (num_seqs, max_seqlen_q, max_seqlen_k, has_cached,
        num_q_heads, num_kv_heads, head_dim, q_dtype, kv_dtype, has_sinks,
        sliding_window, kv_block_size, causal, and the fields the header
        appends), unset fields at attnroute_problem_init's defaults and
        has_cached, when not given, max_seqlen_k > max_seqlen_q; dtypes as
        numbers or names ("bf16", "fp8_e4m3", ...); step ("prefill",
        "decode", "auto" or attnroute.STEP_*) for this call, else the env's
        step.

        seqs: the batch's (sq, ctx) per sequence, when the engine has them
        on the host.  They fix num_seqs, the maxima, has_cached and the
        ragged totals (given as well, those must agree), and when the call
        misses, its exact ragged shape is kept for write_shapes (instead of
        the batch the runtime rebuilds from the totals)."""
        if seqs is not None:
            seqs, derived = seqs_fields(seqs)
            for k, v in derived.items():
                if k in fields and fields[k] != v:
                    raise Error("select: %s=%r disagrees with seqs (%r)" % (k, fields[k], v))
            fields = {**fields, **derived}
            seen = self._misses.total
        self._fill(fields)
        if step is None:
            self._step[0] = self._env_step
        else:
            self._step[0] = step if type(step) is int else _int_field("step", step, _abi.STEPS)
        status = _lib.select(*self._args)
        if status and self.strict and status in (_abi.BAD_PROBLEM, _abi.BAD_ARGUMENT):
            raise Error("select(%s): %s" % (", ".join("%s=%r" % kv for kv in fields.items()),
                                            _lib.status_text(status)))
        if seqs is not None and self._misses.total != seen:
            self._keep_seqs(seqs)
        c = self._answers.get(self._cmem.tobytes())
        return c if c is not None else self._answer()

    def _keep_seqs(self, seqs):
        """After a miss of the problem in self._problem with sequences seqs:
        keep its exact ragged line under the runtime's line of that problem
        (the miss set's key), at most miss_capacity lines in all."""
        key = shape_line(self._problem)
        if key is None:
            return
        uniform = _abi.Problem.from_buffer_copy(self._problem)
        if "total_seqlen_q" in self._index:
            uniform.total_seqlen_q = uniform.total_seqlen_k = 0
        line = ragged_shape_line(shape_line(uniform), seqs)
        held = self._exact.setdefault(key, {})
        if line in held:
            return
        if self._exact_count >= self._misses.capacity:
            self._exact_dropped.add(key)
            return
        held[line] = None
        self._exact_count += 1

    def selector(self, **static):
        """A fast select for one layer: the static fields (heads, head dim,
        dtypes, sinks, window, page size, causal) fixed now, the per-call
        ones given positionally:

            sel = router.selector(num_q_heads=64, num_kv_heads=8, head_dim=64,
                                  has_sinks=1, kv_block_size=16)
            choice = sel(num_seqs, max_seqlen_q, max_seqlen_k, has_cached, step)

        step: attnroute.STEP_AUTO / STEP_PREFILL / STEP_DECODE (an int, for
        this call; default STEP_AUTO).  Where the runtime has the ragged
        totals (attnroute_problem.total_seqlen_q / total_seqlen_k), they
        follow step: sel(ns, sq, sk, has_cached, step, total_q, total_k),
        0 meaning unknown.  Arguments are not checked beyond int32 (use
        select() for names and checks; a strict router's check is not made).
        The returned function shares this router's state (misses included)."""
        for k in PER_CALL_FIELDS:
            if k in static:
                raise TypeError("selector: %s is a per-call argument" % k)
        problem = _abi.Problem()
        _lib.problem_init(ctypes.byref(problem))
        for k, v in static.items():
            if k not in self._index:
                raise TypeError("selector: unknown field %r (%s)" % (k, ", ".join(PROBLEM_FIELDS)))
            setattr(problem, k, _int_field(k, v, _name_table(k)))
        pack4 = struct.Struct("=4i").pack_into
        mem = memoryview(problem).cast("B")
        args = (ctypes.byref(self._r), ctypes.byref(problem), ctypes.byref(self._choice))
        call, step_mem, cmem, answers, answer = (_lib.select, self._step, self._cmem,
                                                 self._answers, self._answer)

        def select(num_seqs, max_seqlen_q, max_seqlen_k, has_cached, step=0):
            pack4(mem, 0, num_seqs, max_seqlen_q, max_seqlen_k, has_cached)
            step_mem[0] = step
            call(*args)
            c = answers.get(cmem.tobytes())
            return c if c is not None else answer()

        if "total_seqlen_q" in self._index:
            pack2, totals_at = struct.Struct("=2i").pack_into, _abi.Problem.total_seqlen_q.offset
            assert _abi.Problem.total_seqlen_k.offset == totals_at + 4

            def select(num_seqs, max_seqlen_q, max_seqlen_k, has_cached, step=0,  # noqa: F811
                       total_seqlen_q=0, total_seqlen_k=0):
                pack4(mem, 0, num_seqs, max_seqlen_q, max_seqlen_k, has_cached)
                pack2(mem, totals_at, total_seqlen_q, total_seqlen_k)
                step_mem[0] = step
                call(*args)
                c = answers.get(cmem.tobytes())
                return c if c is not None else answer()
        select.problem = problem
        return select

    def legacy(self, policy=None, **fields):
        """What the legacy gates pick for a problem (fields as in select) under
        `policy` (default: the router's), as a Choice with from_table False:
        route, and as candidate the table's stand-in for that route (a
        candidate whose legacy_route it is and that can run the problem, as
        the runtime names it on a miss), or -1."""
        step = fields.pop("step", None)
        self._fill(fields)
        env = _abi.Env.from_buffer_copy(self._r.env)
        env.step = self._env_step if step is None else _int_field("step", step, _abi.STEPS)
        pol = self._r.policy if policy is None else self._policy(policy)
        route = _lib.legacy_route(pol, ctypes.byref(env), ctypes.byref(self._problem))
        c = _abi.Choice()
        c.candidate, c.from_table, c.reason, c.route, c.rank = -1, 0, _abi.OK, route, -1
        c.name = ("legacy:" + _abi.ROUTE_NAMES[route]).encode()
        ok = _lib.problem_check(ctypes.byref(self._problem)) == _abi.OK
        if self.bound and ok:
            t = _abi.Table.from_address(self.table.address)
            k = _lib.legacy_standin(self.table.address, self._r.unavailable, route,
                                    ctypes.byref(self._problem))
            if k >= 0:
                c.candidate, c.name = k, t.candidates[k].name
        answer = Choice(c)
        object.__setattr__(answer, "reason_text", "legacy gates (%s)" %
                           _lib.policy_name(pol).decode())
        return answer

    def misses(self):
        """The distinct shapes missed so far, sorted by shape line."""
        out = []
        for e in self._miss_entries[:self._misses.capacity]:
            if e.count:
                p = _abi.Problem.from_buffer_copy(e.problem)
                line = shape_line(p)
                exact = list(self._exact.get(line, ()))
                if exact and line in self._exact_dropped:
                    exact.append(line)  # some calls' sequences were not kept
                out.append(Miss(line, e.count, e.reason,
                                {f: getattr(p, f) for f in PROBLEM_FIELDS}, exact))
        out.sort(key=lambda m: m.shape_line)
        return out

    def miss_stats(self):
        """Counts of the miss hook: total misses, distinct shapes held, misses
        of new shapes dropped (set full), misses of invalid problems."""
        m = self._misses
        return {"total": m.total, "distinct": m.count, "dropped": m.dropped,
                "invalid": m.invalid}

    def clear_misses(self):
        _lib.miss_set_init(ctypes.byref(self._misses), self._miss_entries,
                           self._misses.capacity)
        self._exact, self._exact_count, self._exact_dropped = {}, 0, set()

    def write_shapes(self, path):
        """Add the missed shapes to the attnroute-tune --shapes file at path
        (created when absent), each once: each miss's lines (Miss.lines: a
        ragged miss as a ragged shape).  Returns the number added."""
        return write_shapes(path, [ln for m in self.misses() for ln in m.lines])

    def __repr__(self):
        return "attnroute.Router(%s, %s:%s, %s, %s)" % (
            self.table.path if self.table else None, self.arch, self.cu_count, self.policy,
            "bound" if self.bound else "refused: " + self.bind_reason)

