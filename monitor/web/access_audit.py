"""Audit of access: who viewed or exported which ASN's hits (UU 27/2022 accountability).

Page handlers call :func:`record_access` once; it appends an ``access.*`` row to the audit log
naming the user, the object (hit id or NIP) and the NIPs concerned. The audit log is append-only
from the application: nothing in ``monitor/`` updates or deletes its rows (a test greps for it).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from aiohttp import web

from monitor.web.context import state, user


def hit_nips(hit: dict) -> list[str]:
    """The NIPs a hit is about: the attributed person and every candidate."""
    nips = {hit.get("nip")} | {c.get("nip") for c in hit.get("candidates") or [] if isinstance(c, dict)}
    return sorted(n for n in nips if n)


def rows_nips(rows: Iterable[dict]) -> list[str]:
    out: set[str] = set()
    for r in rows:
        cands = r.get("candidates")
        if isinstance(cands, str):
            try:
                cands = json.loads(cands)
            except ValueError:
                cands = None
        out.update(hit_nips({"nip": r.get("nip"), "candidates": cands}))
    return sorted(out)


async def record_access(request: web.Request, action: str, *, hit: dict | None = None, nip: str | None = None,
                        rows: list[dict] | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append ``access.<action>`` for the signed-in user: a hit page, a person page or an export."""
    u = user(request) or {}
    info: dict[str, Any] = dict(detail or {})
    obj = None
    if hit is not None:
        obj, info["nips"] = hit["hit_id"], hit_nips(hit)
    elif nip is not None:
        obj, info["nips"] = nip, [nip]
    if rows is not None:
        info["nips"], info["hits"] = rows_nips(rows), len(rows)
    info["role"] = u.get("role")
    await state(request).db(lambda s: s.audit(u.get("username") or "-", f"access.{action}", obj, info))
