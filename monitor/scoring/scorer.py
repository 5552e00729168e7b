"""Turn rule matches + identity into a :class:`~monitor.models.hit.Hit` (or nothing).

``score = content x identity confidence x behaviour weight``

* content: the stronger of the post's own text and, for comments, shares, quotes and forwards,
  the parent's text (see :mod:`monitor.scoring.content`);
* identity: 1.0 for a declared account, below 1 for a name match (see ``monitor.identity``);
* behaviour weight: per kind, from ``[scoring.weights]``.

The scorer never guesses a person: with an ambiguous identity the hit carries every candidate and
no NIP. It never sanctions anything either: every hit starts as ``baru`` for a human to review.
"""

from __future__ import annotations

from monitor.config import ScoringConfig
from monitor.models import IdentityResult, Post, RuleMatch
from monitor.models.hit import Hit, ScoreStep, hit_id_for
from monitor.scoring.content import ContentScore, content_score
from monitor.scoring.explain import explain

# Which texts count for which behaviour.
_FIELDS = {
    "post": ("text",),
    "comment": ("text", "parent"),
    "quote": ("text", "parent"),
    "share": ("parent", "text"),
    "forward": ("parent", "text"),
    # a like or follow has no text of its own: only the liked post / followed account counts
    "like": ("parent",),
    "follow": ("parent",),
}


class Scorer:
    def __init__(self, config: ScoringConfig) -> None:
        self.config = config

    def content(self, post: Post, matches: list[RuleMatch]) -> ContentScore:
        """The deciding content score of a post (best of the texts its behaviour covers)."""
        best: ContentScore | None = None
        for f in _FIELDS[post.kind]:
            cs = content_score(matches, f)
            if best is None or cs.score > best.score:
                best = cs
        assert best is not None
        return best

    def score(
        self,
        post: Post,
        matches: list[RuleMatch],
        identity: IdentityResult,
        *,
        ruleset_version: str,
        content: ContentScore | None = None,
    ) -> Hit | None:
        cfg = self.config
        content = content or self.content(post, matches)
        if content.score < cfg.min_content:
            return None
        if identity.confidence < cfg.min_identity:
            return None
        if not identity.ambiguous:
            # alternatives below the identity threshold are noise; an ambiguous set is kept whole
            # so that a filter can never turn a tie into a silent pick
            candidates = [c for c in identity.candidates if c.confidence >= cfg.min_identity]
            identity = identity.model_copy(update={"candidates": candidates})
        id_conf = identity.candidates[0].confidence
        weight = cfg.weights[post.kind]
        steps: list[ScoreStep] = list(content.steps)
        s = content.score * id_conf
        steps.append(ScoreStep(step="identity", label=identity.method, factor=id_conf, score_after=s))
        s *= weight
        steps.append(ScoreStep(step="behaviour", label=post.kind, factor=weight, score_after=s))
        s = round(s, 4)
        steps.append(ScoreStep(step="final", label="score", factor=1.0, score_after=s))
        if s < cfg.min_score:
            return None
        best = identity.best
        # Rules kept on the hit: what made it (deciding field) plus the other fields' partisan
        # matches and all exclusions, so a reviewer sees everything that fired.
        rules = sorted(set(matches), key=lambda m: (m.field, m.category, -m.weight, m.rule_id))
        hit = Hit(
            hit_id=hit_id_for(post.platform, post.post_id),
            platform=post.platform,
            post_id=post.post_id,
            post_created_at=post.created_at,
            nip=best.nip if best else None,
            behaviour=post.kind,
            score=s,
            identity_score=round(id_conf, 4),
            content_score=round(content.score, 4),
            identity=identity,
            rules=rules,
            steps=steps,
            explanation="",
            ruleset_version=ruleset_version,
        )
        hit.explanation = explain(hit, post_handle=post.author.handle or post.author.id or "", lang="id")
        return hit
