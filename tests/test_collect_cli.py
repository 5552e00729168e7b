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
