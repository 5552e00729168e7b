"""``monitor ingest FILE...`` and ``monitor collect [--once]``: the same pipeline."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from monitor.cli.common import Settings, common_options, settings
from monitor.collect.runner import SourceReport, run_once
from monitor.cli.serve import run_service
from monitor.context import AppContext
from monitor.logs import setup_logging
from monitor.sources import make_source
from monitor.sources.jsonl import JsonlOptions, JsonlSource


def print_reports(s: Settings, reports: dict[str, SourceReport]) -> bool:
    ok = True
    for rep in reports.values():
        r = rep.result
        click.echo(
            s.t("ingest_summary", source=rep.name, new=r.new, dup=r.duplicate, rev=r.revised, quar=r.quarantined, hits=r.hits)
        )
        if rep.error:
            ok = False
            click.echo(s.t("source_failed", source=rep.name, error=rep.error), err=True)
    return ok


def ingest_files(app: AppContext, files: list[Path]) -> dict[str, SourceReport]:
    """Ingest JSON Lines files through the collector pipeline (no cursor: re-ingest is idempotent)."""
    sources = [JsonlSource(f"ingest:{f.name}", JsonlOptions(path=f)) for f in files]
    pipeline = app.pipeline
    return asyncio.run(
        run_once(
            sources,
            lambda name, batch: pipeline.process(name, batch, save_cursor=False),
            lambda name: None,
            queue_size=app.config.collector.queue_size,
        )
    )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, path_type=Path))
@common_options
@click.pass_context
def ingest(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Impor unggahan JSON Lines / ingest JSON Lines posts (idempotent)."""
    s = settings(ctx)
    with AppContext(s.config, s.db_path) as app:
        reports = ingest_files(app, list(files))
    if not print_reports(s, reports):
        ctx.exit(1)


def _enabled_sources(s: Settings, only: tuple[str, ...]):
    out = []
    for name, block in s.config.sources.items():
        if only and name not in only:
            continue
        if not block.enabled and not only:
            continue
        # validate now, so a bad block fails at start with its key path
        if make_source(name, block.type, block.options(), resolve=s.config.resolve).push:
            continue  # webhook intake: served by ``monitor serve``, nothing to poll
        factory = lambda n=name, b=block: make_source(n, b.type, b.options(), resolve=s.config.resolve)  # noqa: E731
        out.append((name, factory, block.interval_s or s.config.collector.interval_s))
    return out


@click.command()
@click.option("--once", is_flag=True, help="Jalankan setiap sumber sekali lalu berhenti / run each source once.")
@click.option("--source", "only", multiple=True, help="Hanya sumber ini / only this source (repeatable).")
@common_options
@click.pass_context
def collect(ctx: click.Context, once: bool, only: tuple[str, ...]) -> None:
    """Kumpulkan unggahan dari sumber yang dikonfigurasi / collect from configured sources."""
    s = settings(ctx)
    sources = _enabled_sources(s, only)
    if not sources:
        click.echo(s.t("no_sources"), err=True)
        ctx.exit(1)
    if not once:
        # the long-running schedule without the HTTP endpoints (``monitor serve`` adds them)
        setup_logging(logging.INFO)
        run_service(s, host="", port=0, http=False, only=only)
        return
    with AppContext(s.config, s.db_path) as app:
        reports = asyncio.run(
            run_once([f() for _, f, _ in sources], app.pipeline.process, app.store.get_cursor,
                     queue_size=s.config.collector.queue_size)
        )
    if not print_reports(s, reports):
        ctx.exit(1)
