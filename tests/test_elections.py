"""Elections as data: config validation, rule scoping by election and region, the stage suggestion on
both sides of the candidate determination (by the office's local day), and the 7-day deadline."""

from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.cli.ingest import ingest_files
from monitor.cli.roster import import_roster
from monitor.config import ConfigError, load_config
from monitor.context import AppContext
from monitor.elections import classify, finding_deadline
from monitor.i18n import t
from monitor.models.election import Election
from monitor.rules import check_rules
from tests.helpers import post_line

REPO = Path(__file__).resolve().parents[1]
WIB = ZoneInfo("Asia/Pontianak")

ELECTIONS_TOML = """
[elections.pemilu2024-pilpres]
name = "Pemilu 2024: Presiden"
kind = "pemilu"
start = 2022-06-14
penetapan = 2023-11-13
campaign_start = 2023-11-28
campaign_end = 2024-02-10
voting_day = 2024-02-14
end = 2024-10-20

[elections.pilkada-pontianak]
name = "Pilkada 2024 Kota Pontianak"
kind = "pilkada"
region = "Kota Pontianak"
region_code = "61.71"
agencies = ["Kota Pontianak"]
start = 2024-02-27
penetapan = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
voting_day = 2024-11-27

[elections.pilkada-kendari]
name = "Pilkada 2024 Kota Kendari"
kind = "pilkada"
region = "Kota Kendari"
agencies = ["Kota Kendari"]
start = 2024-02-27
penetapan = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
voting_day = 2024-11-27
"""

# a fictional Pontianak ticket: the pack is scoped to the Pontianak Pilkada only
PONTIANAK_PACK = """pack:
  name: pilkada-pontianak-demo
  description: Paslon fiktif Pilkada Kota Pontianak.
  elections: [pilkada-pontianak]
rules:
  - id: ptk.melati
    title: Ajakan memilih paslon Melati
    description: Ajakan memilih paslon fiktif Melati.
    category: partisan
    weight: 0.95
    terms:
      any: [coblos melati, menangkan melati]
    examples:
      match: ["Ayo coblos Melati!"]
      no_match: ["Bunga melati harum"]
"""

ROSTER = """nip,nama,jabatan,unit_kerja,instansi,atasan_nip,akun
198501012010011002,"Budi Santoso, S.Pd.",Guru,SDN 01 Pontianak,Pemerintah Kota Pontianak,,x:@budi_ptk
198803032012031004,"Ahmad Fauzi, S.Kom.",Pranata Komputer,Diskominfo,Pemerintah Kota Kendari,,x:@fauzi_kdi
"""

BUDI, FAUZI = "198501012010011002", "198803032012031004"


def election(**kw) -> Election:
    base = dict(id="e", name="E", kind="pemilu", penetapan=date(2023, 11, 13), campaign_start=date(2023, 11, 28),
                campaign_end=date(2024, 2, 10), voting_day=date(2024, 2, 14))
    return Election(**{**base, **kw})


def suggest(elections, posted_at, tz=WIB, rule_ids=(), scopes=None, agencies=()):
    return classify(elections, rule_ids=rule_ids, scopes=scopes or {}, agencies=agencies, posted_at=posted_at, tz=tz)


# -- stage by local day ------------------------------------------------------------------------------
def test_stage_flips_at_local_midnight_of_the_determination_day_not_utc():
    e = [election()]
    # 23:59:59 WIB on 12 November: still before the determination -> bakal calon (ethics)
    before = suggest(e, datetime(2023, 11, 12, 16, 59, 59, tzinfo=timezone.utc))
    assert (before.stage, before.election_id, before.local_date) == ("bakal_calon", "e", date(2023, 11, 12))
    # 00:00 WIB on 13 November is still 12 November in UTC: already a calon (discipline)
    after = suggest(e, datetime(2023, 11, 12, 17, 0, tzinfo=timezone.utc))
    assert (after.stage, after.local_date, after.penetapan) == ("calon", date(2023, 11, 13), date(2023, 11, 13))
    # the same instant read in UTC would still be the 12th: the office's zone decides
    assert suggest(e, datetime(2023, 11, 12, 17, 0, tzinfo=timezone.utc), tz=ZoneInfo("UTC")).stage == "bakal_calon"
    # WIT (+09:00) turns the day two hours earlier than WIB
    assert suggest(e, datetime(2023, 11, 12, 15, 0, tzinfo=timezone.utc), tz=ZoneInfo("Asia/Jayapura")).stage == "calon"


def test_nothing_fits_or_several_disagree_is_said_not_guessed():
    national = election(id="pemilu", start=date(2022, 6, 14), end=date(2024, 10, 20))
    regional = election(id="pilkada", kind="pilkada", region="Kota Pontianak", agencies=["Kota Pontianak"],
                        start=date(2024, 2, 27), penetapan=date(2024, 9, 22), campaign_start=date(2024, 9, 25),
                        campaign_end=date(2024, 11, 23), voting_day=date(2024, 11, 27))
    june = datetime(2024, 6, 1, 3, 0, tzinfo=timezone.utc)
    # a Pontianak ASN in June 2024, unscoped rules: Pemilu (calon) and Pilkada (bakal calon) both fit
    s = suggest([national, regional], june, agencies=["Pemerintah Kota Pontianak"])
    assert (s.reason, s.election_id, s.stage, sorted(s.fitting)) == ("several", None, None, ["pemilu", "pilkada"])
    # a scoped rule decides
    s = suggest([national, regional], june, rule_ids=["r"], scopes={"r": frozenset({"pilkada"})},
                agencies=["Pemerintah Kota Pontianak"])
    assert (s.reason, s.election_id, s.stage) == ("fits", "pilkada", "bakal_calon")
    # another city's ASN: the Pontianak Pilkada does not concern them
    s = suggest([national, regional], june, agencies=["Pemerintah Kota Kendari"])
    assert (s.reason, s.election_id, s.stage) == ("fits", "pemilu", "calon")
    # outside every window
    s = suggest([national, regional], datetime(2021, 1, 1, tzinfo=timezone.utc))
    assert (s.reason, s.election_id, s.stage) == ("no_fit", None, None)
    assert suggest([], june).reason == "no_elections"


# -- through the real pipeline -----------------------------------------------------------------------
@pytest.fixture
def scoped_app(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ptk.yaml").write_text(PONTIANAK_PACK, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text(f"""
[store]
path = "e.duckdb"
[rules]
paths = ["{rules}"]
[office]
timezone = "Asia/Pontianak"
{ELECTIONS_TOML}""", encoding="utf-8")
    app = AppContext(load_config(cfg_path))
    ok, lines = import_roster(app.store, tmp_path / "roster.csv", skip_invalid=False, actor="test",
                              lang_t=lambda k, **kw: t(k, "en", **kw))
    assert ok, lines
    yield app, tmp_path
    app.close()


def ingest(app, tmp_path, lines):
    f = tmp_path / "posts.jsonl"
    f.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    ingest_files(app, [f])
    rows = app.store.con.execute(
        "SELECT h.post_id, h.nip, e.election_id, e.stage, e.reason, e.local_date FROM hits h "
        "LEFT JOIN hit_elections e USING (hit_id) ORDER BY h.post_id").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_rule_scoped_to_one_region_does_not_fire_for_another_regions_asn(scoped_app):
    app, tmp = scoped_app
    text = "Ayo coblos Melati, menangkan Melati!"
    hits = ingest(app, tmp, [
        post_line("ptk-1", text, handle="budi_ptk", author_id="b1", created_at="2024-10-05T09:00:00+07:00"),
        post_line("kdi-1", text, handle="fauzi_kdi", author_id="f1", created_at="2024-10-05T09:00:00+08:00"),
        # before the Pontianak Pilkada's stages began: the scoped rule does not fire either
        post_line("ptk-0", text, handle="budi_ptk", author_id="b1", created_at="2023-12-01T09:00:00+07:00"),
    ])
    assert set(hits) == {"ptk-1"}
    assert hits["ptk-1"][:4] == (BUDI, "pilkada-pontianak", "calon", "fits")


def test_stage_recorded_on_both_sides_of_the_determination_in_wib(scoped_app):
    app, tmp = scoped_app
    text = "Ayo coblos Melati!"
    hits = ingest(app, tmp, [
        # 21 Sep 23:30 WIB (16:30 UTC): the day before penetapan -> bakal calon
        post_line("a", text, handle="budi_ptk", author_id="b1", created_at="2024-09-21T16:30:00+00:00"),
        # 22 Sep 00:30 WIB, still 21 Sep in UTC -> calon
        post_line("b", text, handle="budi_ptk", author_id="b1", created_at="2024-09-21T17:30:00+00:00"),
    ])
    assert hits["a"] == (BUDI, "pilkada-pontianak", "bakal_calon", "fits", date(2024, 9, 21))
    assert hits["b"] == (BUDI, "pilkada-pontianak", "calon", "fits", date(2024, 9, 22))
    # the suggestion is written once with the hit and kept when the post comes again
    ingest(app, tmp, [post_line("a", text, handle="budi_ptk", author_id="b1", created_at="2024-09-21T16:30:00+00:00")])
    assert app.store.hit_election(
        app.store.con.execute("SELECT hit_id FROM hits WHERE post_id = 'a'").fetchone()[0])["stage"] == "bakal_calon"


# -- validation --------------------------------------------------------------------------------------
def test_bad_election_entries_name_the_key(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("""
[elections.pilkada-x]
name = "Pilkada X"
kind = "pilkada"
region = "Kota X"
agencies = ["Kota X"]
penetapan = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
voting_day = 2024-11-20
[elections.pilkada-y]
name = "Pilkada Y"
kind = "pilkada"
penetapan = "kemarin"
campaign_start = 2024-09-25
campaign_end = 2024-11-23
voting_day = 2024-11-27
colour = "red"
[elections.Bad_Id]
name = "B"
kind = "pemilu"
penetapan = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
voting_day = 2024-11-27
""", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert "elections.pilkada-x: " in msg and "campaign_end (2024-11-23) must not be after voting_day (2024-11-20)" in msg
    assert "elections.pilkada-y.penetapan:" in msg
    assert "elections.pilkada-y.colour: unknown key" in msg


def test_pilkada_needs_region_and_agencies_and_ids_are_checked(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("""
[elections.Pilkada_X]
name = "Pilkada X"
kind = "pilkada"
penetapan = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
voting_day = 2024-11-27
""", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "a pilkada needs its region" in str(e.value)
    p.write_text(p.read_text().replace('kind = "pilkada"', 'kind = "pemilu"'))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "elections: " in str(e.value) and "election id 'Pilkada_X'" in str(e.value)


def test_shipped_config_has_pemilu_2024_with_its_dates():
    cfg = load_config(REPO / "config.toml")
    pilpres = cfg.elections["pemilu2024-pilpres"]
    assert (pilpres.penetapan, pilpres.voting_day, pilpres.id) == (date(2023, 11, 13), date(2024, 2, 14),
                                                                    "pemilu2024-pilpres")
    # the shipped rule packs it names exist and every pack.elections id is configured
    assert check_rules(cfg.rule_paths, cfg.elections.keys()) == []


def test_rule_file_naming_an_unknown_election_points_at_file_line_field(tmp_path):
    f = tmp_path / "ptk.yaml"
    f.write_text(PONTIANAK_PACK.replace("[pilkada-pontianak]", "[pilkada-pontianak, pilkada-kota-x]"),
                 encoding="utf-8")
    errors = check_rules([f], {"pilkada-pontianak"})
    assert [str(e) for e in errors] == [
        f"{f}:4: pack.elections[1]: unknown election 'pilkada-kota-x' (config.toml [elections]: pilkada-pontianak)"]
    assert check_rules([f]) == []  # without the configured ids the reference is not judged
    bad = tmp_path / "bad.yaml"
    bad.write_text(PONTIANAK_PACK.replace("[pilkada-pontianak]", "[Pilkada Pontianak]"), encoding="utf-8")
    errors = check_rules([bad])
    assert len(errors) == 1 and errors[0].line == 4 and errors[0].field == "pack.elections[0]"


# -- deadline ----------------------------------------------------------------------------------------
def test_deadline_counts_local_days_from_discovery():
    found = datetime(2024, 1, 1, 16, 30, tzinfo=timezone.utc)  # 23:30 WIB on 1 January
    d = finding_deadline(found, WIB, today=date(2024, 1, 2))
    assert (d.discovered, d.due, d.days_left, d.level) == (date(2024, 1, 1), date(2024, 1, 8), 6, "ok")
    assert finding_deadline(found, WIB, today=date(2024, 1, 6)).level == "warn"   # 2 days left
    assert finding_deadline(found, WIB, today=date(2024, 1, 8)).days_left == 0    # last day
    late = finding_deadline(found, WIB, today=date(2024, 1, 9))
    assert (late.days_left, late.level) == (-1, "expired")
    # 17:30 UTC is already 2 January in WIB: the deadline moves with the local day
    assert finding_deadline(datetime(2024, 1, 1, 17, 30, tzinfo=timezone.utc), WIB).due == date(2024, 1, 9)
