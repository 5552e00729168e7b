"""``monitor users add|list|passwd|set|remove``: accounts of the web application."""

from __future__ import annotations

import sys

import click

from monitor.cli.common import common_options, settings
from monitor.store import Store
from monitor.web.auth import ROLES, hash_password


def _read_password(confirm: bool = True) -> str:
    """From standard input: a terminal prompts (twice); a pipe gives the first line."""
    if sys.stdin.isatty():
        return click.prompt("Kata sandi / password", hide_input=True, confirmation_prompt=confirm)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError("no password on standard input")
    return line


@click.group()
def users() -> None:
    """Pengguna aplikasi web / web application users."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--nip", default=None, help="NIP di daftar ASN (wajib untuk atasan) / roster NIP (required for atasan).")
@click.option("--user-lang", "lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Bahasa antarmuka pengguna ini / this user's interface language.")
@common_options
@click.pass_context
def add(ctx: click.Context, username: str, role: str, nip: str | None, lang: str) -> None:
    """Tambah pengguna; kata sandi dibaca dari standard input / add a user (password from stdin)."""
    s = settings(ctx)
    if role == "atasan" and not nip:
        raise click.UsageError("--nip is required for role atasan (it ties the account to the roster)")
    with Store(s.db_path) as store:
        if store.get_user(username):
            raise click.ClickException(f"user '{username}' already exists")
        if nip and not store.con.execute("SELECT 1 FROM roster WHERE nip = ?", [nip]).fetchone():
            raise click.ClickException(f"NIP {nip} is not in the roster")
        try:
            pw = hash_password(_read_password())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        store.add_user(username, role, pw, nip=nip, lang=lang)
    click.echo(f"{username} ({role}) OK")


@users.command("list")
@common_options
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    s = settings(ctx)
    with Store(s.db_path) as store:
        for u in store.list_users():
            flag = " (nonaktif/disabled)" if u["disabled"] else ""
            click.echo(f"{u['username']}\t{u['role']}\t{u['nip'] or '-'}{flag}")


@users.command("passwd")
@click.argument("username")
@common_options
@click.pass_context
def passwd(ctx: click.Context, username: str) -> None:
    """Ganti kata sandi (dari standard input) / change a password (from stdin)."""
    s = settings(ctx)
    with Store(s.db_path) as store:
        if not store.get_user(username):
            raise click.ClickException(f"no user '{username}'")
        try:
            store.update_user(username, actor="cli", password_hash=hash_password(_read_password()))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        store.con.execute("DELETE FROM sessions WHERE username = ?", [username])
    click.echo("OK")


@users.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default=None)
@click.option("--nip", default=None)
@click.option("--disable/--enable", default=None)
@common_options
@click.pass_context
def set_cmd(ctx: click.Context, username: str, role: str | None, nip: str | None, disable: bool | None) -> None:
    """Ubah peran, NIP, atau nonaktifkan / change role, NIP, or disable."""
    s = settings(ctx)
    fields = {k: v for k, v in (("role", role), ("nip", nip), ("disabled", disable)) if v is not None}
    with Store(s.db_path) as store:
        if not store.get_user(username):
            raise click.ClickException(f"no user '{username}'")
        store.update_user(username, actor="cli", **fields)
        if disable:
            store.con.execute("DELETE FROM sessions WHERE username = ?", [username])
    click.echo("OK")


@users.command("remove")
@click.argument("username")
@common_options
@click.pass_context
def remove(ctx: click.Context, username: str) -> None:
    s = settings(ctx)
    with Store(s.db_path) as store:
        store.delete_user(username, actor="cli")
    click.echo("OK")
