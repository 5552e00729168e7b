"""Load test: the webhook intake at a sustained rate while watchers use the web application.

    python bench/load.py                                   # 1M stored posts, 1,000 posts/s, 60 s, 4 watchers
    python bench/load.py --stored 2000 --rate 50 --seconds 3 --watchers 2   # smoke size
    python bench/load.py --single-seconds 10               # then the naive comparison: one post per request
    python bench/load.py --baseline-src /tmp/base          # first the same with another source tree (before/after)

What it does (issue 9, "Load"):
1. builds (or reuses from ``$MONITOR_LOAD_CACHE``, default ``/tmp/monitor-load-cache``) a DuckDB
   store with ``--stored`` posts spread over the last ``--days`` days, ``--hit-rate`` of them hits
   on a roster of ``--roster`` people, and ``--watchers`` pengawas accounts (added with
   ``monitor users add``); each run works on a fresh copy;
2. starts the real ``monitor serve`` (a subprocess; a ``webhook`` source whose token comes from an
   environment variable; the web application on);
3. for ``--seconds``: an open-loop client POSTs batches of ``--batch-min``..``--batch-max`` posts to
   ``/api/v1/posts`` at ``--rate`` posts/s (latency counted from each request's scheduled time),
   while ``--watchers`` signed-in watchers load daily lists (today and yesterday, filters and sorts)
   and open hit pages;
4. stops the service (SIGTERM) and checks in the store that every accepted intake post is stored
   exactly once; prints the table and PASS/MISS against the targets (>= 1,000 posts/s ingested:
   every offered post accepted and the last answer at most 5 s after the window, i.e. no growing
   backlog; the daily list's p95 under 300 ms), with the load average of the machine.
``--json FILE`` also writes every figure as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
if not os.environ.get("MONITOR_LOAD_SRC"):  # else PYTHONPATH names the monitor package to use (--baseline-src)
    sys.path.insert(0, str(REPO))

from bench.perf.load_clients import (IntakeResult, Series, WatcherResult, drive_intake, make_plan,  # noqa: E402
                                     proc_status, watcher)
from bench.perf.load_store import prepared_store, write_config  # noqa: E402
from bench.perf.workload import make_roster  # noqa: E402

TOKEN_ENV = "MONITOR_LOAD_WEBHOOK_TOKEN"
TARGET_RATE = 1000.0
TARGET_LIST_P95_MS = 300.0
PASSWORD = "uji-beban-" + "x" * 8
DRAIN_OK_S = 5.0  # the intake kept pace: every post accepted and the last answer this soon after the window
GIVE_UP_AFTER_S = 10.0  # requests not yet sent this long after the window are dropped (a server far behind)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stored", type=int, default=1_000_000, help="posts already stored")
    ap.add_argument("--hit-rate", type=float, default=0.01, help="share of stored posts that are hits")
    ap.add_argument("--days", type=int, default=30, help="stored posts spread over this many days before now")
    ap.add_argument("--roster", type=int, default=5000, help="roster size")
    ap.add_argument("--rate", type=float, default=1000.0, help="offered intake, posts/s")
    ap.add_argument("--seconds", type=float, default=60.0, help="duration of the measured phase")
    ap.add_argument("--batch-min", type=int, default=50)
    ap.add_argument("--batch-max", type=int, default=200)
    ap.add_argument("--watchers", type=int, default=4)
    ap.add_argument("--think", type=float, default=0.5, help="watcher pause between page loads, seconds")
    ap.add_argument("--single-seconds", type=float, default=0.0,
                    help="after the main phase, this many seconds at the same rate with ONE post per request")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the run's files here (default: a temp dir)")
    ap.add_argument("--no-reuse", action="store_true", help="rebuild the cached store")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    ap.add_argument("--baseline-src", type=Path, default=None,
                    help="first run everything (store build and service) with the monitor package of this source "
                         "tree, e.g. `git archive HEAD | tar -x -C /tmp/base`: before/after in one run")
    ap.add_argument("--build-store", type=Path, default=None, help=argparse.SUPPRESS)  # internal (baseline build)
    return ap.parse_args(argv)


# ---------------------------------------------------------------------------------- the service
def src_env(src: Path | None, run_dir: Path) -> dict:
    """Environment that makes ``monitor`` (and only it) come from ``src``; this repository's bench."""
    if src is None:
        return dict(os.environ)
    path = run_dir / "pythonpath"
    path.mkdir(exist_ok=True)
    for name, target in (("monitor", src.resolve() / "monitor"), ("bench", REPO / "bench")):
        if not (path / name).exists():
            (path / name).symlink_to(target)
    return {**os.environ, "PYTHONPATH": str(path), "MONITOR_LOAD_SRC": str(src)}


def start_service(cfg: Path, token: str, log_path: Path, src: Path | None = None) -> tuple[subprocess.Popen, str]:
    env = {**src_env(src, cfg.parent), TOKEN_ENV: token, "PYTHONUNBUFFERED": "1"}
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(cfg), "serve", "--log-format", "json"],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=str(cfg.parent))
    line = proc.stdout.readline().strip()
    if not line.startswith("listening http://"):
        proc.kill()
        raise SystemExit(f"monitor serve did not start: {line!r}\n{log_path.read_text()[-3000:]}")
    return proc, line.split(" ", 1)[1]


def stop_service(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return proc.returncode


def server_errors(log_path: Path) -> int:
    n = 0
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"level": "ERROR"' in line.replace('"level":"ERROR"', '"level": "ERROR"'):
            n += 1
    return n


# ---------------------------------------------------------------------------------- one phase
async def phase(base: str, token: str, plan, *, seconds: float, watchers: int, users: list[str], think: float,
                tz: ZoneInfo, pid: int) -> dict:
    loop = asyncio.get_running_loop()
    wres = WatcherResult()
    conn = aiohttp_connector()
    import aiohttp

    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=300)) as s:
        cpu0, load0 = proc_status(pid).get("cpu_s", 0.0), os.getloadavg()
        t0 = loop.time() + 0.5
        stop_at = t0 + seconds
        wt = [asyncio.create_task(watcher(base, users[i % len(users)], PASSWORD, stop_at=stop_at, think=think,
                                          seed=100 + i, tz=tz, out=wres)) for i in range(watchers)]
        ires: IntakeResult = await drive_intake(s, base + "/api/v1/posts", token, plan, t0,
                                                give_up_at=stop_at + GIVE_UP_AFTER_S)
        await asyncio.gather(*wt)
        end = loop.time()
    st = proc_status(pid)
    span = max((ires.last_done or end) - t0, 1e-9)
    return {"intake": ires, "watchers": wres, "span_s": span, "wall_s": end - t0,
            "server_cpu_s": st.get("cpu_s", 0.0) - cpu0, "load_before": load0, "load_after": os.getloadavg()}


async def warm_up(base: str, token: str, plan, username: str, tz: ZoneInfo) -> None:
    """Not measured: one intake request (builds the pipeline) and one watcher's first pages."""
    import aiohttp

    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as s:
        res = await drive_intake(s, base + "/api/v1/posts", token, plan, loop.time())
        if res.series.errors:
            raise SystemExit(f"warm-up intake failed: {res.series.errors}")
    await watcher(base, username, PASSWORD, stop_at=loop.time() + 0.1, think=0.0, seed=1, tz=tz, out=WatcherResult())


def aiohttp_connector():
    import aiohttp

    return aiohttp.TCPConnector(limit=256)


def stored_intake(db: Path, prefix: str) -> tuple[set[str], int, int]:
    """(ids of stored intake posts, rows, hits on them), read after the service stopped."""
    from monitor.store import Store

    with Store(db) as s:
        ids = [r[0] for r in s.con.execute("SELECT post_id FROM posts WHERE post_id LIKE ?", [prefix + "%"]).fetchall()]
        hits = s.con.execute("SELECT count(*) FROM hits WHERE post_id LIKE ?", [prefix + "%"]).fetchone()[0]
    return set(ids), len(ids), hits


# ---------------------------------------------------------------------------------- report
def ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1000:,.0f}"


def series_row(name: str, s: Series, n_label: str, per_s: float | None) -> list[str]:
    return [name, f"{len(s.lat):,} {n_label}", "-" if per_s is None else f"{per_s:,.1f}/s",
            ms(s.pct(50)), ms(s.pct(95)), ms(s.pct(99)), ms(max(s.lat) if s.lat else None),
            json.dumps(s.errors) if s.errors else "none"]


def table(rows: list[list[str]], head: list[str]) -> str:
    w = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = " | ".join(("{:<%d}" if i in (0, 1, len(head) - 1) else "{:>%d}") % x for i, x in enumerate(w))
    return "\n".join([fmt.format(*head), "-+-".join("-" * x for x in w), *(fmt.format(*r) for r in rows)])


def report_phase(title: str, ph: dict, plan, batch: str, seconds: float) -> tuple[str, dict]:
    ires: IntakeResult = ph["intake"]
    w: WatcherResult = ph["watchers"]
    offered = plan.posts / seconds
    achieved = ires.posts_accepted / max(ph["span_s"], seconds)  # not above offered when keeping up
    span = ph["wall_s"]
    head = ["requests", "count", "rate", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors (status: n)"]
    rows = [series_row(f"intake POST /api/v1/posts ({batch})", ires.series, "req", len(ires.series.lat) / span),
            series_row("daily list GET / (all)", w.lists, "req", len(w.lists.lat) / span),
            series_row("  daily list, today", w.list_today, "req", len(w.list_today.lat) / span),
            series_row("hit page GET /hits/ID", w.hit_pages, "req", len(w.hit_pages.lat) / span),
            series_row("sign-in POST /login", w.login, "req", None)]
    figs = {
        "offered_posts_s": offered, "achieved_posts_s": achieved, "posts_sent": plan.posts,
        "posts_accepted": ires.posts_accepted, "posts_unsent": ires.unsent, "new": ires.new, "hits_created": ires.hits,
        "intake_p50_ms": (ires.series.pct(50) or 0) * 1000, "intake_p95_ms": (ires.series.pct(95) or 0) * 1000,
        "intake_p99_ms": (ires.series.pct(99) or 0) * 1000,
        "list_p50_ms": (w.lists.pct(50) or 0) * 1000, "list_p95_ms": (w.lists.pct(95) or 0) * 1000,
        "list_p99_ms": (w.lists.pct(99) or 0) * 1000, "lists": len(w.lists.lat),
        "hit_p50_ms": (w.hit_pages.pct(50) or 0) * 1000, "hit_p95_ms": (w.hit_pages.pct(95) or 0) * 1000,
        "hit_pages": len(w.hit_pages.lat),
        "errors": {"intake": ires.series.errors, "lists": w.lists.errors, "hit_pages": w.hit_pages.errors,
                   "login": w.login.errors},
        "drain_s": max(0.0, ph["span_s"] - seconds),
        "kept_up": ires.posts_accepted == plan.posts and ph["span_s"] - seconds <= DRAIN_OK_S,
        "server_cpu_s": ph["server_cpu_s"], "span_s": ph["span_s"], "client_lag_max_s": ires.lag_max,
        "load_before": ph["load_before"], "load_after": ph["load_after"],
        "list_rows_mean": sum(w.list_rows) / len(w.list_rows) if w.list_rows else 0,
    }
    lines = [f"== {title}",
             f"intake offered {offered:,.0f} posts/s ({plan.posts:,} posts in {len(plan.requests):,} requests of {batch}), "
             f"achieved {achieved:,.0f} posts/s accepted ({ires.posts_accepted:,} posts, {ires.new:,} new, "
             f"{ires.hits:,} hits) over {ph['span_s']:.1f} s (last answer {max(0.0, ph['span_s'] - seconds):.1f} s after "
             f"the window); client send lag max {ires.lag_max * 1000:,.0f} ms"
             + (f"; {ires.unsent:,} posts NOT SENT (still queued {GIVE_UP_AFTER_S:.0f} s after the window: "
                "the server was that far behind)" if ires.unsent else ""),
             table(rows, head),
             f"server CPU {ph['server_cpu_s']:.1f} s over {span:.1f} s ({ph['server_cpu_s'] / span:.0%} of one core); "
             f"daily lists showed {figs['list_rows_mean']:.0f} hits per page on average; "
             f"load average before {fmt_load(ph['load_before'])}, after {fmt_load(ph['load_after'])}"]
    return "\n".join(lines), figs


def fmt_load(t) -> str:
    return " ".join(f"{x:.2f}" for x in t)


def machine_line() -> str:
    import duckdb

    cpu = "?"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"machine: nproc {os.cpu_count()}, CPU {cpu}; Python {platform.python_version()}, duckdb {duckdb.__version__}"


# ---------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    args = parse_args(argv)
    if args.build_store is not None:  # internal: build the store with whatever monitor is importable
        users = [f"pengawas{i + 1}" for i in range(max(1, args.watchers))]
        info = prepared_store(args.build_store, stored=args.stored, hit_rate=args.hit_rate, days=args.days,
                              roster=args.roster, users=users, password=PASSWORD, reuse=not args.no_reuse,
                              variant=str(args.baseline_src))
        print("STORE " + json.dumps(info))
        return 0
    t_start = time.perf_counter()
    print(machine_line() + f"; load average {fmt_load(os.getloadavg())}", flush=True)
    tmp = None
    if args.workdir is None:
        tmp = tempfile.mkdtemp(prefix="monitor-load-")
        run_dir = Path(tmp)
    else:
        run_dir = args.workdir
        run_dir.mkdir(parents=True, exist_ok=True)
    try:
        results = []
        if args.baseline_src is not None:
            (run_dir / "baseline").mkdir(exist_ok=True)
            results.append(("baseline (" + str(args.baseline_src) + ")", run(args, run_dir / "baseline", t_start,
                                                                           src=args.baseline_src)))
        (run_dir / "current").mkdir(exist_ok=True)
        results.append(("this tree", run(args, run_dir / "current", t_start)))
        if len(results) > 1:
            print("\n== before/after in this run (stores built alike, same offered load, baseline first)")
            head = ["code", "achieved posts/s", "intake p50/p95 ms", "list p50/p95/p99 ms", "hit page p50/p95 ms",
                    "lists served", "server CPU s", "load avg after"]
            rows = []
            for label, (_rc, out) in results:
                m = out["main"]
                rows.append([label, f"{m['achieved_posts_s']:,.0f}", f"{m['intake_p50_ms']:,.0f}/{m['intake_p95_ms']:,.0f}",
                             f"{m['list_p50_ms']:,.0f}/{m['list_p95_ms']:,.0f}/{m['list_p99_ms']:,.0f}",
                             f"{m['hit_p50_ms']:,.0f}/{m['hit_p95_ms']:,.0f}", f"{m['lists']:,}",
                             f"{m['server_cpu_s']:.1f}", fmt_load(m['load_after'])])
            print(table(rows, head))
        if args.json:
            args.json.write_text(json.dumps({label: out for label, (_rc, out) in results}, indent=2, default=str))
        return max(rc for _label, (rc, _out) in results)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def baseline_store(args, db: Path, src: Path) -> dict:
    """The store built by the baseline tree's code (its migrations), in a subprocess."""
    cmd = [sys.executable, str(HERE), "--build-store", str(db), "--stored", str(args.stored), "--hit-rate",
           str(args.hit_rate), "--days", str(args.days), "--roster", str(args.roster), "--watchers",
           str(args.watchers), "--baseline-src", str(src)] + (["--no-reuse"] if args.no_reuse else [])
    env = src_env(src, db.parent)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(db.parent))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("STORE ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"baseline store build failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][6:])


def run(args, run_dir: Path, t_start: float, src: Path | None = None) -> tuple[int, dict]:
    users = [f"pengawas{i + 1}" for i in range(max(1, args.watchers))]
    db = run_dir / "load.duckdb"
    if src is None:
        info = prepared_store(db, stored=args.stored, hit_rate=args.hit_rate, days=args.days, roster=args.roster,
                              users=users, password=PASSWORD, reuse=not args.no_reuse)
    else:
        info = baseline_store(args, db, src)
    print(f"-- code: {src or 'this tree'}", flush=True)
    how = "reused" if info["reused"] else f"built in {info['build_s']:.1f} s"
    print(f"store: {args.stored:,} posts over {args.days} days, hit rate {args.hit_rate:g}, roster {args.roster:,}, "
          f"{len(users)} pengawas; {how} ({info['cache']}), copied in {info['copy_s']:.1f} s, {info['file_mb']:,.0f} MB",
          flush=True)
    cfg = write_config(run_dir, db.name, TOKEN_ENV, max(1000, args.batch_max))
    token = secrets.token_urlsafe(24)
    roster = make_roster(args.roster, declared_share=0.05)
    run_id = datetime.now(timezone.utc).strftime("%H%M%S")
    start = datetime.now(timezone.utc)
    plan = make_plan(rate=args.rate, seconds=args.seconds, batch_min=args.batch_min, batch_max=args.batch_max,
                     roster=roster, prefix=f"L{run_id}-", start=start)
    warm = make_plan(rate=100, seconds=1, batch_min=50, batch_max=50, roster=roster, prefix=f"W{run_id}-",
                     start=start, seed=7)
    single = None
    if args.single_seconds > 0:
        single = make_plan(rate=args.rate, seconds=args.single_seconds, batch_min=1, batch_max=1, roster=roster,
                           prefix=f"S{run_id}-", start=start, seed=6)
    tz = ZoneInfo("Asia/Pontianak")
    log_path = run_dir / "serve.log"
    t = time.perf_counter()
    proc, base = start_service(cfg, token, log_path, src)
    print(f"service: {base} (pid {proc.pid}) ready in {time.perf_counter() - t:.1f} s", flush=True)
    out: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "store": info}
    texts = []
    try:
        t = time.perf_counter()
        asyncio.run(warm_up(base, token, warm, users[0], tz))
        print(f"warm-up (first write builds the identity index; first list): {time.perf_counter() - t:.1f} s",
              flush=True)
        ph = asyncio.run(phase(base, token, plan, seconds=args.seconds, watchers=args.watchers, users=users,
                               think=args.think, tz=tz, pid=proc.pid))
        batch = f"{args.batch_min}-{args.batch_max} posts"
        text, figs = report_phase(f"main phase: batches of {batch}, {args.watchers} watchers", ph, plan, batch, args.seconds)
        texts.append(text)
        out["main"] = figs
        main_ids = set(ph["intake"].accepted_ids)
        if single is not None:
            ph1 = asyncio.run(phase(base, token, single, seconds=args.single_seconds, watchers=args.watchers,
                                    users=users, think=args.think, tz=tz, pid=proc.pid))
            text, figs = report_phase(f"naive comparison: ONE post per request, {args.watchers} watchers", ph1,
                                      single, "1 post", args.single_seconds)
            texts.append(text)
            out["single"] = figs
        rss = proc_status(proc.pid)
    finally:
        rc = stop_service(proc)
    errors_logged = server_errors(log_path)
    stored, rows, hits = stored_intake(db, f"L{run_id}-")
    sent = {i for _, _, ids in plan.requests for i in ids}
    exactly_once = stored == main_ids and rows == len(stored) and stored <= sent
    out.update({"server_hwm_mb": rss.get("VmHWM"), "server_rss_mb": rss.get("VmRSS"), "server_exit": rc,
                "server_errors_logged": errors_logged, "intake_stored": rows, "intake_hits_stored": hits,
                "exactly_once": exactly_once})
    for t_ in texts:
        print(t_)
    m = out["main"]
    five = sum(v for part in m["errors"].values() for k, v in part.items() if k.isdigit() and k.startswith("5"))
    rate_ok = m["offered_posts_s"] >= TARGET_RATE and m["kept_up"]
    list_ok = m["list_p95_ms"] < TARGET_LIST_P95_MS
    print(f"server: peak RSS (VmHWM) {rss.get('VmHWM', 0):,.0f} MB, RSS at end {rss.get('VmRSS', 0):,.0f} MB, "
          f"exit code {rc}, {errors_logged} ERROR log lines")
    print(f"store check: {rows:,} intake posts stored, {len(main_ids):,} accepted, {hits:,} hits on them; "
          f"every accepted post stored exactly once: {'yes' if exactly_once else 'NO'}; 5xx responses: {five}")
    print(f"targets: ingest >= {TARGET_RATE:,.0f} posts/s: {'PASS' if rate_ok else 'MISS'} "
          f"(offered {m['offered_posts_s']:,.0f}, all accepted with the last answer {m['drain_s']:.1f} s after the window"
          f" [pass: every post accepted, <= {DRAIN_OK_S:.0f} s]: {'yes' if m['kept_up'] else 'NO'}); "
          f"daily list p95 < {TARGET_LIST_P95_MS:.0f} ms: {'PASS' if list_ok else 'MISS'} ({m['list_p95_ms']:,.0f} ms)"
          + ("" if args.rate >= TARGET_RATE and args.stored >= 1_000_000 else
             " [below target scale: --rate/--stored smaller than the issue's]"))
    print(f"load average {fmt_load(os.getloadavg())}; total wall time {time.perf_counter() - t_start:.0f} s",
          flush=True)
    return (0 if exactly_once and rc == 0 and five == 0 else 1), out


if __name__ == "__main__":
    raise SystemExit(main())
