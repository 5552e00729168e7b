"""The stored side of the load test: a DuckDB file with N posts, a share of them hits spread over
the last days, a roster and watcher accounts, built once and cached.

Posts and hits are generated inside DuckDB from ``range(N)`` (as ``bench/perf/cases.py`` builds its
daily-list stores): a million posts take seconds, and nothing per row passes through Python. The
hit columns (rules, steps, explanation, ...) are copied from one real hit the pipeline produced,
so every list and hit page renders real content. The roster is the benchmark roster
(``workload.make_roster``: real published names, some declared accounts), so intake posts from
those accounts become hits during the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.perf.workload import REPO, make_roster

PLATFORMS = ("x", "facebook", "instagram", "tiktok")
NIP_BASE = 198001012000000000  # workload.make_roster: NIP of entry i is NIP_BASE + i
BUILD_VERSION = 1  # bump when the generated content changes (invalidates the cache)


def cache_dir() -> Path:
    return Path(os.environ.get("MONITOR_LOAD_CACHE") or Path(tempfile.gettempdir()) / "monitor-load-cache")


def cache_key(*, stored: int, hit_rate: float, days: int, roster: int, users: int, day: str, variant: str = "") -> str:
    tag = "-" + hashlib.sha256(variant.encode()).hexdigest()[:8] if variant else ""
    return f"v{BUILD_VERSION}-s{stored}-h{hit_rate:g}-d{days}-r{roster}-u{users}-{day}{tag}"


def write_config(run_dir: Path, db_name: str, token_env: str, max_items: int) -> Path:
    """A service config: the shipped rules, one webhook source, the web app on a free port."""
    cfg = run_dir / "config.toml"
    cfg.write_text(f"""
[store]
path = "{db_name}"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
name = "Bawaslu (uji beban)"
timezone = "Asia/Pontianak"
language = "id"
[service]
host = "127.0.0.1"
port = 0
grace_s = 30
[sources.hook]
type = "webhook"
token_env = "{token_env}"
max_items = {max_items}
""", encoding="utf-8")
    return cfg


def _fill(con, *, posts: int, hit_rate: float, days: int, roster: int, now: datetime, tmpl: dict) -> int:
    """``posts`` posts evenly over the ``days`` before ``now``; every ``1/hit_rate``-th has a hit on a
    roster member (a tenth of the older ones already reviewed). Returns the number of hits."""
    step = max(1, round(1 / hit_rate))
    span = days * 86400
    t0 = (now - timedelta(days=days)).isoformat()
    plats = "['" + "','".join(PLATFORMS) + "']"
    at = f"TIMESTAMPTZ '{t0}' + to_seconds((i * {span} // {posts})::BIGINT)"
    con.execute(f"""
        INSERT INTO posts
        SELECT {plats}[1 + i % {len(PLATFORMS)}], 'p' || i, 'https://example.org/p/' || i,
               {at}, {at} + INTERVAL 60 SECOND,
               'bench', CASE WHEN i % 10 = 1 THEN 'comment' WHEN i % 10 = 2 THEN 'share' ELSE 'post' END,
               'u' || (i % 50000), 'user' || (i % 50000), 'Nama Pengguna ' || (i % 50000), NULL, NULL,
               'teks unggahan nomor ' || i || ' pagi ini macet banget di jalan utama mending naik motor aja ' ||
               'hujan deras dari subuh jemuran belum kering ayo pilih calon kita',
               NULL, NULL, CASE WHEN i % 10 IN (1, 2) THEN 'unggahan induk ' || i END, NULL,
               '{{"id":"p' || i || '","text":"teks unggahan nomor ' || i || '"}}', sha256('p' || i)
        FROM range({posts}) t(i)
    """)
    cols = ("candidates", "identity_method", "rules", "terms", "targets", "steps", "explanation",
            "ruleset_version", "author_keys")
    old = (now - timedelta(days=2)).isoformat()
    con.execute(f"""
        INSERT INTO hits (hit_id, platform, post_id, post_created_at, detected_at, nip, candidates,
            identity_method, ambiguous, behaviour, score, identity_score, content_score, rules, terms,
            targets, steps, explanation, ruleset_version, status, reviewer, review_reason, reviewed_at,
            payload_sha256, author_keys)
        SELECT 'H' || substr(md5('load:p' || i), 1, 12), {plats}[1 + i % {len(PLATFORMS)}], 'p' || i,
               {at}, {at} + INTERVAL 90 SECOND,
               lpad(({NIP_BASE} + (i // {step}) * 7919 % {roster})::VARCHAR, 18, '0'),
               ?::JSON, ?, (i // {step}) % 11 = 0,
               CASE WHEN i % 10 = 1 THEN 'comment' WHEN i % 10 = 2 THEN 'share' ELSE 'post' END,
               0.4 + ((hash(i) % 600) / 1000.0), 0.6, 0.9, ?::JSON, ?::JSON, ?::JSON, ?::JSON, ?, ?,
               st, CASE WHEN st <> 'baru' THEN 'pengawas1' END, CASE WHEN st <> 'baru' THEN 'uji beban' END,
               CASE WHEN st <> 'baru' THEN {at} + INTERVAL 1 DAY END,
               sha256('p' || i), ?::JSON
        FROM (SELECT i, CASE WHEN {at} < TIMESTAMPTZ '{old}' AND hash(i) % 10 = 0 THEN 'dikonfirmasi'
                             WHEN {at} < TIMESTAMPTZ '{old}' AND hash(i) % 10 = 1 THEN 'ditolak'
                             ELSE 'baru' END AS st
              FROM range(0, {posts}, {step}) t(i))
    """, [tmpl[c] for c in cols])
    return con.execute("SELECT count(*) FROM hits").fetchone()[0]


def add_users(cfg: Path, db: Path, names: list[str], password: str) -> None:
    """Watcher accounts through the real CLI (``monitor users add NAME --role pengawas``)."""
    for name in names:
        proc = subprocess.run([sys.executable, "-m", "monitor", "--config", str(cfg), "--db", str(db),
                               "users", "add", name, "--role", "pengawas"],
                              input=f"{password}\n{password}\n", capture_output=True, text=True,
                              cwd=str(db.parent))  # not REPO: ``-m`` puts the cwd first on the path
        if proc.returncode != 0:
            raise SystemExit(f"monitor users add {name} failed: {proc.stderr[-2000:]}")


def build(path: Path, *, stored: int, hit_rate: float, days: int, roster: int, users: list[str], password: str,
          now: datetime) -> dict:
    from bench.perf import cases
    from monitor.config import load_config
    from monitor.store import Store

    t0 = time.perf_counter()
    cfg = write_config(path.parent, path.name, "UNUSED_TOKEN", 1000)
    cases._config = lambda: load_config(cfg)  # this minimal config also loads with older code (--baseline-src)
    with Store(path) as store:
        tmpl = cases._hit_template(store)  # one real hit's JSON columns (replaces the roster with a small one)
        entries = make_roster(roster, declared_share=0.05)
        store.replace_roster(entries, file="bench-load", file_sha256=hashlib.sha256(b"load").hexdigest(),
                             skipped=0, actor="bench")
        hits = _fill(store.con, posts=stored, hit_rate=hit_rate, days=days, roster=roster, now=now, tmpl=tmpl)
        store.con.execute("CHECKPOINT")
    add_users(cfg, path, users, password)
    return {"posts": stored, "hits": hits, "build_s": time.perf_counter() - t0}


def prepared_store(dest: Path, *, stored: int, hit_rate: float, days: int, roster: int, users: list[str],
                   password: str, reuse: bool = True, variant: str = "") -> dict:
    """Copy the cached store for these parameters to ``dest`` (building it first when missing);
    ``variant`` names the code that builds it (another source tree has other migrations)."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    key = cache_key(stored=stored, hit_rate=hit_rate, days=days, roster=roster, users=len(users),
                    day=now.strftime("%Y%m%d"), variant=variant)
    cached = cache_dir() / key / "store.duckdb"
    info = {"cache": str(cached), "reused": False}
    if not (reuse and cached.is_file()):
        shutil.rmtree(cached.parent, ignore_errors=True)
        cached.parent.mkdir(parents=True)
        tmp = cached.parent / "building.duckdb"
        info.update(build(tmp, stored=stored, hit_rate=hit_rate, days=days, roster=roster, users=users,
                          password=password, now=now))
        tmp.rename(cached)
    else:
        info["reused"] = True
    t0 = time.perf_counter()
    shutil.copyfile(cached, dest)
    info["copy_s"] = time.perf_counter() - t0
    info["file_mb"] = dest.stat().st_size / 2**20
    return info
