"""``monitor alerts test`` and ``monitor alerts run`` with a real local SMTP server."""

from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from tests.fakes.smtp_server import smtp_server  # noqa: F401  (fixture)
from tests.fakes.webhook_receiver import SECRET, webhook_receiver  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def config(tmp_path, smtp, hook_url):
    p = tmp_path / "config.toml"
    p.write_text(f"""
[store]
path = "a.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[alerts]
enabled = true
quiet_hours = ""
base_url = "https://monitor.example"
[alerts.channels.surel]
type = "email"
host = "{smtp.host}"
port = {smtp.port}
security = "none"
from_addr = "monitor@contoh.go.id.invalid"
[alerts.channels.hook]
type = "webhook"
url = "{hook_url}"
secret_env = "T_HOOK_SECRET"
""", encoding="utf-8")
    return p


async def test_alerts_test_sends_through_each_channel(tmp_path, smtp_server, webhook_receiver, monkeypatch):
    monkeypatch.setenv("T_HOOK_SECRET", SECRET)
    cfg = config(tmp_path, smtp_server, webhook_receiver.url)
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(cfg), "roster", "import", str(DATA / "roster_chain.csv")]).exit_code == 0
    import asyncio

    res = await asyncio.to_thread(runner.invoke, cli, ["--config", str(cfg), "alerts", "test", "--to", "197501012005011003"])
    assert res.exit_code == 0, res.output
    assert "surel: OK" in res.output and "hook: OK" in res.output
    assert smtp_server.received[0].rcpt_tos == ["kabid@contoh.go.id.invalid"]
    assert len(webhook_receiver.received) == 1
    bad = await asyncio.to_thread(runner.invoke, cli, ["--config", str(cfg), "alerts", "test", "--to", "199901012020011999"])
    assert bad.exit_code != 0 and "not in the roster" in bad.output
    # alerts run: nothing released yet, nothing sent
    out = await asyncio.to_thread(runner.invoke, cli, ["--config", str(cfg), "alerts", "run"])
    assert "sent=0" in out.output
    with Store(tmp_path / "a.duckdb") as s:
        assert s.deliveries() == []
