"""Evaluate one post: content first (cheap), identity only for content that could be a hit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from monitor.identity.accounts import author_account_keys
from monitor.models import Post
from monitor.models.hit import Hit
from monitor.scoring import Scorer

if TYPE_CHECKING:  # the evaluator only needs objects with .match()/.version
    from monitor.identity import IdentityIndex
    from monitor.rules import RuleSet


class Evaluator:
    def __init__(
        self,
        rules: Callable[[], "RuleSet"],
        identity: Callable[[], "IdentityIndex"],
        scorer: Scorer,
    ) -> None:
        self._rules = rules
        self._identity = identity
        self.scorer = scorer

    def evaluate(self, post: Post) -> Hit | None:
        rs = self._rules()
        matches = rs.match(post.text, "text") if post.text else []
        if post.parent is not None and post.parent.text:
            matches = matches + rs.match(post.parent.text, "parent")
        if not matches:
            return None
        content = self.scorer.content(post, matches)
        if content.score < self.scorer.config.min_content:
            return None
        identity = self._identity().match(post.platform, post.author)
        if not identity.candidates:
            return None
        hit = self.scorer.score(post, matches, identity, ruleset_version=rs.version, content=content)
        if hit is not None:  # what a reviewer's decision will teach the identity memory about
            hit.author_keys = author_account_keys(post.platform, post.author)
        return hit
