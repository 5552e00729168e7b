"""``monitor backup DEST`` / ``monitor restore SRC``: consistent copies of the whole database.

When no service runs, the CLI opens the file itself. When ``monitor serve`` holds it (DuckDB then
refuses any other process), the CLI asks the service to take the backup under its writer lock
through the local control channel (:mod:`monitor.service.control`). Restore never runs against a
file a service holds: stop the service, restore, start it again.
"""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import common_options, settings
from monitor.i18n.catalog import MESSAGES
from monitor.service.control import ControlError, request_backup
from monitor.store import Store, StoreError, StoreLockedError
from monitor.store.backup import export_database, restore_database

MESSAGES.update({
    "backup_done": {"id": "Cadangan ditulis ke {dest}: {tables} tabel, {rows} baris (versi skema {version}){via}.",
                    "en": "Backup written to {dest}: {tables} tables, {rows} rows (schema version {version}){via}."},
    "backup_via_service": {"id": " oleh layanan yang sedang berjalan", "en": " by the running service"},
    "backup_failed": {"id": "Pencadangan gagal: {msg}", "en": "Backup failed: {msg}"},
    "restore_done": {
        "id": "Dipulihkan ke {db}: {tables} tabel, {rows} baris, versi skema {version}; semua tabel cocok dengan manifes.",
        "en": "Restored into {db}: {tables} tables, {rows} rows, schema version {version}; every table matches the manifest."},
    "restore_replaced": {"id": "Berkas lama disimpan sebagai {path}.", "en": "The old file was kept as {path}."},
    "restore_failed": {"id": "Pemulihan gagal: {msg}", "en": "Restore failed: {msg}"},
})


def _t(s, key: str, **kw) -> str:
    return s.t(key, **kw)


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@common_options
@click.pass_context
def backup(ctx: click.Context, dest: Path) -> None:
    """Cadangkan seluruh basis data ke folder baru DEST (Parquet) / back up the database into a new folder."""
    s = settings(ctx)
    dest = dest.absolute()
    via = ""
    try:
        try:
            store = Store(s.db_path)
        except StoreLockedError:
            out = request_backup(s.db_path, dest)
            tables, via = out["tables"], _t(s, "backup_via_service")
            version = out["schema_version"]
        else:
            with store:
                manifest = export_database(store.con, dest)
                store.audit("cli", "backup.export", str(dest), {"schema_version": manifest["schema_version"]})
            tables, version = manifest["tables"], manifest["schema_version"]
    except (ControlError, StoreError) as exc:
        click.echo(_t(s, "backup_failed", msg=str(exc)), err=True)
        ctx.exit(1)
    rows = sum(t["rows"] for t in tables.values())
    click.echo(_t(s, "backup_done", dest=dest, tables=len(tables), rows=rows, version=version, via=via))


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Ganti basis data yang sudah berisi (berkas lama disimpan) / replace a database holding data "
                   "(the old file is kept, renamed).")
@common_options
@click.pass_context
def restore(ctx: click.Context, src: Path, force: bool) -> None:
    """Pulihkan cadangan SRC ke berkas basis data (--db) / restore backup SRC into the database file."""
    s = settings(ctx)
    try:
        out = restore_database(src, s.db_path, force=force)
    except StoreError as exc:
        click.echo(_t(s, "restore_failed", msg=str(exc)), err=True)
        ctx.exit(1)
    # the restored file is exactly the backup (no audit row added); an older schema is migrated
    # forward the next time the file is opened
    click.echo(_t(s, "restore_done", db=s.db_path, tables=out["tables"], rows=out["rows"],
                  version=out["schema_version"]))
    if out["replaced"]:
        click.echo(_t(s, "restore_replaced", path=out["replaced"]))
