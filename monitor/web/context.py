"""Per-request helpers for page handlers: the user, database access, rendering, role checks."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from monitor.models.office import office_name
from monitor.store.scope import Scope
from monitor.web.messages import translate

WEB = web.AppKey("web", object)
USER = web.RequestKey("user", object)
LOGIN_CSRF = web.RequestKey("login_csrf", str)


class WebState:
    """What the web layer needs from the service: the store (behind the writer lock) and config."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self.config = svc.config
        self.tz: ZoneInfo = svc.config.office.tz
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("monitor.web", "templates"),
            autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
            undefined=jinja2.StrictUndefined,
            auto_reload=False,  # packaged templates: no stat() per {% include %} (100 per daily list page)
        )
        self.env.filters["local"] = self.local
        self.env.globals["office_name"] = office_name
        from monitor.web.auth import LoginThrottle

        self.throttle = LoginThrottle()

    def local(self, value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time shown in the office's zone, with WIB/WITA/WIT."""
        if not isinstance(value, datetime):
            return "" if value is None else str(value)
        v = value.astimezone(self.tz)
        return f"{v.strftime(fmt)} {v.tzname()}"

    async def db(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run ``fn(store, *args)`` in a worker thread, taking turns with the collectors' writes."""
        return await self.svc.db(fn, *args, **kw)


def safe_local_path(value: str | None) -> str:
    """Only same-site relative paths (no open redirect through ``next``/``back``); else ``/``.

    Browsers drop tabs and line breaks inside a URL (so "/<TAB>/evil.example" becomes
    "//evil.example") and read a backslash as a slash: control characters, spaces and backslashes
    are refused too."""
    if (value and value.startswith("/") and not value.startswith("//") and "\\" not in value
            and not any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value)):
        return value
    return "/"


def state(request: web.Request) -> WebState:
    return request.app[WEB]  # type: ignore[return-value]


def user(request: web.Request) -> dict | None:
    """The signed-in user (session joined with the user row: username, role, nip, lang, csrf)."""
    return request.get(USER)  # type: ignore[return-value]


def scope(request: web.Request) -> Scope:
    """What the signed-in user may see (every store query of hits takes it): their office's
    subtree (their own office, else this instance's ``[office] code``; neither: everything), and
    for a supervisor only the released hits of the people below them in the roster."""
    u = user(request) or {}
    office = u.get("office_code") or state(request).config.office.code
    supervisor = (u.get("nip") or "") if u.get("role") == "atasan" else None
    return Scope(office=office, supervisor_nip=supervisor)


def lang(request: web.Request) -> str:
    u = user(request)
    if u and u.get("lang") in ("id", "en"):
        return u["lang"]
    q = request.query.get("lang")
    if q in ("id", "en"):
        return q
    return state(request).config.office.language


def render(request: web.Request, template: str, *, status: int = 200, **ctx: Any) -> web.Response:
    st = state(request)
    lg = lang(request)
    u = user(request)
    html = st.env.get_template(template).render(
        t=lambda key, **kw: translate(key, lg, **kw),
        lang=lg,
        user=u,
        csrf=(u or {}).get("csrf") or request.get(LOGIN_CSRF, ""),
        office=st.config.office,
        path=request.path,
        query=request.query,
        **ctx,
    )
    return web.Response(text=html, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store"})


def error_page(request: web.Request, status: int, key: str) -> web.Response:
    return render(request, "error.html", status=status, message_key=key)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require(*roles: str) -> Callable[[Handler], Handler]:
    """Signed-in users with one of ``roles`` only (none given: any signed-in user)."""

    def deco(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            u = user(request)
            if u is None:
                raise web.HTTPFound(f"/login?next={request.path_qs}")
            if roles and u["role"] not in roles:
                return error_page(request, 403, "forbidden")
            return await handler(request)

        return wrapped

    return deco
