"""``monitor retention run|runs`` and ``monitor legal-hold set|clear|list`` (admin commands).

Like every command that writes, these open the database file, so they run while the service is
stopped; the service applies the same retention as a daily job (``[retention] run_at``).
"""

from __future__ import annotations

import json

import click

from monitor.cli.common import common_options, settings
from monitor.context import open_store
from monitor.i18n.catalog import MESSAGES
from monitor.retention import apply_retention
from monitor.store import StoreError

MESSAGES.update({
    "retention_done": {"id": "Retensi: {posts} unggahan, {revisions} revisi, {quarantine} karantina, {hits} temuan "
                             "ditolak dihapus (run {run_id}).",
                       "en": "Retention: removed {posts} posts, {revisions} revisions, {quarantine} quarantined "
                             "inputs, {hits} dismissed hits (run {run_id})."},
    "hold_set": {"id": "Temuan {hit} ditahan untuk keperluan hukum.", "en": "Hit {hit} is on legal hold."},
    "hold_cleared": {"id": "Penahanan hukum temuan {hit} dicabut.", "en": "Legal hold lifted from hit {hit}."},
    "hold_none": {"id": "Tidak ada temuan yang ditahan.", "en": "No hit is on legal hold."},
})


@click.group("retention")
def retention() -> None:
    """Retensi data (UU 27/2022) / data retention."""


@retention.command("run")
@click.option("--by", "actor", default="cli", show_default=True, help="Actor for the audit log.")
@common_options
@click.pass_context
def run_cmd(ctx: click.Context, actor: str) -> None:
    """Terapkan [retention] sekarang / apply the [retention] settings now."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        out = apply_retention(store, s.config.retention, actor=actor)
        run_id = store.retention_runs(1)[0]["run_id"]
    click.echo(s.t("retention_done", posts=out["posts"], revisions=out["revisions"], quarantine=out["quarantine"],
                   hits=out.get("hits", 0), run_id=run_id))


@retention.command("runs")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--removed", "run_id", type=int, default=None,
              help="Daftar hash item yang dihapus pada run ini / list the hashes removed by this run.")
@common_options
@click.pass_context
def runs_cmd(ctx: click.Context, limit: int, run_id: int | None) -> None:
    """Riwayat retensi: apa yang dihapus tiap run / what each retention run removed."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        if run_id is not None:
            for r in store.retention_removed(run_id):
                click.echo(f"{r['kind']}\t{r['platform'] or '-'}\t{r['id_sha256']}\t{r['content_sha256'] or '-'}")
            return
        for r in store.retention_runs(limit):
            click.echo(f"{r['run_id']}\t{r['ran_at'].isoformat()}\t{r['actor']}\t{json.dumps(r['counts'])}\t"
                       f"{json.dumps(r['cutoffs'])}")


@click.group("legal-hold")
def legal_hold() -> None:
    """Penahanan hukum temuan (tidak pernah dihapus retensi) / legal hold on hits."""


def _hold(ctx: click.Context, hit_id: str, reason: str, actor: str, hold: bool) -> None:
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        try:
            store.set_legal_hold(hit_id, hold=hold, actor=actor, reason=reason)
        except StoreError as exc:
            click.echo(s.t("error", msg=str(exc)), err=True)
            ctx.exit(1)
    click.echo(s.t("hold_set" if hold else "hold_cleared", hit=hit_id))


@legal_hold.command("set")
@click.argument("hit_id")
@click.option("--reason", required=True, help="Alasan (dicatat di log audit) / reason (audit-logged).")
@click.option("--by", "actor", required=True, help="Admin yang menetapkan / the admin setting it.")
@common_options
@click.pass_context
def set_cmd(ctx: click.Context, hit_id: str, reason: str, actor: str) -> None:
    """Tahan temuan HIT_ID beserta unggahan dan buktinya / put a hit on legal hold."""
    _hold(ctx, hit_id, reason, actor, True)


@legal_hold.command("clear")
@click.argument("hit_id")
@click.option("--reason", required=True, help="Alasan (dicatat di log audit) / reason (audit-logged).")
@click.option("--by", "actor", required=True, help="Admin yang mencabut / the admin lifting it.")
@common_options
@click.pass_context
def clear_cmd(ctx: click.Context, hit_id: str, reason: str, actor: str) -> None:
    """Cabut penahanan hukum / lift a legal hold."""
    _hold(ctx, hit_id, reason, actor, False)


@legal_hold.command("list")
@common_options
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """Daftar temuan yang ditahan / hits on legal hold."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        rows = store.legal_holds()
    if not rows:
        click.echo(s.t("hold_none"))
    for r in rows:
        click.echo(f"{r['hit_id']}\t{r['nip'] or '-'}\t{r['status']}\t{r['legal_hold_by']}\t"
                   f"{r['legal_hold_at'].isoformat()}\t{r['legal_hold_reason']}")
