"""The measured cases. Each runs in its own subprocess (``bench/run.py --child NAME ARGS``) and
returns a dict; the parent adds the child's peak RSS. Workload generation is never timed."""

from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.perf.workload import REPO, PostFactory, build_ruleset, make_roster

RULE_TERMS = 2000  # target size of the rule set (plain terms, shipped + generated)
SHIPPED_TERMS_APPROX = 640


def _config():
    from monitor.config import load_config

    return load_config(REPO / "config.toml")


def _ruleset():
    return build_ruleset(max(0, RULE_TERMS - SHIPPED_TERMS_APPROX))


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for ln in fh:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- 1/5. detection
def detect(posts: int, roster: int, batch: int = 1000, per_post: bool = False) -> dict:
    """``Evaluator.evaluate_many`` in batches of ``batch`` posts (as the ingest pipeline calls it);
    with ``per_post`` also ``Evaluator.evaluate`` one post at a time on the same posts."""
    from monitor.identity import IdentityIndex
    from monitor.pipeline.evaluate import Evaluator
    from monitor.scoring import Scorer

    cfg = _config()
    rs, plain, gen = _ruleset()
    entries = make_roster(roster)
    idx = IdentityIndex.build(entries, name_threshold=cfg.scoring.name_threshold)
    id_s = [0.0]
    match = idx.match

    class TimedIdentity:  # bench-side wrapper: the identity lookups' share of detection time
        def match(self, *a, **kw):
            t = time.perf_counter()
            try:
                return match(*a, **kw)
            finally:
                id_s[0] += time.perf_counter() - t

    timed = TimedIdentity()
    ev = Evaluator(lambda: rs, lambda: timed, Scorer(cfg.scoring))
    ev.evaluate_many(next(PostFactory(entries, gen, seed=99).chunks(batch, batch)))  # warm-up: imports, caches
    id_s[0] = 0.0
    secs, cpu, hits = 0.0, 0.0, 0
    for chunk in PostFactory(entries, gen).chunks(posts):
        for i in range(0, len(chunk), batch):
            part = chunk[i:i + batch]
            c0, t0 = time.process_time(), time.perf_counter()
            res = ev.evaluate_many(part)
            secs += time.perf_counter() - t0
            cpu += time.process_time() - c0
            hits += sum(h is not None for h in res)
    # cpu_rate: posts per CPU-second of this process, the per-core figure when the machine is shared
    out = {"n": posts, "secs": secs, "rate": posts / secs, "cpu_rate": posts / cpu, "hits": hits, "terms": len(plain),
           "identity_share": id_s[0] / secs, "batch": batch, "load": os.getloadavg()[0]}
    if per_post:
        pp_secs, pp_cpu, pp_hits = 0.0, 0.0, 0
        for chunk in PostFactory(entries, gen).chunks(posts):  # the same posts (same seed)
            evaluate = ev.evaluate
            c0, t0 = time.process_time(), time.perf_counter()
            for p in chunk:
                if evaluate(p) is not None:
                    pp_hits += 1
            pp_secs += time.perf_counter() - t0
            pp_cpu += time.process_time() - c0
        out.update(per_post_rate=posts / pp_secs, per_post_cpu_rate=posts / pp_cpu, per_post_hits=pp_hits)
    return out


def detect_naive(posts: int, roster: int) -> dict:
    from rapidfuzz import fuzz, process

    cfg = _config()
    rs, plain, gen = _ruleset()
    entries = make_roster(roster)
    terms = sorted({t.lower() for t in plain}, key=len, reverse=True)
    big = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")(?!\w)")
    names = [e.nama.lower() for e in entries]
    accounts = {a.value: e.nip for e in entries for a in e.akun}
    pf = PostFactory(entries, gen)
    chunk = next(pf.chunks(posts, posts))
    thr = cfg.scoring.name_threshold
    t0 = time.perf_counter()
    hits = 0
    for p in chunk:
        text = (p.text + " " + (p.parent.text if p.parent and p.parent.text else "")).lower()
        found = big.findall(text)
        if (p.author.handle or "").lower() in accounts:
            who = True
        else:
            m = process.extractOne((p.author.name or p.author.handle or "").lower(), names,
                                   scorer=fuzz.token_sort_ratio, score_cutoff=thr)
            who = m is not None
        if found and who:
            hits += 1
    secs = time.perf_counter() - t0
    return {"n": posts, "secs": secs, "rate": posts / secs, "hits": hits, "terms": len(terms)}


# ---------------------------------------------------------------- 2/5. ingest
def _timed(obj, names, acc: list, key: int = 0) -> None:
    """Wrap ``obj.<name>`` so the time spent inside adds to ``acc[key]`` (bench-side, no code change)."""
    for name in names:
        orig = getattr(obj, name)

        def timed(*a, _orig=orig, **kw):
            t = time.perf_counter()
            try:
                return _orig(*a, **kw)
            finally:
                acc[key] += time.perf_counter() - t

        setattr(obj, name, timed)


def ingest(posts: int, roster: int, batch: int = 1000, path: str = "fast") -> dict:
    """``Pipeline.process`` over ``posts`` synthetic posts in batches, into a DuckDB file.

    ``path="fast"``: the pipeline as shipped; ``path="previous"``: the path it replaced
    (``bench/perf/previous_ingest.py``), for a before/after in the same run. Reports the whole
    rate, the time inside the store (dedupe + writes + commit) and inside evaluation, then
    re-runs the first batch (must add nothing)."""
    from monitor.collect.base import Batch
    from monitor.identity import IdentityIndex
    from monitor.pipeline.evaluate import Evaluator
    from monitor.pipeline.ingest import Pipeline
    from monitor.scoring import Scorer
    from monitor.store import Store
    from monitor.store.batch_write import BatchWriter

    from bench.perf.previous_ingest import PreviousPipeline

    cfg = _config()
    rs, _plain, gen = _ruleset()
    entries = make_roster(roster)
    idx = IdentityIndex.build(entries, name_threshold=cfg.scoring.name_threshold)
    pf = PostFactory(entries, gen)
    acc = [0.0, 0.0]  # store, evaluation
    ev = Evaluator(lambda: rs, lambda: idx, Scorer(cfg.scoring))
    _timed(ev, ("evaluate", "evaluate_many"), acc, 1)
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as d:
        store = Store(Path(d) / "ingest.duckdb")
        if path == "previous":
            pipe = PreviousPipeline(store, ev)
            _timed(store, ("known_payloads", "commit_batch"), acc, 0)
        else:
            pipe = Pipeline(store, ev)
            _timed(BatchWriter, ("__enter__", "__exit__", "insert_posts", "stored_hashes", "revision_hashes",
                                 "add_revisions", "add_hits", "add_quarantine", "set_cursor"), acc, 0)
        secs, hits, new, k = 0.0, 0, 0, 0
        first = None
        for chunk in pf.chunks(posts, max(10 * batch, 10_000)):
            if first is None:
                first = chunk[:batch]
            for i in range(0, len(chunk), batch):
                b = Batch(posts=chunk[i:i + batch], cursor={"k": k})
                k += 1
                t0 = time.perf_counter()
                res = pipe.process("bench", b)
                secs += time.perf_counter() - t0
                hits += res.hits
                new += res.new
        store_s, eval_s = acc
        # idempotence: the first batch again must add nothing
        t0 = time.perf_counter()
        again = pipe.process("bench", Batch(posts=first, cursor={"k": k}))
        dup_secs = time.perf_counter() - t0
        stored = store.count("posts")
        stored_hits = store.count("hits")
        store.close()
    ok = (again.new == 0 and again.duplicate == len(first) and again.hits == 0 and stored == posts == new
          and stored_hits == hits)
    return {"n": posts, "path": path, "batch": batch, "secs": secs, "rate": posts / secs, "hits": hits,
            "idempotent": ok, "store_s": store_s, "eval_s": eval_s, "store_share": store_s / secs,
            "store_rate": posts / store_s, "dup_rate": len(first) / dup_secs, "load": os.getloadavg()[0]}


def ingest_pair(posts: int, roster: int, batch: int = 1000) -> dict:
    """The shipped path and the previous one on the same batches, interleaved batch by batch
    (each into its own DuckDB file, the order alternating), so both see the same machine load."""
    from monitor.collect.base import Batch
    from monitor.identity import IdentityIndex
    from monitor.pipeline.evaluate import Evaluator
    from monitor.pipeline.ingest import Pipeline
    from monitor.scoring import Scorer
    from monitor.store import Store
    from monitor.store.batch_write import BatchWriter

    from bench.perf.previous_ingest import PreviousPipeline

    cfg = _config()
    rs, _plain, gen = _ruleset()
    entries = make_roster(roster)
    idx = IdentityIndex.build(entries, name_threshold=cfg.scoring.name_threshold)
    pf = PostFactory(entries, gen)
    out: dict = {"n": posts, "batch": batch}
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as d:
        runs = {}
        for path in ("fast", "previous"):
            acc = [0.0, 0.0]
            ev = Evaluator(lambda: rs, lambda: idx, Scorer(cfg.scoring))
            _timed(ev, ("evaluate", "evaluate_many"), acc, 1)
            store = Store(Path(d) / f"{path}.duckdb")
            if path == "previous":
                pipe = PreviousPipeline(store, ev)
                _timed(store, ("known_payloads", "commit_batch"), acc, 0)
            else:
                pipe = Pipeline(store, ev)
            runs[path] = {"store": store, "pipe": pipe, "acc": acc, "secs": 0.0, "hits": 0}
        fast_acc = runs["fast"]["acc"]
        _timed(BatchWriter, ("__enter__", "__exit__", "insert_posts", "stored_hashes", "revision_hashes",
                             "add_revisions", "add_hits", "add_quarantine", "set_cursor"), fast_acc, 0)
        first, k = None, 0
        for chunk in pf.chunks(posts, max(10 * batch, 10_000)):
            if first is None:
                first = chunk[:batch]
            for i in range(0, len(chunk), batch):
                order = ("fast", "previous") if k % 2 == 0 else ("previous", "fast")
                for path in order:
                    r = runs[path]
                    t0 = time.perf_counter()
                    res = r["pipe"].process("bench", Batch(posts=chunk[i:i + batch], cursor={"k": k}))
                    r["secs"] += time.perf_counter() - t0
                    r["hits"] += res.hits
                k += 1
        for path, r in runs.items():
            t0 = time.perf_counter()
            again = r["pipe"].process("bench", Batch(posts=first, cursor={"k": k}))
            dup_secs = time.perf_counter() - t0
            stored, stored_hits = r["store"].count("posts"), r["store"].count("hits")
            r["store"].close()
            store_s, eval_s = r["acc"]
            out[path] = {"rate": posts / r["secs"], "store_rate": posts / store_s, "eval_s": eval_s,
                         "store_share": store_s / r["secs"], "dup_rate": len(first) / dup_secs, "hits": r["hits"],
                         "idempotent": again.new == 0 and again.duplicate == len(first) and again.hits == 0
                         and stored == posts and stored_hits == r["hits"]}
    out["same_hits"] = out["fast"]["hits"] == out["previous"]["hits"]
    out["load"] = os.getloadavg()[0]
    return out


def ingest_naive(posts: int, roster: int) -> dict:
    from monitor.store import Store

    entries = make_roster(min(roster, 1000))
    _rs, _plain, gen = _ruleset()
    pf = PostFactory(entries, gen)
    chunk = next(pf.chunks(posts, posts))
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as d:
        store = Store(Path(d) / "naive.duckdb")
        rows = []
        for p in chunk:
            a, par = p.author, p.parent
            rows.append((p.platform, p.post_id, p.url, p.created_at, now, "bench", p.kind, a.id, a.handle, a.name,
                         a.bio, a.url, p.text, par.post_id if par else None, None, par.text if par else None, None,
                         p.raw, ""))
        t0 = time.perf_counter()
        store.con.executemany("INSERT INTO posts VALUES (" + ",".join("?" * 19) + ") ON CONFLICT DO NOTHING", rows)
        secs = time.perf_counter() - t0
        store.close()
    return {"n": posts, "secs": secs, "rate": posts / secs}


# ---------------------------------------------------------------- 3/5. roster index
_EXHAUSTIVE: dict = {}  # set before forking the check workers (shared copy-on-write)


def _exhaustive(query: str) -> dict[int, float]:
    """The exhaustive search: the index's scorer over every multi-token roster entry.

    Entries are sorted by length and only the lengths that can reach the threshold at all are
    passed to rapidfuzz: the indel distance is at least the length difference, so an entry with
    ``100 * (1 - |Lq - Le| / (Lq + Le)) < threshold`` cannot score >= threshold (one length of
    slack on each side). This skips no possible match; it only saves the check time."""
    from bisect import bisect_left, bisect_right

    from rapidfuzz import fuzz, process

    ex = _EXHAUSTIVE
    lq, thr, lens = len(query), ex["thr"], ex["lens"]
    ok = [le for le in range(1, max(lens[-1], lq) + 2) if 100 * (1 - abs(lq - le) / (lq + le)) >= thr]
    if not ok:
        return {}
    lo, hi = bisect_left(lens, ok[0] - 1), bisect_right(lens, ok[-1] + 1)
    return {ex["multi"][lo + pos]: score for _c, score, pos in process.extract(
        query, ex["choices"][lo:hi], scorer=fuzz.ratio, score_cutoff=thr, limit=None)}


def _progress(line: str) -> None:
    import os
    import sys

    print(f"  .. {line}; load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)


def roster_index(size: int, queries: int, naive_queries: int, check: int, workers: int = 2) -> dict:
    import multiprocessing
    import random

    from rapidfuzz import fuzz, process

    from bench.perf.workload import NameSource, title_variant
    from monitor.identity import IdentityIndex
    from monitor.models import Author
    from monitor.names import name_tokens

    cfg = _config()
    thr = cfg.scoring.name_threshold
    rss_start = _rss_mb()
    entries = make_roster(size, declared_share=0.0)
    rss0 = _rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    idx = IdentityIndex.build(entries, name_threshold=thr)
    build_s, build_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    index_mb = _rss_mb() - rss0
    _progress(f"roster_index {size}: roster {rss0 - rss_start:.0f} MB, build {build_s:.1f} s "
              f"(CPU {build_cpu_s:.1f} s), index {index_mb:.0f} MB, RSS {_rss_mb():.0f} MB")

    rng = random.Random(size)
    ns = NameSource(99)
    qs = []
    for k in range(queries):
        if rng.random() < 0.6:
            name = title_variant(entries[rng.randrange(size)].nama, rng).split(" | ")[0]
        else:
            name = ns.outsider()
        qs.append(Author.model_construct(id=str(k), handle=f"user{k}", name=name, bio=None, url=None))
    t0, c0 = time.perf_counter(), time.process_time()
    for a in qs:
        idx.match("x", a)
    q_s, q_cpu = time.perf_counter() - t0, time.process_time() - c0
    _progress(f"roster_index {size}: {queries / q_s:.0f} q/s (CPU time {queries / q_cpu:.0f} q/s)")

    # naive: extractOne over every (title-stripped) roster name, on a small sample
    normalised = [" ".join(name_tokens(e.nama)) for e in entries]
    sample = qs[:naive_queries]
    t0 = time.perf_counter()
    for a in sample:
        process.extractOne(" ".join(name_tokens(a.name or "")), normalised, scorer=fuzz.token_sort_ratio,
                           score_cutoff=thr)
    naive_s = time.perf_counter() - t0
    del normalised

    # Agreement with an exhaustive search, on the first ``check`` queries that have a multi-token
    # name. For every name the index tries for the author (whole display name, its parts), the
    # exhaustive search scores the same sorted-token string with the same scorer (fuzz.ratio) and
    # threshold against EVERY roster entry with 2+ name tokens (single-token entries never match on
    # the name alone, by design). A query agrees when, for each of its names, the index finds
    # exactly the same entries with the same scores (so the same best entry); "missed" counts
    # entries the exhaustive search found and the index did not.
    todo = []
    for a in qs:
        if len(todo) >= check:
            break
        variants = [t for t in idx.query_tokens(a) if len(t) >= 2]
        if variants:
            todo.append(variants)
    flat = [" ".join(sorted(t)) for variants in todo for t in variants]
    multi = sorted((i for i, s in enumerate(idx._sorted) if " " in s), key=lambda i: len(idx._sorted[i]))
    choices = [idx._sorted[i] for i in multi]
    _EXHAUSTIVE.update(multi=multi, choices=choices, lens=[len(c) for c in choices], thr=thr)
    del choices
    t0 = time.perf_counter()
    if workers > 1 and len(flat) > 50:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            exhaustive = pool.map(_exhaustive, flat, chunksize=8)
    else:
        exhaustive = [_exhaustive(q) for q in flat]
    check_s = time.perf_counter() - t0
    agree = missed = extra = found_any = 0
    k = 0
    for variants in todo:
        ok = True
        for t in variants:
            want, got = exhaustive[k], idx.name_scores(t)
            k += 1
            found_any += bool(want)
            missed += sum(1 for i in want if i not in got)
            extra += sum(1 for i in got if i not in want)
            ok = ok and want == got
        agree += ok
    _EXHAUSTIVE.clear()
    return {"n": size, "build_s": build_s, "index_mb": index_mb, "roster_mb": rss0 - rss_start,
            "qps": queries / q_s, "qps_cpu": queries / q_cpu, "build_cpu_s": build_cpu_s, "naive_qps": len(sample) / naive_s, "agree": agree / max(len(todo), 1),
            "checked": len(todo), "names_checked": len(flat), "with_exhaustive_match": found_any,
            "missed": missed, "extra": extra, "check_s": check_s}


# ---------------------------------------------------------------- 4/5. daily hit list
def _tmp_root() -> str | None:
    return None


def daily_list(posts: int, hit_rate: float, days: int, repeats: int = 5) -> dict:
    from monitor.store import Store
    from monitor.timeutil import day_bounds

    tz = ZoneInfo("Asia/Jakarta")
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as d:
        store = Store(Path(d) / "list.duckdb")
        tmpl = _hit_template(store)
        con = store.con
        t0 = time.perf_counter()
        _fill(con, posts, hit_rate, days, tmpl)
        fill_s = time.perf_counter() - t0
        n_hits = store.count("hits")
        store.close()
        store = Store(Path(d) / "list.duckdb")
        day = date(2024, 1, 1) + timedelta(days=days // 2)
        start, end = day_bounds(day, tz)

        def ours() -> int:
            return len(store.list_hits(start=start, end=end))

        def naive() -> int:  # the day computed per row: no index or zone map can prune
            sql = store._HIT_SELECT + (" WHERE CAST(timezone('Asia/Jakarta', h.post_created_at) AS DATE) = ?"
                                      " ORDER BY h.score DESC, h.post_created_at, h.hit_id")
            return len([store._decode_hit(r) for r in store._dicts(sql, [day])])

        out = {"n": posts, "hits": n_hits, "fill_s": fill_s}
        for name, fn in (("ours", ours), ("naive", naive)):
            rows = fn()  # warm-up
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            times.sort()
            out[f"{name}_ms"] = times[len(times) // 2] * 1000
            out[f"{name}_rows"] = rows
        store.close()
    return out


def _hit_template(store) -> dict:
    """One real hit row (JSON columns as the pipeline writes them), from a tiny real run."""
    from monitor.collect.base import Batch
    from monitor.identity import IdentityIndex
    from monitor.pipeline.evaluate import Evaluator
    from monitor.pipeline.ingest import Pipeline
    from monitor.scoring import Scorer

    cfg = _config()
    rs, _plain, gen = _ruleset()
    entries = make_roster(2000)
    idx = IdentityIndex.build(entries)
    pf = PostFactory(entries, gen, campaign_share=0.5, roster_author_share=0.5)
    with tempfile.TemporaryDirectory() as d:
        from monitor.store import Store

        s2 = Store(Path(d) / "t.duckdb")
        Pipeline(s2, Evaluator(lambda: rs, lambda: idx, Scorer(cfg.scoring))).process(
            "bench", Batch(posts=next(pf.chunks(500)), cursor=None))
        cur = s2.con.execute("SELECT * FROM hits LIMIT 1")
        row = dict(zip([c[0] for c in cur.description], cur.fetchone()))
        s2.close()
    # a small roster so the LEFT JOIN finds people
    store.replace_roster(entries[:1000], file="bench", file_sha256="0", skipped=0, actor="bench")
    return row


def _fill(con, posts: int, hit_rate: float, days: int, tmpl: dict) -> None:
    """posts spread evenly over ``days`` from 2024-01-01 UTC; every ``1/hit_rate``-th post has a hit."""
    step = max(1, round(1 / hit_rate))
    span = days * 86400
    con.execute(f"""
        INSERT INTO posts
        SELECT 'x', 'p' || i, 'https://x.com/i/status/' || i,
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i * {span} // {posts})::BIGINT),
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i * {span} // {posts})::BIGINT + 60),
               'bench', 'post', 'u' || (i % 50000), 'user' || (i % 50000), 'Nama Pengguna ' || (i % 50000), NULL, NULL,
               'teks unggahan nomor ' || i || ' pagi ini macet banget di jalan utama mending naik motor aja ' ||
               'hujan deras dari subuh jemuran belum kering ayo pilih calon kita',
               NULL, NULL, NULL, NULL,
               '{{"id":"p' || i || '","text":"teks unggahan nomor ' || i || '"}}', md5('p' || i)
        FROM range({posts}) t(i)
    """)
    nips = [r[0] for r in con.execute("SELECT nip FROM roster ORDER BY nip").fetchall()]
    cols = ("candidates", "identity_method", "behaviour", "rules", "terms", "targets", "steps",
            "explanation", "ruleset_version", "author_keys")
    params = [tmpl[c] for c in cols]
    con.execute(f"""
        INSERT INTO hits (hit_id, platform, post_id, post_created_at, detected_at, nip, candidates,
            identity_method, ambiguous, behaviour, score, identity_score, content_score, rules, terms,
            targets, steps, explanation, ruleset_version, status, payload_sha256, author_keys)
        SELECT 'H' || substr(md5('x:p' || i), 1, 12), 'x', 'p' || i,
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i * {span} // {posts})::BIGINT),
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i * {span} // {posts})::BIGINT + 60),
               '{nips[0][:-3]}' || lpad(((i // {step}) % {len(nips)})::VARCHAR, 3, '0'),
               ?::JSON, ?, (i % 7) = 0, ?, 0.4 + ((hash(i) % 600) / 1000.0), 0.6, 0.9, ?::JSON, ?::JSON, ?::JSON,
               ?::JSON, ?, ?, 'baru', md5('p' || i), ?::JSON
        FROM range(0, {posts}, {step}) t(i)
    """, params)
