"""``monitor users add|list|passwd|set|remove``: accounts of the web application."""

from __future__ import annotations

import sys

import click

from monitor.cli.common import common_options, settings
from monitor.context import open_store
from monitor.models.office import OfficeCodeError, parse_office
from monitor.store import Store
from monitor.store.users import OfficeScopeError, check_manages
from monitor.web.auth import ROLES, hash_password


def _office_option(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_office(value)
    except OfficeCodeError as exc:
        raise click.BadParameter(str(exc), param_hint="--office") from exc


def _store(s) -> Store:
    """The store, knowing this instance's office (``[office] code``)."""
    store = open_store(s.config, s.db_path)
    store.adopt_office(s.config.office.code)  # users of no office yet are this office's
    return store


def _actor_office(s, store: Store, by: str | None) -> str | None:
    """Whose office bounds this command: the admin named by ``--by``, else this instance's office
    (the operator of an office's instance administers that office and the offices below it)."""
    if by is None:
        return s.config.office.code
    admin = store.get_user(by)
    if admin is None or admin["role"] != "admin" or admin["disabled"]:
        raise click.ClickException(f"'{by}' is not an active admin")
    return admin.get("office_code")


def _check_target(s, store: Store, by: str | None, username: str) -> None:
    target = store.get_user(username)
    if target is None:
        raise click.ClickException(f"no user '{username}'")
    try:
        check_manages(_actor_office(s, store, by), target.get("office_code"))
    except OfficeScopeError as exc:
        raise click.ClickException(str(exc)) from exc


_BY_HELP = ("Admin yang melakukan perubahan (membatasi kantor) / the admin making the change (bounds the "
            "offices; default: this instance's office).")


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
@click.option("--office", default=None,
              help="Kantor pengguna: ID, 61, 61.71 (bawaan: kantor instans ini) / the user's office "
                   "(default: this instance's [office] code).")
@click.option("--by", default=None, help=_BY_HELP)
@common_options
@click.pass_context
def add(ctx: click.Context, username: str, role: str, nip: str | None, lang: str, office: str | None,
        by: str | None) -> None:
    """Tambah pengguna; kata sandi dibaca dari standard input / add a user (password from stdin)."""
    s = settings(ctx)
    office = _office_option(office)
    if role == "atasan" and not nip:
        raise click.UsageError("--nip is required for role atasan (it ties the account to the roster)")
    with _store(s) as store:
        actor_office = _actor_office(s, store, by)
        try:
            check_manages(actor_office, office if office is not None else store.office_code)
        except OfficeScopeError as exc:
            raise click.ClickException(str(exc)) from exc
        if store.get_user(username):
            raise click.ClickException(f"user '{username}' already exists")
        if nip and not store.con.execute("SELECT 1 FROM roster WHERE nip = ?", [nip]).fetchone():
            raise click.ClickException(f"NIP {nip} is not in the roster")
        try:
            pw = hash_password(_read_password())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        store.add_user(username, role, pw, nip=nip, lang=lang, office_code=office, actor=by or "cli",
                       actor_office=actor_office)
    click.echo(f"{username} ({role}) OK")


@users.command("list")
@common_options
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        for u in store.list_users():
            flag = " (nonaktif/disabled)" if u["disabled"] else ""
            click.echo(f"{u['username']}\t{u['role']}\t{u['nip'] or '-'}\t{u['office_code'] or '-'}{flag}")


@users.command("passwd")
@click.argument("username")
@common_options
@click.pass_context
def passwd(ctx: click.Context, username: str) -> None:
    """Ganti kata sandi (dari standard input) / change a password (from stdin)."""
    s = settings(ctx)
    with _store(s) as store:
        _check_target(s, store, None, username)
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
@click.option("--office", default=None, help="Pindahkan ke kantor / move to office (ID, 61, 61.71).")
@click.option("--by", default=None, help=_BY_HELP)
@common_options
@click.pass_context
def set_cmd(ctx: click.Context, username: str, role: str | None, nip: str | None, disable: bool | None,
            office: str | None, by: str | None) -> None:
    """Ubah peran, NIP, kantor, atau nonaktifkan / change role, NIP, office, or disable."""
    s = settings(ctx)
    office = _office_option(office)
    fields = {k: v for k, v in (("role", role), ("nip", nip), ("disabled", disable), ("office_code", office))
              if v is not None}
    with _store(s) as store:
        _check_target(s, store, by, username)
        if office is not None:  # moving a user: the new office must be in the admin's subtree too
            try:
                check_manages(_actor_office(s, store, by), office)
            except OfficeScopeError as exc:
                raise click.ClickException(str(exc)) from exc
        store.update_user(username, actor=by or "cli", **fields)
        if disable:
            store.con.execute("DELETE FROM sessions WHERE username = ?", [username])
    click.echo("OK")


@users.command("remove")
@click.argument("username")
@click.option("--by", default=None, help=_BY_HELP)
@common_options
@click.pass_context
def remove(ctx: click.Context, username: str, by: str | None) -> None:
    s = settings(ctx)
    with _store(s) as store:
        _check_target(s, store, by, username)
        store.delete_user(username, actor=by or "cli")
    click.echo("OK")
