"""Throughput of match + rules + score (and of full ingest into DuckDB), against a naive baseline.

Plain script, not a test:  python bench/bench_pipeline.py [--posts N]

Workload: the bundled demo roster and posts (fictional), cycled with fresh post ids up to N posts.
Each approach runs in its own subprocess so its peak memory (max RSS) is its own.

* ours/evaluate: the product's Evaluator (normalise -> Aho-Corasick rules -> identity only for
  posts whose content could be a hit -> scorer), no database.
* ours/ingest: the full Pipeline into a fresh DuckDB file (de-duplication, Arrow inserts, hits,
  cursor, one transaction per batch of 500).
* naive: one big regex alternation of every rule term on lower-cased text, rapidfuzz
  ``extractOne`` of every author over the whole roster, and row-by-row ``executemany`` inserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.demo import DATA_DIR  # noqa: E402


def load_posts(n: int):
    from monitor.sources.jsonl import parse_line

    lines = [ln for ln in (DATA_DIR / "posts.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    out = []
    i = 0
    while len(out) < n:
        for ln in lines:
            if len(out) >= n:
                break
            rec = json.loads(ln)
            rec["post_id"] = f"{rec['post_id']}-{i}"
            out.append(parse_line(json.dumps(rec, ensure_ascii=False)))
        i += 1
    return out


def roster():
    from monitor.roster import read_roster

    return read_roster(DATA_DIR / "roster.csv").entries


def run_evaluate(n: int) -> dict:
    from monitor.config import load_config
    from monitor.identity import IdentityIndex
    from monitor.pipeline.evaluate import Evaluator
    from monitor.rules import load_rules
    from monitor.scoring import Scorer

    cfg = load_config(REPO / "config.toml")
    rs = load_rules(cfg.rule_paths)
    idx = IdentityIndex.build(roster(), name_threshold=cfg.scoring.name_threshold)
    ev = Evaluator(lambda: rs, lambda: idx, Scorer(cfg.scoring))
    posts = load_posts(n)
    t0 = time.perf_counter()
    hits = sum(1 for p in posts if ev.evaluate(p) is not None)
    secs = time.perf_counter() - t0
    return {"posts": n, "secs": secs, "hits": hits}


def run_ingest(n: int) -> dict:
    from monitor.collect.base import Batch
    from monitor.config import load_config
    from monitor.context import AppContext
    from monitor.cli.roster import import_roster
    from monitor.i18n import t

    cfg = load_config(REPO / "config.toml")
    posts = load_posts(n)
    with tempfile.TemporaryDirectory() as d:
        with AppContext(cfg, Path(d) / "b.duckdb") as app:
            import_roster(app.store, DATA_DIR / "roster.csv", skip_invalid=False, actor="bench",
                          lang_t=lambda k, **kw: t(k, "en", **kw))
            pipe = app.pipeline
            pipe.evaluator._identity()
            t0 = time.perf_counter()
            hits = 0
            for i in range(0, n, 500):
                res = pipe.process("bench", Batch(posts=posts[i:i + 500], cursor={"i": i}))
                hits += res.hits
            secs = time.perf_counter() - t0
    return {"posts": n, "secs": secs, "hits": hits}


def run_naive(n: int) -> dict:
    import duckdb
    from rapidfuzz import fuzz, process

    from monitor.config import load_config
    from monitor.rules import load_rules
    from monitor.store import Store

    cfg = load_config(REPO / "config.toml")
    rs = load_rules(cfg.rule_paths)
    terms = sorted({t for lr in rs.rules for t in (lr.rule.terms.any + lr.rule.terms.all) if isinstance(t, str)},
                   key=len, reverse=True)
    big = re.compile(r"(?<!\w)(" + "|".join(re.escape(t.lower()) for t in terms) + r")(?!\w)")
    names = [e.nama.lower() for e in roster()]
    posts = load_posts(n)
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "n.duckdb")  # same schema
        con: duckdb.DuckDBPyConnection = store.con
        t0 = time.perf_counter()
        matched = 0
        for p in posts:
            text = (p.text + " " + (p.parent.text if p.parent and p.parent.text else "")).lower()
            found = big.findall(text)
            who = process.extractOne((p.author.name or p.author.handle or "").lower(), names, scorer=fuzz.token_sort_ratio)
            if found and who and who[1] >= cfg.scoring.name_threshold:
                matched += 1
        rows = [(p.platform, p.post_id, p.url, p.created_at, p.created_at, "bench", p.kind, p.author.id,
                 p.author.handle, p.author.name, p.author.bio, p.author.url, p.text, None, None, None, None,
                 p.raw or "", "") for p in posts]
        con.executemany("INSERT INTO posts VALUES (" + ",".join("?" * 19) + ")", rows)
        secs = time.perf_counter() - t0
        store.close()
    return {"posts": n, "secs": secs, "hits": matched}


MODES = {"evaluate": run_evaluate, "ingest": run_ingest, "naive": run_naive}


def child(mode: str, n: int) -> None:
    res = MODES[mode](n)
    res["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=20_000)
    ap.add_argument("--naive-posts", type=int, default=2_000, help="the naive path is slow: fewer posts")
    ap.add_argument("--child", choices=sorted(MODES))
    args = ap.parse_args()
    if args.child:
        child(args.child, args.posts)
        return
    print(f"workload: demo posts cycled; roster {len(roster())} ASN; 1 core per run")
    results = {}
    for mode, n in (("evaluate", args.posts), ("ingest", args.posts), ("naive", args.naive_posts)):
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--posts", str(n)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["rate"] = r["posts"] / r["secs"]
        results[mode] = r
        print(f"{mode:>9}: {r['posts']:>7} posts in {r['secs']:.2f} s = {r['rate']:>9,.0f} posts/s; "
              f"hits {r['hits']}; peak RSS {r['max_rss_mb']:.0f} MB")
    print(f"ratio ingest/naive: {results['ingest']['rate'] / results['naive']['rate']:.1f}x; "
          f"evaluate/naive: {results['evaluate']['rate'] / results['naive']['rate']:.1f}x")


if __name__ == "__main__":
    main()
