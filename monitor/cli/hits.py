"""``monitor hits`` (the daily list) and ``monitor review`` (a watcher's decision)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from monitor.cli.common import Settings, common_options, settings
from monitor.cli.output import render_csv, render_json, render_table
from monitor.context import open_store
from monitor.models.hit import STATUSES
from monitor.store import Store
from monitor.store.scope import Scope
from monitor.timeutil import day_bounds, local_today, tz_label


def _tz(s: Settings, tz_name: str | None) -> ZoneInfo:
    if not tz_name:
        return s.config.office.tz
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown time zone '{tz_name}'", param_hint="--tz") from exc


def print_hit_list(
    s: Settings, store: Store, day: date, tz: ZoneInfo, *, min_score: float = 0.0,
    statuses: list[str] | None = None, fmt: str = "table", by: str = "created", explain_hits: bool = False,
) -> list[dict]:
    start, end = day_bounds(day, tz)
    scope = Scope(office=s.config.office.code)  # this office and the offices below it
    rows = store.list_hits(start=start, end=end, min_score=min_score, statuses=statuses or None, by=by,
                           scope=scope)
    if fmt == "json":
        click.echo(render_json(rows, tz, s.lang))
    elif fmt == "csv":
        click.echo(render_csv(rows, tz, s.lang), nl=False)
    else:
        click.echo(s.t("hits_header", date=day.isoformat(), tz=tz_label(tz, day), n=len(rows)))
        click.echo(s.t("hits_counts", **store.status_counts(start=start, end=end, by=by, scope=scope)))
        click.echo(render_table(rows, tz, s.lang, explain_hits=explain_hits) if rows else s.t("hits_none"))
    return rows


@click.command()
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Hari lokal (bawaan: hari ini) / local day (default: today).")
@click.option("--tz", "tz_name", default=None, help="Zona waktu, mis. Asia/Jakarta (bawaan: [office] timezone).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Saring status (boleh berulang) / filter by status (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--by", type=click.Choice(["created", "detected"]), default="created", show_default=True,
              help="Hari unggahan dibuat atau hari terdeteksi / day the post was made or detected.")
@click.option("--explain", "explain_hits", is_flag=True, help="Tampilkan penjelasan / show each hit's explanation.")
@common_options
@click.pass_context
def hits(ctx, day: datetime | None, tz_name, min_score, statuses, fmt, by, explain_hits) -> None:
    """Daftar temuan harian, skor tertinggi dulu / daily hit list, highest score first."""
    s = settings(ctx)
    tz = _tz(s, tz_name)
    d = day.date() if day else local_today(tz)
    with open_store(s.config, s.db_path) as store:
        print_hit_list(s, store, d, tz, min_score=min_score, statuses=list(statuses), fmt=fmt, by=by,
                       explain_hits=explain_hits)


@click.command()
@click.argument("hit_id")
@click.option("--confirm", "action", flag_value="dikonfirmasi", help="Konfirmasi / confirm.")
@click.option("--dismiss", "action", flag_value="ditolak", help="Tolak / dismiss.")
@click.option("--reopen", "action", flag_value="baru", help="Buka kembali / reopen.")
@click.option("--reason", required=True, help="Alasan (wajib) / reason (required).")
@click.option("--by", "actor", required=True, help="Nama pengawas / reviewer's name.")
@click.option("--nip", default=None, help="Orang yang dikonfirmasi bila identitas ambigu / person, when ambiguous.")
@common_options
@click.pass_context
def review(ctx, hit_id: str, action: str | None, reason: str, actor: str, nip: str | None) -> None:
    """Catat keputusan pengawas atas satu temuan / record a watcher's decision on a hit."""
    s = settings(ctx)
    if not action:
        raise click.UsageError(s.t("review_need_action"))
    if not reason.strip():
        raise click.BadParameter("--reason", param_hint="--reason")
    with open_store(s.config, s.db_path) as store:
        hit = store.get_hit(hit_id)
        if hit is None:
            click.echo(s.t("hit_not_found", hit_id=hit_id), err=True)
            ctx.exit(1)
        nips = [c["nip"] for c in hit["candidates"]]
        chosen = None
        if action == "dikonfirmasi":
            if nip is not None and nip not in nips:
                click.echo(s.t("review_bad_nip", nip=nip, nips=", ".join(nips)), err=True)
                ctx.exit(1)
            if hit["ambiguous"] and nip is None:
                click.echo(s.t("review_need_nip", nips=", ".join(nips)), err=True)
                ctx.exit(1)
            chosen = nip or hit["nip"]
        updated = store.review_hit(hit_id, status=action, reason=reason, actor=actor, nip=chosen)
    click.echo(s.t("review_done", hit_id=hit_id, status=updated["status"]))
