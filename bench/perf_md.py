#!/usr/bin/env python3
"""perf_md.py -- turn bench/attn_torch.py's bench.json into the markdown tables
of docs/PERF.md ("Kernels on the H100").  Standard library only.

  python3 bench/perf_md.py bench.json > tables.md
Rows whose kernel ends in '*' (an --alt-dense build) are left out.
"""
import json
import sys


def main():
    res = json.load(open(sys.argv[1]))
    rows = [r for r in res["rows"] if not str(r.get("kernel", "")).endswith("*")]
    dense = [r for r in rows if r.get("kind") == "dense" and "tflops" in r]
    tiles = list(dict.fromkeys(r["kernel"] for r in dense if not r["kernel"].startswith("torch.")))
    out = []
    out.append("Dense sink varlen kernel, causal bf16, 16k tokens (num_seqs = 16k / sq), sq = sk, "
               "Hq = Hkv = 2048 / D; TFLOP/s = 4 * visible (q, k) pairs * Hq * D / time.  "
               "ratio = best own tile / torch flash SDPA; paged = best paged-prefill tile / best dense tile.\n")
    out.append("| D | sq | " + " | ".join(tiles) + " | torch flash | torch cuDNN | best / flash | paged p16 | paged p64 |")
    out.append("|---" * (len(tiles) + 7) + "|")
    for d in sorted({r["d"] for r in dense}):
        for sq in sorted({r["sq"] for r in dense if r["d"] == d}):
            get = lambda k: next((r["tflops"] for r in dense if r["d"] == d and r["sq"] == sq and r["kernel"] == k), None)
            vals = [get(t) for t in tiles]
            best = max(v for v in vals if v)
            fl, cd = get("torch.flash"), get("torch.cudnn")
            pg = []
            for bs in (16, 64):
                pv = [r["tflops"] for r in rows if r.get("kind") == "paged" and r["d"] == d and r["sq"] == sq
                      and r["page"] == bs]
                pg.append("%.2f" % (max(pv) / best) if pv else "-")
            f = lambda x: "%.0f" % x if x else "-"
            out.append("| %d | %d | " % (d, sq) + " | ".join(f(v) for v in vals) +
                       " | %s | %s | %s | %s | %s |" % (f(fl), f(cd), "%.2f" % (best / fl) if fl else "-", pg[0], pg[1]))
    out.append("")
    bw = res["copy_GBps"]
    out.append("Paged decode (split-KV + reduce) and gather, gpt-oss heads (64 q / 8 kv, D 64, sinks), sq = 1; "
               "GB/s counts K+V bytes read (gather: read + written); D2D copy measured by the script: %.0f GB/s "
               "(read + write).\n" % bw)
    out.append("| seqs | sk | page | decode best (tile, splits) | us | GB/s | % of copy | splits=16 % | gather best | gather % |")
    out.append("|---" * 10 + "|")
    for r in rows:
        if r.get("kind") != "bw_summary":
            continue
        key = lambda x: x["seqs"] == r["seqs"] and x["sk"] == r["sk"] and x["page"] == r["page"]
        dec = [x for x in rows if x.get("kind") == "decode" and key(x)]
        b = max(dec, key=lambda x: x["GBps"])
        s16 = max((x["pct_copy"] for x in dec if x["splits"] == 16), default=0)
        ga = max((x for x in rows if x.get("kind") == "gather" and key(x)), key=lambda x: x["GBps"])
        out.append("| %d | %d | %d | %s, %d | %.1f | %.0f | %.0f | %.0f | %s | %.0f |" % (
            r["seqs"], r["sk"], r["page"], b["kernel"], b["splits"], b["ms"] * 1e3, b["GBps"], b["pct_copy"],
            s16, ga["kernel"].replace("ar_gather_", ""), ga["pct_copy"]))
    print("\n".join(out))


if __name__ == "__main__":
    main()
