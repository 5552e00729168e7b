"""``monitor demo``: a fresh DuckDB file, the bundled fictional roster and posts, the day's list."""

from __future__ import annotations

import time
from pathlib import Path

import click

from monitor.cli.common import common_options, settings
from monitor.cli.hits import print_hit_list
from monitor.cli.ingest import ingest_files, print_reports
from monitor.cli.roster import import_roster
from monitor.context import AppContext
from monitor.demo import DATA_DIR
from monitor.store import Store, StoreLockedError

DEMO_FILE = "monitor-demo.duckdb"


def _prepare(path: Path) -> None:
    """Delete an earlier demo file; refuse to touch any other database."""
    if not path.exists():
        return
    try:
        with Store(path, read_only=True) as old:
            is_demo = old.get_meta("demo") == "1"
    except StoreLockedError:
        raise
    except Exception:  # not a DuckDB file, or not one of ours
        is_demo = False
    if not is_demo:
        raise click.ClickException(f"{path} exists but is not a demo database; it will not be replaced")
    path.unlink()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.unlink()


DEMO_PASSWORDS = {"admin": "demo-admin-2024", "pengawas": "demo-pengawas-2024", "atasan": "demo-atasan-2024"}


def create_demo_users(store: Store) -> list[tuple[str, str, str]]:
    """One fictional account per role (demo database only); the supervisor heads a chain with hits."""
    from monitor.web.auth import hash_password

    sup = store.con.execute(
        "SELECT r.atasan_nip, count(*) FROM hits h JOIN roster r ON r.nip = h.nip "
        "WHERE r.atasan_nip IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
    out = []
    for username, role, nip in (("admin", "admin", None), ("pengawas", "pengawas", None),
                                ("atasan", "atasan", sup[0] if sup else None)):
        if role == "atasan" and nip is None:
            continue
        store.add_user(username, role, hash_password(DEMO_PASSWORDS[role]), nip=nip)
        out.append((username, role, DEMO_PASSWORDS[role]))
    return out


@click.command()
@click.option("--file", "db_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Berkas demo (bawaan ./{DEMO_FILE}) / demo database file.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--serve", "serve_after", is_flag=True,
              help="Lalu jalankan aplikasi web di localhost / then start the web app on localhost.")
@click.option("--port", type=int, default=8080, show_default=True, help="Port for --serve (0 = any free port).")
@common_options
@click.pass_context
def demo(ctx: click.Context, db_file: Path | None, fmt: str, serve_after: bool, port: int) -> None:
    """Jalankan demo dengan data fiktif bawaan / run the demo on the bundled fictional data."""
    s = settings(ctx)
    path = db_file or Path.cwd() / DEMO_FILE
    _prepare(path)
    click.echo(s.t("demo_start", path=path), err=fmt != "table")
    click.echo(s.t("fictional"), err=fmt != "table")
    with AppContext(s.config, path) as app:
        app.store.set_meta("demo", "1")
        ok, lines = import_roster(app.store, DATA_DIR / "roster.csv", skip_invalid=False, actor="demo", lang_t=s.t)
        for line in lines:
            click.echo(line, err=fmt != "table")
        if not ok:
            ctx.exit(1)
        files = [DATA_DIR / "posts.jsonl", DATA_DIR / "posts_malformed.jsonl"]
        app.pipeline  # load rules and build the identity index before timing
        app.pipeline.evaluator._identity()
        t0 = time.perf_counter()
        reports = ingest_files(app, [f for f in files if f.exists()])
        secs = time.perf_counter() - t0
        if fmt == "table":
            print_reports(s, reports)
        n = sum(r.result.new + r.result.duplicate + r.result.revised for r in reports.values())
        click.echo(s.t("demo_speed", rate=n / secs if secs else 0, n=n, secs=secs), err=fmt != "table")
        latest = app.store.latest_post_time()
        tz = s.config.office.tz
        if latest is not None:
            day = latest.astimezone(tz).date()
            if fmt == "table":
                click.echo("")
            print_hit_list(s, app.store, day, tz, fmt=fmt)
        if serve_after:
            logins = create_demo_users(app.store)
    if serve_after:
        from monitor.cli.serve import run_service

        click.echo("")
        click.echo(s.t("demo_users"))
        for username, role, password in logins:
            click.echo(f"  {role:<9} {username:<10} {password}")
        run_service(s.__class__(config=s.config, db_path=path, lang=s.lang), host="127.0.0.1", port=port)
