"""``monitor demo`` end to end, measured against the demo data's ground truth (expected.csv)."""

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import DATA_DIR
from monitor.store import Store

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def in_tmp(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


def run_demo(*args):
    return CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "demo", *args])


def test_demo_runs_and_prints_the_days_list(in_tmp):
    res = run_demo()
    assert res.exit_code == 0, res.output
    assert "fiktif" in res.output
    assert "Daftar temuan 2024-01-21 (WIB Asia/Pontianak)" in res.output
    assert "5 dikarantina" in res.output
    assert (in_tmp / "monitor-demo.duckdb").exists()
    # a second run replaces the earlier demo file
    assert run_demo().exit_code == 0


def test_demo_never_replaces_another_database(in_tmp):
    Store(in_tmp / "monitor-demo.duckdb").close()  # a real, non-demo database
    res = run_demo()
    assert res.exit_code != 0
    assert "not a demo database" in res.output


def test_demo_hits_against_ground_truth(in_tmp):
    res = run_demo("--format", "json")
    assert res.exit_code == 0, res.output
    expected = {(r["platform"], r["post_id"]): r["expected"] for r in csv.DictReader((DATA_DIR / "expected.csv").open())}
    with Store(in_tmp / "monitor-demo.duckdb") as s:
        rows = s.con.execute("SELECT platform, post_id, nip, ambiguous, identity_method, identity_score FROM hits").fetchall()
        assert s.count("posts") == 600 and s.count("quarantine") == 5
    hits = {(p, i): (nip, amb, method, ids) for p, i, nip, amb, method, ids in rows}
    # precision: no neutral post and no public (non-ASN) post is ever a hit
    false = [k for k in hits if expected[k].startswith("no_hit")]
    assert false == []
    # a declared-account hit is sure of the person; an ambiguous one names nobody
    for k, (nip, amb, method, ids) in hits.items():
        if method == "declared_account":
            assert ids == 1.0 and nip
        if amb:
            assert nip is None
    for k, label in expected.items():
        if label == "ambiguous" and k in hits and hits[k][0] is not None:
            # the roster had a single close name (e.g. a misspelling): attributed, but only as a
            # low-confidence name match the watcher must verify
            assert hits[k][2] == "name" and hits[k][3] < 0.7, k

    def recall(label):
        keys = [k for k, v in expected.items() if v == label]
        return sum(k in hits for k in keys) / len(keys)

    assert recall("hit_declared") >= 0.95
    assert recall("hit_name") >= 0.85
    # the JSON list is the local day's hits only, highest score first
    out = json.loads(res.output[res.output.index("["):])
    assert out and all(h["created_at"].startswith("2024-01-21") for h in out)
    assert [h["score"] for h in out] == sorted((h["score"] for h in out), reverse=True)
