"""Process collected batches: de-duplicate, evaluate new posts, commit everything atomically."""

from __future__ import annotations

import logging
from typing import Sequence

from monitor.collect.base import Batch
from monitor.models import Post
from monitor.models.hit import Hit
from monitor.pipeline.evaluate import Evaluator
from monitor.store import BatchResult, Store
from monitor.store.duck import canonical_payload, sha256_text

log = logging.getLogger(__name__)


class Pipeline:
    """Single writer: every batch from every source goes through :meth:`process`."""

    def __init__(self, store: Store, evaluator: Evaluator) -> None:
        self.store = store
        self.evaluator = evaluator

    def _evaluate(self, posts: Sequence[Post]) -> list[Hit | None]:
        many = getattr(self.evaluator, "evaluate_many", None)
        if many is not None:
            return list(many(posts))
        return [self.evaluator.evaluate(p) for p in posts]

    def process(self, source: str, batch: Batch, *, save_cursor: bool = True) -> BatchResult:
        """Store one batch in one transaction (posts, revisions, hits, quarantine, cursor).

        Each payload is serialised and hashed once. The first occurrence of every
        ``(platform, post_id)`` in the batch is inserted in one statement; the primary key decides
        which posts are new (a stored post is never touched). A payload not stored yet of a post
        already stored (or captured earlier in the batch) is kept as a revision; a payload stored
        already, as the first capture or a revision, is a duplicate. New posts and revisions are
        evaluated (an edit can make a post partisan); a post that already has a hit keeps it.
        Re-running a batch stores nothing new and counts every post as a duplicate.
        """
        posts = batch.posts
        raws = [p.raw if p.raw is not None else canonical_payload(p) for p in posts]
        shas = [sha256_text(r) for r in raws]
        first: dict[tuple[str, str], int] = {}
        later: list[int] = []  # repeats inside the batch
        for i, p in enumerate(posts):
            key = (p.platform, p.post_id)
            if key in first:
                later.append(i)
            else:
                first[key] = i
        firsts = list(first.values()) if later else range(len(posts))
        with self.store.batch_writer(source) as w:
            stored_keys = w.insert_posts([posts[i] for i in firsts], [raws[i] for i in firsts],
                                         [shas[i] for i in firsts])
            # payloads stored per post: the first capture, and revisions when a payload differs
            known = {k: {sha} for k, sha in w.stored_hashes(stored_keys).items()}
            again = [i for i in firsts if (posts[i].platform, posts[i].post_id) in known] if known else []
            changed = {(posts[i].platform, posts[i].post_id) for i in again + later
                       if (posts[i].platform, posts[i].post_id) in known
                       and shas[i] not in known[(posts[i].platform, posts[i].post_id)]}
            for k, revs in w.revision_hashes(sorted(changed)).items():
                known[k] |= revs
            new = [i for i in firsts if (posts[i].platform, posts[i].post_id) not in known] if known else list(firsts)
            duplicates = 0
            revisions: list[int] = []
            for i in again + later:
                key = (posts[i].platform, posts[i].post_id)
                seen = known.get(key)
                if seen is None:  # first captured earlier in this batch
                    seen = known[key] = {shas[first[key]]}
                if shas[i] in seen:
                    duplicates += 1
                else:
                    seen.add(shas[i])
                    revisions.append(i)
            w.add_revisions([posts[i] for i in revisions], [raws[i] for i in revisions], [shas[i] for i in revisions])
            # a revision (the post edited upstream) is evaluated too: an edit can make a post partisan
            todo = new + revisions
            hits: list[Hit] = []
            seen_hit: set[str] = set()
            for i, hit in zip(todo, self._evaluate([posts[i] for i in todo])):
                if hit is not None and hit.hit_id not in seen_hit:  # one hit per post (the first capture's)
                    seen_hit.add(hit.hit_id)
                    hit.payload_sha256 = shas[i]
                    hits.append(hit)
            stored_hits = w.add_hits(hits)
            quarantined = [(r.payload, r.reason) for r in batch.rejected]
            w.add_quarantine(quarantined)
            if save_cursor and batch.cursor is not None:
                w.set_cursor(batch.cursor)
        return BatchResult(new=len(new), duplicate=duplicates, revised=len(revisions),
                           quarantined=len(quarantined), hits=stored_hits)
