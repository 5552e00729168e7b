"""Crash test: ``monitor serve`` ingests a large stream while it is killed with SIGKILL, again and again.

    python bench/crash_test.py --posts 100000 --kills 20 --seed 1

A fake Mastodon instance and a fake X API (``tests/fakes/mastodon_server.py``, ``x_server.py``:
real HTTP on 127.0.0.1, each in a thread of this process) serve one stream: two thirds Mastodon
statuses on two hashtags, one third X posts found by a recent search, read by three sources of the
service at once (three cursors of two kinds, batches of all three through the one writer).
Authors are the demo roster's declared accounts, accounts named like roster people, and citizens;
texts are the demo posts' texts (partisan, neutral and tricky ones), so hits are produced and
checked too. 5% of the stream is there before the first start (the first runs walk back through
it); the rest is published while the service runs.

The service (``python -m monitor serve``, a real subprocess) is killed with SIGKILL ``--kills``
times, at seeded random moments: after a random delay, then at once (2 in 5), at the next
write-ahead-log write (2 in 5: during a commit) or at the next write of the database file itself
(1 in 5, if one comes within 10 s: a checkpoint, or a large insert whose row groups DuckDB writes
straight to the file); one kill in six is followed by a second one while the service restarts
(replaying the log). After each kill, before the restart, the database is
opened read-only and checked: for each source, the stored
posts are exactly the served posts its committed cursor covers (nothing past the cursor is
missing, nothing is stored without its cursor). At the end the service catches up, is stopped
with SIGTERM, a ``monitor collect --once`` must collect nothing new, and the file is checked:
every served post stored exactly once with its exact payload, cursors at the newest served id,
``PRAGMA database_size`` and a full count of every table, and the stored hits equal the hits the
same rules and roster give when the served posts go through the pipeline into a fresh in-memory
store.

The seed fixes the stream, the kill delays and the kill modes; where in the service's work a kill
lands still depends on the machine's speed.
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import os
import random
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from monitor.sources.mastodon import id_key  # noqa: E402
from tests.fakes.mastodon_server import FakeMastodon, iso  # noqa: E402
from tests.fakes.threaded import serve_in_thread  # noqa: E402
from tests.fakes.x_server import FakeX  # noqa: E402

ROSTER = REPO / "monitor" / "demo" / "data" / "roster.csv"
DEMO_POSTS = REPO / "monitor" / "demo" / "data" / "posts.jsonl"
X_SOURCE, X_QUERY, X_TOKEN_ENV = "x_pemilu", "#pemilu2024", "CRASH_TEST_X_TOKEN"
# source name -> (platform, hashtag or query): two Mastodon timelines and one X recent search
SOURCES = {"masto_pemilu": ("mastodon", "pemilu2024"), "masto_pilkada": ("mastodon", "pilkada2024"),
           X_SOURCE: ("x", X_QUERY)}


# ============================================================================ the stream


def _texts() -> list[str]:
    out: list[str] = []
    for line in DEMO_POSTS.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for t in (rec.get("text"), (rec.get("parent") or {}).get("text")):
            if t and t not in out:
                out.append(t)
    return out


def _roster_rows() -> list[dict[str, str]]:
    import csv

    with ROSTER.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class World:
    """The fake platforms and the stream they serve, published in a seeded order: Mastodon statuses
    are built up front, X posts are made by the fake when published (it gives them their ids)."""

    mastodon: FakeMastodon
    x: FakeX
    pending: list[tuple[str, tuple]]  # (source name, what to publish), in publishing order
    published: dict[str, list[str]] = field(default_factory=dict)  # source name -> ids, oldest first
    lock: threading.Lock = field(default_factory=threading.Lock)
    next: int = 0

    def publish(self, n: int) -> int:
        """Make the next ``n`` posts visible; returns how many were published."""
        with self.lock:
            chunk = self.pending[self.next:self.next + n]
            for source, item in chunk:
                if source == X_SOURCE:
                    user, text = item
                    pid = self.x.add_tweet(user, text)["id"]
                else:
                    st, tag, aid = item
                    self.mastodon.put_raw(st, tags=[tag], account_id=aid)
                    pid = st["id"]
                self.published.setdefault(source, []).append(pid)
            self.next += len(chunk)
            return len(chunk)

    @property
    def done(self) -> bool:
        return self.next >= len(self.pending)

    def served(self) -> dict[str, list[str]]:
        with self.lock:
            return {name: list(self.published.get(name, [])) for name in SOURCES}


def _people(rows: list[dict[str, str]], platform: str, add: Callable, rng: random.Random) -> list[list]:
    """[declared, named, citizens] accounts made with ``add(handle, name, bio)``."""
    declared, named = [], []
    for r in rows:
        mine = [a.split(":", 1)[1].lstrip("@") for a in r["akun"].split(";") if a.startswith(platform + ":")]
        if mine:
            declared.append(add(mine[0].split("@", 1)[0], r["nama"], "Akun pribadi"))
        elif len(named) < 40:
            named.append(add(f"akun{len(named)}", r["nama"], f"ASN {r['instansi']}"))
    first = ["Andi", "Rina", "Yusuf", "Dewi", "Hasan", "Lina", "Rudi", "Maya", "Joko", "Tuti", "Bayu", "Sari"]
    last = ["Pratama", "Lestari", "Gunawan", "Wulandari", "Saputra", "Anggraini", "Hidayat", "Kusuma"]
    citizens = [add(f"warga{i}", f"{rng.choice(first)} {rng.choice(last)}", "Warga biasa") for i in range(200)]
    return [declared, named, citizens]


def _pick(groups: list[list], rng: random.Random):
    x = rng.random()
    return rng.choice(groups[0] if x < 0.1 else groups[1] if x < 0.2 else groups[2])


def build_world(n_posts: int, seed: int) -> World:
    """``n_posts`` posts, two thirds Mastodon statuses (half on each hashtag), one third X posts
    with ``#pemilu2024``: 10% by the roster's declared accounts, 10% by accounts named like roster
    people (with an ASN bio), 80% by citizens; texts drawn from the demo posts."""
    rng = random.Random(seed)
    masto, fx = FakeMastodon(domain="kota.social"), FakeX()
    fx.indexed_search = True
    texts = _texts()
    rows = _roster_rows()
    m_people = _people(rows, "mastodon", lambda h, n, b: masto.add_account(h, display_name=n, note=f"<p>{b}</p>"),
                       rng)
    x_people = _people(rows, "x", lambda h, n, b: fx.add_user(h, n, description=b), rng)
    protos = {acc["id"]: masto.add_status(acc, "", publish=False) for group in m_people for acc in group}
    masto_sources = [name for name, (platform, _) in SOURCES.items() if platform == "mastodon"]
    pending: list[tuple[str, tuple]] = []
    for _ in range(n_posts):
        if rng.random() < 1 / 3:
            pending.append((X_SOURCE, (_pick(x_people, rng), f"{rng.choice(texts)} {X_QUERY}")))
            continue
        name = rng.choice(masto_sources)
        tag = SOURCES[name][1]
        acc = _pick(m_people, rng)
        pending.append((name, (quick_status(masto, protos[acc["id"]], rng.choice(texts), tag), tag, acc["id"])))
    return World(mastodon=masto, x=fx, pending=pending)


def quick_status(fake: FakeMastodon, proto: dict, text: str, tag: str) -> dict:
    """What ``fake.add_status(account, text, tags=[tag], publish=False)`` builds, without its two
    deep copies (a shallow copy of a status the fake built for the same account): 100k statuses
    in seconds. ``tests/test_crash_kill.py`` checks that both give the same status."""
    when = fake._now()
    sid = fake._new_id(when)
    user = proto["account"]["username"]
    host = proto["uri"].split("/")[2]
    link = f'<a href="https://{fake.domain}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'
    st = dict(proto)
    st.update(id=sid, created_at=iso(when), uri=f"https://{host}/users/{user}/statuses/{sid}",
              url=f"https://{host}/@{user}/{sid}", content=f"<p>{html.escape(text)} {link}</p>",
              tags=[{"name": tag, "url": f"https://{fake.domain}/tags/{tag}"}])
    return st


class Feeder(threading.Thread):
    """Publishes the rest of the stream at ``rate`` posts/s while the service runs."""

    def __init__(self, world: World, rate: float, chunk: int = 250) -> None:
        super().__init__(daemon=True)
        self.world, self.rate, self.chunk = world, rate, chunk
        self.stopped = threading.Event()
        self.finished_at: float | None = None

    def run(self) -> None:
        t0 = time.monotonic()
        sent = 0
        while not self.world.done and not self.stopped.is_set():
            due = t0 + sent / self.rate
            time.sleep(max(0.0, due - time.monotonic()))
            sent += self.world.publish(self.chunk)
        self.finished_at = time.monotonic()


# ============================================================================ the service process


HTTP_BLOCK = """requests_per_second = 100000
max_retries = 50
backoff_base_s = 0.01
backoff_max_s = 0.1
"""


def write_config(workdir: Path, mastodon_url: str, x_url: str) -> Path:
    blocks = []
    for name, (platform, what) in SOURCES.items():
        if platform == "mastodon":
            opts = f'base_url = "{mastodon_url}"\nhashtags = ["{what}"]\nlimit = 40\nmax_pages_per_run = 10000'
        else:
            opts = (f'base_url = "{x_url}"\ntoken_env = "{X_TOKEN_ENV}"\nqueries = ["{what}"]\nmax_results = 100\n'
                    f'max_pages_per_run = 10000\ninitial_pages = 10000')
        blocks.append(f"[sources.{name}]\ntype = \"{platform}\"\n{opts}\ninterval_s = 1\n"
                      f"[sources.{name}.http]\n{HTTP_BLOCK}")
    cfg = workdir / "config.toml"
    cfg.write_text(f"""
[store]
path = "crash.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[service]
host = "127.0.0.1"
port = 0
grace_s = 10
{"".join(blocks)}""", encoding="utf-8")
    return cfg


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", X_TOKEN_ENV: FakeX().bearer_token}


def monitor_cmd(cfg: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", "--config", str(cfg), "--lang", "en", *args],
                          capture_output=True, text=True, cwd=cfg.parent, timeout=timeout, env=_env())


START_TIMEOUT_S = 120.0  # a restart slower than this counts as hung


class ServiceProcess:
    """One ``monitor serve`` process; stderr (JSON log lines) goes to a file."""

    def __init__(self, cfg: Path, log_path: Path, *, wait: bool = True) -> None:
        self.log_path = log_path
        self._log = log_path.open("w", encoding="utf-8")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(cfg), "serve", "--log-format", "json"],
            stdout=subprocess.PIPE, stderr=self._log, text=True, cwd=cfg.parent, env=_env())
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Until the service prints its address; a start that hangs (e.g. on a lock) is killed."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().strip() if ready else ""
        if not line.startswith("listening http://"):
            if not ready:
                self.proc.kill()
            self.proc.wait(30)
            self._log.close()
            why = "no address printed" if ready else f"not listening after {timeout:.0f} s"
            raise RuntimeError(f"service did not start ({why}): {line!r}\n"
                               f"{self.log_path.read_text(encoding='utf-8')[-3000:]}")
        self.url = line.split(" ", 1)[1]
        self.ready = time.monotonic()

    def health(self) -> dict:
        with urllib.request.urlopen(self.url + "/healthz", timeout=10) as r:
            return json.loads(r.read())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self._log.close()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(120)
        self._log.close()
        return rc

    def errors(self) -> list[str]:
        out = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                out.append(line)  # e.g. a traceback outside the logger
                continue
            if str(entry.get("level", "")).upper() in ("ERROR", "CRITICAL"):
                out.append(f"{entry.get('msg')}: {entry.get('error') or entry.get('exc_info') or ''}"[:300])
        return out


# ============================================================================ checks


def stored_state(db: Path) -> tuple[dict[str, list[str]], dict[str, dict | None], int]:
    """(source -> stored post ids, source -> cursor, duplicate rows), read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        posts: dict[str, list[str]] = {name: [] for name in SOURCES}
        for pid, src in con.execute("SELECT post_id, source FROM posts").fetchall():
            posts.setdefault(src, []).append(pid)
        dup = con.execute("SELECT count(*) - count(DISTINCT (platform, post_id)) FROM posts").fetchone()[0]
        cursors: dict[str, dict | None] = {name: None for name in SOURCES}
        for src, cur in con.execute("SELECT source, cursor FROM cursors").fetchall():
            cursors[src] = json.loads(cur)
        return posts, cursors, int(dup)
    finally:
        con.close()


def covered(source: str, cursor: dict | None, served: list[str]) -> set[str]:
    """The served ids of ``source`` its committed cursor says are stored (see each source's docstring).

    Mastodon: ``newest`` and below, and with an unfinished first walk not below ``backfill.max_id``.
    X: up to ``since_id``, plus ``walk.oldest`` .. ``walk.top`` of a walk in progress."""
    platform, what = SOURCES[source]
    if platform == "mastodon":
        state = ((cursor or {}).get("timelines") or {}).get(f"tag:{what}")
        if not state or not state.get("newest"):
            return set()
        top = id_key(state["newest"])
        bf = state.get("backfill")
        low = id_key(bf["max_id"]) if bf and bf.get("max_id") else (0, "")
        return {i for i in served if low <= id_key(i) <= top}
    feed = ((cursor or {}).get("feeds") or {}).get(f"search:{what}") or {}
    since = int(feed["since_id"]) if feed.get("since_id") else 0
    walk = feed.get("walk") or {}
    lo, hi = (int(walk["oldest"]), int(walk["top"])) if walk.get("oldest") and walk.get("top") else (1, 0)
    return {i for i in served if int(i) <= since or lo <= int(i) <= hi}


def newest_in_cursor(source: str, cursor: dict | None) -> str | None:
    platform, what = SOURCES[source]
    if platform == "mastodon":
        return (((cursor or {}).get("timelines") or {}).get(f"tag:{what}") or {}).get("newest")
    feed = ((cursor or {}).get("feeds") or {}).get(f"search:{what}") or {}
    return None if feed.get("walk") else feed.get("since_id")


def cursor_problems(db: Path, world: World) -> list[str]:
    """Stored posts of each source == the served posts its cursor covers (both ways)."""
    served = world.served()
    posts, cursors, dup = stored_state(db)
    problems = [f"{dup} duplicate rows"] if dup else []
    for name in SOURCES:
        want = covered(name, cursors.get(name), served[name])
        got = set(posts.get(name, []))
        if want - got:
            problems.append(f"{name}: cursor covers {len(want - got)} served posts that are not stored")
        if got - want:
            problems.append(f"{name}: {len(got - want)} stored posts beyond the committed cursor")
    extra = set(posts) - set(SOURCES)
    if extra:
        problems.append(f"posts stored by unknown sources: {sorted(extra)}")
    return problems


_FORKED: tuple | None = None  # (config path, payloads) handed to forked workers


def served_payloads(world: World) -> list[tuple[str, dict, dict | None]]:
    """``(source, payload, author)`` of every served post, as each source receives it: the Mastodon
    status; the X post and its author rendered with the fields the X source asked for."""
    from types import SimpleNamespace

    from tests.fakes.x_server import SEARCH

    served = world.served()
    out: list[tuple[str, dict, dict | None]] = []
    asked = next((r.query for r in world.x.requests if r.path == SEARCH and "tweet.fields" in r.query), None)
    tf, _exp, uf = world.x._requested(SimpleNamespace(query=asked or {}))
    for name, ids in served.items():
        for i in ids:
            if name == X_SOURCE:
                tw = world.x.tweets[i]
                out.append((name, world.x._render_tweet(tw, tf),
                            world.x._render_user(world.x.users[tw["author_id"]], uf)))
            else:
                out.append((name, world.mastodon.statuses[i], None))
    return out


def _expected_part(part: int, parts: int) -> tuple[dict[str, tuple], dict[tuple[str, str], str]]:
    from monitor.cli.roster import import_roster
    from monitor.collect.base import Batch
    from monitor.collect.payload import dump_raw
    from monitor.config import load_config
    from monitor.context import AppContext
    from monitor.i18n import t
    from monitor.sources.mastodon import status_to_post
    from monitor.sources.x import Lookup, tweet_to_post
    from monitor.store.batch_write import sha256_text

    cfg, payloads = _FORKED

    def to_post(source: str, payload: dict, author: dict | None):
        if source == X_SOURCE:
            return tweet_to_post(payload, Lookup(users={author["id"]: author}))
        return status_to_post(payload, fallback_domain="127.0.0.1")

    mine = payloads[part::parts]
    app = AppContext(load_config(cfg), Path(":memory:"))
    try:
        import_roster(app.store, ROSTER, skip_invalid=False, actor="crash-test",
                      lang_t=lambda k, **kw: t(k, "en", **kw))
        for k in range(0, len(mine), 5000):
            app.pipeline.process("expected", Batch(posts=[to_post(*item) for item in mine[k:k + 5000]]))
        return hits_of(app.store.con), {(src, p["id"]): sha256_text(dump_raw(p)) for src, p, _a in mine}
    finally:
        app.store.close()


def expected_hits(cfg: Path, world: World, workers: int = 2) -> tuple[dict[str, tuple], dict[tuple[str, str], str]]:
    """The hits of every served post through the same pipeline, rules and roster, into fresh
    in-memory stores (independent of the crashed file): hit_id -> (nip, score, rules); and the
    SHA-256 of each served post's payload as its source stores it: (source, post_id) -> hash."""
    global _FORKED
    _FORKED = (cfg, served_payloads(world))
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_expected_part, [(i, workers) for i in range(workers)])
    finally:
        _FORKED = None
    hits: dict[str, tuple] = {}
    shas: dict[tuple[str, str], str] = {}
    for h, p in parts:
        hits.update(h)
        shas.update(p)
    return hits, shas


def hits_of(con) -> dict[str, tuple]:
    return {r[0]: (r[1], round(r[2], 9), r[3]) for r in
            con.execute("SELECT hit_id, nip, score, rules::VARCHAR FROM hits").fetchall()}


@dataclass
class FinalCheck:
    served: int = 0
    stored: int = 0
    duplicates: int = 0
    missing: int = 0
    extra: int = 0
    payload_mismatches: int = 0
    revisions: int = 0
    quarantined: int = 0
    hits_expected: int = 0
    hits_stored: int = 0
    hits_missing: int = 0
    hits_extra: int = 0
    hits_different: int = 0
    database_size: dict = field(default_factory=dict)
    table_rows: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def final_check(db: Path, cfg: Path, world: World) -> FinalCheck:
    from monitor.store import Store

    fc = FinalCheck()
    served = world.served()
    fc.problems += cursor_problems(db, world)
    _, cursors, _ = stored_state(db)
    for name in SOURCES:
        newest = newest_in_cursor(name, cursors.get(name))
        if served[name] and newest != served[name][-1]:
            fc.problems.append(f"{name}: cursor at {newest}, not at the newest served id {served[name][-1]}")
    con = duckdb.connect(str(db))  # read-write: the file must open cleanly for the service too
    try:
        size = con.execute("PRAGMA database_size").fetchall()
        cols = [d[0] for d in con.description]
        fc.database_size = dict(zip(cols, size[0]))
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            fc.table_rows[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        rows = con.execute("SELECT source, post_id, raw_sha256, raw_sha256 = sha256(raw) FROM posts").fetchall()
        fc.stored = len(rows)
        fc.duplicates = fc.stored - len({(r[0], r[1]) for r in rows})
        all_served = {(name, i) for name, ids in served.items() for i in ids}
        fc.served = len(all_served)
        stored_ids = {(r[0], r[1]) for r in rows}
        fc.missing = len(all_served - stored_ids)
        fc.extra = len(stored_ids - all_served)
        fc.revisions = con.execute("SELECT count(*) FROM post_revisions").fetchone()[0]
        fc.quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        stored_hits = hits_of(con)
    finally:
        con.close()
    with Store(db) as s:  # the product's own open: migrations check, schema version
        s.schema_version()
    want, shas = expected_hits(cfg, world)
    # the stored payload is the served status, byte for byte (its hash, and the hash of the stored text)
    fc.payload_mismatches = sum(1 for src, pid, sha, ok in rows if not ok or shas.get((src, pid)) != sha)
    fc.hits_expected, fc.hits_stored = len(want), len(stored_hits)
    fc.hits_missing = len(set(want) - set(stored_hits))
    fc.hits_extra = len(set(stored_hits) - set(want))
    fc.hits_different = sum(1 for k in set(want) & set(stored_hits) if want[k] != stored_hits[k])
    for label, n in (("duplicates", fc.duplicates), ("missing posts", fc.missing), ("extra posts", fc.extra),
                     ("payload mismatches", fc.payload_mismatches), ("revisions", fc.revisions),
                     ("quarantined", fc.quarantined), ("hits missing", fc.hits_missing),
                     ("hits extra", fc.hits_extra), ("hits different", fc.hits_different)):
        if n:
            fc.problems.append(f"{n} {label}")
    return fc


# ============================================================================ the run


@dataclass
class Report:
    posts: int
    kills: int
    seed: int
    restarts: int = 0
    kills_done: int = 0
    kills_on_wal_growth: int = 0
    kills_on_db_write: int = 0
    kills_while_running: int = 0
    wal_replays: int = 0
    recover_s: list[float] = field(default_factory=list)
    kills_during_start: int = 0
    wal_at_kill_mb: list[float] = field(default_factory=list)
    crash_point_checks: int = 0
    crash_point_problems: list[str] = field(default_factory=list)
    start_failures: list[str] = field(default_factory=list)
    service_errors: list[str] = field(default_factory=list)
    final_collect_new: int | None = None
    wall_s: float = 0.0
    build_s: float = 0.0
    final_collect_s: float = 0.0
    check_s: float = 0.0
    ingest_s: float = 0.0
    final: FinalCheck = field(default_factory=FinalCheck)

    @property
    def ok(self) -> bool:
        return (not self.crash_point_problems and not self.final.problems and self.final_collect_new == 0
                and not self.start_failures and self.kills_done == self.kills and self.final.served == self.posts)

    def lines(self) -> list[str]:
        f = self.final
        rec = sorted(self.recover_s)
        p50 = statistics.median(rec) if rec else 0.0
        return [
            f"posts served            {f.served:,}",
            f"posts stored            {f.stored:,} (missing {f.missing}, extra {f.extra}, duplicates {f.duplicates}, "
            f"payload mismatches {f.payload_mismatches}, revisions {f.revisions}, quarantined {f.quarantined})",
            f"hits                    expected {f.hits_expected:,}, stored {f.hits_stored:,} "
            f"(missing {f.hits_missing}, extra {f.hits_extra}, different {f.hits_different})",
            f"SIGKILLs                {self.kills_done} ({self.kills_on_wal_growth} at a write-ahead-log write, "
            f"{self.kills_on_db_write} at a database-file write, "
            f"{self.kills_while_running} during a source run), plus {self.kills_during_start} during a restart",
            f"restarts                {self.restarts} ({len(self.start_failures)} failed starts)"
            + "".join(f"\n    {e[-300:]}" for e in self.start_failures[:5]),
            f"WAL replays             {self.wal_replays} (restarts that found a write-ahead log to replay; "
            f"log at kill p50 {statistics.median(self.wal_at_kill_mb or [0]):.1f} MB, "
            f"max {max(self.wal_at_kill_mb, default=0):.1f} MB)",
            f"crash-point checks      {self.crash_point_checks} (cursor == stored posts after each kill), "
            f"{len(self.crash_point_problems)} problems",
            f"restart (start->ready)  p50 {p50:.2f} s, max {max(rec, default=0.0):.2f} s (log replay included)",
            f"final collect --once    {self.final_collect_new} new posts",
            f"database                {f.database_size.get('total_blocks', '?')} blocks, "
            f"{f.database_size.get('database_size', '?')}, wal {f.database_size.get('wal_size', '?')}; "
            f"rows: posts {f.table_rows.get('posts', 0):,}, hits {f.table_rows.get('hits', 0):,}, "
            f"cursors {f.table_rows.get('cursors', 0)}",
            f"wall time               {self.wall_s:.1f} s: set-up {self.build_s:.1f} s, ingest with kills "
            f"{self.ingest_s:.1f} s ({f.stored / self.ingest_s if self.ingest_s else 0:,.0f} posts/s including "
            f"restarts), final collect {self.final_collect_s:.1f} s, checks {self.check_s:.1f} s",
            f"service errors logged   {len(self.service_errors)}"
            + "".join(f"\n    {e}" for e in self.service_errors[:10]),
            f"problems                {len(self.crash_point_problems) + len(f.problems)}"
            + "".join(f"\n    {p}" for p in self.crash_point_problems + f.problems),
            f"result                  {'OK' if self.ok else 'FAILED'}",
        ]


def _wait_caught_up(svc: ServiceProcess, since: float, timeout: float) -> None:
    """Until every source finished a run that started after ``since`` and found nothing new."""
    deadline = time.monotonic() + timeout
    since_wall = time.time() - (time.monotonic() - since)
    while time.monotonic() < deadline:
        h = svc.health()
        done = []
        for st in h["sources"].values():
            start = st.get("last_start")
            res = st.get("last_result") or {}
            started = start is not None and _ts(start) > since_wall
            done.append(started and not st["running"] and st.get("last_error") is None
                        and res.get("new", 1) == 0 and res.get("duplicate", 1) == 0)
        if all(done):
            return
        time.sleep(0.2)
    raise TimeoutError(f"service did not catch up in {timeout} s: {svc.health()}")


def _ts(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


def _wait_for_write(path: Path, limit_s: float) -> bool:
    """Wait (at most ``limit_s``) until ``path`` changes size or mtime; True if it did."""
    def stamp() -> tuple[int, int]:
        try:
            st = path.stat()
            return st.st_size, st.st_mtime_ns
        except FileNotFoundError:
            return -1, 0

    start, deadline = stamp(), time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if stamp() != start:
            return True
        time.sleep(0.0005)
    return False


def _restart(cfg: Path, workdir: Path, k: int, rep: Report) -> ServiceProcess:
    """Start the service again; a start that fails is recorded (and tried again, up to 5 times)."""
    for attempt in range(5):
        try:
            return ServiceProcess(cfg, workdir / f"serve-{k}-{attempt}.log")
        except RuntimeError as exc:
            rep.start_failures.append(f"start {k} (after kill {k}): {str(exc)[-1500:]}" if k else
                                      f"first start: {str(exc)[-1500:]}")
            time.sleep(2)
    raise RuntimeError("\n".join(rep.start_failures[-5:]))


def run_crash_test(posts: int = 100_000, kills: int = 20, seed: int = 1, *, workdir: Path | None = None,
                   feed_rate: float = 2500.0, max_delay_s: float = 3.0,
                   log: Callable[[str], None] = lambda s: None) -> Report:
    rep = Report(posts=posts, kills=kills, seed=seed)
    rng = random.Random(seed)
    t_start = time.monotonic()
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="crash-test-")))
        workdir.mkdir(parents=True, exist_ok=True)
        log(f"building the stream of {posts:,} posts (seed {seed})")
        world = build_world(posts, seed)
        world.publish(max(1, posts // 20))  # present before the first start: the first runs walk back
        server = stack.enter_context(ExitStack())
        world.mastodon.base_url = server.enter_context(serve_in_thread(world.mastodon.app))
        world.x.base_url = server.enter_context(serve_in_thread(world.x.app))
        cfg = write_config(workdir, world.mastodon.base_url, world.x.base_url)
        r = monitor_cmd(cfg, "roster", "import", str(ROSTER))
        if r.returncode != 0:
            raise RuntimeError(f"roster import failed: {r.stdout}{r.stderr}")
        db, wal = workdir / "crash.duckdb", workdir / "crash.duckdb.wal"
        # per kill: the wait; then at once, at the next log write (2 in 5) or at the next write of the
        # database file itself (a checkpoint or a large insert; 1 in 5, at most 10 s later); and (1 in 6) a
        # second kill during the restart
        plan = [(rng.uniform(0.2, max_delay_s), rng.choices(["time", "wal", "db"], [2, 2, 1])[0],
                 rng.uniform(0.3, 2.0) if rng.random() < 1 / 6 else 0.0) for _ in range(kills)]
        rep.build_s = time.monotonic() - t_start
        feeder = Feeder(world, feed_rate)
        t_ingest = time.monotonic()
        svc = _restart(cfg, workdir, 0, rep)
        feeder.start()
        logs = [svc]
        for k, (delay, mode, in_start) in enumerate(plan, 1):
            time.sleep(delay)
            try:
                running = any(s["running"] for s in svc.health()["sources"].values())
            except OSError:
                running = False
            hit_wal = mode == "wal" and _wait_for_write(wal, 2.0)
            hit_db = mode == "db" and _wait_for_write(db, 10.0)
            svc.kill()
            killed_at = time.monotonic()
            rep.kills_done += 1
            rep.kills_on_wal_growth += hit_wal
            rep.kills_on_db_write += hit_db
            rep.kills_while_running += running
            if wal.exists() and wal.stat().st_size > 0:
                rep.wal_replays += 1
            rep.wal_at_kill_mb.append(wal.stat().st_size / 2**20 if wal.exists() else 0.0)
            problems = cursor_problems(db, world)
            checked = time.monotonic() - killed_at
            rep.crash_point_checks += 1
            rep.crash_point_problems += [f"after kill {k}: {p}" for p in problems]
            if in_start:  # once more while it starts (replaying the log, migrating, loading rules)
                starting = ServiceProcess(cfg, workdir / f"serve-{k}-killed-starting.log", wait=False)
                time.sleep(in_start)
                starting.kill()
                rep.kills_during_start += 1
                again = cursor_problems(db, world)
                problems += again
                rep.crash_point_checks += 1
                rep.crash_point_problems += [f"after kill {k} during start: {p}" for p in again]
            svc = _restart(cfg, workdir, k, rep)
            logs.append(svc)
            rep.restarts += 1
            rep.recover_s.append(svc.ready - svc.started)  # the restart itself (not the harness's check)
            how = ("at a WAL write" if hit_wal else "at a database-file write" if hit_db else
                   f"after {delay:.2f} s" + (", no file write within 10 s" if mode == "db" else ""))
            log(f"kill {k}/{kills} ({how}"
                f"{f', again {in_start:.2f} s into the restart' if in_start else ''}); "
                f"published {world.next:,}; check {checked:.2f} s; restarted in {svc.ready - svc.started:.2f} s"
                + (f"; PROBLEMS: {problems}" if problems else ""))
        feeder.join()
        _wait_caught_up(svc, feeder.finished_at or time.monotonic(), timeout=max(120.0, posts / 200))
        rep.ingest_s = time.monotonic() - t_ingest
        rc = svc.stop()
        if rc != 0:
            rep.service_errors.append(f"service exited with {rc} on SIGTERM")
        for s in logs:
            rep.service_errors += s.errors()
        before = stored_state(db)[0]
        r = monitor_cmd(cfg, "collect", "--once")
        after = stored_state(db)[0]
        rep.final_collect_new = sum(len(v) for v in after.values()) - sum(len(v) for v in before.values())
        if r.returncode != 0:
            rep.service_errors.append(f"collect --once exited with {r.returncode}: {r.stderr[-500:]}")
        rep.final_collect_s = time.monotonic() - t_ingest - rep.ingest_s
        server.close()  # no thread left running when the expected hits are computed in forked workers
        log("final checks (stored posts, payloads, cursors, tables, expected hits)")
        t_check = time.monotonic()
        rep.final = final_check(db, cfg, world)
        rep.check_s = time.monotonic() - t_check
    rep.wall_s = time.monotonic() - t_start
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--feed-rate", type=float, default=2500.0, help="posts/s published while the service runs")
    ap.add_argument("--max-delay", type=float, default=3.0, help="longest random wait before a kill (s)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the database and logs here")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    a = ap.parse_args(argv)
    print(f"crash test: {a.posts:,} posts, {a.kills} SIGKILLs, seed {a.seed}; load {os.getloadavg()[0]:.2f}",
          flush=True)
    rep = run_crash_test(a.posts, a.kills, a.seed, workdir=a.workdir, feed_rate=a.feed_rate,
                         max_delay_s=a.max_delay, log=lambda s: print("  " + s, flush=True))
    print("\n".join(rep.lines()))
    if a.json:
        a.json.write_text(json.dumps({**asdict(rep), "ok": rep.ok, "loadavg_end": os.getloadavg()[0]}, indent=1,
                                     default=str), encoding="utf-8")
    print(f"load average at end      {os.getloadavg()[0]:.2f}")
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
