"""``monitor roster import|list``."""

from __future__ import annotations

import hashlib
import getpass
from pathlib import Path

import click

from monitor.cli.common import common_options, settings
from monitor.context import open_store
from monitor.roster import read_roster
from monitor.store import Store


@click.group()
def roster() -> None:
    """Daftar ASN terdaftar / registered ASN roster."""


def import_roster(store: Store, path: Path, *, skip_invalid: bool, actor: str, lang_t) -> tuple[bool, list[str]]:
    """Validate and import a roster file. Returns (imported, lines to print)."""
    parsed = read_roster(path)
    lines: list[str] = []
    for w in parsed.warnings:
        lines.append(lang_t("roster_warning", msg=str(w)))
    fatal = [e for e in parsed.errors if getattr(e, "row", None) in (None, 0)]
    if parsed.errors and (not skip_invalid or fatal or not parsed.entries):
        lines.append(lang_t("roster_invalid", n=len(parsed.errors)))
        for e in parsed.errors:
            if getattr(e, "row", None) in (None, 0):
                lines.append(lang_t("roster_file_error", reason=e.reason))
            else:
                lines.append(lang_t("roster_row_error", row=e.row, column=e.column, reason=e.reason))
        if not fatal:
            lines.append(lang_t("roster_hint_skip"))
        return False, lines
    for e in parsed.errors:
        lines.append(lang_t("roster_row_error", row=e.row, column=e.column, reason=e.reason))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    store.replace_roster(parsed.entries, file=str(path), file_sha256=sha, skipped=len(parsed.invalid_rows), actor=actor)
    lines.append(
        lang_t(
            "roster_imported",
            rows=len(parsed.entries),
            accounts=sum(len(e.akun) for e in parsed.entries),
            skipped=len(parsed.invalid_rows),
        )
    )
    return True, lines


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Impor baris valid saja / import only the valid rows.")
@click.option("--by", "actor", default=None, help="Nama pengimpor untuk log audit / who imports (audit log).")
@common_options
@click.pass_context
def import_cmd(ctx: click.Context, file: Path, skip_invalid: bool, actor: str | None) -> None:
    """Impor daftar ASN dari CSV/XLSX (semua-atau-tidak-sama-sekali)."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        ok, lines = import_roster(store, file, skip_invalid=skip_invalid, actor=actor or getpass.getuser(), lang_t=s.t)
    for line in lines:
        click.echo(line, err=not ok)
    if not ok:
        ctx.exit(1)


@roster.command("list")
@click.option("--limit", default=50, show_default=True)
@common_options
@click.pass_context
def list_cmd(ctx: click.Context, limit: int) -> None:
    """Tampilkan daftar ASN / show the roster."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        entries = store.roster_entries()
    for e in entries[:limit]:
        accounts = ";".join(f"{a.platform}:{a.value}" for a in e.akun)
        click.echo(f"{e.nip}  {e.nama}  | {e.jabatan or '-'} | {e.unit_kerja or '-'} | {e.instansi or '-'} | {accounts}")
    click.echo(f"({len(entries)})")
