"""Sign-in, sessions, CSRF, throttling, headers (in-process aiohttp client, real DuckDB)."""

from monitor.web.auth import hash_password, verify_password
from monitor.web.messages import CATALOG
from tests.webutil import PASSWORD, csrf_of, login, web_client, web_dir, demo_template  # noqa: F401


def test_password_hash_roundtrip_and_format():
    h = hash_password("kata-sandi-panjang")
    assert h.startswith("scrypt$16384$8$1$") and "kata-sandi" not in h
    assert verify_password("kata-sandi-panjang", h)
    assert not verify_password("salah-sandi-panjang", h)
    assert hash_password("kata-sandi-panjang") != h  # salted


async def test_pages_need_sign_in(web_client):
    r = await web_client.get("/", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"].startswith("/login")


async def test_sign_in_sets_a_safe_session_cookie(web_client):
    token = await csrf_of(web_client, "/login")
    r = await web_client.post("/login", data={"username": "pengawas1", "password": PASSWORD, "csrf": token},
                              allow_redirects=False)
    assert r.status == 302
    cookie = r.headers.getall("Set-Cookie")
    session = next(c for c in cookie if c.startswith("monitor_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session
    assert r.headers["Content-Security-Policy"]


async def test_wrong_password_and_throttling(web_client):
    for _ in range(5):
        token = await csrf_of(web_client, "/login")
        r = await web_client.post("/login", data={"username": "pengawas1", "password": "salah", "csrf": token})
        assert r.status == 401
    token = await csrf_of(web_client, "/login")
    r = await web_client.post("/login", data={"username": "pengawas1", "password": PASSWORD, "csrf": token})
    assert r.status == 429  # even the right password waits after 5 failures


async def test_login_without_csrf_is_refused(web_client):
    r = await web_client.post("/login", data={"username": "pengawas1", "password": PASSWORD})
    assert r.status == 403


async def test_state_change_without_csrf_is_refused_after_sign_in(web_client):
    await login(web_client, "pengawas1")
    r = await web_client.post("/lang", data={"lang": "en", "next": "/"})
    assert r.status == 403
    token = await csrf_of(web_client, "/login?x=1")  # any page carries the session's token once signed in
    r = await web_client.post("/lang", data={"lang": "en", "next": "/", "csrf": token}, allow_redirects=False)
    assert r.status == 302


async def test_open_redirect_is_not_possible(web_client):
    token = await csrf_of(web_client, "/login")
    r = await web_client.post("/login", data={"username": "admin1", "password": PASSWORD, "csrf": token,
                                              "next": "//evil.example/x"}, allow_redirects=False)
    assert r.headers["Location"] == "/"


def test_every_web_message_has_both_languages():
    for key, entry in CATALOG.items():
        assert set(entry) == {"id", "en"}, key
