"""Render the alert templates (Jinja2 files an admin can edit) into subject / text / HTML / Telegram.

Templates live in ``monitor/alerting/templates``; an admin folder given in the config
(``template_dir``) is searched first, file by file, so an office can override just one file.
Names: ``<kind>.txt``, ``<kind>.html``, ``<kind>_subject.txt`` and ``telegram.txt`` (one file for
every kind, branching on ``kind``) are Indonesian; the English variant of each is
``<name>.en.<ext>`` (selected with ``lang="en"``; missing -> the Indonesian file). Kinds:
``alert``, ``digest``, ``test``.

Escaping: ``*.html`` and ``telegram*`` are autoescaped (HTML / Telegram HTML parse mode); the
plain-text files and subjects are not. If an admin template is broken (syntax error, bad
variable), the packaged template is used instead and the error is logged -- an alert is never
lost to a typo.

Context variables: ``recipient`` (name, jabatan...), ``level`` (1 = direct supervisor, 2+ =
escalation), ``hits`` (dicts: hit_id, nama, nip, jabatan, unit_kerja, instansi, behaviour,
platform, created_local, score, link), ``office_name``, ``link``, ``ack_link``, ``lang`` and
``kind``; render adds ``subordinates`` (hits grouped per NIP, first-seen order, each with
nama/nip/jabatan/unit_kerja/instansi/hits) and ``n_hits``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

log = logging.getLogger(__name__)

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("alert", "digest", "test")
LANGS = ("id", "en")


@dataclass
class RenderedMessage:
    subject: str
    text: str
    html: str
    telegram: str


def _autoescape(name: str | None) -> bool:
    if not name:
        return False
    base = name.rsplit("/", 1)[-1]
    return base.endswith(".html") or base.startswith("telegram")


def _score(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2f}"
    return "-" if value is None else str(value)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return "-" if value in (None, "") else str(value)


def _or_dash(value: Any) -> Any:
    return "-" if value is None or value == "" or isinstance(value, jinja2.Undefined) else value


@lru_cache(maxsize=16)
def _env(template_dir: str | None) -> jinja2.Environment:
    paths = [str(PACKAGE_TEMPLATES)]
    if template_dir:
        paths.insert(0, template_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths, encoding="utf-8"),
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.ChainableUndefined,
        auto_reload=True,
        # with an admin folder, a file added there later must win over the cached packaged one:
        # no compiled-template cache (alerts are few; compiling is cheap)
        cache_size=0 if template_dir else 400,
    )
    env.filters["skor"] = _score
    env.filters["waktu"] = _when
    env.filters["strip_dash"] = _or_dash
    return env


def _names(base: str, ext: str, lang: str) -> list[str]:
    out = [f"{base}.{lang}.{ext}"] if lang and lang != "id" else []
    return out + [f"{base}.{ext}"]


def _as_dict(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return obj


def _subordinates(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for h in hits:
        key = str(h.get("nip") or h.get("nama") or "?")
        g = groups.get(key)
        if g is None:
            g = groups[key] = {k: h.get(k) for k in ("nama", "nip", "jabatan", "unit_kerja", "instansi")}
            g["hits"] = []
        g["hits"].append(h)
    return list(groups.values())


def build_context(kind: str, context: dict[str, Any], lang: str) -> dict[str, Any]:
    ctx = dict(context)
    hits = [dict(_as_dict(h)) for h in (ctx.get("hits") or [])]
    ctx["hits"] = hits
    ctx["kind"] = kind
    ctx["lang"] = lang
    ctx["level"] = int(ctx.get("level") or 1)
    ctx["recipient"] = _as_dict(ctx.get("recipient")) or {}
    ctx.setdefault("office_name", "")
    ctx.setdefault("ack_link", None)
    if not ctx.get("link") and len(hits) == 1:
        ctx["link"] = hits[0].get("link")
    ctx.setdefault("link", None)
    ctx["subordinates"] = _subordinates(hits)
    ctx["n_hits"] = len(hits)
    return ctx


def _render_one(names: list[str], ctx: dict[str, Any], template_dir: str | None) -> str:
    try:
        return _env(template_dir).select_template(names).render(ctx)
    except jinja2.TemplateError as exc:
        if not template_dir:
            raise
        log.error("alert template %s in %s is broken (%s); using the packaged template", names[0], template_dir, exc)
        return _env(None).select_template(names).render(ctx)


def render(kind: str, context: dict[str, Any], lang: str = "id", template_dir: str | Path | None = None) -> RenderedMessage:
    """Render ``kind`` (alert | digest | test) in ``lang`` (id | en) with ``context``."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r} (known: {', '.join(KINDS)})")
    lang = lang if lang in LANGS else "id"
    tdir = str(template_dir) if template_dir else None
    ctx = build_context(kind, context, lang)
    subject = _render_one(_names(f"{kind}_subject", "txt", lang), ctx, tdir)
    text = _render_one(_names(kind, "txt", lang), ctx, tdir)
    html = _render_one(_names(kind, "html", lang), ctx, tdir)
    telegram = _render_one(_names("telegram", "txt", lang), ctx, tdir)
    return RenderedMessage(
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        html=html.strip() + "\n",
        telegram=telegram.strip(),
    )


def compose(
    alert_id: str,
    kind: str,
    recipient: Any,
    context: dict[str, Any],
    lang: str = "id",
    template_dir: str | Path | None = None,
) -> Any:
    """Convenience: render and build the :class:`AlertMessage` (with the minimal webhook payload)."""
    from monitor.alerting.message import AlertMessage, make_payload

    ctx = dict(context, recipient=recipient)
    r = render(kind, ctx, lang, template_dir)
    full = build_context(kind, ctx, lang)
    return AlertMessage(
        alert_id=alert_id,
        kind=kind,  # type: ignore[arg-type]
        recipient=recipient,
        subject=r.subject,
        text=r.text,
        html=r.html,
        telegram=r.telegram,
        link=full["link"],
        payload=make_payload(alert_id, kind, recipient, full["hits"], level=full["level"], link=full["link"],
                             ack_link=full.get("ack_link")),
    )
