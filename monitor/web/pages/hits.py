"""Placeholder home page until the hit list lands."""

from aiohttp import web

from monitor.web.context import render, require


@require()
async def home(request: web.Request) -> web.Response:
    return render(request, "error.html", message_key="nav_hits")


def setup(app: web.Application) -> None:
    app.router.add_get("/", home)
