"""A payload under a stored (platform, post_id) that is plainly another post (another URL and
another author: two Mastodon instances handing out the same status id) is quarantined with the
reason, never kept as a "revision" of the stored post; a real edit is still a revision."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from monitor.collect.base import Batch
from monitor.config import load_config
from monitor.identity import IdentityIndex
from monitor.models import Author, Post
from monitor.pipeline.evaluate import Evaluator
from monitor.pipeline.ingest import Pipeline
from monitor.rules import load_rules
from monitor.scoring import Scorer
from monitor.store import Store

REPO = Path(__file__).resolve().parents[1]


def _status(host: str, user: str, text: str, sid: str = "113456789012345678") -> Post:
    return Post(platform="mastodon", post_id=sid, url=f"https://{host}/@{user}/{sid}",
                created_at=datetime(2024, 1, 21, 3, 0, tzinfo=timezone.utc),
                author=Author(id="1", handle=f"{user}@{host}", name=user.title(), url=f"https://{host}/@{user}"),
                kind="post", text=text)


def _pipeline(store: Store) -> Pipeline:
    rules = load_rules([REPO / "rules"])
    idx = IdentityIndex.build([])
    return Pipeline(store, Evaluator(lambda: rules, lambda: idx, Scorer(load_config(REPO / "config.toml").scoring)))


def test_another_instances_status_with_the_same_id_is_quarantined_not_a_revision(tmp_path):
    with Store(tmp_path / "c.duckdb") as s:
        pipe = _pipeline(s)
        first = _status("kota.social", "budi", "Selamat pagi warga")
        assert pipe.process("a", Batch(posts=[first])).new == 1
        other = _status("mastodon.example", "siti", "Info banjir hari ini")
        res = pipe.process("b", Batch(posts=[other]))
        assert (res.new, res.revised, res.quarantined) == (0, 0, 1)
        assert s.count("post_revisions") == 0
        stored = s.post("mastodon", first.post_id)
        assert stored["url"] == first.url and stored["text"] == first.text
        q = s.quarantined()
        assert len(q) == 1 and "post id collision" in q[0]["reason"] and "mastodon.example" in q[0]["payload"]

        # an edit of the stored post (same URL, same author) is still a revision
        edited = _status("kota.social", "budi", "Selamat pagi warga, diedit")
        assert pipe.process("a", Batch(posts=[edited])).revised == 1
        # both inside one new batch: the first is stored, the other quarantined
        a = _status("kota.social", "budi", "Halo", sid="9")
        b = _status("mastodon.example", "siti", "Hai", sid="9")
        res = pipe.process("a", Batch(posts=[a, b]))
        assert (res.new, res.revised, res.quarantined) == (1, 0, 1)
