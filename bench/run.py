"""One performance table for the monitor: detection, ingest, roster index, daily list, scaling.

    python bench/run.py                  # default sizes (< 10 min on 2 cores)
    python bench/run.py --quick          # tiny sizes, smoke test (< 60 s)
    python bench/run.py --sizes 1000000 10000000   # daily-list store sizes (posts)
    python bench/run.py --scale 10000000           # add a 10M-post detection/ingest scaling run
    python bench/run.py --national                 # add the 4.3M-name roster (needs ~10+ GB, minutes)
    python bench/run.py --only detect              # detection rows only (batch path, per-post path, naive)

Every figure has its naive baseline measured in the same run, the ratio, and the peak memory
(ru_maxrss) of the subprocess that measured it: each heavy measurement runs in its own process
(``--child``). Workload generation is never inside a timed region.

Workloads (``bench/perf/workload.py``): roster names from the real published names in
/work/shared/eval/public_official_names.csv (titles kept, tokens recombined past ~29.7k);
~2,000-term rule set = shipped rules/ + generated local-contest rules (candidate x call to vote,
hashtags); posts ~300 bytes, ~92% everyday Indonesian filler, 5% real capres2024 tweets, 3%
campaign terms; authors 85% outside the roster, 12% roster names with title variations, 3%
declared accounts; 10% comments and 10% shares with a parent text.

Naive baselines: detection = one Python ``re`` alternation of all terms + rapidfuzz
``extractOne`` over the whole roster for every author; ingest = ``executemany`` row inserts of
the same posts; identity = ``extractOne`` over the whole roster; daily list = the same query
with the local day computed per row (``CAST(timezone(tz, ts) AS DATE) = day``).
Slow baselines run on a sample and are reported as a rate (not extrapolated in time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

CHILD_TIMEOUT_S = 1800


# --------------------------------------------------------------------------- child side
def child(name: str, kwargs: dict) -> None:
    from bench.perf import cases

    res = getattr(cases, name)(**kwargs)
    res["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(res))


def run_child(name: str, **kwargs) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE), "--child", name, json.dumps(kwargs)],
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=str(REPO))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"benchmark child {name}({kwargs}) failed with code {proc.returncode}")
    res = json.loads(lines[-1][len("RESULT "):])
    res["wall_s"] = time.perf_counter() - t0
    print(f"  .. {name} {kwargs}: {res['wall_s']:.1f} s wall", file=sys.stderr, flush=True)
    return res


# --------------------------------------------------------------------------- formatting
def machine_line() -> str:
    import duckdb
    import rapidfuzz

    cpu = "?"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for ln in Path("/proc/meminfo").read_text().splitlines():
            if ln.startswith("MemTotal:"):
                mem = f"{int(ln.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    return (f"machine: nproc {os.cpu_count()}, CPU {cpu}, RAM {mem}; Python {platform.python_version()}, "
            f"duckdb {duckdb.__version__}, rapidfuzz {rapidfuzz.__version__}")


def si(n: float) -> str:
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if n >= div:
            v = n / div
            return f"{v:.1f}{unit}".replace(".0" + unit, unit)
    return f"{n:.0f}"


def num(x: float | None, unit: str = "") -> str:
    if x is None:
        return "-"
    if abs(x) >= 100:
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return s + unit


class Table:
    HEAD = ("figure", "workload", "ours", "naive", "ratio", "peak MB", "target", "status")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def add(self, figure, workload, ours, naive="-", ratio="-", peak=None, target="-", status="-") -> None:
        self.rows.append((figure, workload, ours, naive, ratio, num(peak) if peak is not None else "-", target, status))

    def render(self) -> str:
        widths = [max(len(r[i]) for r in (self.HEAD, *self.rows)) for i in range(len(self.HEAD))]
        fmt = " | ".join("{:<%d}" % w if i < 2 or i >= 6 else "{:>%d}" % w for i, w in enumerate(widths))
        sep = "-+-".join("-" * w for w in widths)
        return "\n".join([fmt.format(*self.HEAD), sep, *(fmt.format(*r) for r in self.rows)])


def status(ok: bool, at: str = "") -> str:
    return ("PASS" if ok else "MISS") + (f" @{at}" if at else "")


# --------------------------------------------------------------------------- detection rows
def detect_rows(table: Table, scale: list[int], roster: int, naive_posts: int) -> dict[int, dict]:
    """Row 1 (detection): ``evaluate_many`` in batches at every scale size (the per-post
    ``evaluate`` path too at the smallest) and the naive baseline, each child in this run."""
    n0 = scale[0]
    det = {n: run_child("detect", posts=n, roster=roster, per_post=n == n0) for n in scale}
    dn = run_child("detect_naive", posts=naive_posts, roster=roster)
    d0 = det[n0]
    ratio = d0["rate"] / dn["rate"]
    table.add("1 detection posts/s/core", f"{si(n0)} posts, {si(roster)} roster, {d0['terms']:,} terms, "
              f"evaluate_many x{d0['batch']}; load {d0['load']:.1f}",
              num(d0["rate"]), num(dn["rate"]) + f" ({naive_posts} posts)", f"{ratio:,.0f}x",
              max(d0["peak_mb"], dn["peak_mb"]), ">=100k/s and >=50x naive",
              status(d0["rate"] >= 100_000 and ratio >= 50))
    table.add("  detection posts/CPU-s", "same run, posts per CPU-second (robust to a shared machine)",
              num(d0["cpu_rate"]), num(d0["per_post_cpu_rate"]) + " (per-post path)",
              f"{d0['cpu_rate'] / d0['per_post_cpu_rate']:,.1f}x", None, ">=100k/s", status(d0["cpu_rate"] >= 100_000))
    table.add("  detection per-post path", "same posts, Evaluator.evaluate one post at a time",
              num(d0["per_post_rate"]), "-", f"{d0['rate'] / d0['per_post_rate']:,.1f}x faster", None, "-",
              "same hits" if d0["per_post_hits"] == d0["hits"] else "HITS DIFFER")
    table.add("  detection identity share", "time in IdentityIndex.match (posts whose content scores)",
              f"{d0['identity_share']:.0%}", "-", "-", None, "-", "-")
    table.add("  detection hits", f"{si(n0)} posts", f"{d0['hits']:,} ({d0['hits'] / n0:.2%})",
              f"{dn['hits']} ({dn['hits'] / naive_posts:.1%})")
    return det


# --------------------------------------------------------------------------- ingest rows
def ingest_rows(table: Table, scale: list[int], roster: int, naive_ingest: int, batch: int) -> None:
    """Rows 2 and 5 (ingest): the shipped path at every scale size; at the smallest, also the path
    it replaced (same batches, interleaved in one process) and the row-by-row ``executemany``
    baseline. Peak MB of the smallest size covers both paths (one process)."""
    n0 = scale[0]
    pair = run_child("ingest_pair", posts=n0, roster=roster, batch=batch)  # both paths, batches interleaved
    ing = {n0: {**pair["fast"], "peak_mb": pair["peak_mb"]}}
    ing.update({n: run_child("ingest", posts=n, roster=roster, batch=batch) for n in scale[1:]})
    prev = {**pair["previous"], "peak_mb": pair["peak_mb"]}
    inn = run_child("ingest_naive", posts=naive_ingest, roster=roster)
    i0 = ing[n0]
    load = f"load {pair['load']:.1f}"
    table.add("2 ingest posts/s (Pipeline.process)",
              f"{si(n0)} posts, batches of {batch}, DuckDB file, incl. evaluation; {load}",
              num(i0["rate"]), num(inn["rate"]) + f" ({si(naive_ingest)} rows)", f"{i0['rate'] / inn['rate']:,.1f}x",
              max(i0["peak_mb"], inn["peak_mb"]), ">=100k/s", status(i0["rate"] >= 100_000))
    table.add("  ingest store posts/s", "posts + hits written, dedupe, commit (time inside the store)",
              num(i0["store_rate"]), num(prev["store_rate"]) + " (previous path)",
              f"{i0['store_rate'] / prev['store_rate']:,.1f}x", None, ">=100k/s", status(i0["store_rate"] >= 100_000))
    table.add("  ingest previous path posts/s", "same posts: known_payloads join + commit_batch, per-post evaluate",
              num(prev["rate"]), "-", f"{i0['rate'] / prev['rate']:,.1f}x faster",
              None, "same hits" if pair["same_hits"] else "-", status(pair["same_hits"]))
    table.add("  ingest time in the store", "rest: evaluation, hashing, Python",
              f"{i0['store_share']:.0%}", f"{prev['store_share']:.0%} (previous path)")
    table.add("  ingest idempotent re-run", "first batch again: 0 new, 0 hits, all duplicates",
              "yes" if i0["idempotent"] else "NO", "yes" if prev["idempotent"] else "NO", "-", None, "no new rows",
              status(i0["idempotent"]))
    table.add("  ingest duplicate batch posts/s", f"{batch} already-stored posts", num(i0["dup_rate"]),
              num(prev["dup_rate"]) + " (previous path)")
    for n in scale[1:]:
        f = ing[n]["rate"] / ing[n0]["rate"]
        table.add(f"5 scaling ingest ({si(n)})",
                  f"posts/s at {si(n)} vs {si(n0)}; store {ing[n]['store_share']:.0%} of time", num(ing[n]["rate"]),
                  num(ing[n0]["rate"]), f"{f:.2f}x", ing[n]["peak_mb"], "linear (>=0.8x rate)", status(f >= 0.8))
        f = ing[n]["store_rate"] / ing[n0]["store_rate"]
        table.add(f"  scaling ingest store ({si(n)})", f"store posts/s at {si(n)} vs {si(n0)}",
                  num(ing[n]["store_rate"]), num(ing[n0]["store_rate"]), f"{f:.2f}x", None, "linear (>=0.8x rate)",
                  status(f >= 0.8))


# --------------------------------------------------------------------------- plan
def main() -> None:
    ap = argparse.ArgumentParser(description="ASN monitor performance table")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "JSON"), help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, < 60 s (smoke test)")
    ap.add_argument("--sizes", type=int, nargs="+", default=None,
                    help="daily-list store sizes in posts (default 100000; the target is at 10000000)")
    ap.add_argument("--scale", type=int, nargs="+", default=None,
                    help="detection/ingest scaling sizes in posts (default 100000 1000000)")
    ap.add_argument("--rosters", type=int, nargs="+", default=None, help="roster sizes (default 10k 100k 1M)")
    ap.add_argument("--national", action="store_true", help="also the 4.3M-name national roster")
    ap.add_argument("--roster", type=int, default=None, help="roster size for detection/ingest (default 100000)")
    ap.add_argument("--hit-rate", type=float, default=0.02, help="share of stored posts with a hit (daily list)")
    ap.add_argument("--only", choices=["ingest", "detect"], default=None, help="measure one stage only (its rows of the table)")
    ap.add_argument("--ingest-batch", type=int, default=1000, help="posts per collected batch (default 1000)")
    args = ap.parse_args()
    if args.child:
        child(args.child[0], json.loads(args.child[1]))
        return

    q = args.quick
    roster = args.roster or (5_000 if q else 100_000)
    scale = sorted(args.scale or ([2_000, 10_000] if q else [100_000, 1_000_000]))
    rosters = sorted(args.rosters or ([2_000, 10_000] if q else [10_000, 100_000, 1_000_000]))
    if args.national:
        rosters.append(4_300_000)
    list_sizes = sorted(args.sizes or ([20_000] if q else [100_000]))
    naive_posts = 30 if q else 300
    naive_ingest = 500 if q else 2_000
    id_queries = 500 if q else 20_000
    check = 30 if q else 1000  # identity queries checked against the exhaustive search

    t_start = time.perf_counter()
    print(machine_line(), flush=True)
    table = Table()
    if args.only == "detect":
        det = detect_rows(table, scale, roster, naive_posts)
        for n in scale[1:]:
            f = det[n]["rate"] / det[scale[0]]["rate"]
            table.add(f"5 scaling detection ({si(n)})", f"posts/s at {si(n)} vs {si(scale[0])}", num(det[n]["rate"]),
                      num(det[scale[0]]["rate"]), f"{f:.2f}x", det[n]["peak_mb"], "linear (>=0.8x rate)",
                      status(f >= 0.8))
        print(table.render())
        print(f"total wall time {time.perf_counter() - t_start:.0f} s, load average {os.getloadavg()[0]:.1f}")
        return
    if args.only == "ingest":
        ingest_rows(table, scale, roster, naive_ingest, args.ingest_batch)
        print(table.render())
        print(f"total wall time {time.perf_counter() - t_start:.0f} s, load average {os.getloadavg()[0]:.1f}")
        return

    # 1 + 5: detection
    det = detect_rows(table, scale, roster, naive_posts)

    # 2 + 5: ingest
    ingest_rows(table, scale, roster, naive_ingest, args.ingest_batch)

    # 3 + 5: roster index
    ros = {n: run_child("roster_index", size=n, queries=id_queries if n < 4_000_000 else id_queries // 2,
                        naive_queries=(50 if n <= 100_000 else 15) if not q else 10, check=check)
           for n in rosters}
    big = max(rosters)
    at = "" if big >= 4_300_000 else si(big)
    for n in rosters:
        r = ros[n]
        nq = id_queries if n < 4_000_000 else id_queries // 2
        table.add(f"3 identity q/s (roster {si(n)})",
                  f"{nq:,} display names, 60% roster variants (CPU time: {num(r.get('qps_cpu'))} q/s)",
                  num(r["qps"]), num(r["naive_qps"]), f"{r['qps'] / r['naive_qps']:,.0f}x", r["peak_mb"],
                  ">=2,000 q/s (4.3M)" if n == big else "-", status(r["qps"] >= 2000, at) if n == big else "-")
        table.add(f"  build s (roster {si(n)})",
                  f"IdentityIndex.build, {si(n)} names (CPU time: {num(r.get('build_cpu_s'), ' s')})",
                  num(r["build_s"], " s"),
                  "-", "-", None, "<120 s (4.3M)" if n == big else "-", status(r["build_s"] < 120, at) if n == big else "-")
        table.add(f"  index MB (roster {si(n)})",
                  f"RSS growth during build (the RosterEntry list itself: {num(r['roster_mb'], ' MB')}); "
                  "peak = whole process", num(r["index_mb"], " MB"), "-", "-", r["peak_mb"],
                  "<4 GB (4.3M)" if n == big else "-", status(r["index_mb"] < 4096, at) if n == big else "-")
        table.add(f"  agreement (roster {si(n)})",
                  f"{r['checked']:,} queries ({r['names_checked']:,} names, {r['with_exhaustive_match']:,} with a match)"
                  f" vs exhaustive: same scorer+threshold over all entries; missed {r['missed']}, extra {r['extra']}",
                  f"{r['agree']:.1%}", "100%", "-", None, "= exhaustive" if n == big else "-",
                  status(r["missed"] == 0 and r["extra"] == 0, at) if n == big else "-")

    # 4: daily list
    for n in list_sizes:
        r = run_child("daily_list", posts=n, hit_rate=args.hit_rate, days=365)
        top = n == max(list_sizes)
        at4 = "" if n >= 10_000_000 else si(n)
        table.add("4 daily list ms (list_hits)", f"{si(n)} posts, {r['hits']:,} hits/365 d -> {r['ours_rows']} rows/day"
                  + ("" if r["ours_rows"] == r["naive_rows"] else f" (naive {r['naive_rows']} rows!)"),
                  num(r["ours_ms"], " ms"), num(r["naive_ms"], " ms"), f"{r['naive_ms'] / r['ours_ms']:,.1f}x",
                  r["peak_mb"], "<200 ms (10M)" if top else "-", status(r["ours_ms"] < 200, at4) if top else "-")

    # 5: scaling
    base_n = scale[0]
    for n in scale[1:]:
        f = det[n]["rate"] / det[base_n]["rate"]
        table.add(f"5 scaling detection ({si(n)})", f"posts/s at {si(n)} vs {si(base_n)}", num(det[n]["rate"]),
                  num(det[base_n]["rate"]), f"{f:.2f}x", det[n]["peak_mb"], "linear (>=0.8x rate)", status(f >= 0.8))
    small = min(rosters)
    for n in rosters:
        if n == small:
            continue
        us, us0 = 1e6 / ros[n]["qps"], 1e6 / ros[small]["qps"]
        nus, nus0 = 1e6 / ros[n]["naive_qps"], 1e6 / ros[small]["naive_qps"]
        table.add(f"5 scaling identity us/query ({si(n)})", f"roster x{n // small} vs {si(small)}",
                  f"{num(us)} us (x{us / us0:.1f})", f"{num(nus)} us (x{nus / nus0:.1f})", "-", None,
                  f"sub-linear (< x{n // small})", status(us / us0 < n / small))

    print(table.render())
    print(f"total wall time {time.perf_counter() - t_start:.0f} s"
          + ("  (quick sizes: smoke test only, not comparable to targets)" if q else ""))


if __name__ == "__main__":
    main()
