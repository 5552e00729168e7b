"""``monitor lake status`` / ``monitor lake maintain``: health and upkeep of a DuckLake store
(``[store] backend = "ducklake"``; see :mod:`monitor.store.lake_maint`)."""

from __future__ import annotations

import json

import click

from monitor.cli.common import common_options, fail, settings
from monitor.context import open_store
from monitor.i18n.catalog import MESSAGES
from monitor.store import StoreError
from monitor.store.lake_maint import lake_maintain, lake_status

MESSAGES.update({
    "lake_not_configured": {"id": "Penyimpanan bukan DuckLake: setel [store] backend = \"ducklake\".",
                            "en": "The store is not a DuckLake: set [store] backend = \"ducklake\"."},
    "lake_status": {"id": "Lake {lake} ({data_path}): skema versi {version}, {snapshots} snapshot "
                          "(tertua {oldest}, terbaru {latest}), {files} berkas, {bytes} bita.",
                    "en": "Lake {lake} ({data_path}): schema version {version}, {snapshots} snapshots "
                          "(oldest {oldest}, latest {latest}), {files} files, {bytes} bytes."},
    "lake_maintained": {"id": "Pemeliharaan lake: {flushed_tables} tabel inline dipindah, {merged_tables} tabel "
                              "digabung, {expired_snapshots} snapshot kedaluwarsa, {deleted_files} berkas dihapus.",
                        "en": "Lake maintenance: {flushed_tables} inlined tables flushed, {merged_tables} tables "
                              "merged, {expired_snapshots} snapshots expired, {deleted_files} files deleted."},
})


@click.group("lake")
def lake() -> None:
    """DuckLake bersama / the shared DuckLake store."""


def _open(s):  # noqa: ANN001, ANN202
    if s.config.store.backend != "ducklake":
        fail(StoreError(s.t("lake_not_configured")))
    return open_store(s.config)


@lake.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@common_options
@click.pass_context
def status_cmd(ctx: click.Context, fmt: str) -> None:
    """Kesehatan katalog / catalog health: snapshots, files per table."""
    s = settings(ctx)
    with _open(s) as store:
        st = lake_status(store)
    if fmt == "json":
        click.echo(json.dumps(st, default=str, indent=2))
        return
    click.echo(s.t("lake_status", lake=st["lake"], data_path=st["data_path"], version=st["schema_version"],
                   snapshots=st["snapshots"], oldest=st["oldest_snapshot"], latest=st["latest_snapshot"],
                   files=st["files"], bytes=st["bytes"]))
    for t in st["tables"]:
        click.echo(f"  {t['table']:<22} {t['files']:>6} files {t['bytes']:>12} bytes {t['delete_files']:>4} delete files")


@lake.command("maintain")
@click.option("--keep-days", type=click.FloatRange(0), default=7.0, show_default=True,
              help="Snapshot yang disimpan (hari) / days of snapshots (time travel) to keep.")
@click.option("--by", "actor", default="cli", show_default=True, help="Actor for the audit log.")
@common_options
@click.pass_context
def maintain_cmd(ctx: click.Context, keep_days: float, actor: str) -> None:
    """Gabung berkas kecil, hapus snapshot lama / merge small files, expire old snapshots."""
    s = settings(ctx)
    with _open(s) as store:
        out = lake_maintain(store, keep_days=keep_days, actor=actor)
    click.echo(s.t("lake_maintained", **out))
