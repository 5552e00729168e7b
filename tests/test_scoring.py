import pytest

from monitor.config import ScoringConfig
from monitor.models import Candidate, IdentityEvidence, IdentityResult, RuleMatch
from monitor.scoring import Scorer, content_score, explain
from tests.helpers import make_post


def rm(rule_id, weight, category="partisan", field="text", terms=("coblos",), target=None):
    return RuleMatch(rule_id=rule_id, title=rule_id.title(), category=category, weight=weight,
                     field=field, terms=tuple(terms), target=target)


def declared(nip="198501012010011001", nama="Budi Santoso"):
    return IdentityResult(method="declared_account", candidates=[
        Candidate(nip=nip, nama=nama, instansi="Pemkot Pontianak", confidence=1.0,
                  evidence=[IdentityEvidence(kind="declared_account", detail="x:budi_s", delta=1.0)])])


def named(*people, ambiguous=False):
    return IdentityResult(method="name", ambiguous=ambiguous, candidates=[
        Candidate(nip=n, nama=nm, confidence=c, name_score=100.0) for n, nm, c in people])


SC = Scorer(ScoringConfig())


def test_noisy_or_and_exclusion():
    cs = content_score([rm("a", 0.6), rm("b", 0.5)], "text")
    assert cs.score == pytest.approx(1 - 0.4 * 0.5)
    cs2 = content_score([rm("a", 0.6), rm("b", 0.5), rm("n", 0.5, "exclusion")], "text")
    assert cs2.score == pytest.approx(0.8 * 0.5)
    cancelled = content_score([rm("a", 0.9), rm("n", 1.0, "exclusion")], "text")
    assert cancelled.score == 0.0


def test_exclusion_never_raises_score():
    base = [rm("a", 0.7), rm("b", 0.3)]
    for w in (0.01, 0.3, 0.99, 1.0):
        assert content_score(base + [rm("x", w, "exclusion")], "text").score <= content_score(base, "text").score


def test_own_post_hit_with_waterfall_and_explanation():
    post = make_post("1", "Ayo coblos 02!")
    hit = SC.score(post, [rm("pemilu.coblos", 0.9, target="Paslon 02")], declared(), ruleset_version="v1")
    assert hit is not None
    assert hit.score == pytest.approx(0.9)
    assert hit.nip == "198501012010011001"
    assert [s.step for s in hit.steps] == ["content", "identity", "behaviour", "final"]
    assert hit.steps[-1].score_after == hit.score
    assert "pemilu.coblos" in hit.explanation and "\u201ccoblos\u201d" in hit.explanation
    assert "NIP 198501012010011001" in hit.explanation
    assert "bukan putusan" in hit.explanation  # allegation, not a verdict
    assert hit.ruleset_version == "v1" and hit.status == "baru"


def test_share_scores_the_parent_text():
    post = make_post("2", "", kind="share", parent_text="Coblos 02")
    hit = SC.score(post, [rm("c", 0.9, field="parent")], declared(), ruleset_version="v")
    assert hit.behaviour == "share"
    assert hit.score == pytest.approx(0.9 * 0.9)


def test_plain_post_ignores_parent_field():
    post = make_post("3", "biasa saja")
    assert SC.score(post, [rm("c", 0.9, field="parent")], declared(), ruleset_version="v") is None


def test_ambiguous_identity_picks_nobody():
    post = make_post("4", "coblos")
    ident = named(("198501012010011001", "Ahmad Fauzi", 0.6), ("197001012000011002", "Ahmad Fauzi", 0.6), ambiguous=True)
    hit = SC.score(post, [rm("c", 0.95)], ident, ruleset_version="v")
    assert hit is not None and hit.nip is None
    assert len(hit.identity.candidates) == 2
    assert "AMBIGU" in hit.explanation


def test_low_content_or_identity_is_no_hit():
    post = make_post("5", "prabowo")
    assert SC.score(post, [rm("mention", 0.3)], declared(), ruleset_version="v") is None
    assert SC.score(post, [rm("c", 0.9)], named(("198501012010011001", "B", 0.3)), ruleset_version="v") is None


def test_english_explanation_says_the_same():
    post = make_post("6", "coblos")
    hit = SC.score(post, [rm("c", 0.9)], declared(), ruleset_version="v")
    en = explain(hit, post_handle="budi_s", lang="en")
    assert "Behaviour: own post" in en and "allegation" in en and "198501012010011001" in en


def test_ambiguous_set_is_never_reduced_to_a_silent_pick():
    post = make_post("7", "coblos")
    ident = named(("198501012010011001", "Ahmad Fauzi", 0.52), ("197001012000011002", "Ahmad Fauzi", 0.48), ambiguous=True)
    hit = SC.score(post, [rm("c", 0.95)], ident, ruleset_version="v")
    assert hit is not None and hit.nip is None and hit.identity.ambiguous
    assert len(hit.identity.candidates) == 2
