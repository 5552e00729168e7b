"""An invalid rule file at run time is refused with file and line; the running rules stay."""

import logging
import shutil
from pathlib import Path

import pytest

from monitor.pipeline.ruleholder import RuleHolder
from monitor.rules import RuleSetError

REPO = Path(__file__).resolve().parents[1]


def test_invalid_reload_keeps_previous_rules(tmp_path, caplog):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    holder = RuleHolder([rules])
    before = holder.current
    assert before.match("Ayo coblos 02 Prabowo-Gibran!")

    bad = rules / "zz-baru.yaml"
    bad.write_text(
        "pack: {name: uji, description: uji}\n"
        "rules:\n"
        "  - id: baru.satu\n"
        "    title: Aturan baru\n"
        "    description: contoh\n"
        "    category: partisan\n"
        "    weight: 2.5\n"
        "    terms: {any: [coblos]}\n"
        "    examples: {match: [coblos], no_match: [halo]}\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.ERROR):
        assert holder.reload() is False
    assert holder.current is before
    err = holder.last_error.errors[0]
    assert err.file.endswith("zz-baru.yaml") and err.line == 7 and "weight" in err.field
    assert "zz-baru.yaml:7" in caplog.text and before.version in caplog.text

    bad.unlink()
    assert holder.reload() is True and holder.last_error is None


def test_first_load_must_succeed(tmp_path):
    (tmp_path / "x.yaml").write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as e:
        RuleHolder([tmp_path])
    assert "x.yaml" in str(e.value.errors[0])


def test_reload_if_changed_only_reloads_after_an_edit(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    holder = RuleHolder([rules])
    v0 = holder.current.version
    assert holder.reload_if_changed() is None
    f = rules / "kampanye-umum.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("enabled: false", "enabled: false") + "\n", encoding="utf-8")
    assert holder.reload_if_changed() is True
    assert holder.current.version == v0  # content-equal: same version hash
    (rules / "broken.yaml").write_text("rules: [\n", encoding="utf-8")
    assert holder.reload_if_changed() is False and holder.current.version == v0
