"""The ingest path as it was before the set-based write path (kept to measure against, same run):
one ``known_payloads`` hash join per platform (it scans every stored post), per-post evaluation,
then ``Store.commit_batch`` (posts through Arrow, revisions and quarantine row by row)."""

from __future__ import annotations

from collections import defaultdict

from monitor.collect.base import Batch
from monitor.models import Post
from monitor.store import BatchResult, Store
from monitor.store.duck import canonical_payload, sha256_text


class PreviousPipeline:
    def __init__(self, store: Store, evaluator) -> None:
        self.store = store
        self.evaluator = evaluator

    def process(self, source: str, batch: Batch, *, save_cursor: bool = True) -> BatchResult:
        new: list[Post] = []
        revisions: list[Post] = []
        duplicates = 0
        by_platform: dict[str, list[Post]] = defaultdict(list)
        sha_of: dict[int, str] = {}
        for p in batch.posts:
            by_platform[p.platform].append(p)
        for platform, posts in by_platform.items():
            known = self.store.known_payloads(platform, (p.post_id for p in posts))
            seen_in_batch: dict[str, str] = {}
            for p in posts:
                sha = sha_of[id(p)] = sha256_text(canonical_payload(p))
                prev = known.get(p.post_id) or seen_in_batch.get(p.post_id)
                if prev is None:
                    new.append(p)
                    seen_in_batch[p.post_id] = sha
                elif prev == sha:
                    duplicates += 1
                else:
                    revisions.append(p)
        hits = []
        for p in new + revisions:
            hit = self.evaluator.evaluate(p)
            if hit is not None:
                hit.payload_sha256 = sha_of[id(p)]
                hits.append(hit)
        quarantined = [(r.payload, r.reason) for r in batch.rejected]
        return self.store.commit_batch(
            source=source, posts=new, revisions=revisions, hashes=[sha_of[id(p)] for p in new],
            revision_hashes=[sha_of[id(p)] for p in revisions], hits=hits, quarantined=quarantined,
            cursor=batch.cursor if save_cursor else None, duplicates=duplicates,
        )
