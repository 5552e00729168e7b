"""Session loading, CSRF checks on every state-changing request, and security headers."""

from __future__ import annotations

import logging

from aiohttp import web

from monitor.store.errors import storage_fault
from monitor.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, new_token, same, token_hash
from monitor.web.context import LOGIN_CSRF, USER, error_page, state
from monitor.web.reads import read

log = logging.getLogger("monitor.web")

# Paths outside the web application (API with bearer tokens, health checks, static files).
NOT_WEB = ("/api/", "/healthz", "/static/")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _harden(resp: web.StreamResponse) -> None:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    )


@web.middleware
async def security_headers(request: web.Request, handler):
    try:
        resp = await handler(request)
    except web.HTTPException as exc:  # redirects and errors raised by handlers
        _harden(exc)
        raise
    except Exception as exc:  # a bug or a database failure: logged; the page names nothing internal
        if storage_fault(exc) is not None:  # disk full / read-only: the service's probe brings it back
            log.warning("web request refused: storage unavailable", extra={"method": request.method,
                                                                            "path": request.path})
            try:
                resp = error_page(request, 503, "storage_unavailable")
            except Exception:  # the page itself could not be rendered (e.g. no session yet)
                resp = web.Response(status=503, text="503 Service Unavailable", content_type="text/plain")
            resp.headers["Retry-After"] = "30"
        else:
            log.exception("unhandled error", extra={"method": request.method, "path": request.path})
            resp = web.Response(status=500, text="500 Internal Server Error", content_type="text/plain")
    _harden(resp)
    return resp


def is_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


@web.middleware
async def session_and_csrf(request: web.Request, handler):
    if request.path.startswith(NOT_WEB):
        return await handler(request)
    st = state(request)
    request[USER] = None
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        sess = await read(st, lambda s: s.get_session(token_hash(sid)))  # beside the writer (web/reads.py)
        if sess and not sess["disabled"]:
            request[USER] = {**sess, "username": sess["username"]}
    # the sign-in form has no session yet: a double-submit cookie protects it
    login_csrf = request.cookies.get(LOGIN_CSRF_COOKIE)
    fresh_login_csrf = None
    if not login_csrf:
        login_csrf = fresh_login_csrf = new_token()
    request[LOGIN_CSRF] = login_csrf
    if request.method in UNSAFE:
        form = await request.post() if request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data") else {}
        sent = request.headers.get("X-CSRF-Token") or form.get("csrf")
        expected = request[USER]["csrf"] if request[USER] else request.cookies.get(LOGIN_CSRF_COOKIE)
        if not same(str(sent) if sent else None, expected):
            return error_page(request, 403, "csrf_failed")
    resp = await handler(request)
    if fresh_login_csrf:
        resp.set_cookie(LOGIN_CSRF_COOKIE, fresh_login_csrf, httponly=True, samesite="Strict",
                        secure=is_https(request), path="/")
    return resp
