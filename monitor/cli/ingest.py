"""``monitor ingest FILE...`` and ``monitor collect [--once]``: the same pipeline."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path

import click
from tqdm import tqdm

from monitor.cli.common import Settings, common_options, settings
from monitor.collect.backfill import BackfillState, backfill
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
            max_merge_posts=app.config.collector.max_merge_posts,
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


def run_backfill(s: Settings, name: str, since: datetime) -> None:
    """Backfill one source to ``since`` with a progress bar (Ctrl-C stops; run again to resume)."""
    block = s.config.sources.get(name)
    if block is None:
        raise click.BadParameter(f"no source '{name}' in the configuration", param_hint="--source")
    opts = block.options()
    if "max_pages_per_run" in opts or block.type in ("mastodon", "x", "bluesky"):
        opts["max_pages_per_run"] = 10_000  # no practical page budget while backfilling
    since = since.replace(tzinfo=s.config.office.tz) if since.tzinfo is None else since
    with AppContext(s.config, s.db_path) as app:
        src = make_source(name, block.type, opts, resolve=s.config.resolve)
        bar = tqdm(desc=f"{name} -> {since.date()}", unit=" post", disable=None)

        def on_batch(state: BackfillState) -> None:
            bar.update(state.result.new + state.result.duplicate - bar.n)
            if state.oldest:
                bar.set_postfix_str(s.t("backfill_oldest", date=state.oldest.astimezone(s.config.office.tz).date()))

        try:
            state = asyncio.run(backfill(src, since, app.pipeline.process, app.store.get_cursor, on_batch=on_batch))
        except KeyboardInterrupt:
            bar.close()
            click.echo(s.t("backfill_interrupted", source=name), err=True)
            raise SystemExit(130)
        bar.close()
    r = state.result
    if state.error:
        click.echo(s.t("source_failed", source=name, error=state.error), err=True)
        click.echo(s.t("backfill_interrupted", source=name), err=True)
        raise SystemExit(1)
    key = "backfill_already" if state.already_done else "backfill_done"
    click.echo(s.t(key, source=name, since=since.date(), new=r.new, dup=r.duplicate, quar=r.quarantined, hits=r.hits))


@click.command()
@click.option("--once", is_flag=True, help="Jalankan setiap sumber sekali lalu berhenti / run each source once.")
@click.option("--source", "only", multiple=True, help="Hanya sumber ini / only this source (repeatable).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Isi mundur sampai tanggal ini (dengan --source) / backfill back to this date.")
@common_options
@click.pass_context
def collect(ctx: click.Context, once: bool, only: tuple[str, ...], since: datetime | None) -> None:
    """Kumpulkan unggahan dari sumber yang dikonfigurasi / collect from configured sources."""
    s = settings(ctx)
    if since is not None:
        if len(only) != 1:
            raise click.UsageError("--since needs exactly one --source")
        run_backfill(s, only[0], since)
        return
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
                     queue_size=s.config.collector.queue_size,
                     max_merge_posts=s.config.collector.max_merge_posts,
                     run_timeout_s={n: s.config.sources[n].run_limit(s.config.collector) for n, _, _ in sources})
        )
    if not print_reports(s, reports):
        ctx.exit(1)
