from datetime import datetime, timedelta, timezone

from monitor.config import ScoringConfig
from monitor.models import Candidate, IdentityResult, RuleMatch
from monitor.scoring import Scorer
from monitor.store import Store
from tests.helpers import make_post


def test_purge_keeps_every_post_behind_a_hit(tmp_path):
    with Store(tmp_path / "r.duckdb") as s:
        hit_post = make_post("1", "coblos 02")
        plain = make_post("2", "selamat pagi")
        hit = Scorer(ScoringConfig()).score(
            hit_post, [RuleMatch(rule_id="r", title="R", category="partisan", weight=0.9, terms=("coblos",))],
            IdentityResult(method="declared_account", candidates=[Candidate(nip="198501012010011002", nama="B", confidence=1.0)]),
            ruleset_version="v")
        s.commit_batch(source="t", posts=[hit_post, plain], hits=[hit], quarantined=[("{bad", "invalid JSON")])
        s.commit_batch(source="t", posts=[], revisions=[make_post("2", "selamat siang", raw="B")])
        future = datetime.now(timezone.utc) + timedelta(days=1)
        out = s.purge(unmatched_before=future, quarantine_before=future, actor="retention")
        assert out == {"posts": 1, "revisions": 1, "quarantine": 1}
        assert s.post("x", "1") is not None and s.post("x", "2") is None
        assert s.audit_entries()[-1]["action"] == "retention.purge"
        # nothing newer than the cut-off is touched
        s.commit_batch(source="t", posts=[make_post("3", "baru")])
        past = datetime.now(timezone.utc) - timedelta(days=1)
        assert s.purge(unmatched_before=past, quarantine_before=None, actor="retention")["posts"] == 0
