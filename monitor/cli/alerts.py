"""``monitor alerts run|test|list``: the supervisor alert queue from the command line."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import click

from monitor.cli.common import common_options, settings
from monitor.context import open_store
from monitor.store import Store


def _db(store: Store):
    async def db(fn, *args, **kw):
        return fn(store, *args, **kw)

    return db


@click.group()
def alerts() -> None:
    """Peringatan ke atasan / alerts to supervisors."""


@alerts.command("run")
@click.option("--digest", is_flag=True, help="Kirim juga ringkasan harian sekarang / also send the digest now.")
@common_options
@click.pass_context
def run_cmd(ctx: click.Context, digest: bool) -> None:
    """Rencanakan dan kirim peringatan sekarang / plan and deliver alerts now (the service does this every 30 s)."""
    from monitor.alerting.setup import make_dispatcher

    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        res = asyncio.run(make_dispatcher(s.config, _db(store)).run(digests=digest))
    click.echo(" ".join(f"{k}={v}" for k, v in res.items()))


@alerts.command("test")
@click.option("--to", "nip", required=True, help="NIP penerima di daftar ASN / recipient's roster NIP.")
@common_options
@click.pass_context
def test_cmd(ctx: click.Context, nip: str) -> None:
    """Kirim pesan uji lewat setiap kanal / send a test message through each configured channel."""
    from monitor.alerting.message import AlertMessage, DeliveryError
    from monitor.alerting.dispatcher import _recipient
    from monitor.alerting.render import render
    from monitor.alerting.setup import make_dispatcher

    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        person = store.roster_person(nip)
        if person is None:
            raise click.ClickException(f"NIP {nip} is not in the roster")
        disp = make_dispatcher(s.config, _db(store))
    if not disp.channels:
        raise click.ClickException("no alert channels configured ([alerts.channels.NAME])")
    rec = _recipient(person)
    ctx_ = {"recipient": rec, "level": 1, "hits": [], "office_name": s.config.office.name,
            "ack_link": s.config.alerts.base_url, "link": s.config.alerts.base_url, "lang": s.lang}
    r = render("test", ctx_, s.lang, template_dir=disp.cfg.template_dir)
    msg_id = "T" + datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    message = AlertMessage(alert_id=msg_id, kind="test", recipient=rec, subject=r.subject, text=r.text, html=r.html,
                           telegram=r.telegram, link=s.config.alerts.base_url,
                           payload={"alert_id": msg_id, "kind": "test", "recipient_nip": nip})
    failed = False

    async def send_all():
        nonlocal failed
        for name, ch in disp.channels.items():
            if not ch.accepts(rec):
                click.echo(f"{name}: - (no address for this person)")
                continue
            try:
                await ch.send(message)
                click.echo(f"{name}: OK")
            except DeliveryError as exc:
                failed = True
                click.echo(f"{name}: GAGAL/FAILED: {exc}", err=True)
            finally:
                await ch.aclose()

    asyncio.run(send_all())
    if failed:
        ctx.exit(1)


@alerts.command("list")
@click.option("--failed", is_flag=True, help="Hanya pengiriman gagal / failed deliveries only.")
@common_options
@click.pass_context
def list_cmd(ctx: click.Context, failed: bool) -> None:
    """Antrean pengiriman / the delivery queue."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        rows = store.deliveries(status="failed" if failed else None)
    for d in rows:
        click.echo(f"{d['delivery_id']}\t{d['status']}\tattempts={d['attempts']}\t{d['last_error'] or ''}")
    click.echo(f"({len(rows)})")
