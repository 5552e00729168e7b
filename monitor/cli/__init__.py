"""Command-line interface (``monitor`` / ``python -m monitor``).

Global options ``--config``, ``--db`` and ``--lang`` are accepted before the command and on
every command. Messages are in Bahasa Indonesia by default (``--lang en`` or ``[office]
language``).
"""

from __future__ import annotations

import logging
import sys

import click

from monitor.cli.common import common_options, fail
from monitor.config import ConfigError
from monitor.rules import RuleSetError
from monitor.sources import SourceConfigError
from monitor.store import StoreError, StoreLockedError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Pemantau netralitas ASN di media sosial / ASN social-media neutrality monitor."""
    ctx.ensure_object(dict)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _register() -> None:
    from monitor.cli import (alerts, backup, demo, evidence, hits, ingest, person, ranker, retention, roster, rules,
                             serve, users)

    cli.add_command(roster.roster)
    cli.add_command(rules.rules)
    cli.add_command(ingest.ingest)
    cli.add_command(ingest.collect)
    cli.add_command(hits.hits)
    cli.add_command(hits.review)
    cli.add_command(demo.demo)
    cli.add_command(serve.serve_cmd)
    cli.add_command(users.users)
    cli.add_command(alerts.alerts)
    cli.add_command(ranker.ranker)
    cli.add_command(evidence.evidence)
    cli.add_command(backup.backup)
    cli.add_command(backup.restore)
    cli.add_command(retention.retention)
    cli.add_command(retention.legal_hold)
    cli.add_command(person.export_person)
    from monitor.cli import lake

    cli.add_command(lake.lake)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        rc = cli.main(args=argv, prog_name="monitor", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (ConfigError, SourceConfigError, StoreLockedError, StoreError, RuleSetError) as exc:
        fail(exc)
    # without standalone mode click returns ctx.exit(N)'s code instead of exiting with it
    if isinstance(rc, int) and rc:
        sys.exit(rc)
