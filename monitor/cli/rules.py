"""``monitor rules check``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import common_options, settings
from monitor.rules import check_rules, load_rules


@click.group()
def rules() -> None:
    """Aturan kata kunci (YAML) / keyword rules."""


@rules.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@common_options
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Validasi berkas aturan dan jalankan semua contohnya / validate rule files and run every example."""
    s = settings(ctx)
    targets = list(paths) or s.config.rule_paths
    elections = s.config.elections.keys()  # pack.elections may only name configured elections
    errors = check_rules(targets, elections)
    if errors:
        click.echo(s.t("rules_invalid", n=len(errors)), err=True)
        for e in errors:
            click.echo(f"  {e}", err=True)
        ctx.exit(1)
    rs = load_rules(targets, elections)
    click.echo(s.t("rules_ok", rules=len(rs.rules), files=len(rs.files), version=rs.version))
