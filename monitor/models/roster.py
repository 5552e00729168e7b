"""A registered civil servant (ASN) as imported from the roster."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DeclaredAccount(BaseModel):
    """An account the ASN declared: ``platform:handle`` or ``platform:id``.

    ``value`` is stored normalised: lower case, without a leading ``@``
    (``mastodon:@budi@kota.social`` -> platform ``mastodon``, value ``budi@kota.social``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str
    value: str


class RosterEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nip: str = Field(..., pattern=r"^\d{18}$")
    nama: str = Field(..., min_length=1, description="Full name as written, titles included (for display)")
    jabatan: str | None = None
    unit_kerja: str | None = None
    instansi: str | None = None
    atasan_nip: str | None = None
    akun: list[DeclaredAccount] = Field(default_factory=list)
    email: str | None = None
    telegram: str | None = None
    office_code: str | None = None
    """The Bawaslu office responsible for this ASN (region code, ``monitor.models.office``), when
    the roster says (column ``kode_wilayah``); hits about the ASN belong to it wherever collected."""
