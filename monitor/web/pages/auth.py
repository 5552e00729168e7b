"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from aiohttp import web

from monitor.web.auth import SESSION_COOKIE, new_token, token_hash, verify_password
from monitor.web.context import render, safe_local_path, state, user
from monitor.web.middleware import is_https

SESSION_HOURS = 12


async def login_form(request: web.Request) -> web.Response:
    if user(request):
        raise web.HTTPFound("/")
    return render(request, "login.html", error=None, next=safe_local_path(request.query.get("next")), username="")


async def login(request: web.Request) -> web.StreamResponse:
    st = state(request)
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    nxt = safe_local_path(str(form.get("next", "/")))
    addr = request.remote or "?"
    if st.throttle.blocked(addr, username):
        return render(request, "login.html", status=429, error="login_throttled", next=nxt, username=username)
    u = await st.db(lambda s: s.get_user(username)) if username else None
    if not u or u["disabled"] or not verify_password(password, u["password_hash"]):
        st.throttle.failed(addr, username)
        await st.db(lambda s: s.audit(username or "?", "auth.login_failed", username, {"remote": addr}))
        return render(request, "login.html", status=401, error="login_failed", next=nxt, username=username)
    st.throttle.succeeded(addr, username)
    token, csrf = new_token(), new_token()
    expires = datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS)

    def open_session(s):
        s.purge_sessions()
        s.create_session(token_hash(token), username, csrf, expires)
        s.mark_visit(username)
        s.audit(username, "auth.login", username, {"remote": addr})

    await st.db(open_session)
    resp = web.HTTPFound(nxt)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", secure=is_https(request),
                    max_age=SESSION_HOURS * 3600, path="/")
    raise resp


async def logout(request: web.Request) -> web.StreamResponse:
    st = state(request)
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        await st.db(lambda s: s.delete_session(token_hash(sid)))
    resp = web.HTTPFound("/login")
    resp.del_cookie(SESSION_COOKIE, path="/")
    raise resp


async def set_lang(request: web.Request) -> web.StreamResponse:
    u = user(request)
    form = await request.post()
    code = str(form.get("lang", "id"))
    if u and code in ("id", "en"):
        await state(request).db(lambda s: s.update_user(u["username"], actor=u["username"], lang=code))
    raise web.HTTPFound(safe_local_path(str(form.get("next", "/"))))


def setup(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/lang", set_lang)
