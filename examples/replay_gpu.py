"""replay_gpu.py -- the device half of examples/engine_replay.py (torch with
CUDA, the project's cubins): builds one trace call's inputs on the GPU,
checks them against the host plan (replay_plan.CallInputs), runs the
tuner's reference kernel, checks each candidate against it, and times each
candidate the way attnroute-tune does (tuner/core/measure.c).

Kernels are launched with bench/attn_torch.py's Driver (cubins through the
CUDA driver API, geometry from kernels/attn_variants.h through
bench/dims_shim.c), each launch's argument buffer and geometry prepared
once, so a timed call is the driver calls alone.
"""
import ctypes
import math
import time

# tuner/core/measure.c: ar_timing_policy_default (CUDA), AR_TIMING_BATCH, tolerance,
# AR_REF_CROSSCHECK_FLOPS.  The shipped trace dbs were timed with --min-reps 5
# --min-ms 10 (their run.timing_policy), which engine_replay passes by default.
TIMING_BATCH = 16
TOLERANCE = 2e-2
CROSSCHECK_FLOPS = 5e8


class InputMismatch(Exception):
    pass


class DeviceCall:
    """One call's device inputs (bench/attn_torch.py's Problem: random bf16
    q, paged K/V cache with a shuffled block table, the same cache rows as
    dense K/V) plus output, gather and split-KV scratch, checked against
    the host plan x so that the kernels see exactly the trace's batch."""

    def __init__(self, at, torch, x, seed, max_splits):
        c = x.cls
        self.at, self.torch, self.x = at, torch, x
        p = at.Problem(x.seqs, c["q_heads"], c["kv_heads"], c["head_dim"], c["block"],
                       max(0, c["window"]), bool(c["sinks"]), bool(c["causal"]), seed=seed)
        p.window = c["window"]  # as the tuner passes it: -1 = none (the kernels test > 0)
        self.p = p
        check_inputs(torch, p, x)
        dev = "cuda"
        self.out = torch.empty(x.total_q, c["q_heads"], c["head_dim"], dtype=torch.bfloat16,
                               device=dev)
        self.k_out = torch.empty_like(p.k)
        self.v_out = torch.empty_like(p.v)
        s = max(1, max_splits)
        self.part_out = torch.empty(s, x.total_q, c["q_heads"], c["head_dim"], device=dev)
        self.part_ml = torch.empty(s, x.total_q, c["q_heads"], 2, device=dev)

    def args(self, launch):
        """The attn_args.h struct of one launch (replay_plan.Launch)."""
        p, at = self.p, self.at
        if launch.args == "gather":
            return p.gather_args(self.k_out, self.v_out)
        if launch.args == "dense":
            if launch.kv == "gathered":
                return p.dense_args(self.out, k=self.k_out, v=self.v_out)
            return p.dense_args(self.out)  # no prefix: the cache rows are the new rows
        if launch.args == "paged":
            return p.paged_args(self.out, launch.splits, self.part_out, self.part_ml)
        if launch.args == "reduce":
            return p.reduce_args(self.out, self.part_out, self.part_ml, launch.splits)
        raise KeyError(launch.args)

    def free(self):
        del self.p, self.out, self.k_out, self.v_out, self.part_out, self.part_ml


def check_inputs(torch, p, x):
    """Raise InputMismatch unless the device inputs are the plan's batch:
    the same sequences, cu_seqlens, context lengths and page counts, every
    sequence's pages distinct cache blocks, and a cache that holds them."""
    def same(what, got, want):
        if got != want:
            raise InputMismatch("%s: device %s, trace %s" % (what, str(got)[:200],
                                                              str(want)[:200]))
    same("sequences", [tuple(s) for s in p.seqs], x.seqs)
    same("total_q", p.total_q, x.total_q)
    same("total_k", p.total_k, x.total_k)
    same("cu_seqlens_q", p.cu_q.tolist(), x.cu_seqlens_q)
    same("cu_seqlens_k", p.cu_k.tolist(), x.cu_seqlens_k)
    same("seq_lens_k", p.seq_lens_k.tolist(), x.seq_lens_k)
    same("max_blocks_per_seq", p.mbps, x.max_blocks_per_seq)
    same("q rows", tuple(p.q.shape), (x.total_q, x.cls["q_heads"], x.cls["head_dim"]))
    same("dense K rows", tuple(p.k.shape), (x.total_k, x.cls["kv_heads"], x.cls["head_dim"]))
    same("cache pages", tuple(p.k_cache.shape[1:]), (x.cls["block"], x.cls["kv_heads"],
                                                     x.cls["head_dim"]))
    if p.k_cache.shape[0] < x.used_blocks:
        raise InputMismatch("cache of %d pages for %d used" % (p.k_cache.shape[0],
                                                               x.used_blocks))
    bt = p.block_table.cpu()
    same("block table", tuple(bt.shape), (x.num_seqs, x.max_blocks_per_seq))
    used = torch.cat([bt[b, :n] for b, n in enumerate(x.pages)])
    if used.numel() != x.used_blocks or torch.unique(used).numel() != x.used_blocks or \
            int(used.min()) < 0 or int(used.max()) >= p.k_cache.shape[0]:
        raise InputMismatch("block table: the sequences' %d pages are not distinct blocks "
                            "of the cache" % x.used_blocks)


class Prepared:
    """A candidate's launches with arguments and geometry made once: run()
    is the cuLaunchKernel calls only."""

    def __init__(self, drv, call, plan_launches, stream):
        self.calls = []
        self.keep = []
        cu = drv.cu
        for ln in plan_launches:
            a = call.args(ln)
            dims, module = drv.dims(ln.symbol, a)
            fe = drv.function(module, ln.symbol)
            if dims[6] > fe[1]:
                drv.check(cu.cuFuncSetAttribute(fe[0], 8, ctypes.c_int(dims[6])),
                          "cuFuncSetAttribute " + ln.symbol)
                fe[1] = dims[6]
            size = ctypes.c_size_t(ctypes.sizeof(a))
            extra = (ctypes.c_void_p * 5)(ctypes.c_void_p(1),
                                          ctypes.cast(ctypes.byref(a), ctypes.c_void_p),
                                          ctypes.c_void_p(2),
                                          ctypes.cast(ctypes.byref(size), ctypes.c_void_p),
                                          ctypes.c_void_p(0))
            self.keep.append((a, size, extra))
            argv = (fe[0],) + tuple(ctypes.c_uint(v) for v in dims) + (
                ctypes.c_void_p(stream), None, extra)
            self.calls.append((ln.symbol, dims, argv))
        self.launch = cu.cuLaunchKernel
        self.drv = drv

    def run(self):
        launch = self.launch
        for symbol, dims, argv in self.calls:
            rc = launch(*argv)
            if rc:
                self.drv.check(rc, "cuLaunchKernel %s dims=%s" % (symbol, dims))


def reference(at, drv, torch, call):
    """The tuner's device reference (ar_ref_paged, fp32 online softmax)
    into a NaN-poisoned output; on small calls cross-checked against
    torch fp32 math (the tuner checks it against its exact host reference
    up to 5e8 FLOPs).  Returns (ref fp32, error text or None)."""
    p = call.p
    call.out.fill_(float("nan"))
    drv.launch("ar_ref_paged", p.paged_args(call.out))
    torch.cuda.synchronize()
    ref = call.out.float().clone()
    if torch.isnan(ref).any().item():
        return ref, "reference kernel left NaN"
    if call.x.flops <= CROSSCHECK_FLOPS:
        exact, _ = p.reference()
        e = at.relerr(ref, exact)
        if not e < 1e-2:
            return ref, "reference kernel disagrees with torch fp32: rel err %.3g" % e
    return ref, None


def check(at, torch, call, prepared, ref):
    """Poison, run once, compare (tuner/core/measure.c check_once).  Returns
    (status, relerr): "ok", or "wrong" (NaN left, or above tolerance)."""
    call.out.fill_(float("nan"))
    prepared.run()
    torch.cuda.synchronize()
    e = at.relerr(call.out, ref)
    if e != e:
        return "wrong", e
    return ("ok" if e <= TOLERANCE else "wrong"), e


class Timer:
    """attnroute-tune's timing (tuner/core/measure.c ar_measure_candidate,
    eager): warm-up runs, then repetitions in batches (3 first, then 16),
    each repetition the L2 flushed (a write of twice the L2 size, outside
    the events) and the call between its own pair of events; stops at
    min_reps and min_ms of timed time, or max_ms, or 4 x max_ms of wall
    time, or max_reps; the median (nearest rank).

    One difference is forced by Python: the host enqueues more slowly than
    the tuner's C loop, so each batch is queued behind a GPU sleep that
    outlasts its enqueueing (checked: when the sleep was over before the
    last launch was queued, the batch is discarded and redone behind a
    longer sleep), so that no event pair includes time the GPU spent
    waiting for the host."""

    def __init__(self, torch, warmup=3, min_reps=5, min_ms=10.0, max_reps=300, max_ms=400.0):
        self.torch = torch
        self.warmup, self.min_reps, self.min_ms = warmup, min_reps, min_ms
        self.max_reps, self.max_ms = max_reps, max_ms
        props = torch.cuda.get_device_properties(0)
        l2 = getattr(props, "L2_cache_size", 0) or (64 << 20)
        self.flush_buf = torch.empty(2 * l2 // 4, dtype=torch.int32, device="cuda")
        self.e0 = [torch.cuda.Event(enable_timing=True) for _ in range(TIMING_BATCH)]
        self.e1 = [torch.cuda.Event(enable_timing=True) for _ in range(TIMING_BATCH)]
        self.cover = torch.cuda.Event()
        self.sleep_cycles = 2_000_000
        self.redone = 0

    def _batch(self, fn, n):
        torch = self.torch
        for _ in range(8):
            torch.cuda._sleep(self.sleep_cycles)
            self.cover.record()
            for i in range(n):
                self.flush_buf.fill_(0x5a5a5a5a)
                self.e0[i].record()
                fn()
                self.e1[i].record()
            covered = not self.cover.query()
            self.e1[n - 1].synchronize()
            if covered:
                return [self.e0[i].elapsed_time(self.e1[i]) * 1000.0 for i in range(n)]
            self.redone += 1
            self.sleep_cycles *= 2
        raise RuntimeError("timing: the host could not queue a batch of %d calls ahead of "
                           "the GPU" % n)

    def median_us(self, fn):
        torch = self.torch
        for _ in range(self.warmup):
            fn()
        torch.cuda.synchronize()
        times, total_ms = [], 0.0
        wall_start = time.monotonic()
        wall_cap = max(self.max_ms, self.min_ms)
        while len(times) < self.max_reps:
            n = len(times)
            want = 3 - n if n < 3 else TIMING_BATCH
            want = min(want, self.max_reps - n)
            got = self._batch(fn, want)
            times += got
            total_ms += sum(got) / 1000.0
            n = len(times)
            if n >= self.min_reps and (total_ms >= self.min_ms or total_ms >= self.max_ms):
                break
            if n >= self.min_reps and (time.monotonic() - wall_start) * 1e3 >= 4 * wall_cap:
                break
        times.sort()
        k = int(math.floor(0.5 * (len(times) - 1) + 0.5))
        return times[min(max(k, 0), len(times) - 1)], len(times)
