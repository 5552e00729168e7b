"""``monitor collect --once`` against a local server reproducing the Mastodon API."""

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from tests.fakes.mastodon_server import FakeMastodon
from tests.fakes.threaded import serve_in_thread

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def write_config(tmp_path, base_url):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "m.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
timezone = "Asia/Pontianak"
language = "en"
[sources.masto]
type = "mastodon"
base_url = "{base_url}"
hashtags = ["pemilu2024"]
max_pages_per_run = 5
limit = 2
[sources.masto.http]
requests_per_second = 1000
backoff_base_s = 0.01
backoff_max_s = 0.05
[sources.off]
type = "jsonl"
enabled = false
path = "nowhere"
""", encoding="utf-8")
    return cfg


def test_collect_once_runs_the_pipeline_and_resumes(tmp_path):
    fake = FakeMastodon(domain="kota.social")
    budi = fake.add_account("budi", display_name="Budi Santoso")
    other = fake.add_account("warga", display_name="Warga Biasa")
    fake.add_status(budi, "Ayo coblos 02 Prabowo-Gibran!", tags=["pemilu2024", "PrabowoGibran2024"])
    fake.add_status(other, "Ayo coblos 02 Prabowo-Gibran!", tags=["pemilu2024"])
    for i in range(3):
        fake.add_status(other, f"Info TPS nomor {i} sudah siap", tags=["pemilu2024"])
    with serve_in_thread(fake.app) as url:
        cfg = write_config(tmp_path, url)
        runner = CliRunner()
        assert runner.invoke(cli, ["--config", str(cfg), "roster", "import", str(DATA / "roster_small.csv")]).exit_code == 0
        res = runner.invoke(cli, ["--config", str(cfg), "collect", "--once"])
        assert res.exit_code == 0, res.output
        assert "masto: 5 new posts" in res.output and "1 new hits" in res.output
        # a new status arrives; the next run fetches only it
        fake.fail_next(1, status=502)
        fake.add_status(budi, "Coblos nomor 2, menangkan Prabowo-Gibran satu putaran!", tags=["pemilu2024"])
        res2 = runner.invoke(cli, ["--config", str(cfg), "collect", "--once"])
        assert res2.exit_code == 0, res2.output
        assert "masto: 1 new posts, 0 duplicates" in res2.output
    with Store(tmp_path / "m.duckdb") as s:
        assert s.count("posts") == 6
        hits = s.con.execute("SELECT nip, behaviour, identity_method FROM hits ORDER BY nip").fetchall()
        assert hits == [("198501012010011002", "post", "declared_account")] * 2
        cur = s.get_cursor("masto")
        assert cur and "tag:pemilu2024" in json.dumps(cur)


def test_disabled_source_is_skipped_and_unknown_key_fails(tmp_path):
    cfg = write_config(tmp_path, "http://127.0.0.1:9")
    cfg.write_text(cfg.read_text().replace("limit = 2", "limit = 2\nlimt = 3"))
    res = CliRunner().invoke(cli, ["--config", str(cfg), "collect", "--once"])
    assert res.exit_code != 0
    assert "sources.masto.limt: unknown key" in str(res.exception) or "sources.masto.limt" in res.output


def test_backfill_since_a_date_is_resumable(tmp_path):
    from datetime import datetime, timedelta, timezone

    fake = FakeMastodon(domain="kota.social")
    acc = fake.add_account("warga", display_name="Warga")
    t0 = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
    ids_by_day = {}
    for day in range(20):  # one post a day, 1..20 January
        st = fake.add_status(acc, f"hari {day}", tags=["pemilu2024"], created_at=t0 + timedelta(days=day))
        ids_by_day[day] = st["id"]
    with serve_in_thread(fake.app) as url:
        cfg = write_config(tmp_path, url)
        cfg.write_text(cfg.read_text().replace("max_pages_per_run = 5", "max_pages_per_run = 1"))
        runner = CliRunner()
        # a live run only reads its page budget (1 page of 2)
        assert "masto: 2 new posts" in runner.invoke(cli, ["--config", str(cfg), "collect", "--once"]).output
        # the backfill breaks half way (the server fails), then resumes from where it stopped
        fake.fail_next(100, status=500, path_prefix="/api/v1/timelines", after=3)
        first = runner.invoke(cli, ["--config", str(cfg), "--lang", "en", "collect", "--source", "masto", "--since", "2024-01-08"])
        assert first.exit_code == 1 and "backfill interrupted" in first.output
        with Store(tmp_path / "m.duckdb") as s:
            half = s.count("posts")
            saved = s.get_cursor("masto@backfill:2024-01-08")
        assert 2 < half < 15 and saved and not saved["done"]  # three pages committed with their cursor
        failed_at = [r.query.get("max_id") for r in fake.requests if r.status == 500][-1]
        fake.faults.clear()
        calls = len(fake.requests)
        res = runner.invoke(cli, ["--config", str(cfg), "--lang", "en", "collect", "--source", "masto", "--since", "2024-01-08"])
        assert res.exit_code == 0, res.output
        assert "backfill to 2024-01-08 finished" in res.output
        resumed = [r.query for r in fake.requests[calls:] if r.path.startswith("/api/v1/timelines")]
        # the walk goes on from the page that failed, it does not start again from the top
        assert any(q.get("max_id") == failed_at for q in resumed)
        assert not any("max_id" not in q and "min_id" not in q for q in resumed)
        again = runner.invoke(cli, ["--config", str(cfg), "--lang", "en", "collect", "--source", "masto", "--since", "2024-01-08"])
        assert "already finished" in again.output
    with Store(tmp_path / "m.duckdb") as s:
        got = {r[0] for r in s.con.execute("SELECT post_id FROM posts").fetchall()}
        live = s.get_cursor("masto")
    wanted = {ids_by_day[d] for d in range(7, 20)}  # 8..20 January (local day)
    assert wanted <= got
    assert live is not None  # the live cursor is untouched by the backfill
