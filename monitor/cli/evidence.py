"""``monitor evidence export|verify|media|watch``: evidence packages, media capture, deletion watch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from monitor.cli.common import common_options, settings
from monitor.context import open_store
from monitor.evidence.messages import msg
from monitor.evidence.paths import media_dir


@click.group()
def evidence() -> None:
    """Paket bukti, pengambilan media, pemantauan penghapusan / evidence packages, media, deletion watch."""


@evidence.command("export")
@click.argument("hit_id")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Berkas zip tujuan / zip file to write.")
@click.option("--by", "actor", default="cli", show_default=True, help="Actor for the audit log.")
@common_options
@click.pass_context
def export_cmd(ctx, hit_id: str, output: Path, actor: str) -> None:
    """Tulis paket bukti satu temuan (zip) / write one hit's evidence package (zip)."""
    from monitor.evidence.export import HitNotFound, export_hit
    from monitor.evidence.package import PackageError

    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        try:
            data, manifest, msha = export_hit(store, hit_id, media_dir(s.db_path), actor=actor)
        except HitNotFound:
            click.echo(msg("hit_not_found", s.lang, hit_id=hit_id), err=True)
            ctx.exit(1)
        except PackageError as exc:
            click.echo(msg("package_failed", s.lang, error=exc), err=True)
            ctx.exit(1)
    output.write_bytes(data)
    click.echo(msg("exported", s.lang, hit_id=hit_id, file=output, n=len(manifest["files"]) + 1))
    click.echo(msg("manifest_sha", s.lang, sha=msha))


@evidence.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check-db", is_flag=True, help="Bandingkan juga dengan basis data / also compare with the database.")
@common_options
@click.pass_context
def verify_cmd(ctx, file: Path, check_db: bool) -> None:
    """Periksa paket bukti; status keluar 0 = sah, 1 = tidak sah / verify a package; exit 0 valid, 1 invalid."""
    from monitor.evidence.verify import verify_package

    s = settings(ctx)
    if check_db:
        with open_store(s.config, s.db_path, read_only=True) as store:
            res = verify_package(file, lambda pl, pid: (store.post(pl, pid) or {}).get("raw_sha256"))
    else:
        res = verify_package(file)
    if res.manifest_sha256:
        click.echo(msg("manifest_sha", s.lang, sha=res.manifest_sha256))
    if res.ok:
        click.echo(msg("verify_ok", s.lang, n=res.checked))
        return
    for p in res.problems:
        click.echo("  " + p.text(s.lang), err=True)
    click.echo(msg("verify_failed", s.lang, n=len(res.problems)), err=True)
    ctx.exit(1)


def source_maker(config):
    """``name -> Source`` for the configured, enabled sources (None for others)."""
    from monitor.sources import make_source

    def make(name: str):
        block = config.sources.get(name)
        if block is None or not block.enabled:
            return None
        return make_source(name, block.type, block.options(), resolve=config.resolve)

    return make


def _direct(store):
    async def db(fn, *args, **kw):
        return fn(store, *args, **kw)

    return db


@evidence.command("media")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True, help="Posts per run.")
@common_options
@click.pass_context
def media_cmd(ctx, limit: int) -> None:
    """Ambil media unggahan di balik temuan / capture the media of posts behind hits."""
    from monitor.evidence.media import capture_media

    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        res = asyncio.run(capture_media(_direct(store), media_dir(s.db_path), limit=limit,
                                        allow_private=s.config.evidence.allow_private_media))
    click.echo(msg("media_done", s.lang, **vars(res)))


@evidence.command("watch")
@common_options
@click.pass_context
def watch_cmd(ctx) -> None:
    """Periksa ulang unggahan temuan terbuka/terkonfirmasi (terhapus/diubah) / re-check posts (deleted/edited)."""
    from monitor.evidence.watch import run_watch

    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        res = asyncio.run(run_watch(_direct(store), source_maker(s.config), actor="cli"))
    click.echo(msg("watch_done", s.lang, **vars(res)))
