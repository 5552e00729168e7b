"""Collector runner: concurrency, containment of a failing source, exactly-once across crashes."""

import asyncio

import pytest

from monitor.collect.base import Batch, Source
from monitor.collect.runner import run_once
from monitor.pipeline import Pipeline
from monitor.sources.jsonl import JsonlOptions, JsonlSource
from monitor.store import Store
from tests.helpers import make_post, post_line


class NoHits:
    def evaluate(self, post):
        return None


class Exploding(Source):
    """Test source that yields one batch and then fails."""

    type_name = "exploding"

    async def fetch(self, cursor):
        yield Batch(posts=[make_post("boom-1", platform="mastodon")], cursor={"n": 1})
        raise ConnectionResetError("peer reset")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "r.duckdb")
    yield s
    s.close()


def write_lines(path, n, start=0):
    with path.open("a", encoding="utf-8") as fh:
        for i in range(start, start + n):
            fh.write(post_line(str(i), f"teks {i}") + "\n")


async def test_failing_source_is_contained(tmp_path, store):
    f = tmp_path / "a.jsonl"
    write_lines(f, 20)
    pipe = Pipeline(store, NoHits())
    reports = await run_once(
        [JsonlSource("files", JsonlOptions(path=f, batch_size=7)), Exploding("bad", None)],
        pipe.process, store.get_cursor, queue_size=2,
    )
    assert reports["files"].error is None and reports["files"].result.new == 20
    assert reports["bad"].error == "ConnectionResetError: peer reset"
    assert reports["bad"].result.new == 1  # what came before the failure is committed
    assert store.get_cursor("bad") == {"n": 1}
    assert store.count("posts") == 21


async def test_crash_between_batch_and_cursor_loses_and_duplicates_nothing(tmp_path):
    """The process dies while committing the 3rd batch; a restart resumes from the 2nd cursor."""
    f = tmp_path / "a.jsonl"
    write_lines(f, 50)
    path = tmp_path / "c.duckdb"

    class DiesOnThirdCursor(Store):
        saves = 0

        def _write_cursor(self, source, cursor, now):
            DiesOnThirdCursor.saves += 1
            if DiesOnThirdCursor.saves == 3:
                raise SystemError("killed")
            super()._write_cursor(source, cursor, now)

    s = DiesOnThirdCursor(path)
    pipe = Pipeline(s, NoHits())
    with pytest.raises(SystemError):  # one transaction per batch here (no merging of waiting batches)
        await run_once([JsonlSource("files", JsonlOptions(path=f, batch_size=10))], pipe.process, s.get_cursor,
                       max_merge_posts=10)
    assert s.count("posts") == 20  # two committed batches; the third rolled back with its cursor
    s.close()

    with Store(path) as s2:
        pipe2 = Pipeline(s2, NoHits())
        reports = await run_once([JsonlSource("files", JsonlOptions(path=f, batch_size=10))], pipe2.process, s2.get_cursor)
        assert reports["files"].result.new == 30 and reports["files"].result.duplicate == 0
        ids = [r[0] for r in s2.con.execute("SELECT post_id FROM posts").fetchall()]
        assert sorted(ids, key=int) == [str(i) for i in range(50)]
        # and a third run finds nothing new
        again = await run_once([JsonlSource("files", JsonlOptions(path=f, batch_size=10))], pipe2.process, s2.get_cursor)
        assert again["files"].result.new == 0


async def test_reingest_is_idempotent_and_revisions_are_kept(tmp_path, store):
    f = tmp_path / "a.jsonl"
    write_lines(f, 5)
    pipe = Pipeline(store, NoHits())
    src = lambda: JsonlSource("ingest", JsonlOptions(path=f))  # noqa: E731
    first = await run_once([src()], lambda n, b: pipe.process(n, b, save_cursor=False), lambda n: None)
    second = await run_once([src()], lambda n, b: pipe.process(n, b, save_cursor=False), lambda n: None)
    assert first["ingest"].result.new == 5
    assert second["ingest"].result.new == 0 and second["ingest"].result.duplicate == 5
    # the same post id with a different payload: kept as a revision, the original untouched
    g = tmp_path / "b.jsonl"
    g.write_text(post_line("1", "teks DIUBAH") + "\n", encoding="utf-8")
    third = await run_once([JsonlSource("ingest", JsonlOptions(path=g))],
                           lambda n, b: pipe.process(n, b, save_cursor=False), lambda n: None)
    assert third["ingest"].result.revised == 1
    assert store.post("x", "1")["text"] == "teks 1"
    assert store.count("post_revisions") == 1
    # the hash the pipeline computed once is the hash of exactly what was stored
    from monitor.store.duck import sha256_text
    for table in ("posts", "post_revisions"):
        for raw, sha in store.con.execute(f"SELECT raw, raw_sha256 FROM {table}").fetchall():
            assert sha256_text(raw) == sha


async def test_queue_applies_back_pressure(tmp_path, store):
    f = tmp_path / "a.jsonl"
    write_lines(f, 100)
    seen_sizes = []

    def slow_process(name, batch):
        seen_sizes.append(len(batch.posts))
        return Pipeline(store, NoHits()).process(name, batch)

    reports = await run_once([JsonlSource("files", JsonlOptions(path=f, batch_size=10))], slow_process,
                             store.get_cursor, queue_size=1)
    assert reports["files"].batches == 10 and sum(seen_sizes) == 100



async def test_waiting_batches_merge_into_one_transaction_and_stay_exactly_once(tmp_path):
    """Pages of one source already waiting on the queue commit together with the last cursor; when
    that merged commit fails, all of them roll back and the next run re-delivers them."""
    f = tmp_path / "a.jsonl"
    write_lines(f, 60)
    path = tmp_path / "m.duckdb"
    sizes: list[int] = []

    class FailsFirstCommit(Store):
        def _write_cursor(self, source, cursor, now):
            raise SystemError("killed")

    s = FailsFirstCommit(path)
    pipe = Pipeline(s, NoHits())

    def process(name, batch):
        sizes.append(len(batch.posts))
        return pipe.process(name, batch)

    with pytest.raises(SystemError):
        await run_once([JsonlSource("files", JsonlOptions(path=f, batch_size=10))], process, s.get_cursor)
    assert sizes and sizes[0] > 10, sizes  # the pages queued behind the first were merged into it
    assert s.count("posts") == 0  # the merged transaction rolled back entirely, cursor included
    assert s.get_cursor("files") is None
    s.close()

    with Store(path) as s2:
        pipe2 = Pipeline(s2, NoHits())
        sizes.clear()
        record = lambda name, batch: (sizes.append(len(batch.posts)), pipe2.process(name, batch))[1]  # noqa: E731
        reports = await run_once([JsonlSource("files", JsonlOptions(path=f, batch_size=10))], record, s2.get_cursor)
        assert reports["files"].result.new == 60 and reports["files"].result.duplicate == 0
        assert reports["files"].batches == 6  # pages are counted, merged or not
        assert sum(sizes) == 60
        ids = [r[0] for r in s2.con.execute("SELECT post_id FROM posts").fetchall()]
        assert sorted(ids, key=int) == [str(i) for i in range(60)]
        # a cap of one page's size turns merging off
        again = await run_once([JsonlSource("other", JsonlOptions(path=f, batch_size=10))], record,
                               s2.get_cursor, max_merge_posts=10)
        assert sizes[-6:] == [10] * 6 and again["other"].result.duplicate == 60
