"""The learned ranker: features, fitting, held-out lift, refusal below the minimum, CLI, web sort and cues."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.models import Post
from monitor.models.evidence import RuleMatch
from monitor.models.hit import Hit, hit_id_for
from monitor.models.identity import Candidate, IdentityResult
from monitor.ranking import NotEnoughDecisions, Ranker, cues, features, load_model, rerank, train_and_rank
from monitor.ranking.model import labels_of, train
from monitor.store import Store
from tests.webutil import csrf_of, login, web_client, web_dir, demo_template  # noqa: F401

T0 = datetime(2024, 1, 21, 3, 0, tzinfo=timezone.utc)


def _rule(i: int, weight: float, field: str = "text", tag: bool = False) -> RuleMatch:
    return RuleMatch(rule_id=f"r{i}", title=f"rule {i}", category="partisan", weight=weight, field=field,
                     terms=("#Coblos01",) if tag else ("dukung",))


def make_hit(n: int, *, declared: bool, ambiguous: bool, content: float, identity: float,
             behaviour: str = "post", n_rules: int = 1, parent_only: bool = False, tag: bool = False) -> tuple:
    pid = f"p{n}"
    post = Post(platform="x", post_id=pid, created_at=T0 + timedelta(minutes=n),
                author={"id": f"u{n}", "handle": f"user{n}", "name": "Budi"}, kind=behaviour,
                text="teks", parent={"post_id": f"pp{n}", "text": "induk"} if behaviour != "post" else None)
    cands = [Candidate(nip=f"19800101200001100{k}", nama="Budi", confidence=identity) for k in range(3 if ambiguous else 1)]
    rules = [_rule(k, 0.5 + 0.1 * k, "parent" if parent_only else "text", tag and k == 0) for k in range(n_rules)]
    hit = Hit(hit_id=hit_id_for("x", pid), platform="x", post_id=pid, post_created_at=post.created_at,
              nip=None if ambiguous else cands[0].nip, behaviour=behaviour,
              score=round(content * identity, 4), identity_score=identity, content_score=content,
              identity=IdentityResult(method="declared_account" if declared else "name", candidates=cands,
                                      ambiguous=ambiguous),
              rules=rules, steps=[], explanation="-", ruleset_version="t")
    return post, hit


def synthetic(store: Store, n_per_class: int = 150, seed: int = 7, start: int = 0) -> None:
    """Confirmed: mostly declared accounts writing their own partisan text (often a hashtag).
    Dismissed: mostly ambiguous name matches sharing posts that matched only in the parent.
    Each cue is drawn independently (noisy, like real decisions); plain scores overlap on purpose."""
    rng = random.Random(seed)
    posts, hits, status = [], [], {}
    for i in range(2 * n_per_class):
        good = i % 2 == 0
        declared = rng.random() < (0.75 if good else 0.15)
        ambiguous = not declared and rng.random() < (0.3 if good else 0.8)
        shared = rng.random() < (0.2 if good else 0.7)
        p, h = make_hit(
            start + i, declared=declared, ambiguous=ambiguous,
            content=rng.uniform(0.55, 0.95), identity=rng.uniform(0.6, 0.95),
            behaviour=rng.choice(["share", "forward"]) if shared else rng.choice(["post", "comment"]),
            n_rules=rng.choice([1, 2, 3]) if good else rng.choice([1, 1, 2]),
            parent_only=shared and rng.random() < (0.3 if good else 0.8),
            tag=rng.random() < (0.6 if good else 0.25))
        posts.append(p)
        hits.append(h)
        status[h.hit_id] = "dikonfirmasi" if good else "ditolak"
    store.commit_batch(source="test", posts=posts, hits=hits)
    for hid, st in status.items():
        store.con.execute("UPDATE hits SET status = ?, reviewer = 'w' WHERE hit_id = ?", [st, hid])


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "r.duckdb")
    yield s
    s.close()


def test_features_are_interpretable():
    _, h = make_hit(1, declared=True, ambiguous=False, content=0.8, identity=0.9, n_rules=2, tag=True)
    row = {"score": h.score, "identity_score": 0.9, "content_score": 0.8, "identity_method": "declared_account",
           "ambiguous": False, "behaviour": "post", "rules": [r.model_dump() for r in h.rules], "terms": "[]",
           "candidates": []}
    f = features(row)
    assert f["declared"] == 1 and f["ambiguous"] == 0 and f["behaviour_post"] == 1 and f["behaviour_share"] == 0
    assert f["n_partisan"] == 2 and f["max_weight"] == pytest.approx(0.6) and f["hashtag"] == 1
    assert f["parent_only"] == 0


def test_training_learns_expected_signs_and_ranks_new_hits(store):
    synthetic(store)
    out = train_and_rank(store, actor="test")
    w = dict(out["weights"])
    assert w["declared"] > 0 and w["ambiguous"] < 0 and w["parent_only"] < 0
    m = out["metrics"]
    assert m["n_reviewed"] == 300 and m["n_test"] > 0
    assert m["lift_at_20"] >= 1 and m["lift_at_10"] >= 1
    assert m["auc_model"] > m["auc_score"]
    # two new hits waiting for review: one like the confirmed ones, one like the dismissed ones,
    # the dismissed-like one with the HIGHER plain score
    good = make_hit(900, declared=True, ambiguous=False, content=0.7, identity=0.8, n_rules=2, tag=True)
    bad = make_hit(901, declared=False, ambiguous=True, content=0.95, identity=0.9, behaviour="share",
                   parent_only=True)
    store.commit_batch(source="test", posts=[good[0], bad[0]], hits=[good[1], bad[1]])
    assert rerank(store, only_unscored=True) == 2
    rs = dict(store.con.execute("SELECT hit_id, rank_score FROM hits WHERE status = 'baru'").fetchall())
    assert rs[good[1].hit_id] > rs[bad[1].hit_id] and bad[1].score > good[1].score
    # reviewed hits are not ranked; the model and its metrics are stored and audit-logged
    assert store.con.execute("SELECT count(*) FROM hits WHERE status <> 'baru' AND rank_score IS NOT NULL"
                             ).fetchone()[0] == 0
    version, model = load_model(store)
    assert version == 1 and model.metrics == m
    assert store.audit_entries("ranker:1")[0]["action"] == "ranker.train"
    c = cues(model, store.get_hit(bad[1].hit_id), "en")
    assert {x["feature"] for x in c} & {"ambiguous", "declared", "parent_only"}
    assert all(set(x) == {"feature", "label", "value", "contribution"} for x in c)


def test_too_few_decisions_refuses_and_list_keeps_score_order(store):
    synthetic(store, n_per_class=10)
    with pytest.raises(NotEnoughDecisions, match="10 confirmed and 10 dismissed, at least 20"):
        train_and_rank(store, actor="test")
    assert load_model(store) is None
    assert store.con.execute("SELECT count(*) FROM ranker_models").fetchone()[0] == 0
    store.con.execute("UPDATE hits SET status = 'baru'")
    rows, _ = store.web_list_hits({}, sort="rank", limit=None)
    by_score, _ = store.web_list_hits({}, sort="score", limit=None)
    assert [r["hit_id"] for r in rows] == [r["hit_id"] for r in by_score]


def test_training_is_deterministic(tmp_path):
    weights = []
    for k in range(2):
        with Store(tmp_path / f"d{k}.duckdb") as s:
            synthetic(s)
            rows = s.ranker_training_rows()
            m = train(rows)
            weights.append((m.to_json(), m.metrics))
    assert weights[0] == weights[1]
    # and a fit round-trips through its JSON
    m = Ranker.from_json(weights[0][0])
    assert m.to_json() == weights[0][0]


def test_fit_recovers_a_simple_rule():
    rows = [{"hit_id": str(i), "score": 0.5, "identity_method": "declared_account" if i % 2 else "name",
             "ambiguous": False, "behaviour": "post", "rules": [], "terms": [], "candidates": []}
            for i in range(40)]
    labels = [1 if r["identity_method"] == "declared_account" else 0 for r in rows]
    m = Ranker.fit(rows, labels)
    assert dict(m.weights())["declared"] > 1
    assert all((m.predict_proba(r) > 0.5) == bool(y) for r, y in zip(rows, labels))
    assert labels_of([{"status": "dikonfirmasi"}, {"status": "ditolak"}]) == [1, 0]


def test_cli_train_and_show(tmp_path):
    db = tmp_path / "c.duckdb"
    runner = CliRunner()
    with Store(db) as s:
        synthetic(s, n_per_class=10)
    r = runner.invoke(cli, ["ranker", "train", "--db", str(db)])
    assert r.exit_code == 1 and "at least 20" in (r.output + (r.stderr if r.stderr_bytes else ""))
    r = runner.invoke(cli, ["ranker", "show", "--db", str(db)])
    assert r.exit_code == 0 and "no ranker model yet" in r.output
    with Store(db) as s:
        synthetic(s, start=1000)
    r = runner.invoke(cli, ["ranker", "train", "--db", str(db), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "lift" in r.output and "declared account (declared)" in r.output
    r = runner.invoke(cli, ["ranker", "show", "--db", str(db)])
    assert r.exit_code == 0 and "ranker model v1" in r.output and "akun terdaftar" in r.output


# -- web ---------------------------------------------------------------------------------------
DAY = "2024-01-21"
ROW_RE = re.compile(r'data-hit="(H[0-9a-f]{12})"')


async def test_web_sort_rank_and_cues(web_client):
    await login(web_client, "pengawas1")
    svc = web_client.svc
    day = ("post_created_at >= '2024-01-20 17:00:00+00' AND post_created_at < '2024-01-21 17:00:00+00' "
           "AND platform = 'x'")
    html = await (await web_client.get(f"/?date={DAY}&sort=rank&platform=x")).text()
    assert 'value="rank" selected' in html and "urutan pembelajaran" in html
    with svc.lock:
        by_score = [r[0] for r in svc.app.store.con.execute(
            f"SELECT hit_id FROM hits WHERE {day} ORDER BY score DESC, post_created_at, hit_id").fetchall()]
    assert ROW_RE.findall(html) == by_score  # no model yet: score order

    with svc.lock:
        store = svc.app.store
        # decisions on hits of other days: declared accounts confirmed, the rest dismissed
        store.con.execute(f"UPDATE hits SET status = CASE WHEN identity_method = 'declared_account' "
                          f"THEN 'dikonfirmasi' ELSE 'ditolak' END WHERE NOT ({day})")
        out = train_and_rank(store, actor="test", min_per_class=5)
        want = [r[0] for r in store.con.execute(
            f"SELECT hit_id FROM hits WHERE {day} ORDER BY rank_score DESC NULLS LAST, score DESC, "
            "post_created_at, hit_id").fetchall()]
        top = want[0]
    assert out["ranked"] > 0
    r = await web_client.get(f"/?date={DAY}&sort=rank&platform=x")
    assert r.status == 200
    assert ROW_RE.findall(await r.text()) == want

    html = await (await web_client.get(f"/hits/{top}")).text()
    assert 'id="cues"' in html and "Petunjuk urutan pembelajaran" in html and "data-cue=" in html
