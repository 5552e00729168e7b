"""The set-based ingest path stores exactly what a straightforward row-by-row ingest stores.

The reference below handles one post at a time with plain SQL (look the post up, insert it or
its revision, evaluate, insert the hit if the post has none) in one transaction per batch. Both
ingest the same batches (repeats inside a batch, a re-run, edits, quarantined items, hits, two
platforms, payloads with and without a raw text) into their own DuckDB file; every table must
hold the same rows (times of collection aside) and every batch must report the same counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.collect.base import Batch, Rejected
from monitor.config import load_config
from monitor.identity import IdentityIndex
from monitor.models import Author, ParentRef, Post, RosterEntry
from monitor.pipeline.evaluate import Evaluator
from monitor.pipeline.ingest import Pipeline
from monitor.rules import load_rules
from monitor.scoring import Scorer
from monitor.store import BatchResult, Store
from monitor.store.duck import canonical_payload, sha256_text

REPO = Path(__file__).resolve().parents[1]
WIB = timezone(timedelta(hours=7))

ROSTER = [
    RosterEntry(nip="198001012005011001", nama="Budi Santoso", akun=[{"platform": "x", "value": "budi_s"}]),
    RosterEntry(nip="198502022010012002", nama="Dr. Siti Rahayu, M.Si", instansi="Dinas Pendidikan"),
]


def _post(post_id: str, text: str, *, platform: str = "x", handle: str = "warga1", name: str = "Warga Biasa",
          raw: bool = True, kind: str = "post", parent_text: str | None = None, minute: int = 0) -> Post:
    parent = None
    if parent_text is not None:
        parent = ParentRef(post_id="par" + post_id, url=f"https://example.invalid/par{post_id}", text=parent_text,
                           author=Author(id="pa1", handle="tokoh", name="Tokoh Partai"))
    p = Post(platform=platform, post_id=post_id, url=f"https://example.invalid/{platform}/{post_id}",
             created_at=datetime(2024, 1, 21, 9, minute, tzinfo=WIB), author=Author(id="u-" + handle, handle=handle,
                                                                                      name=name, bio="ASN" if handle == "budi_s" else None),
             kind=kind, text=text, parent=parent)
    if raw:
        p.raw = f'{{"id":"{post_id}","text":"{text}","platform":"{platform}","v":{minute}}}'
    return p


def _batches() -> list[tuple[str, Batch, bool]]:
    """(source, batch, save_cursor) in ingest order."""
    partisan = "Ayo coblos 02! #PrabowoGibran menang satu putaran"
    a = [
        _post("1", partisan, handle="budi_s", name="Budi Santoso"),               # declared account: hit
        _post("2", "Selamat pagi, hujan deras di Pontianak"),
        _post("3", "Selamat pagi semua", handle="budi_s", name="Budi Santoso"),   # edited later into a hit
        _post("4", "ikut yuk", kind="share", parent_text=partisan, handle="budi_s", name="Budi Santoso"),
        _post("5", "rapat koordinasi", raw=False),                               # payload = the post's JSON
        _post("1", "rapat", platform="mastodon", handle="siti", name="Siti Rahayu"),  # same id, other platform
        _post("2", "Selamat pagi, hujan deras di Pontianak"),                    # repeated, same payload
        _post("6", "versi pertama"),
        _post("6", "versi kedua", minute=1),                                     # repeated with an edit
        _post("6", "versi kedua", minute=1),                                     # ... and that edit again
        _post("7", partisan, handle="siti_r", name="Dr. Siti Rahayu"),           # name match
    ]
    b = [
        _post("3", "Selamat pagi, coblos 02! #PrabowoGibran", handle="budi_s", name="Budi Santoso", minute=5),
        _post("1", partisan + " lagi", handle="budi_s", name="Budi Santoso", minute=5),  # has a hit: kept
        _post("8", "jalan desa akhirnya diaspal"),
        _post("6", "versi kedua", minute=1),                                     # revision stored already
        _post("6", "versi ketiga", minute=2),
        _post("9", "kopi susu gula aren", raw=False),
    ]
    rejected = [Rejected(payload='{"id": 10, "text": }', reason="baris 3: JSON tidak valid"),
                Rejected(payload='{"id":"11"}', reason="created_at: wajib diisi")]
    return [
        ("src", Batch(posts=a, cursor={"page": 1}, rejected=rejected), True),
        ("src", Batch(posts=a, cursor={"page": 1}), True),                         # re-run
        ("other", Batch(posts=b, cursor={"since": "x"}), True),
        ("other", Batch(posts=b + [_post("12", "baru")], cursor={"since": "y"}), False),  # cursor not saved
        ("src", Batch(posts=[], cursor={"page": 2}, rejected=rejected[:1]), True),
    ]


class RowByRow:
    """Reference: one post at a time, plain SQL, one transaction per batch."""

    def __init__(self, store: Store, evaluator: Evaluator) -> None:
        self.store, self.evaluator = store, evaluator

    def process(self, source: str, batch: Batch, *, save_cursor: bool = True) -> BatchResult:
        con, now = self.store.con, datetime.now(timezone.utc)
        res = BatchResult()
        con.begin()
        for p in batch.posts:
            raw = canonical_payload(p)
            sha = sha256_text(raw)
            row = con.execute("SELECT raw_sha256 FROM posts WHERE platform = ? AND post_id = ?",
                              [p.platform, p.post_id]).fetchone()
            if row is None:
                a, par = p.author, p.parent
                con.execute(
                    "INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [p.platform, p.post_id, p.url, p.created_at, now, source, p.kind, a.id, a.handle, a.name,
                     a.bio, a.url, p.text, par.post_id if par else None, par.url if par else None,
                     par.text if par else None, par.author.model_dump_json() if par and par.author else None,
                     raw, sha])
                res.new += 1
            else:
                revs = {r[0] for r in con.execute(
                    "SELECT raw_sha256 FROM post_revisions WHERE platform = ? AND post_id = ?",
                    [p.platform, p.post_id]).fetchall()}
                if sha == row[0] or sha in revs:
                    res.duplicate += 1
                    continue
                con.execute("INSERT INTO post_revisions VALUES (?, ?, ?, ?, ?, ?)",
                            [p.platform, p.post_id, now, source, raw, sha])
                res.revised += 1
            hit = self.evaluator.evaluate(p)
            if hit is not None and con.execute("SELECT count(*) FROM hits WHERE hit_id = ?",
                                               [hit.hit_id]).fetchone()[0] == 0:
                hit.payload_sha256 = sha
                self.store._insert_hits([hit], now)
                res.hits += 1
        for r in batch.rejected:
            con.execute("INSERT INTO quarantine VALUES (nextval('quarantine_seq'), ?, ?, ?, ?, ?)",
                        [now, source, r.reason, r.payload, sha256_text(r.payload)])
            res.quarantined += 1
        if save_cursor and batch.cursor is not None:
            self.store._write_cursor(source, batch.cursor, now)
        con.commit()
        return res


# every column except the time a row was written
TABLES = {
    "posts": "SELECT * EXCLUDE (collected_at) FROM posts ORDER BY platform, post_id",
    "post_revisions": "SELECT * EXCLUDE (seen_at) FROM post_revisions ORDER BY platform, post_id, raw_sha256",
    "hits": "SELECT * EXCLUDE (detected_at) FROM hits ORDER BY hit_id",
    "quarantine": "SELECT * EXCLUDE (received_at) FROM quarantine ORDER BY id",
    "cursors": "SELECT * EXCLUDE (updated_at) FROM cursors ORDER BY source",
}


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    rules = load_rules([REPO / "rules"])
    idx = IdentityIndex.build(ROSTER)
    return Evaluator(lambda: rules, lambda: idx, Scorer(load_config(REPO / "config.toml").scoring))


def _ingest(pipe) -> list[BatchResult]:
    return [pipe.process(source, batch, save_cursor=save) for source, batch, save in _batches()]


def test_fast_path_stores_exactly_what_row_by_row_stores(tmp_path, evaluator):
    with Store(tmp_path / "fast.duckdb") as fast, Store(tmp_path / "ref.duckdb") as ref:
        got = _ingest(Pipeline(fast, evaluator))
        want = _ingest(RowByRow(ref, evaluator))
        assert got == want
        for table, sql in TABLES.items():
            assert fast._dicts(sql) == ref._dicts(sql), table
        # the workload exercised what it is meant to
        assert [r.new for r in got] == [8, 0, 2, 1, 0]
        assert got[1].duplicate == len(_batches()[1][1].posts)  # the re-run adds nothing
        assert sum(r.revised for r in got) == 4 and sum(r.hits for r in got) == 4
        assert fast.count("quarantine") == 3 and fast.count("cursors") == 2
        assert fast.post("x", "1")["created_at"] == datetime(2024, 1, 21, 2, 0, tzinfo=timezone.utc)
        assert fast.post("x", "5")["raw"] == canonical_payload(_post("5", "rapat koordinasi", raw=False))
        # the edit that made post 3 partisan is the scored payload; post 1 keeps its first hit
        h3 = fast.get_hit(fast._dicts("SELECT hit_id FROM hits WHERE post_id = '3'")[0]["hit_id"])
        assert h3["scored_revision"] is True
        h1 = fast._dicts("SELECT payload_sha256 FROM hits WHERE platform = 'x' AND post_id = '1'")[0]
        assert h1["payload_sha256"] == fast.post("x", "1")["raw_sha256"]


def test_batch_rolls_back_whole_when_a_write_fails(tmp_path, evaluator):
    class FailingCursor(Store):
        def _write_cursor(self, source, cursor, now):
            raise RuntimeError("disk full")

    with FailingCursor(tmp_path / "f.duckdb") as s:
        source, batch, _ = _batches()[0]
        with pytest.raises(RuntimeError):
            Pipeline(s, evaluator).process(source, batch)
        for table in ("posts", "post_revisions", "hits", "quarantine", "cursors"):
            assert s.count(table) == 0, table
