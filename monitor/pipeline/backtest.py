"""Try an edited rule file before it goes live: validate it in a copy of the rule folders, and
re-score stored posts with the running and the candidate rule set to see which posts would gain
or lose a hit.

The candidate is checked in a temporary copy of *every* configured rule path (rule ids must be
unique across files), with the edited file replaced. Nothing here touches the real rule folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from monitor.identity import IdentityIndex
from monitor.models import Post
from monitor.pipeline.evaluate import Evaluator
from monitor.rules import RuleSet, load_rules
from monitor.rules.errors import RuleError
from monitor.rules.loader import check_rules
from monitor.scoring import Scorer

EXCERPT = 200


# -- candidate rule folders ------------------------------------------------------------------
@contextlib.contextmanager
def candidate_copy(rule_paths: Sequence[Path], root: Path, rel: str, content: str) -> Iterator[tuple[list[Path], Callable[[RuleError], RuleError]]]:
    """A temporary copy of all ``rule_paths`` with ``root/rel`` replaced by ``content``.

    Yields the copied paths (same order as ``rule_paths``) and a function that rewrites a
    ``RuleError`` on a copied file to the real file's path relative to its configured folder.
    """
    with tempfile.TemporaryDirectory(prefix="rules-candidate-") as tmp:
        copies: list[tuple[Path, Path]] = []  # (copy, original)
        for i, p in enumerate(rule_paths):
            dst = Path(tmp) / f"r{i}"
            if p.is_dir():
                shutil.copytree(p, dst)
                copies.append((dst, p))
            elif p.is_file():
                dst.mkdir()
                shutil.copy2(p, dst / p.name)
                copies.append((dst / p.name, p))
            else:  # keep the loader's "no such file or folder" error
                copies.append((dst, p))
            if p.resolve() == root.resolve():
                target = dst / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")

        def real(err: RuleError) -> RuleError:
            message = err.message
            for copy, orig in copies:  # "first defined at <copy>/x.yaml:3" names the real file too
                message = message.replace(f"{copy}{os.sep}" if orig.is_dir() else str(copy),
                                          "" if orig.is_dir() else orig.name)
            for copy, orig in copies:
                try:
                    sub = Path(err.file).relative_to(copy)
                except ValueError:
                    continue
                name = sub.as_posix() if orig.is_dir() else orig.name
                return RuleError(name, err.line, err.field, message)
            return RuleError(err.file, err.line, err.field, message)

        yield [c for c, _ in copies], real


def check_candidate(rule_paths: Sequence[Path], root: Path, rel: str, content: str) -> list[RuleError]:
    """Every error the rule set would have with ``root/rel`` replaced by ``content`` (schema, ids, examples)."""
    with candidate_copy(rule_paths, root, rel, content) as (paths, real):
        return [real(e) for e in check_rules(paths)]


def load_candidate(rule_paths: Sequence[Path], root: Path, rel: str, content: str) -> RuleSet:
    """The candidate rule set (raises ``RuleSetError`` when invalid: check first)."""
    with candidate_copy(rule_paths, root, rel, content) as (paths, _):
        return load_rules(paths)


# -- stored posts ----------------------------------------------------------------------------
def window(days: int, latest_post: datetime | None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(since, anchor) for "the last ``days`` days".

    The anchor is now, or the newest stored post when that is older (an archive or the demo
    data from January 2024 still has a meaningful "last 7 days").
    """
    now = now or datetime.now(timezone.utc)
    anchor = min(now, latest_post) if latest_post is not None else now
    return anchor - timedelta(days=days), anchor


def post_from_row(row: dict[str, Any]) -> Post:
    """Rebuild a Post from the ``posts`` table columns (``parent_author`` is JSON)."""
    parent = None
    if row.get("parent_post_id") or row.get("parent_url") or row.get("parent_text") or row.get("parent_author"):
        pa = row.get("parent_author")
        if isinstance(pa, str):
            pa = json.loads(pa)
        parent = {"post_id": row.get("parent_post_id"), "url": row.get("parent_url"),
                  "text": row.get("parent_text"), "author": pa}
    return Post.model_validate({
        "platform": row["platform"],
        "post_id": row["post_id"],
        "url": row.get("url"),
        "created_at": row["created_at"],
        "kind": row.get("kind") or "post",
        "author": {"id": row.get("author_id"), "handle": row.get("author_handle"), "name": row.get("author_name"),
                   "bio": row.get("author_bio"), "url": row.get("author_url")},
        "text": row.get("text") or "",
        "parent": parent,
    })


# -- the comparison --------------------------------------------------------------------------
@dataclass
class Change:
    platform: str
    post_id: str
    created_at: datetime
    excerpt: str
    old_score: float | None
    new_score: float | None


@dataclass
class BacktestResult:
    since: datetime
    until: datetime
    posts: int = 0
    old_hits: int = 0
    new_hits: int = 0
    rescored: int = 0
    """Posts that are a hit under both rule sets but with a different score."""
    gained: list[Change] = field(default_factory=list)
    lost: list[Change] = field(default_factory=list)
    skipped: int = 0
    """Stored rows that no longer validate as a Post (left out)."""


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def backtest(
    rows: Iterable[dict[str, Any]],
    current: RuleSet,
    candidate: RuleSet,
    identity: IdentityIndex,
    scorer: Scorer,
    *,
    since: datetime,
    until: datetime,
) -> BacktestResult:
    """Score every post with both rule sets through the product's Evaluator; list the differences."""
    old_ev = Evaluator(lambda: current, lambda: identity, scorer)
    new_ev = Evaluator(lambda: candidate, lambda: identity, scorer)
    out = BacktestResult(since=since, until=until)
    for row in rows:
        try:
            post = post_from_row(row)
        except ValueError:
            out.skipped += 1
            continue
        out.posts += 1
        old, new = old_ev.evaluate(post), new_ev.evaluate(post)
        out.old_hits += old is not None
        out.new_hits += new is not None
        if (old is None) == (new is None):
            if old is not None and new is not None and round(old.score, 4) != round(new.score, 4):
                out.rescored += 1
            continue
        change = Change(post.platform, post.post_id, post.created_at, _excerpt(post.text),
                        old.score if old else None, new.score if new else None)
        (out.gained if new is not None else out.lost).append(change)
    return out
