"""Identity that learns from reviewers, end to end through the CLI (real DuckDB, shipped rules).

Confirming a name match links the author's account to the NIP (later posts match at 1.0 with the
reviewer as evidence); dismissing a name match as the wrong person rejects the (account, NIP)
pairs for good (restart, roster re-import); a content-only dismissal teaches nothing.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.identity.memory import is_identity_dismissal
from monitor.store import Store
from monitor.web.pages.hits import DISMISS_REASONS
from tests.helpers import post_line

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
MARIA = "198705052011052006"  # "dr. Maria Ulfa": declared only on tiktok, so on x a name match
FAUZI = {"198803032012031004", "199104042016041005"}  # "Ahmad Fauzi" / "Achmad Fauzi": ambiguous
PARTISAN = "Ayo coblos nomor 2 Prabowo-Gibran! #PrabowoGibran2024"


def run(args, db):
    return CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db", str(db), *args])


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "mem.duckdb"
    res = run(["roster", "import", str(DATA / "roster_small.csv")], path)
    assert res.exit_code == 0, res.output
    return path


def ingest(tmp_path, db, lines, name):
    f = tmp_path / name
    f.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    res = run(["ingest", str(f)], db)
    assert res.exit_code == 0, res.output


def hits_by_post(db):
    res = run(["hits", "--date", "2024-01-21", "--format", "json"], db)
    assert res.exit_code == 0, res.output
    return {r["post_id"]: r for r in json.loads(res.output)}


def review(db, hit_id, action, reason, *extra):
    res = run(["review", hit_id, action, "--reason", reason, "--by", "pengawas1", *extra], db)
    assert res.exit_code == 0, res.output


def reimport_roster(tmp_path, db):
    # a new export of the same roster (one row changed so it is a genuinely new import)
    text = (DATA / "roster_small.csv").read_text(encoding="utf-8").replace("Dokter,", "Dokter Umum,")
    f = tmp_path / "roster_new.csv"
    f.write_text(text, encoding="utf-8")
    res = run(["roster", "import", str(f)], db)
    assert res.exit_code == 0, res.output


def maria_post(post_id, handle="maria_u", author_id="x-500", name="Maria Ulfa"):
    return post_line(post_id, PARTISAN, handle=handle, author_id=author_id, name=name)


def test_confirmed_name_match_makes_later_posts_of_the_account_certain(tmp_path, db):
    ingest(tmp_path, db, [maria_post("m1")], "a.jsonl")
    h = hits_by_post(db)["m1"]
    assert h["identity_method"] == "name" and h["identity_score"] < 1.0 and h["nip"] == MARIA
    review(db, h["hit_id"], "--confirm", "foto profil cocok")

    with Store(db) as s:
        links = {(r["platform"], r["account"]): r for r in s.account_links()}
        assert set(links) == {("x", "x-500"), ("x", "maria_u")}  # every key of the author
        assert all(r["nip"] == MARIA and r["confirmed_by"] == "pengawas1" and r["hit_id"] == h["hit_id"]
                   for r in links.values())
        assert [e["action"] for e in s.audit_entries(h["hit_id"])][-1] == "hit.dikonfirmasi"
        assert any(e["action"] == "identity.link" for e in s.audit_entries())

    # a later post of the same account, even under another display name, matches at 1.0
    ingest(tmp_path, db, [maria_post("m2", name="Bunda Mawar")], "b.jsonl")
    h2 = hits_by_post(db)["m2"]
    assert h2["identity_score"] == 1.0 and h2["nip"] == MARIA and not h2["ambiguous"]
    assert h2["identity_method"] == "declared_account"
    (c,) = h2["candidates"]
    assert c["evidence"][0]["kind"] == "reviewer_link"
    assert "confirmed by reviewer pengawas1" in h2["explanation"]
    assert "akun yang dikonfirmasi pengawas" in h2["explanation"]

    # found by handle alone too, and the link survives a roster re-import
    reimport_roster(tmp_path, db)
    ingest(tmp_path, db, [maria_post("m3", author_id="x-other-id", name="Bunda Mawar")], "c.jsonl")
    h3 = hits_by_post(db)["m3"]
    assert h3["identity_score"] == 1.0 and h3["candidates"][0]["evidence"][0]["kind"] == "reviewer_link"

    # another account with the same name is still only a name match
    ingest(tmp_path, db, [maria_post("m4", handle="maria_lain", author_id="x-501")], "d.jsonl")
    h4 = hits_by_post(db)["m4"]
    assert h4["identity_method"] == "name" and h4["identity_score"] < 1.0


def test_wrong_person_dismissal_is_remembered_across_restart_and_roster_reimport(tmp_path, db):
    ingest(tmp_path, db, [maria_post("m1")], "a.jsonl")
    h = hits_by_post(db)["m1"]
    review(db, h["hit_id"], "--dismiss", DISMISS_REASONS["bukan_asn"] + ": akun ibu rumah tangga")
    with Store(db) as s:
        assert {(r["platform"], r["account"], r["nip"]) for r in s.rejected_pairs()} == {
            ("x", "x-500", MARIA), ("x", "maria_u", MARIA)}
        assert s.rejected_pairs()[0]["reason"].startswith("bukan ASN")
        assert s.account_links() == []

    # each CLI call opens the store again: the rejection survived a restart
    ingest(tmp_path, db, [maria_post("m2")], "b.jsonl")
    assert "m2" not in hits_by_post(db)

    # reopening the dismissed hit does not forget the rejection
    review(db, h["hit_id"], "--reopen", "cek ulang")
    reimport_roster(tmp_path, db)
    ingest(tmp_path, db, [maria_post("m3")], "c.jsonl")
    rows = hits_by_post(db)
    assert "m3" not in rows and rows["m1"]["status"] == "baru"

    # the rejection is per account: someone else with the same name is still a candidate
    ingest(tmp_path, db, [maria_post("m4", handle="maria_lain", author_id="x-501")], "d.jsonl")
    assert hits_by_post(db)["m4"]["nip"] == MARIA

    # an admin can take the rejection back
    with Store(db) as s:
        assert s.remove_rejected_pair("x", "x-500", MARIA, actor="admin")
        assert s.remove_rejected_pair("x", "maria_u", MARIA, actor="admin")
    ingest(tmp_path, db, [maria_post("m5")], "e.jsonl")
    assert hits_by_post(db)["m5"]["nip"] == MARIA


def test_dismissed_ambiguous_name_match_rejects_every_candidate(tmp_path, db):
    line = post_line("f1", PARTISAN, handle="fauzi_kdi", author_id="x-20", name="Ahmad Fauzi")
    ingest(tmp_path, db, [line], "a.jsonl")
    h = hits_by_post(db)["f1"]
    assert h["ambiguous"] and {c["nip"] for c in h["candidates"]} == FAUZI
    review(db, h["hit_id"], "--dismiss", "salah orang, ini akun pedagang")
    with Store(db) as s:
        assert {r["nip"] for r in s.rejected_pairs()} == FAUZI
    ingest(tmp_path, db, [post_line("f2", PARTISAN, handle="fauzi_kdi", author_id="x-20", name="Ahmad Fauzi")],
           "b.jsonl")
    assert "f2" not in hits_by_post(db)


def test_content_only_dismissal_does_not_reject_the_pair(tmp_path, db):
    ingest(tmp_path, db, [maria_post("m1")], "a.jsonl")
    h = hits_by_post(db)["m1"]
    review(db, h["hit_id"], "--dismiss", DISMISS_REASONS["tidak_partisan"])
    with Store(db) as s:
        assert s.rejected_pairs() == [] and s.account_links() == []
    ingest(tmp_path, db, [maria_post("m2")], "b.jsonl")
    h2 = hits_by_post(db)["m2"]
    assert h2["nip"] == MARIA and h2["identity_method"] == "name"


def test_dismissing_a_reviewer_linked_hit_as_wrong_person_undoes_the_link(tmp_path, db):
    ingest(tmp_path, db, [maria_post("m1")], "a.jsonl")
    review(db, hits_by_post(db)["m1"]["hit_id"], "--confirm", "cocok")
    ingest(tmp_path, db, [maria_post("m2")], "b.jsonl")
    h2 = hits_by_post(db)["m2"]
    assert h2["identity_score"] == 1.0
    review(db, h2["hit_id"], "--dismiss", "akun parodi")
    with Store(db) as s:
        assert s.account_links() == []
        assert {r["nip"] for r in s.rejected_pairs()} == {MARIA}
    ingest(tmp_path, db, [maria_post("m3")], "c.jsonl")
    assert "m3" not in hits_by_post(db)


def test_declared_account_hits_teach_nothing(tmp_path, db):
    ingest(tmp_path, db, [post_line("b1", PARTISAN, handle="budi_s", author_id="x-9")], "a.jsonl")
    h = hits_by_post(db)["b1"]
    assert h["identity_method"] == "declared_account"
    review(db, h["hit_id"], "--dismiss", "bukan ASN / akun orang lain")
    with Store(db) as s:
        assert s.rejected_pairs() == [] and s.account_links() == []
        assert s.identity_memory_version() == 0


@pytest.mark.parametrize(
    "reason, identity",
    [
        (DISMISS_REASONS["bukan_asn"], True),
        (DISMISS_REASONS["parodi"], True),
        (DISMISS_REASONS["tidak_partisan"], False),
        (DISMISS_REASONS["kampanye_netralitas"], False),
        (DISMISS_REASONS["lainnya"] + ": pemilik akun bukan pegawai", True),
        ("wrong person", True),
        ("not partisan, just news", False),
        ("berita palsu yang dibagikan untuk dibantah", False),
        ("duplikat", False),
        ("", True),
    ],
)
def test_dismissal_reason_rule(reason, identity):
    assert is_identity_dismissal(reason) is identity
