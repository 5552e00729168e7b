"""The measured cases. Each runs in its own subprocess (``bench/run.py --child NAME ARGS``) and
returns a dict; the parent adds the child's peak RSS. Workload generation is never timed."""

from __future__ import annotations

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
def detect(posts: int, roster: int) -> dict:
    from monitor.identity import IdentityIndex
    from monitor.pipeline.evaluate import Evaluator
    from monitor.scoring import Scorer

    cfg = _config()
    rs, plain, gen = _ruleset()
    entries = make_roster(roster)
    idx = IdentityIndex.build(entries, name_threshold=cfg.scoring.name_threshold)
    ev = Evaluator(lambda: rs, lambda: idx, Scorer(cfg.scoring))
    pf = PostFactory(entries, gen)
    secs, hits = 0.0, 0
    for chunk in pf.chunks(posts):
        evaluate = ev.evaluate
        t0 = time.perf_counter()
        for p in chunk:
            if evaluate(p) is not None:
                hits += 1
        secs += time.perf_counter() - t0
    return {"n": posts, "secs": secs, "rate": posts / secs, "hits": hits, "terms": len(plain)}


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
def ingest(posts: int, roster: int, batch: int = 1000) -> dict:
    from monitor.collect.base import Batch
    from monitor.identity import IdentityIndex
    from monitor.pipeline.evaluate import Evaluator
    from monitor.pipeline.ingest import Pipeline
    from monitor.scoring import Scorer
    from monitor.store import Store

    cfg = _config()
    rs, _plain, gen = _ruleset()
    entries = make_roster(roster)
    idx = IdentityIndex.build(entries, name_threshold=cfg.scoring.name_threshold)
    pf = PostFactory(entries, gen)
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as d:
        store = Store(Path(d) / "ingest.duckdb")
        pipe = Pipeline(store, Evaluator(lambda: rs, lambda: idx, Scorer(cfg.scoring)))
        store_s = [0.0]
        for meth in ("known_payloads", "commit_batch"):  # time the store's share (bench-side wrapper)
            orig = getattr(store, meth)

            def timed(*a, _orig=orig, **kw):
                t = time.perf_counter()
                try:
                    return _orig(*a, **kw)
                finally:
                    store_s[0] += time.perf_counter() - t

            setattr(store, meth, timed)
        secs, hits, new, k = 0.0, 0, 0, 0
        first = None
        for chunk in pf.chunks(posts, 10 * batch):
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
        # idempotence: the first batch again must add nothing
        t0 = time.perf_counter()
        again = pipe.process("bench", Batch(posts=first, cursor={"k": k}))
        dup_secs = time.perf_counter() - t0
        stored = store.count("posts")
        stored_hits = store.count("hits")
        store.close()
    ok = again.new == 0 and again.duplicate == len(first) and stored == posts and stored_hits == hits
    return {"n": posts, "secs": secs, "rate": posts / secs, "hits": hits, "idempotent": ok,
            "store_share": store_s[0] / (secs + dup_secs),
            "dup_rate": len(first) / dup_secs}


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
def roster_index(size: int, queries: int, naive_queries: int, check: int) -> dict:
    import random

    from rapidfuzz import fuzz, process

    from bench.perf.workload import NameSource, title_variant
    from monitor.identity import IdentityIndex
    from monitor.models import Author
    from monitor.names import name_tokens

    cfg = _config()
    thr = cfg.scoring.name_threshold
    entries = make_roster(size, declared_share=0.0)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    idx = IdentityIndex.build(entries, name_threshold=thr)
    build_s = time.perf_counter() - t0
    index_mb = _rss_mb() - rss0

    rng = random.Random(size)
    ns = NameSource(99)
    qs = []
    for k in range(queries):
        if rng.random() < 0.6:
            name = title_variant(entries[rng.randrange(size)].nama, rng).split(" | ")[0]
        else:
            name = ns.outsider()
        qs.append(Author.model_construct(id=str(k), handle=f"user{k}", name=name, bio=None, url=None))
    t0 = time.perf_counter()
    results = [idx.match("x", a) for a in qs]
    q_s = time.perf_counter() - t0

    # naive: extractOne over every (title-stripped) roster name, on a small sample, extrapolated
    normalised = [" ".join(name_tokens(e.nama)) for e in entries]
    sample = qs[:naive_queries]
    t0 = time.perf_counter()
    for a in sample:
        process.extractOne(" ".join(name_tokens(a.name or "")), normalised, scorer=fuzz.token_sort_ratio,
                           score_cutoff=thr)
    naive_s = time.perf_counter() - t0

    # agreement with an exhaustive search: the best-scoring roster entries (token_sort_ratio >= threshold
    # over all entries with 2+ name tokens) must all be among the index's candidates, and the index
    # must find nothing when the exhaustive search finds nothing (queries with 2+ tokens).
    sorted_names = [" ".join(sorted(name_tokens(e.nama))) for e in entries]
    multi = [i for i, e in enumerate(entries) if len(name_tokens(e.nama)) >= 2]
    choices = [sorted_names[i] for i in multi]
    agree = total = 0
    t0 = time.perf_counter()
    for a, res in zip(qs, results):
        if total >= check:
            break
        toks = name_tokens(a.name or "")
        if len(toks) < 2:
            continue
        total += 1
        found = process.extract(" ".join(sorted(toks)), choices, scorer=fuzz.ratio, score_cutoff=thr, limit=None)
        got = {c.nip for c in res.candidates}
        if not found:
            agree += not got
            continue
        best = max(s for _c, s, _i in found)
        want = {entries[multi[i]].nip for _c, s, i in found if s >= best - 1e-9}
        agree += want <= got or (len(got) >= idx.max_candidates and bool(want & got))
    check_s = time.perf_counter() - t0
    return {"n": size, "build_s": build_s, "index_mb": index_mb, "qps": queries / q_s,
            "naive_qps": len(sample) / naive_s, "agree": agree / max(total, 1), "checked": total,
            "check_s": check_s, "with_candidates": sum(1 for r in results if r.candidates) / len(results)}


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
