"""End to end through the CLI: roster import, ingest, hit list, review (real DuckDB, shipped rules)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from tests.helpers import post_line

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SEEDS = sorted((DATA / "seeds").glob("*.txt"))


def run(args, db):
    res = CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db", str(db), *args])
    return res


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "e2e.duckdb"
    res = run(["roster", "import", str(DATA / "roster_small.csv")], path)
    assert res.exit_code == 0, res.output
    return path


def ingest(tmp_path, db, lines, name="p.jsonl"):
    f = tmp_path / name
    f.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    res = run(["ingest", str(f)], db)
    return res


def hits_json(db, *extra):
    res = run(["hits", "--date", "2024-01-21", "--format", "json", *extra], db)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_declared_account_partisan_post_is_a_hit_with_reasons(tmp_path, db):
    lines = [
        post_line("1", "Bismillah, ayo coblos nomor 2 Prabowo-Gibran! #PrabowoGibran2024", handle="budi_s", author_id="x-9"),
        post_line("2", "Selamat pagi rekan guru, semangat mengajar hari ini", handle="budi_s", author_id="x-9"),
        post_line("3", "Ayo coblos nomor 2 Prabowo-Gibran!", handle="orang_lain", author_id="x-77", name="Joko Lain"),
    ]
    res = ingest(tmp_path, db, lines)
    assert res.exit_code == 0, res.output
    rows = hits_json(db)
    assert [r["post_id"] for r in rows] == ["1"]
    h = rows[0]
    assert h["nip"] == "198501012010011002" and h["nama"] == "Budi Santoso, S.Pd."
    assert h["behaviour"] == "post" and h["identity_score"] == 1.0
    assert h["terms"] and h["rules"] and h["status"] == "baru"
    assert "198501012010011002" in h["explanation"]
    for key in ("hit_id", "platform", "post_id", "url", "created_at", "nip", "nama", "instansi", "unit_kerja",
                "behaviour", "score", "identity_score", "content_score", "rules", "terms", "candidates",
                "explanation", "status"):
        assert key in h
    assert h["created_at"].endswith("+07:00")  # shown in the office's zone (Asia/Pontianak)
    with Store(db) as s:
        assert s.count("posts") == 3  # every post is kept, hit or not


def test_share_comment_and_forward_of_partisan_content(tmp_path, db):
    lines = [
        post_line("10", "", kind="share", parent_text="Coblos nomor 3 Ganjar-Mahfud! #GanjarMahfud2024", handle="budi_s"),
        post_line("11", "Setuju pak", kind="comment", parent_text="Dukung AMIN! Coblos 01 Anies-Muhaimin #AMIN2024",
                  platform="facebook", author_id="100012345678", handle="siti.r", name="Siti"),
    ]
    assert ingest(tmp_path, db, lines).exit_code == 0
    rows = {r["post_id"]: r for r in hits_json(db)}
    assert rows["10"]["behaviour"] == "share"
    assert rows["11"]["behaviour"] == "comment" and rows["11"]["nip"] == "199002022015022003"


def test_ambiguous_name_lists_every_candidate(tmp_path, db):
    lines = [post_line("20", "Coblos 02 Prabowo Gibran, menangkan satu putaran! #PrabowoGibran",
                       handle="fauzi_kdi", author_id="x-20", name="Ahmad Fauzi")]
    assert ingest(tmp_path, db, lines).exit_code == 0
    rows = hits_json(db)
    assert len(rows) == 1
    h = rows[0]
    assert h["nip"] is None
    assert {c["nip"] for c in h["candidates"]} == {"198803032012031004", "199104042016041005"}
    # confirming needs the watcher to pick the person
    res = run(["review", h["hit_id"], "--confirm", "--reason", "cek profil", "--by", "pengawas1"], db)
    assert res.exit_code == 1 and "--nip" in res.output
    res = run(["review", h["hit_id"], "--confirm", "--reason", "foto profil cocok", "--by", "pengawas1",
               "--nip", "198803032012031004"], db)
    assert res.exit_code == 0, res.output
    h2 = hits_json(db)[0]
    assert h2["status"] == "dikonfirmasi" and h2["nip"] == "198803032012031004" and h2["reviewer"] == "pengawas1"
    with Store(db) as s:
        log = s.audit_entries(h["hit_id"])
    assert log[-1]["action"] == "hit.dikonfirmasi" and log[-1]["actor"] == "pengawas1"


def test_review_dismiss_and_reopen(tmp_path, db):
    assert ingest(tmp_path, db, [post_line("30", "Coblos 01 AMIN! #AniesMuhaimin", handle="hendra_w")]).exit_code == 0
    hid = hits_json(db)[0]["hit_id"]
    assert run(["review", hid, "--dismiss", "--reason", "akun parodi", "--by", "w"], db).exit_code == 0
    assert hits_json(db, "--status", "ditolak")[0]["review_reason"] == "akun parodi"
    assert hits_json(db, "--status", "baru") == []
    assert run(["review", hid, "--reopen", "--reason", "bukti baru", "--by", "w"], db).exit_code == 0
    assert hits_json(db, "--status", "baru")[0]["hit_id"] == hid


def test_reingest_is_idempotent(tmp_path, db):
    lines = [post_line("40", "Coblos 02! #PrabowoGibran", handle="budi_s")]
    assert ingest(tmp_path, db, lines).exit_code == 0
    res = ingest(tmp_path, db, lines)
    assert "0 unggahan baru, 1 duplikat" in res.output
    assert len(hits_json(db)) == 1


def test_malformed_posts_are_quarantined_and_the_rest_lands(tmp_path, db):
    lines = [post_line("50", "Coblos 02! #PrabowoGibran", handle="budi_s"), "{broken", post_line("51", "halo")]
    res = ingest(tmp_path, db, lines)
    assert res.exit_code == 0
    assert "1 dikarantina" in res.output
    with Store(db) as s:
        assert s.count("posts") == 2
        q = s.quarantined()
    assert q[0]["payload"] == "{broken" and "p.jsonl:2" in q[0]["reason"]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_neutrality_seeds_shared_by_an_asn_are_not_hits(tmp_path, db, seed):
    text = seed.read_text(encoding="utf-8")
    lines = [
        post_line("s1", text, handle="budi_s"),
        post_line("s2", "", kind="share", parent_text=text, handle="budi_s"),
        post_line("s3", "Mari jaga netralitas", kind="quote", parent_text=text, handle="hendra_w"),
        post_line("s4", "", kind="forward", parent_text=text, platform="facebook", author_id="100012345678"),
    ]
    assert ingest(tmp_path, db, lines).exit_code == 0
    assert hits_json(db) == []


def test_rejected_roster_keeps_previous_roster(tmp_path, db):
    bad = tmp_path / "bad.csv"
    bad.write_text("NIP;Nama Lengkap\n198501012010011002;Budi\n123;Tidak Valid\n", encoding="utf-8")
    res = run(["roster", "import", str(bad)], db)
    assert res.exit_code == 1
    assert "baris 3, kolom nip" in res.output
    with Store(db) as s:
        assert s.roster_count() == 6


def test_lock_error_names_the_process(tmp_path, db):
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        res = subprocess.run([sys.executable, "-m", "monitor", "--db", str(db), "hits", "--config", str(REPO / "config.toml")],
                             capture_output=True, text=True)
        assert res.returncode == 2
        assert f"proses {holder.pid}" in res.stderr
    finally:
        holder.kill()
        holder.wait()


def test_hit_list_in_english_and_other_time_zone(tmp_path, db):
    assert ingest(tmp_path, db, [post_line("60", "Coblos 02! #PrabowoGibran", handle="budi_s",
                                           created_at="2024-01-21T23:30:00+07:00")]).exit_code == 0
    res = run(["--lang", "en", "hits", "--date", "2024-01-22", "--tz", "Asia/Makassar", "--format", "json"], db)
    rows = json.loads(res.output)
    assert len(rows) == 1  # 23:30 WIB is 00:30 WITA on the next local day
    assert rows[0]["created_at"].endswith("+08:00")
    assert rows[0]["explanation"].startswith("Behaviour: own post") and "allegation" in rows[0]["explanation"]
    table = run(["hits", "--date", "2024-01-21", "--explain"], db)
    assert "Daftar temuan 2024-01-21 (WIB Asia/Pontianak): 1 temuan" in table.output
    assert "Perilaku: unggahan sendiri" in table.output
    assert run(["hits", "--date", "2024-01-21", "--tz", "Mars/Base"], db).exit_code != 0


def test_an_edit_that_makes_a_post_partisan_becomes_a_hit(tmp_path, db):
    assert ingest(tmp_path, db, [post_line("70", "Selamat pagi semua", handle="budi_s")], "a.jsonl").exit_code == 0
    assert hits_json(db) == []
    res = ingest(tmp_path, db, [post_line("70", "Selamat pagi, coblos 02! #PrabowoGibran", handle="budi_s")], "b.jsonl")
    assert "1 revisi" in res.output
    rows = hits_json(db)
    assert [r["post_id"] for r in rows] == ["70"]
    assert rows[0]["scored_revision"] is True and rows[0]["payload_sha256"] != rows[0]["raw_sha256"]
    with Store(db) as s:
        assert s.con.execute("SELECT count(*) FROM post_revisions WHERE raw_sha256 = ?",
                             [rows[0]["payload_sha256"]]).fetchone()[0] == 1
        assert s.post("x", "70")["text"] == "Selamat pagi semua"  # first capture untouched
