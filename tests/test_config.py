from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config, secret_from_env
from monitor.models.post import KINDS

REPO = Path(__file__).resolve().parents[1]


def test_shipped_config_is_valid():
    cfg = load_config(REPO / "config.toml")
    assert cfg.office.timezone == "Asia/Pontianak"
    assert cfg.db_path == REPO / "data" / "monitor.duckdb"
    assert cfg.rule_paths == [REPO / "rules"]
    assert set(cfg.sources) >= {"inbox", "mastodon"}


def test_unknown_key_names_the_path(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[scoring]\nmin_scor = 0.4\n')
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "scoring.min_scor: unknown key" in str(e.value)


def test_wrong_type_names_the_path(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[office]\ntimezone = "Mars/Olympus"\n[scoring.weights]\npost = "high"\n')
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert "office.timezone" in msg and "Mars/Olympus" in msg
    assert "scoring.weights.post" in msg


def test_missing_weights_take_the_defaults_and_unknown_ones_fail(tmp_path):
    # a config written before likes and follows existed still loads, with the default weights
    p = tmp_path / "c.toml"
    p.write_text('[scoring.weights]\npost = 1.0\nquote = 1.0\ncomment = 0.7\nshare = 0.9\nforward = 0.9\n')
    w = load_config(p).scoring.weights
    assert w["comment"] == 0.7 and w["like"] == 0.5 and w["follow"] == 0.45
    assert set(w) == set(KINDS)
    p.write_text('[scoring.weights]\npost = 1.0\nlike = 0.2\nretweet = 0.9\n')
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "unknown behaviour" in str(e.value) and "retweet" in str(e.value)


def test_shipped_config_weights_likes_and_follows(tmp_path):
    w = load_config(REPO / "config.toml").scoring.weights
    assert w["like"] == 0.5 and w["follow"] == 0.45 and w["like"] < w["share"]


def test_paths_are_relative_to_config_file(tmp_path):
    sub = tmp_path / "etc"
    sub.mkdir()
    p = sub / "config.toml"
    p.write_text('[store]\npath = "db/m.duckdb"\n[rules]\npaths = ["r1", "/abs/r2"]\n')
    cfg = load_config(p)
    assert cfg.db_path == sub / "db" / "m.duckdb"
    assert cfg.rule_paths == [sub / "r1", Path("/abs/r2")]


def test_invalid_toml(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[store\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)


def test_secrets_come_from_environment(monkeypatch):
    monkeypatch.setenv("MY_TOKEN", "s3cret")
    assert secret_from_env("MY_TOKEN", "sources.x") == "s3cret"
    monkeypatch.delenv("MY_TOKEN")
    with pytest.raises(ConfigError, match="MY_TOKEN is not set"):
        secret_from_env("MY_TOKEN", "sources.x")
