"""``monitor export-person NIP``: a zip of everything held about one ASN (data-subject access request)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import common_options, settings
from monitor.context import open_store
from monitor.i18n.catalog import MESSAGES
from monitor.store.person_export import person_zip
from monitor.store.scope import Scope

MESSAGES.update({
    "person_export_done": {"id": "Data tentang {nip} ditulis ke {out}: {summary}.",
                           "en": "Data about {nip} written to {out}: {summary}."},
    "person_unknown": {"id": "Tidak ada data apa pun tentang NIP {nip}.", "en": "Nothing is held about NIP {nip}."},
    "person_bad_nip": {"id": "NIP harus 18 angka: {nip}", "en": "A NIP has 18 digits: {nip}"},
    "person_out_exists": {"id": "Berkas {out} sudah ada; tidak ditimpa.", "en": "{out} exists; not overwritten."},
})


@click.command("export-person")
@click.argument("nip")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Berkas zip (bawaan asn-NIP.zip) / zip file (default asn-NIP.zip).")
@click.option("--by", "actor", default="cli", show_default=True, help="Actor for the audit log.")
@common_options
@click.pass_context
def export_person(ctx: click.Context, nip: str, output: Path | None, actor: str) -> None:
    """Ekspor semua data tentang satu ASN (permintaan akses subjek data) / export all data about one ASN."""
    s = settings(ctx)
    nip = nip.strip()
    if not (len(nip) == 18 and nip.isdigit()):
        click.echo(s.t("person_bad_nip", nip=nip), err=True)
        ctx.exit(2)
    out = output or Path(f"asn-{nip}.zip")
    if out.exists():
        click.echo(s.t("person_out_exists", out=out), err=True)
        ctx.exit(1)
    with open_store(s.config, s.db_path) as store:
        # an office's instance exports what its office subtree holds ([office] code)
        body, counts = person_zip(store, nip, Scope(office=s.config.office.code))
        if not any(counts.values()):
            click.echo(s.t("person_unknown", nip=nip), err=True)
            ctx.exit(1)
        out.write_bytes(body)
        store.audit(actor, "person.export", nip, {"file": str(out.absolute()), "counts": counts})
    summary = ", ".join(f"{k.split('.')[0]} {v}" for k, v in counts.items())
    click.echo(s.t("person_export_done", nip=nip, out=out, summary=summary))
