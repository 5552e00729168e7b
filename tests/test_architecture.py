"""Stage boundaries: the rule engine, identity matcher, scorer and store never import each other,
the CLI, or (later) the web layer."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "monitor"

ALLOWED = {
    "rules": {"models", "text", "rules"},
    "text": {"text"},
    "names": {"names"},
    "identity": {"models", "names", "identity"},
    "scoring": {"models", "config", "scoring"},
    "store": {"models", "store"},
    "roster": {"models", "roster", "names"},
    "models": {"models"},
    "sources": {"models", "collect", "sources", "config"},
    "collect": {"models", "collect", "store"},
}


def imported_monitor_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for n in names:
            parts = n.split(".")
            if parts[0] == "monitor" and len(parts) > 1:
                out.add(parts[1])
    return out


def test_nothing_below_the_service_imports_the_web_layer():
    offenders = [str(f.relative_to(PKG)) for f in PKG.rglob("*.py")
                 if "web" in imported_monitor_packages(f)
                 and f.relative_to(PKG).parts[0] not in ("web", "cli")]
    assert not offenders, offenders


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_stage_imports_stay_inside_boundaries(stage):
    folder = PKG / stage
    assert folder.is_dir(), f"monitor/{stage} missing"
    bad = {}
    for f in folder.rglob("*.py"):
        extra = imported_monitor_packages(f) - ALLOWED[stage]
        if extra:
            bad[str(f.relative_to(PKG))] = sorted(extra)
    assert not bad, f"forbidden imports: {bad}"
