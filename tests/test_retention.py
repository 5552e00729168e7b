from datetime import datetime, timedelta, timezone

from monitor.config import ScoringConfig
from monitor.models import Candidate, IdentityResult, RuleMatch
from monitor.scoring import Scorer
from monitor.store import Store
from monitor.retention import remove_media_files, roster_authors
from monitor.store.duck import sha256_text
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
        out = s.purge(unmatched_before=future, quarantine_before=future, actor="retention",
                      keep_authors=roster_authors(s, future))
        assert out == {"posts": 1, "revisions": 1, "quarantine": 1}
        assert s.post("x", "1") is not None and s.post("x", "2") is None
        assert s.audit_entries()[-1]["action"] == "retention.purge"
        # nothing newer than the cut-off is touched
        s.commit_batch(source="t", posts=[make_post("3", "baru")])
        past = datetime.now(timezone.utc) - timedelta(days=1)
        assert s.purge(unmatched_before=past, quarantine_before=None, actor="retention",
                       keep_authors=roster_authors(s, past))["posts"] == 0


def _hit(post, nip="198501012010011002"):
    return Scorer(ScoringConfig()).score(
        post, [RuleMatch(rule_id="r", title="R", category="partisan", weight=0.9, terms=("coblos",))],
        IdentityResult(method="declared_account", candidates=[Candidate(nip=nip, nama="B", confidence=1.0)]),
        ruleset_version="v")


def test_dismissed_hits_go_after_their_days_unless_on_legal_hold_and_each_run_is_recorded(tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli

    db = tmp_path / "r.duckdb"
    with Store(db) as s:
        posts = {k: make_post(k, f"coblos 02 {k}") for k in ("open", "confirmed", "dismissed", "held", "plain")}
        hits = {k: _hit(p) for k, p in posts.items() if k != "plain"}
        s.commit_batch(source="t", posts=list(posts.values()), hits=list(hits.values()),
                       revisions=[make_post("dismissed", "coblos 02 diedit", raw="R2")])
        s.review_hit(hits["confirmed"].hit_id, status="dikonfirmasi", reason="ok", actor="p",
                     nip="198501012010011002")
        for k in ("dismissed", "held"):
            s.review_hit(hits[k].hit_id, status="ditolak", reason="bukan pelanggaran", actor="p")
    res = CliRunner().invoke(cli, ["--db", str(db), "--lang", "en", "legal-hold", "set", hits["held"].hit_id,
                                   "--reason", "perkara 12/2024", "--by", "admin1"])
    assert res.exit_code == 0, res.output

    # captured media: one file only the dismissed post uses, one it shares with the held post
    media = tmp_path / "r-media" / "x"
    media.mkdir(parents=True)
    for name in ("only.jpg", "shared.jpg"):
        (media / name).write_bytes(name.encode())
    with Store(db) as s:
        s.record_media(platform="x", post_id="dismissed", url="https://m/1", kind="image", sha256="a" * 64,
                       size=8, content_type="image/jpeg", file="x/only.jpg")
        s.record_media(platform="x", post_id="dismissed", url="https://m/2", kind="image", sha256="b" * 64,
                       size=10, content_type="image/jpeg", file="x/shared.jpg")
        s.record_media(platform="x", post_id="held", url="https://m/2", kind="image", sha256="b" * 64,
                       size=10, content_type="image/jpeg", file="x/shared.jpg")

    future = datetime.now(timezone.utc) + timedelta(days=1)
    with Store(db) as s:
        out = s.purge(unmatched_before=future, quarantine_before=None, dismissed_before=future, actor="retention",
                      keep_authors=roster_authors(s, future),
                      remove_files=lambda files: remove_media_files(str(db), files))
        assert out == {"posts": 2, "revisions": 1, "quarantine": 0, "hits": 1, "media": 2}  # plain + dismissed
        assert not (media / "only.jpg").exists() and (media / "shared.jpg").exists()
        assert [m["url"] for m in s.media_of("x", "held")] == ["https://m/2"]
        left = {r[0] for r in s.con.execute("SELECT post_id FROM posts").fetchall()}
        assert left == {"open", "confirmed", "held"}
        assert s.get_hit(hits["held"].hit_id) is not None and s.get_hit(hits["dismissed"].hit_id) is None
        run = s.retention_runs(1)[0]
        assert run["counts"] == out and run["cutoffs"]["dismissed_before"] == future.isoformat()
        removed = s.retention_removed(run["run_id"])
        assert sorted(r["kind"] for r in removed) == ["hit", "media", "media", "post", "post", "revision"]
        # ids are kept as hashes only, never as the post id or its text
        assert sha256_text("x:plain") in {r["id_sha256"] for r in removed}
        assert not any("plain" in str(v) or "coblos" in str(v) for r in removed for v in r.values())
        assert [e["action"] for e in s.audit_entries(hits["held"].hit_id)][-1] == "hit.legal_hold"

    # lifting the hold (audited) lets the next run remove the dismissed hit's post
    res = CliRunner().invoke(cli, ["--db", str(db), "legal-hold", "clear", hits["held"].hit_id,
                                   "--reason", "perkara selesai", "--by", "admin1"])
    assert res.exit_code == 0, res.output
    with Store(db) as s:
        assert s.purge(unmatched_before=None, quarantine_before=None, dismissed_before=future,
                       actor="retention")["posts"] == 1
        assert s.audit_entries(hits["held"].hit_id)[-1]["action"] == "hit.legal_hold_cleared"
    res = CliRunner().invoke(cli, ["--db", str(db), "retention", "runs"])
    assert res.exit_code == 0 and len(res.output.strip().splitlines()) == 2


def test_retention_run_from_the_config(tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli

    cfg = tmp_path / "config.toml"
    cfg.write_text('[store]\npath = "r.duckdb"\n[retention]\nunmatched_posts_days = 30\n', encoding="utf-8")
    old = datetime.now(timezone.utc) - timedelta(days=40)
    with Store(tmp_path / "r.duckdb") as s:
        s.commit_batch(source="t", posts=[make_post("new", "halo")])
        s.con.execute("UPDATE posts SET collected_at = ?", [old])  # test set-up: an old capture
        s.commit_batch(source="t", posts=[make_post("fresh", "halo")])
    res = CliRunner().invoke(cli, ["--config", str(cfg), "--lang", "en", "retention", "run"])
    assert res.exit_code == 0, res.output
    assert "removed 1 posts" in res.output
    with Store(tmp_path / "r.duckdb") as s:
        assert [r[0] for r in s.con.execute("SELECT post_id FROM posts").fetchall()] == ["fresh"]


def test_unmatched_means_matching_nobody_declared_or_linked_authors_and_hit_parents_are_kept(tmp_path):
    """Only posts of authors matching nobody go: not a roster member's declared account, not an account
    a reviewer linked to a NIP, and not the parent post that a hit's evidence refers to."""
    from monitor.models import DeclaredAccount, RosterEntry

    with Store(tmp_path / "r.duckdb") as s:
        member = RosterEntry(nip="198501012010011002", nama="Budi Santoso",
                             akun=[DeclaredAccount(platform="x", value="@Budi_S")])
        s.replace_roster([member], file="r.csv", file_sha256="0" * 64, skipped=0, actor="admin")
        s.con.execute("INSERT INTO account_links VALUES ('x', 'linked_one', '198501012010011002', 'p', now(), NULL)")
        campaign = make_post("c1", "Ayo dukung paslon 02", author_id="k9", handle="tim_kampanye", name="Tim")
        reply = make_post("r1", "setuju coblos 02", kind="comment", author_id="u5", handle="siapa", name="Siapa",
                          parent_text="Ayo dukung paslon 02")
        reply.parent.post_id = "c1"
        posts = [
            make_post("m1", "selamat pagi", handle="BUDI_S", author_id="u1"),      # declared (case differs)
            make_post("l1", "cuaca cerah", handle="linked_one", author_id="u7"),   # linked by a reviewer
            make_post("n1", "jalan macet", handle="warga_lain", author_id="u8"),   # matches nobody
            campaign, reply,
        ]
        s.commit_batch(source="t", posts=posts, hits=[_hit(reply)])
        future = datetime.now(timezone.utc) + timedelta(days=1)
        out = s.purge(unmatched_before=future, quarantine_before=None, actor="retention",
                      keep_authors=roster_authors(s, future))
        left = {r[0] for r in s.con.execute("SELECT post_id FROM posts").fetchall()}
        assert left == {"m1", "l1", "c1", "r1"}
        assert out["posts"] == 1
        removed = s.retention_removed(s.retention_runs()[0]["run_id"])
        assert [r["kind"] for r in removed] == ["post"]
        assert removed[0]["id_sha256"] == sha256_text("x:n1")


def test_the_unmatched_rule_refuses_to_run_without_the_roster_authors(tmp_path):
    import pytest

    with Store(tmp_path / "r.duckdb") as s:
        s.commit_batch(source="t", posts=[make_post("1", "halo")])
        with pytest.raises(ValueError, match="keep_authors"):
            s.purge(unmatched_before=datetime.now(timezone.utc) + timedelta(days=1), quarantine_before=None,
                    actor="retention")
        assert s.count("posts") == 1
