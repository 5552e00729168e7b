"""Evaluate one post: content first (cheap), identity only for content that could be a hit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from monitor.elections import applicable_matches, classify, rule_scopes
from monitor.identity.accounts import author_account_keys
from monitor.models.election import Election
from monitor.models import Post, RuleMatch
from monitor.models.hit import Hit
from monitor.scoring import Scorer
from monitor.text import normalize_many

if TYPE_CHECKING:  # the evaluator only needs objects with .match()/.version
    from monitor.identity import IdentityIndex
    from monitor.rules import RuleSet


class Evaluator:
    def __init__(
        self,
        rules: Callable[[], "RuleSet"],
        identity: Callable[[], "IdentityIndex"],
        scorer: Scorer,
        *,
        elections: Sequence[Election] = (),
        tz: ZoneInfo | None = None,
    ) -> None:
        self._rules = rules
        self._identity = identity
        self.scorer = scorer
        self.elections = tuple(elections)
        """Configured elections: scoped rules fire only for posts that can concern their election,
        and each hit gets an election/stage suggestion (:mod:`monitor.elections`)."""
        self.tz = tz or ZoneInfo("Asia/Jakarta")
        self._scopes: tuple[str, dict] = ("", {})

    def _scopes_for(self, rs: "RuleSet") -> dict:
        if not self.elections:  # no elections configured: nothing is scoped (and nothing classified)
            return {}
        if self._scopes[0] != rs.version or not self._scopes[0]:
            self._scopes = (rs.version, rule_scopes(rs.rules, self.elections))
        return self._scopes[1]

    def evaluate_many(self, posts: Sequence[Post]) -> list[Hit | None]:
        """``[self.evaluate(p) for p in posts]`` (the same hits, in input order), batch-wise.

        All own texts, then all parent texts, are normalised (``normalize_many``) and scanned
        (``RuleSet.match_sparse``) as two batches; only posts with a rule match go on to
        ``_decide`` (scoring, then identity when the content is enough).
        """
        rs = self._rules()
        out: list[Hit | None] = [None] * len(posts)
        parents = [(i, p.parent.text) for i, p in enumerate(posts) if p.parent is not None and p.parent.text]
        on_text = rs.match_sparse(normalize_many([p.text for p in posts]), "text")
        matches = {i: found for i, found in on_text.items() if posts[i].text}  # as ``evaluate``
        if parents:
            on_parent = rs.match_sparse(normalize_many([t for _, t in parents]), "parent")
            for k, found in on_parent.items():
                i = parents[k][0]
                matches[i] = matches[i] + found if i in matches else found
        for i in sorted(matches):
            out[i] = self._decide(rs, posts[i], matches[i])
        return out

    def evaluate(self, post: Post) -> Hit | None:
        rs = self._rules()
        matches = rs.match(post.text, "text") if post.text else []
        if post.parent is not None and post.parent.text:
            matches = matches + rs.match(post.parent.text, "parent")
        if not matches:
            return None
        return self._decide(rs, post, matches)

    def _decide(self, rs: "RuleSet", post: Post, matches: list[RuleMatch]) -> Hit | None:
        """Score a post with at least one rule match; identity only when the content is enough."""
        scopes = self._scopes_for(rs)
        if scopes:  # scoped rules: the post's date first (the ASN's region once identity is known)
            matches = applicable_matches(matches, scopes, self.elections, posted_at=post.created_at, tz=self.tz)
            if not matches:
                return None
        content = self.scorer.content(post, matches)
        if content.score < self.scorer.config.min_content:
            return None
        identity = self._identity().match(post.platform, post.author)
        if not identity.candidates:
            return None
        agencies = [a for c in identity.candidates for a in (c.instansi, c.unit_kerja)]
        if scopes:
            kept = applicable_matches(matches, scopes, self.elections, posted_at=post.created_at, tz=self.tz,
                                      agencies=agencies)
            if len(kept) != len(matches):
                matches = kept
                content = self.scorer.content(post, matches)
        hit = self.scorer.score(post, matches, identity, ruleset_version=rs.version, content=content)
        if hit is not None:  # what a reviewer's decision will teach the identity memory about
            hit.author_keys = author_account_keys(post.platform, post.author)
            if self.elections:
                hit.election = classify(self.elections, rule_ids=[m.rule_id for m in matches if m.category == "partisan"],
                                        scopes=scopes, agencies=agencies, posted_at=post.created_at, tz=self.tz)
        return hit
