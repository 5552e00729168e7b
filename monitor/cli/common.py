"""Shared CLI plumbing: global options, settings, error output."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from monitor.config import Config, ConfigError, load_config
from monitor.i18n import t
from monitor.rules import RuleSetError
from monitor.sources import SourceConfigError
from monitor.store import StoreLockedError


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> object:
    if value is not None:
        root = ctx.find_root()
        root.ensure_object(dict)[param.name] = value
    return value


def common_options(f):
    """Add ``--config``, ``--db`` and ``--lang`` to a command (they may also precede it)."""
    f = click.option(
        "--lang", type=click.Choice(["id", "en"]), expose_value=False, callback=_remember,
        help="Bahasa pesan / message language (default: [office] language).",
    )(f)
    f = click.option(
        "--db", type=click.Path(dir_okay=False, path_type=Path), expose_value=False, callback=_remember,
        help="Berkas DuckDB (menggantikan [store] path) / DuckDB file (overrides [store] path).",
    )(f)
    f = click.option(
        "--config", type=click.Path(dir_okay=False, path_type=Path), expose_value=False, callback=_remember,
        help="Berkas konfigurasi (bawaan ./config.toml) / config file (default ./config.toml).",
    )(f)
    return f


@dataclass
class Settings:
    config: Config
    db_path: Path
    lang: str

    def t(self, key: str, **kw: object) -> str:
        return t(key, self.lang, **kw)


def settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj or {}
    cfg_path = obj.get("config")
    if cfg_path is None:
        default = Path("config.toml")
        config = load_config(default) if default.exists() else load_config(None)
    else:
        config = load_config(cfg_path)
    db = obj.get("db")
    db_path = Path(db) if db is not None else config.db_path
    lang = obj.get("lang") or config.office.language
    return Settings(config=config, db_path=db_path, lang=lang)


def current_lang() -> str:
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        obj = ctx.find_root().obj or {}
        if obj.get("lang"):
            return str(obj["lang"])
    return "id"


def fail(exc: Exception, code: int = 2) -> NoReturn:
    lang = current_lang()
    if isinstance(exc, StoreLockedError):
        msg = t("db_locked", lang, path=exc.path, pid=exc.pid or "?", detail=exc.original.splitlines()[0])
    elif isinstance(exc, (ConfigError, SourceConfigError)):
        msg = t("config_error", lang, msg=str(exc))
    elif isinstance(exc, RuleSetError):
        msg = t("rules_invalid", lang, n=len(exc.errors)) + "\n" + "\n".join(f"  {e}" for e in exc.errors)
    else:
        msg = t("error", lang, msg=str(exc))
    click.echo(msg, err=True)
    sys.exit(code)
