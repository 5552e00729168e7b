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


def assign_offices(hits: Sequence[Hit], roster_offices: dict[str, str], collector: str | None) -> None:
    """Set each hit's responsible office (its ASN's roster office, else ``collector``) and the
    collecting office."""
    for h in hits:
        h.collector_office = collector
        h.office_code = roster_offices.get(h.nip or "") or collector


class Pipeline:
    """Single writer: every batch from every source goes through :meth:`process`.

    ``office`` is the collecting office (``[office] code``). Each hit belongs to the office the
    roster gives its ASN (the roster is national: an ASN of 61.71 seen by the 61.12 collector is
    61.71's), else to the collecting office (an ambiguous hit, or a roster without offices)."""

    def __init__(self, store: Store, evaluator: Evaluator, *, office: str | None = None) -> None:
        self.store = store
        self.evaluator = evaluator
        self.office = office

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
        Re-running a batch stores nothing new and counts every post as a duplicate. On a DuckLake
        store a commit that loses against another office's write runs the whole batch again
        (:meth:`Store.retrying`).
        """
        return self.store.retrying(lambda: self._process(source, batch, save_cursor=save_cursor))

    def _process(self, source: str, batch: Batch, *, save_cursor: bool) -> BatchResult:
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
            collisions: list[tuple[str, str]] = []
            stored_ids = w.stored_identities(sorted(changed)) if changed else {}
            for i in again + later:
                key = (posts[i].platform, posts[i].post_id)
                seen = known.get(key)
                if seen is None:  # first captured earlier in this batch
                    seen = known[key] = {shas[first[key]]}
                if shas[i] in seen:
                    duplicates += 1
                    continue
                was = stored_ids.get(key) or _identity(posts[first[key]])
                if _other_post(was, _identity(posts[i])):
                    collisions.append((raws[i], _collision_reason(key, was, posts[i])))
                    continue
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
            if hits:
                assign_offices(hits, self.store.roster_offices(h.nip for h in hits if h.nip), self.office)
            stored_hits = w.add_hits(hits)
            quarantined = [(r.payload, r.reason) for r in batch.rejected] + collisions
            w.add_quarantine(quarantined)
            if save_cursor and batch.cursor is not None:
                w.set_cursor(batch.cursor)
        return BatchResult(new=len(new), duplicate=duplicates, revised=len(revisions),
                           quarantined=len(quarantined), hits=stored_hits)


def _identity(post: Post) -> tuple:
    return (post.url, post.author.id, post.author.handle)


def _other_post(stored: tuple, incoming: tuple) -> bool:
    """True when a payload under a stored ``(platform, post_id)`` is plainly another post, not an
    edit: both have a URL and the URLs differ, and the author differs too. Mastodon status ids are
    per instance, so two instances can hand out the same id; keeping such a payload as a "revision"
    would silently alter the stored post's history. It is quarantined with the reason instead
    (kept, never dropped). An edit keeps its author; a feed that moves a link keeps its author."""
    url_a, id_a, handle_a = stored
    url_b, id_b, handle_b = incoming
    if not url_a or not url_b or url_a == url_b:
        return False
    return (id_a, (handle_a or "").lower()) != (id_b, (handle_b or "").lower())


def _collision_reason(key: tuple[str, str], stored: tuple, post: Post) -> str:
    return (f"post id collision: {key[0]} post {key[1]} is already stored for another post ({stored[0]}, "
            f"author {stored[2] or stored[1]}); this payload is {post.url} by {post.author.handle or post.author.id}. "
            "Kept here, not stored as a revision")

