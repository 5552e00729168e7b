"""Mount the web application on the service's aiohttp app: middlewares, static files, pages."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from aiohttp import web

from monitor.web.context import WEB, WebState
from monitor.web.middleware import security_headers, session_and_csrf

PAGES = [
    "monitor.web.pages.auth",
    "monitor.web.pages.hits",
    "monitor.web.pages.dashboard",
    "monitor.web.pages.roster",
    "monitor.web.pages.rules",
    "monitor.web.pages.exports",
    "monitor.web.pages.alerts",
    "monitor.web.pages.data_protection",
]
"""Page modules; each has ``setup(app)`` (a documented hook, like a plugin)."""


def setup_web(app: web.Application, svc: Any) -> None:
    app[WEB] = WebState(svc)
    app.middlewares.append(security_headers)
    app.middlewares.append(session_and_csrf)
    app.router.add_static("/static/", Path(__file__).parent / "static", name="static")
    for name in PAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a page not written yet
                continue
            raise
        module.setup(app)
