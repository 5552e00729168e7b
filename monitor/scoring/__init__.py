"""Scoring: content x identity x behaviour, with a waterfall a reviewer can read."""

from monitor.scoring.content import ContentScore, content_score
from monitor.scoring.scorer import Scorer
from monitor.scoring.explain import explain

__all__ = ["ContentScore", "Scorer", "content_score", "explain"]
