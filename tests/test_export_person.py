"""``monitor export-person NIP``: everything held about one ASN, and nothing about another."""

import json
import re
import zipfile
from datetime import datetime, timezone

from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from tests.webutil import build_demo_db


def test_export_person_holds_their_data_and_nothing_about_anyone_else(tmp_path):
    build_demo_db(tmp_path)
    db = tmp_path / "web.duckdb"
    now = datetime.now(timezone.utc)
    with Store(db) as s:
        amb_hit, cands = s.con.execute("SELECT hit_id, candidates FROM hits WHERE ambiguous ORDER BY hit_id "
                                       "LIMIT 1").fetchone()
        cands = json.loads(cands)
        nip, other = cands[0]["nip"], cands[1]["nip"]
        other_name = s.roster_person(other)["nama"]
        # a hit attributed to the person: confirmed by a reviewer on the ambiguous one
        s.review_hit(amb_hit, status="dikonfirmasi", reason="foto profil cocok", actor="pengawas1", nip=nip)
        s.con.execute("INSERT INTO alerts (alert_id, hit_id, recipient_nip, level, kind, created_at, due_at) "
                      "VALUES ('A1', ?, ?, 1, 'urgent', ?, ?)", [amb_hit, other, now, now])
        s.audit("pengawas1", "access.hit_view", amb_hit, {"nips": [nip, other]})
        s.audit("admin1", "access.person_view", nip, {"nips": [nip]})
        s.audit("admin1", "access.person_view", other, {"nips": [other]})
        mine = {r[0] for r in s.con.execute(
            "SELECT hit_id FROM hits WHERE nip = ? OR confirmed_nip = ? OR candidates LIKE ?",
            [nip, nip, f"%{nip}%"]).fetchall()}
        accounts = s.person_accounts(nip)

    out = tmp_path / "subject.zip"
    res = CliRunner().invoke(cli, ["--db", str(db), "--lang", "en", "export-person", nip, "-o", str(out)])
    assert res.exit_code == 0, res.output
    z = zipfile.ZipFile(out)
    files = {n: json.loads(z.read(n)) for n in z.namelist()}
    assert files["roster.json"]["nip"] == nip
    assert files["accounts.json"] == accounts
    assert {h["hit_id"] for h in files["hits.json"]} == mine and amb_hit in mine
    confirmed = next(h for h in files["hits.json"] if h["hit_id"] == amb_hit)
    assert confirmed["attributed_to_person"] and confirmed["named_as_candidate"]["nip"] == nip
    assert confirmed["other_candidates"] == len(cands) - 1 and "explanation" not in confirmed
    assert {(p["platform"], p["post_id"]) for p in files["posts.json"]} >= {
        (h["platform"], h["post_id"]) for h in files["hits.json"]}
    assert [r["action"] for r in files["reviews.json"]] == ["hit.dikonfirmasi"]
    assert [a["alert_id"] for a in files["alerts.json"]] == ["A1"] and "recipient_nip" not in files["alerts.json"][0]
    actions = sorted(a["action"] for a in files["audit.json"])
    assert actions == ["access.hit_view", "access.person_view", "identity.link"]
    # the reviewer's confirmation linked the author's account to the person (identity memory)
    assert files["identity_links.json"] and {r["nip"] for r in files["identity_links.json"]} == {nip}

    # nothing about another ASN: no other NIP, not the other candidate's name
    text = "".join(z.read(n).decode("utf-8") for n in z.namelist())
    assert set(re.findall(r"(?<!\d)\d{18}(?!\d)", text)) == {nip}
    assert other_name not in text

    with Store(db) as s:  # the export itself is audit-logged
        assert s.audit_entries(nip)[-1]["action"] == "person.export"
    res = CliRunner().invoke(cli, ["--db", str(db), "export-person", nip, "-o", str(out)])
    assert res.exit_code == 1  # never overwrites an earlier export
