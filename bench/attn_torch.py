#!/usr/bin/env python3
"""attn_torch.py -- check and benchmark attnroute's own CUDA kernels from PyTorch.

Loads the cubins (kernels/CMakeLists.txt output) through the CUDA driver API
with ctypes and launches them the way the tuner does: one argument buffer
(CU_LAUNCH_PARAM_BUFFER_POINTER) holding the attn_args.h struct, geometry from
kernels/attn_variants.h (through bench/dims_shim.c, built on the fly).

  python3 bench/attn_torch.py check [--cubins DIR] [--out DIR]
      every kernel variant and the GPU reference against PyTorch fp32 math on
      random shapes; table; exit status 1 on any failure.
  python3 bench/attn_torch.py bench [--cubins DIR] [--out DIR] [--quick]
      issue 7's benchmark: dense vs torch SDPA flash / cuDNN, paged prefill vs
      dense, paged decode and gather vs copy bandwidth; JSON + CSV under --out
      (default $OUT or .), compact table last.
"""
import argparse
import ctypes
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# --------------------------------------------------------------------------
# attn_args.h mirror
u64, i32, f32 = ctypes.c_uint64, ctypes.c_int32, ctypes.c_float


class GatherArgs(ctypes.Structure):
    _fields_ = [("k_cache", u64), ("v_cache", u64), ("k_out", u64), ("v_out", u64),
                ("block_table", u64), ("cu_seqlens_k", u64), ("num_seqs", i32),
                ("num_kv_heads", i32), ("head_dim", i32), ("block_size", i32),
                ("max_blocks_per_seq", i32), ("total_k", i32)]


class DenseArgs(ctypes.Structure):
    _fields_ = [("out", u64), ("q", u64), ("k", u64), ("v", u64), ("lse", u64),
                ("cu_seqlens_q", u64), ("cu_seqlens_k", u64), ("sinks", u64),
                ("softmax_scale", f32), ("num_seqs", i32), ("num_q_heads", i32),
                ("num_kv_heads", i32), ("head_dim", i32), ("max_seqlen_q", i32),
                ("window", i32), ("causal", i32)]


class PagedArgs(ctypes.Structure):
    _fields_ = [("out", u64), ("q", u64), ("k_cache", u64), ("v_cache", u64),
                ("block_table", u64), ("cu_seqlens_q", u64), ("seq_lens_k", u64),
                ("sinks", u64), ("part_out", u64), ("part_ml", u64),
                ("softmax_scale", f32), ("num_seqs", i32), ("num_q_heads", i32),
                ("num_kv_heads", i32), ("head_dim", i32), ("block_size", i32),
                ("max_blocks_per_seq", i32), ("max_seqlen_q", i32), ("window", i32),
                ("causal", i32), ("num_splits", i32), ("total_q", i32)]


class ReduceArgs(ctypes.Structure):
    _fields_ = [("out", u64), ("part_out", u64), ("part_ml", u64), ("sinks", u64),
                ("total_q", i32), ("num_q_heads", i32), ("head_dim", i32),
                ("num_splits", i32)]


# --------------------------------------------------------------------------
# driver API


class Driver:
    def __init__(self, cubin_dir):
        torch.cuda.init()
        torch.zeros(1, device="cuda")  # primary context current on this thread
        self.cu = ctypes.CDLL("libcuda.so.1")
        self.cubin_dir = cubin_dir
        self.modules = {}
        self.funcs = {}
        self.dims_lib = self._build_dims()
        for k, cls in enumerate([GatherArgs, DenseArgs, PagedArgs, ReduceArgs]):
            c = self.dims_lib.ar_bench_sizeof(k)
            assert c == ctypes.sizeof(cls), (cls.__name__, c, ctypes.sizeof(cls))
        self.fill_args = []

    def _build_dims(self):
        so = "/tmp/libardims.so"
        src = os.path.join(HERE, "dims_shim.c")
        subprocess.check_call(["cc", "-std=c11", "-shared", "-fPIC", "-O2",
                               "-I" + os.path.join(ROOT, "kernels"), src, "-o", so])
        lib = ctypes.CDLL(so)
        lib.ar_bench_dims.argtypes = [ctypes.c_char_p, ctypes.c_void_p,
                                      ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_char_p)]
        lib.ar_bench_sizeof.restype = ctypes.c_uint
        return lib

    def check(self, rc, what):
        if rc != 0:
            s = ctypes.c_char_p()
            self.cu.cuGetErrorString(rc, ctypes.byref(s))
            raise RuntimeError("%s failed: %d %s" % (what, rc, s.value))

    def dims(self, symbol, args):
        out = (ctypes.c_uint * 7)()
        mod = ctypes.c_char_p()
        rc = self.dims_lib.ar_bench_dims(symbol.encode(), ctypes.byref(args), out, ctypes.byref(mod))
        if rc != 0:
            raise KeyError(symbol)
        return list(out), mod.value.decode()

    def cubin_file(self, module):
        """attn_variants.h names cubins "<base>.cubin"; the files are
        "<base>.sm_<arch>.cubin": this device's arch, else the highest built
        one of its major below it (as the tuner's kernel_path.c picks)."""
        if not module.endswith(".cubin") or ".sm_" in module:
            return module
        base = module[:-len(".cubin")]
        major, minor = torch.cuda.get_device_capability()
        for m in range(minor, -1, -1):
            name = "%s.sm_%d%d.cubin" % (base, major, m)
            if os.path.exists(os.path.join(self.cubin_dir, name)):
                return name
        raise FileNotFoundError("no %s.sm_%d*.cubin for sm_%d%d in %s"
                                % (base, major, major, minor, self.cubin_dir))

    def function(self, module, symbol):
        key = (module, symbol)
        if key not in self.funcs:
            if module not in self.modules:
                m = ctypes.c_void_p()
                path = os.path.join(self.cubin_dir, self.cubin_file(module))
                self.check(self.cu.cuModuleLoad(ctypes.byref(m), path.encode()), "cuModuleLoad " + path)
                self.modules[module] = m
            f = ctypes.c_void_p()
            self.check(self.cu.cuModuleGetFunction(ctypes.byref(f), self.modules[module], symbol.encode()),
                       "cuModuleGetFunction " + symbol)
            self.funcs[key] = [f, 48 * 1024]
        return self.funcs[key]

    def launch(self, symbol, args, module=None):
        d, mod = self.dims(symbol, args)
        module = module or mod
        fe = self.function(module, symbol)
        f = fe[0]
        if d[6] > fe[1]:
            self.check(self.cu.cuFuncSetAttribute(f, 8, ctypes.c_int(d[6])), "cuFuncSetAttribute " + symbol)
            fe[1] = d[6]
        size = ctypes.c_size_t(ctypes.sizeof(args))
        extra = (ctypes.c_void_p * 5)(ctypes.c_void_p(1), ctypes.cast(ctypes.byref(args), ctypes.c_void_p),
                                      ctypes.c_void_p(2), ctypes.cast(ctypes.byref(size), ctypes.c_void_p),
                                      ctypes.c_void_p(0))
        stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
        rc = self.cu.cuLaunchKernel(f, ctypes.c_uint(d[0]), ctypes.c_uint(d[1]), ctypes.c_uint(d[2]),
                                    ctypes.c_uint(d[3]), ctypes.c_uint(d[4]), ctypes.c_uint(d[5]),
                                    ctypes.c_uint(d[6]), stream, None, extra)
        self.check(rc, "cuLaunchKernel " + symbol + " dims=%s" % d)


# --------------------------------------------------------------------------
# problems


def ptr(t):
    return 0 if t is None else t.data_ptr()


class Problem:
    """Random inputs for one batch: seqs = [(sq, sk), ...]."""

    def __init__(self, seqs, hq, hkv, d, bs, window=0, sinks=False, causal=True, seed=0,
                 dense_kv=True):
        g = torch.Generator(device="cuda")
        g.manual_seed(seed)
        self.seqs, self.hq, self.hkv, self.d, self.bs = seqs, hq, hkv, d, bs
        self.window, self.causal = window, causal
        self.scale = 1.0 / math.sqrt(d)
        dev = "cuda"
        self.num_seqs = len(seqs)
        sqs = [s[0] for s in seqs]
        sks = [s[1] for s in seqs]
        self.total_q, self.total_k = sum(sqs), sum(sks)
        self.max_sq, self.max_sk = max(sqs), max(sks)
        self.cu_q = torch.tensor([0] + list(_cumsum(sqs)), dtype=torch.int32, device=dev)
        self.cu_k = torch.tensor([0] + list(_cumsum(sks)), dtype=torch.int32, device=dev)
        self.seq_lens_k = torch.tensor(sks, dtype=torch.int32, device=dev)
        self.q = torch.randn(self.total_q, hq, d, generator=g, device=dev).to(torch.bfloat16)
        kd = torch.randn(self.total_k, hkv, d, generator=g, device=dev).to(torch.bfloat16)
        vd = torch.randn(self.total_k, hkv, d, generator=g, device=dev).to(torch.bfloat16)
        self.sinks = (torch.rand(hq, generator=g, device=dev) * 4 - 2) if sinks else None
        # paged cache with a shuffled block table
        self.mbps = max((sk + bs - 1) // bs for sk in sks)
        nb_used = sum((sk + bs - 1) // bs for sk in sks)
        self.num_blocks = nb_used + 3
        perm = torch.randperm(self.num_blocks, generator=g, device=dev).to(torch.int32)
        bt = torch.zeros(self.num_seqs, self.mbps, dtype=torch.int32, device=dev)
        self.k_cache = torch.randn(self.num_blocks, bs, hkv, d, generator=g, device=dev).to(torch.bfloat16)
        self.v_cache = torch.randn(self.num_blocks, bs, hkv, d, generator=g, device=dev).to(torch.bfloat16)
        used = 0
        slots = []
        for b, sk in enumerate(sks):
            npg = (sk + bs - 1) // bs
            bt[b, :npg] = perm[used:used + npg]
            used += npg
            j = torch.arange(sk, device=dev)
            slots.append(bt[b, j // bs].long() * bs + j % bs)
        self.block_table = bt
        self.k, self.v = None, None
        if dense_kv:  # dense K/V = the cache's rows, in sequence order
            idx = torch.cat(slots)
            self.k = self.k_cache.view(-1, hkv, d)[idx].contiguous()
            self.v = self.v_cache.view(-1, hkv, d)[idx].contiguous()

    def reference(self):
        """fp32 PyTorch math: (out [total_q, hq, d] fp32, lse [total_q, hq])."""
        out = torch.zeros(self.total_q, self.hq, self.d, device="cuda")
        lse = torch.full((self.total_q, self.hq), -float("inf"), device="cuda")
        grp = self.hq // self.hkv
        for b, (sq, sk) in enumerate(self.seqs):
            q0, k0 = int(self.cu_q[b]), int(self.cu_k[b])
            q = self.q[q0:q0 + sq].float().transpose(0, 1)  # hq, sq, d
            k = self.k[k0:k0 + sk].float().repeat_interleave(grp, dim=1).transpose(0, 1)
            v = self.v[k0:k0 + sk].float().repeat_interleave(grp, dim=1).transpose(0, 1)
            s = torch.matmul(q, k.transpose(1, 2)) * self.scale  # hq, sq, sk
            i = torch.arange(sq, device="cuda")[:, None]
            j = torch.arange(sk, device="cuda")[None, :]
            vis = torch.ones(sq, sk, dtype=torch.bool, device="cuda")
            if self.causal:
                vis &= j <= i + sk - sq
            if self.window > 0:
                vis &= j > i + sk - sq - self.window
            s = s.masked_fill(~vis[None], -float("inf"))
            if self.sinks is not None:
                s = torch.cat([s, self.sinks[:, None, None].expand(self.hq, sq, 1)], dim=2)
            mx = s.amax(dim=2, keepdim=True)
            mx = torch.where(torch.isinf(mx), torch.zeros_like(mx), mx)
            e = torch.exp(s - mx)
            den = e.sum(dim=2, keepdim=True)
            p = torch.where(den > 0, e / den, torch.zeros_like(e))[:, :, :sk]
            o = torch.matmul(p, v)
            out[q0:q0 + sq] = o.transpose(0, 1)
            lse[q0:q0 + sq] = (torch.log(den[:, :, 0]) + mx[:, :, 0]).transpose(0, 1)
        return out, lse

    def dense_args(self, out, lse=None, k=None, v=None):
        a = DenseArgs()
        a.out, a.q = ptr(out), ptr(self.q)
        a.k, a.v = ptr(self.k if k is None else k), ptr(self.v if v is None else v)
        a.lse, a.cu_seqlens_q, a.cu_seqlens_k = ptr(lse), ptr(self.cu_q), ptr(self.cu_k)
        a.sinks = ptr(self.sinks)
        a.softmax_scale, a.num_seqs, a.num_q_heads, a.num_kv_heads = self.scale, self.num_seqs, self.hq, self.hkv
        a.head_dim, a.max_seqlen_q, a.window, a.causal = self.d, self.max_sq, self.window, int(self.causal)
        return a

    def paged_args(self, out, num_splits=1, part_out=None, part_ml=None):
        a = PagedArgs()
        a.out, a.q, a.k_cache, a.v_cache = ptr(out), ptr(self.q), ptr(self.k_cache), ptr(self.v_cache)
        a.block_table, a.cu_seqlens_q, a.seq_lens_k = ptr(self.block_table), ptr(self.cu_q), ptr(self.seq_lens_k)
        a.sinks, a.part_out, a.part_ml = ptr(self.sinks), ptr(part_out), ptr(part_ml)
        a.softmax_scale, a.num_seqs, a.num_q_heads, a.num_kv_heads = self.scale, self.num_seqs, self.hq, self.hkv
        a.head_dim, a.block_size, a.max_blocks_per_seq = self.d, self.bs, self.mbps
        a.max_seqlen_q, a.window, a.causal = self.max_sq, self.window, int(self.causal)
        a.num_splits, a.total_q = num_splits, self.total_q
        return a

    def gather_args(self, k_out, v_out):
        a = GatherArgs()
        a.k_cache, a.v_cache, a.k_out, a.v_out = ptr(self.k_cache), ptr(self.v_cache), ptr(k_out), ptr(v_out)
        a.block_table, a.cu_seqlens_k = ptr(self.block_table), ptr(self.cu_k)
        a.num_seqs, a.num_kv_heads, a.head_dim, a.block_size = self.num_seqs, self.hkv, self.d, self.bs
        a.max_blocks_per_seq, a.total_k = self.mbps, self.total_k
        return a

    def reduce_args(self, out, part_out, part_ml, num_splits):
        a = ReduceArgs()
        a.out, a.part_out, a.part_ml, a.sinks = ptr(out), ptr(part_out), ptr(part_ml), ptr(self.sinks)
        a.total_q, a.num_q_heads, a.head_dim, a.num_splits = self.total_q, self.hq, self.d, num_splits
        return a

    def visible_pairs(self):
        """Sum over sequences and query rows of the visible key count."""
        tot = 0
        for sq, sk in self.seqs:
            for_rows = 0
            off = sk - sq
            if not self.causal and self.window <= 0:
                tot += sq * sk
                continue
            # closed form per row would be neater; sq is at most 16k here
            i = torch.arange(sq, dtype=torch.int64)
            hi = torch.clamp(i + off, max=sk - 1) if self.causal else torch.full_like(i, sk - 1)
            lo = torch.clamp(i + off - self.window + 1, min=0) if self.window > 0 else torch.zeros_like(i)
            for_rows = int(torch.clamp(hi - lo + 1, min=0).sum())
            tot += for_rows
        return tot


def _cumsum(xs):
    s = 0
    for x in xs:
        s += x
        yield s


# --------------------------------------------------------------------------
# variants (mirror of attn_variants.h tags)
FWD_TILES = ["bm128", "bm128w8", "bm64", "bm128pp"]
DEC_TILES = ["w4", "w8", "w4m2"]
GATHERS = ["ar_gather_tok", "ar_gather_page"]


def auto_splits(p, cu_count, tile, max_splits=64):
    g = p.hq // p.hkv
    rows = 32 if tile == "w4m2" else 16
    groups = -(-p.max_sq * g // rows)
    base = p.num_seqs * p.hkv * groups
    s = -(-2 * cu_count // base)
    s = min(s, max(1, p.max_sk // 128), max_splits)
    return max(1, s)


def run_dense(drv, p, tile, out, lse=None, k=None, v=None, module=None):
    drv.launch("ar_dense_%s_d%d" % (tile, p.d), p.dense_args(out, lse, k, v), module)


def run_paged(drv, p, tile, out):
    drv.launch("ar_paged_%s_d%d" % (tile, p.d), p.paged_args(out))


def run_decode(drv, p, tile, out, splits, part_out, part_ml):
    drv.launch("ar_decode_%s_d%d" % (tile, p.d), p.paged_args(out, splits, part_out, part_ml))
    drv.launch("ar_decode_reduce", p.reduce_args(out, part_out, part_ml, splits))


def run_ref(drv, p, out):
    drv.launch("ar_ref_paged", p.paged_args(out))


def run_gather(drv, p, sym, k_out, v_out):
    drv.launch(sym, p.gather_args(k_out, v_out))


# --------------------------------------------------------------------------
# check

CHECK_CASES = [
    # name, seqs, hq, hkv, d, bs, window, sinks, causal
    ("prefill_d64_sinks_uneven", [(128, 128), (77, 77), (300, 300)], 8, 8, 64, 16, 0, True, True),
    ("cached_d128_gqa8_p64", [(200, 1000), (64, 64), (1, 513)], 16, 2, 128, 64, 0, False, True),
    ("cached_d64_win128_p256", [(257, 700), (1000, 1000)], 64, 8, 64, 256, 128, True, True),
    ("cached_d128_win128_p16_gqa8", [(33, 2000), (130, 131)], 8, 1, 128, 16, 128, False, True),
    ("noncausal_d64_sinks", [(100, 300), (5, 40)], 4, 2, 64, 16, 0, True, False),
    ("decode_d64_gptoss_p16", [(1, 5000)] * 4 + [(1, 1), (1, 17)], 64, 8, 64, 16, 0, True, True),
    ("decode_d128_win128_p64", [(1, 3000), (1, 100), (1, 129)], 32, 8, 128, 64, 128, True, True),
    ("decode_sq4_d64_p256", [(4, 2048), (4, 4), (3, 900)], 64, 8, 64, 256, 0, True, True),
    ("decode_sq16_d128_gqa8_p16", [(16, 1500), (9, 300)], 32, 4, 128, 16, 0, False, True),
    ("decode_sq1_d128_gqa16_p64_nosink", [(1, 40000), (1, 777)], 16, 1, 128, 64, 0, False, True),
]


def relerr(out, ref):
    out = out.float()
    if torch.isnan(out).any():
        return float("nan")
    den = ref.norm().item()
    return (out - ref).norm().item() / (den if den > 0 else 1.0)


def cmd_check(drv, args):
    rows = []
    ok_all = True
    seed = 1
    for (name, seqs, hq, hkv, d, bs, window, sinks, causal) in CHECK_CASES:
        seed += 1
        p = Problem(seqs, hq, hkv, d, bs, window, sinks, causal, seed=seed)
        ref, ref_lse = p.reference()
        tests = []
        nan_out = lambda: torch.full((p.total_q, hq, d), float("nan"), device="cuda", dtype=torch.bfloat16)
        tests.append(("ref", lambda o: run_ref(drv, p, o), 5e-3))
        for t in FWD_TILES:
            tests.append(("dense.%s" % t, (lambda t: lambda o: run_dense(drv, p, t, o))(t), 2e-2))
            if args.alt_dense:
                tests.append(("dense.%s*" % t, (lambda t: lambda o: run_dense(drv, p, t, o, module=args.alt_dense))(t), 2e-2))
            tests.append(("paged.%s" % t, (lambda t: lambda o: run_paged(drv, p, t, o))(t), 2e-2))
        if p.max_sq <= 16:
            for t in DEC_TILES:
                for sp in (1, 16, auto_splits(p, 132, t), 3):
                    def fn(o, t=t, sp=sp):
                        po = torch.full((sp, p.total_q, hq, d), float("nan"), device="cuda")
                        pm = torch.full((sp, p.total_q, hq, 2), float("nan"), device="cuda")
                        run_decode(drv, p, t, o, sp, po, pm)
                    tests.append(("decode.%s.s%d" % (t, sp), fn, 2e-2))
        for name_k, fn, tol in tests:
            o = nan_out()
            try:
                fn(o)
                torch.cuda.synchronize()
                e = relerr(o, ref)
                good = (e == e) and e < tol
                msg = ""
            except Exception as ex:  # a fault poisons the context: stop here
                e, good, msg = float("nan"), False, str(ex)[:120]
            rows.append({"case": name, "kernel": name_k, "relerr": e, "tol": tol, "ok": good, "msg": msg})
            ok_all &= good
            if msg:
                print_check(rows)
                print("FATAL:", msg)
                return 1
        # LSE of the dense kernel
        for t in FWD_TILES:
            o, l = nan_out(), torch.full((p.total_q, hq), float("nan"), device="cuda")
            run_dense(drv, p, t, o, l)
            torch.cuda.synchronize()
            fin = torch.isfinite(ref_lse)
            bad = torch.isnan(l).any().item() or not torch.equal(torch.isfinite(l), fin)
            e = float("nan") if bad else relerr(l[fin], ref_lse[fin])
            good = (e == e) and e < 1e-3
            rows.append({"case": name, "kernel": "dense.%s.lse" % t, "relerr": e, "tol": 1e-3, "ok": good, "msg": ""})
            ok_all &= good
        # gathers: exact
        for sym in GATHERS:
            ko = torch.full_like(p.k, float("nan"))
            vo = torch.full_like(p.v, float("nan"))
            run_gather(drv, p, sym, ko, vo)
            torch.cuda.synchronize()
            good = torch.equal(ko, p.k) and torch.equal(vo, p.v)
            rows.append({"case": name, "kernel": sym, "relerr": 0.0 if good else float("nan"),
                         "tol": 0.0, "ok": good, "msg": "exact"})
            ok_all &= good
        del p
        torch.cuda.empty_cache()
    print_check(rows)
    with open(os.path.join(args.out, "check.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print("CHECK %s: %d/%d passed" % ("OK" if ok_all else "FAILED", sum(r["ok"] for r in rows), len(rows)))
    return 0 if ok_all else 1


def print_check(rows):
    fams = ["ref", "dense", "paged", "decode", "lse", "gather"]
    fam = lambda k: "lse" if k.endswith(".lse") else ("gather" if k.startswith("ar_gather") else k.split(".")[0])
    print("%-34s " % "case (worst relerr per family)" + " ".join("%9s" % f for f in fams))
    for case in dict.fromkeys(r["case"] for r in rows):
        cells = []
        for f in fams:
            rs = [r for r in rows if r["case"] == case and fam(r["kernel"]) == f]
            if not rs:
                cells.append("%9s" % "-")
                continue
            errs = [r["relerr"] for r in rs]
            bad = any(not r["ok"] for r in rs)
            w = float("nan") if any(e != e for e in errs) else max(errs)
            cells.append(("%8.2g" % w) + ("!" if bad else " "))
        print("%-34s " % case + " ".join(cells))
    for r in rows:
        if not r["ok"]:
            print("FAIL %-34s %-22s relerr %.3g tol %.0e %s" % (r["case"], r["kernel"], r["relerr"], r["tol"], r["msg"]))


# --------------------------------------------------------------------------
# bench


def time_fn(fn, warmup=3, reps=7):
    """Median per-call ms.  Each sample is a batch of n back-to-back calls
    between two events, queued behind a ~1 ms GPU sleep so that host launch
    overhead (Python, ctypes) is hidden, as it is in an engine's stream."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    fn()
    e.record()
    e.synchronize()
    est = s.elapsed_time(e)
    n = max(2, min(40, int(10.0 / max(est, 0.01))))
    ts = []
    for _ in range(reps):
        torch.cuda._sleep(2_000_000)
        s.record()
        for _ in range(n):
            fn()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e) / n)
    ts.sort()
    return ts[len(ts) // 2]


def copy_bandwidth():
    n = 1 << 29  # 1 GiB of bf16... 2 bytes each
    a = torch.empty(n, dtype=torch.bfloat16, device="cuda").normal_()
    b = torch.empty_like(a)
    ms = time_fn(lambda: b.copy_(a), reps=20)
    del a, b
    return 2 * n * 2 / ms / 1e6  # GB/s, read + write


def sdpa_time(p, backend):
    from torch.nn.attention import sdpa_kernel, SDPBackend
    be = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}[backend]
    b, s = p.num_seqs, p.max_sq
    q = p.q.view(b, s, p.hq, p.d).transpose(1, 2)
    k = p.k.view(b, s, p.hkv, p.d).transpose(1, 2)
    v = p.v.view(b, s, p.hkv, p.d).transpose(1, 2)
    with sdpa_kernel(be):
        fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True)
        o = fn()  # raises if the backend refuses
        ref = torch.zeros(1)
        del ref
        return time_fn(fn), o


def cmd_bench(drv, args):
    props = torch.cuda.get_device_properties(0)
    cu = props.multi_processor_count
    res = {"device": props.name, "sms": cu, "torch": torch.__version__, "rows": []}
    bw = copy_bandwidth()
    res["copy_GBps"] = bw
    print("device %s, %d SMs, D2D copy %.0f GB/s (read+write)" % (props.name, cu, bw), flush=True)
    rows = res["rows"]
    seq_lens = [1024, 2048, 4096, 8192, 16384] if not args.quick else [2048, 8192]
    total = 16384
    for d in (64, 128):
        hq = 2048 // d
        for sq in seq_lens:
            nseq = total // sq
            p = Problem([(sq, sq)] * nseq, hq, hq, d, 16, 0, False, True, seed=sq + d)
            flops = 4.0 * p.visible_pairs() * hq * d
            out = torch.empty(p.total_q, hq, d, dtype=torch.bfloat16, device="cuda")
            best = None
            for t in FWD_TILES:
                ms = time_fn(lambda: run_dense(drv, p, t, out))
                tf = flops / ms / 1e9
                rows.append({"kind": "dense", "d": d, "sq": sq, "seqs": nseq, "hq": hq, "kernel": t,
                             "ms": ms, "tflops": tf})
                best = max(best or 0, tf)
            if args.alt_dense:  # the same symbols from another build of attn_dense.cu
                for t in FWD_TILES:
                    ms = time_fn(lambda: run_dense(drv, p, t, out, module=args.alt_dense))
                    tf = flops / ms / 1e9
                    rows.append({"kind": "dense", "d": d, "sq": sq, "seqs": nseq, "hq": hq, "kernel": t + "*",
                                 "ms": ms, "tflops": tf})
                    best = max(best, tf)
            ref_ms = {}
            for be in ("flash", "cudnn"):
                try:
                    ms, o = sdpa_time(p, be)
                    ref_ms[be] = ms
                    rows.append({"kind": "dense", "d": d, "sq": sq, "seqs": nseq, "hq": hq,
                                 "kernel": "torch." + be, "ms": ms, "tflops": flops / ms / 1e9})
                except Exception as ex:
                    rows.append({"kind": "dense", "d": d, "sq": sq, "kernel": "torch." + be,
                                 "error": str(ex)[:200]})
            # paged prefill at the same shape, page 16 and 64
            for bs in (16, 64):
                pp = Problem([(sq, sq)] * nseq, hq, hq, d, bs, 0, False, True, seed=sq + d + bs,
                             dense_kv=False)
                pbest = 0
                for t in FWD_TILES:
                    ms = time_fn(lambda: run_paged(drv, pp, t, out))
                    tf = flops / ms / 1e9
                    pbest = max(pbest, tf)
                    rows.append({"kind": "paged", "d": d, "sq": sq, "seqs": nseq, "hq": hq, "page": bs,
                                 "kernel": t, "ms": ms, "tflops": tf})
                rows.append({"kind": "paged_vs_dense", "d": d, "sq": sq, "page": bs, "ratio": pbest / best})
                del pp
            rows.append({"kind": "dense_summary", "d": d, "sq": sq, "best_tflops": best,
                         "flash_tflops": flops / ref_ms["flash"] / 1e9 if "flash" in ref_ms else None,
                         "cudnn_tflops": flops / ref_ms["cudnn"] / 1e9 if "cudnn" in ref_ms else None})
            print("dense d=%d sq=%d: best %.0f TFLOP/s; flash %s cudnn %s" % (
                d, sq, best, rows[-1]["flash_tflops"], rows[-1]["cudnn_tflops"]), flush=True)
            del p
            torch.cuda.empty_cache()
    # decode + gather: gpt-oss heads
    dec_shapes = [(16, 8192), (16, 32768), (64, 8192), (64, 32768)] if not args.quick else [(16, 8192), (64, 32768)]
    for nseq, sk in dec_shapes:
        for bs in (16, 256):
            p = Problem([(1, sk)] * nseq, 64, 8, 64, bs, 0, True, True, seed=nseq + sk + bs, dense_kv=False)
            kv_bytes = 2.0 * nseq * sk * 8 * 64 * 2
            out = torch.empty(p.total_q, 64, 64, dtype=torch.bfloat16, device="cuda")
            po = torch.empty(64, p.total_q, 64, 64, device="cuda")
            pm = torch.empty(64, p.total_q, 64, 2, device="cuda")
            dbest = 0
            for t in DEC_TILES[:2]:
                for sp in sorted({16, auto_splits(p, cu, t), 2 * auto_splits(p, cu, t)}):
                    ms = time_fn(lambda: run_decode(drv, p, t, out, sp, po, pm))
                    gbs = kv_bytes / ms / 1e6
                    dbest = max(dbest, gbs)
                    rows.append({"kind": "decode", "seqs": nseq, "sk": sk, "page": bs, "kernel": t,
                                 "splits": sp, "ms": ms, "GBps": gbs, "pct_copy": 100 * gbs / bw})
            ko = torch.empty(p.total_k, 8, 64, dtype=torch.bfloat16, device="cuda")
            vo = torch.empty_like(ko)
            gbest = 0
            for sym in GATHERS:
                ms = time_fn(lambda: run_gather(drv, p, sym, ko, vo))
                gbs = 2 * kv_bytes / ms / 1e6  # read + write
                gbest = max(gbest, gbs)
                rows.append({"kind": "gather", "seqs": nseq, "sk": sk, "page": bs, "kernel": sym,
                             "ms": ms, "GBps": gbs, "pct_copy": 100 * gbs / bw})
            rows.append({"kind": "bw_summary", "seqs": nseq, "sk": sk, "page": bs,
                         "decode_pct": 100 * dbest / bw, "gather_pct": 100 * gbest / bw})
            print("decode/gather seqs=%d sk=%d page=%d: decode %.0f%% gather %.0f%% of copy" % (
                nseq, sk, bs, 100 * dbest / bw, 100 * gbest / bw), flush=True)
            del p, ko, vo, po, pm
            torch.cuda.empty_cache()
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(args.out, "bench.csv"), "w") as f:
        keys = ["kind", "d", "sq", "seqs", "hq", "sk", "page", "kernel", "splits", "ms", "tflops", "GBps",
                "pct_copy", "ratio", "error"]
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join("" if r.get(k) is None else (("%.4g" % r[k]) if isinstance(r.get(k), float) else str(r[k]))
                             for k in keys) + "\n")
    print_bench(res)
    return 0


def print_bench(res):
    rows = res["rows"]
    print("\n== dense (TFLOP/s, causal bf16, 16k tokens; ratio = ours best / torch flash)")
    tiles = list(dict.fromkeys(r["kernel"] for r in rows if r.get("kind") == "dense"
                               and not r["kernel"].startswith("torch.")))
    print("%4s %6s | " % ("D", "sq") + " ".join("%8s" % t for t in tiles) +
          " | %7s %7s | %5s | paged p16 p64 (x dense)" % ("flash", "cudnn", "ratio"))
    for d in (64, 128):
        for sq in sorted({r["sq"] for r in rows if r.get("kind") == "dense" and r.get("d") == d}):
            get = lambda k: next((r.get("tflops") for r in rows if r.get("kind") == "dense" and r["d"] == d
                                  and r["sq"] == sq and r["kernel"] == k), None)
            vals = [get(t) for t in tiles]
            fl, cd = get("torch.flash"), get("torch.cudnn")
            best = max(v for v in vals if v)
            pr = [next((r["ratio"] for r in rows if r.get("kind") == "paged_vs_dense" and r["d"] == d
                        and r["sq"] == sq and r["page"] == bs), None) for bs in (16, 64)]
            f = lambda x, w=7: ("%" + str(w) + ".0f") % x if x else " " * (w - 1) + "-"
            print("%4d %6d | " % (d, sq) + " ".join(f(v, 8) for v in vals) +
                  " | %s %s | %5s | %.2f %.2f" % (f(fl), f(cd), "%.2f" % (best / fl) if fl else "-",
                                                 pr[0] or 0, pr[1] or 0))
    print("\n== decode / gather (gpt-oss 64q/8kv D64, sq=1; %% of D2D copy %.0f GB/s)" % res["copy_GBps"])
    for r in rows:
        if r.get("kind") == "bw_summary":
            dec = [x for x in rows if x.get("kind") == "decode" and x["seqs"] == r["seqs"] and x["sk"] == r["sk"]
                   and x["page"] == r["page"]]
            b = max(dec, key=lambda x: x["GBps"])
            print("seqs %3d sk %6d page %3d: decode best %.0f%% (%s s%d, %.1f us) gather %.0f%%" % (
                r["seqs"], r["sk"], r["page"], r["decode_pct"], b["kernel"], b["splits"], b["ms"] * 1e3,
                r["gather_pct"]))


def cmd_profile(drv, args):
    """One launch of each prefill variant at D=128 and D=64, sq=sk=8k, 16k
    tokens (dense, then paged page 16): a target for ncu."""
    for d in (128, 64):
        hq = 2048 // d
        p = Problem([(8192, 8192)] * 2, hq, hq, d, 16, 0, False, True, seed=5)
        out = torch.empty(p.total_q, hq, d, dtype=torch.bfloat16, device="cuda")
        for t in FWD_TILES:
            run_dense(drv, p, t, out)
            run_paged(drv, p, t, out)
        torch.cuda.synchronize()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["check", "bench", "all", "profile"])
    ap.add_argument("--cubins", default=os.path.join(ROOT, ".carry", "kernels"))
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--alt-dense", default=None,
                    help="another attn_dense cubin (file name in --cubins) to check and time as <tile>*")
    args = ap.parse_args()
    drv = Driver(args.cubins)
    rc = 0
    if args.mode in ("check", "all"):
        rc |= cmd_check(drv, args)
    if args.mode in ("bench", "all"):
        rc |= cmd_bench(drv, args)
    if args.mode == "profile":
        rc |= cmd_profile(drv, args)
    return rc


if __name__ == "__main__":
    sys.exit(main())
