"""Alert channels (e-mail, Telegram, webhook) against real local servers, and the alert templates."""

from __future__ import annotations

import logging
import socket
import time
from types import SimpleNamespace

import pytest
from pydantic import BaseModel, ConfigDict

from monitor.alerting.channels import BUILTIN, Channel, ChannelConfigError, channel_types, make_channel
from monitor.alerting.channels.email import EmailChannel
from monitor.alerting.channels.telegram import TelegramChannel, fit_text
from monitor.alerting.channels.webhook import WebhookChannel, encode_body, sign, verify_signature
from monitor.alerting.message import AlertMessage, DeliveryError, Recipient
from monitor.alerting.render import compose, render
from monitor.config import ConfigError
from tests.fakes.smtp_server import FakeSmtp, free_port, smtp_server, start_fake_smtp  # noqa: F401  (fixture)
from tests.fakes.telegram_bot_server import TOKEN, parse_html, telegram_bot_server  # noqa: F401  (fixture)
from tests.fakes.webhook_receiver import SECRET, webhook_receiver  # noqa: F401  (fixture)

POST_TEXT = "Ayo coblos nomor 2, jangan lupa 14 Februari! #menangsatuputaran"
ACK = "https://monitor.pemkot.example/ack/9f2c1e"
APP = "https://monitor.pemkot.example"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv("T_SMTP_PASSWORD", "s3cret-smtp")
    monkeypatch.setenv("T_TG_TOKEN", TOKEN)
    monkeypatch.setenv("T_HOOK_SECRET", SECRET)


def superior(**kw) -> Recipient:
    base = dict(nip="197805122003122004", nama="Dra. Fauziah Rahmawati, M.Si.", email="fauziah@pemkot.example",
                telegram="555000111", jabatan="Kepala Bagian Tata Pemerintahan", instansi="Pemerintah Kota Contoh")
    base.update(kw)
    return Recipient(**base)


def hit(n: int = 1, **kw) -> dict:
    h = dict(hit_id=f"hit-{n}", nama="Bagus Setiawan", nip="199003152015031001",
             jabatan="Analis Kebijakan Ahli Pertama", unit_kerja="Subbagian Otonomi Daerah — Bagian Tata Pemerintahan",
             instansi="Pemerintah Kota Contoh", behaviour="Dukungan terbuka kepada peserta pemilu",
             platform="x", created_local=f"2024-02-1{n % 10} 14:05 WIB", score=0.8734,
             link=f"{APP}/hits/hit-{n}", post_text=POST_TEXT)  # post_text must never reach a message
    h.update(kw)
    return h


def alert_message(kind="alert", hits=None, level=1, lang="id", recipient=None, template_dir=None) -> AlertMessage:
    recipient = recipient or superior()
    ctx = dict(level=level, hits=hits if hits is not None else [hit()], office_name="Pemerintah Kota Contoh",
               ack_link=ACK)
    return compose("al-0001", kind, recipient, ctx, lang, template_dir)


def assert_no_post_text(*parts: str) -> None:
    for p in parts:
        assert "coblos" not in p and "menangsatuputaran" not in p


# ------------------------------------------------------------------ e-mail


def email_channel(fake: FakeSmtp, **opts) -> EmailChannel:
    options = dict(host=fake.host, port=fake.port, security="none",
                   from_addr="Monitor Netralitas ASN <monitor@pemkot.example>", timeout_s=5)
    options.update(opts)
    ch = make_channel("kantor", "email", options)
    assert isinstance(ch, EmailChannel)
    return ch


async def test_email_delivered_and_read_back(smtp_server):
    ch = email_channel(smtp_server, bcc=["arsip.netralitas@pemkot.example"])
    msg = alert_message()
    await ch.send(msg)
    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    assert got.mail_from == "monitor@pemkot.example"
    assert got.rcpt_tos == ["fauziah@pemkot.example", "arsip.netralitas@pemkot.example"]
    m = got.message
    assert m["Subject"] == msg.subject
    assert "Dugaan pelanggaran" in m["Subject"] and "Bagus" not in m["Subject"]  # no name in previews
    assert m["To"].addresses[0].addr_spec == "fauziah@pemkot.example"
    assert "Bcc" not in m  # the office copy is envelope-only
    assert m["Message-ID"].endswith("@pemkot.example>") and m["Date"] is not None
    assert m["X-Monitor-Alert-Id"] == "al-0001" and m["Auto-Submitted"] == "auto-generated"
    assert m.get_content_type() == "multipart/alternative"
    text = m.get_body(("plain",))
    html = m.get_body(("html",))
    assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    t, h = text.get_content(), html.get_content()
    for part in (t, h):
        flat = " ".join(part.lower().split())
        assert "dugaan pelanggaran netralitas asn yang perlu ditindaklanjuti" in flat
        assert "belum merupakan putusan" in part.lower()
        assert "Subbagian Otonomi Daerah — Bagian Tata Pemerintahan" in part  # UTF-8 survives
        assert "199003152015031001" in part and "Bagus Setiawan" in part
        assert f"{APP}/hits/hit-1" in part and ACK in part
    assert "14:05 WIB" in t and "0.87" in t
    assert_no_post_text(m["Subject"], t, h, got.data.decode("utf-8", "replace"))
    await ch.aclose()


async def test_email_with_auth_on_loopback():
    fake, controller = start_fake_smtp(FakeSmtp(credentials={"monitor": "s3cret-smtp"}))
    try:
        ch = email_channel(fake, username="monitor", password_env="T_SMTP_PASSWORD")
        await ch.send(alert_message())
        assert fake.received[0].authenticated_as == "monitor"
    finally:
        controller.stop()


async def test_email_5xx_is_permanent_4xx_is_not(smtp_server):
    ch = email_channel(smtp_server)
    smtp_server.reject["fauziah@pemkot.example"] = "550 5.1.1 <fauziah@pemkot.example>: mailbox unavailable"
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    assert exc.value.permanent is True and "550" in str(exc.value)

    smtp_server.reject["fauziah@pemkot.example"] = "451 4.7.1 greylisted, try again later"
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    assert exc.value.permanent is False and "451" in str(exc.value)

    smtp_server.reject.clear()
    smtp_server.data_reply = "554 5.7.1 message refused"
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    assert exc.value.permanent is True
    assert smtp_server.received == []


async def test_email_recipient_refused_while_office_copy_accepted_is_an_error(smtp_server):
    ch = email_channel(smtp_server, bcc=["arsip.netralitas@pemkot.example"])
    smtp_server.reject["fauziah@pemkot.example"] = "550 5.1.1 mailbox unavailable"
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    assert exc.value.permanent is True and "fauziah@pemkot.example" in str(exc.value)


async def test_email_connection_refused_is_temporary():
    ch = make_channel("kantor", "email", dict(host="127.0.0.1", port=free_port(), security="none",
                                              from_addr="monitor@pemkot.example", timeout_s=3))
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    assert exc.value.permanent is False


async def test_email_starttls_with_a_throwaway_certificate(tmp_path):
    pytest.importorskip("cryptography")
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem, key_pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_pem, key_pem)
    fake, controller = start_fake_smtp(FakeSmtp(credentials={"monitor": "s3cret-smtp"}), tls_context=server_ctx)
    try:
        ch = make_channel("kantor", "email", dict(host="127.0.0.1", port=fake.port, security="starttls",
                                                  username="monitor", password_env="T_SMTP_PASSWORD",
                                                  from_addr="monitor@pemkot.example", ca_file=str(cert_pem),
                                                  timeout_s=5))
        await ch.send(alert_message())
        assert fake.received[0].authenticated_as == "monitor"
        # without the private CA the certificate is not trusted: refused, not sent in clear
        ch2 = make_channel("kantor", "email", dict(host="127.0.0.1", port=fake.port, security="starttls",
                                                   from_addr="monitor@pemkot.example", timeout_s=5))
        with pytest.raises(DeliveryError) as exc:
            await ch2.send(alert_message())
        assert exc.value.permanent is False
        assert len(fake.received) == 1
    finally:
        controller.stop()


# ------------------------------------------------------------------ Telegram


def tg_channel(fake, **opts) -> TelegramChannel:
    options = dict(base_url=fake.base_url, token_env="T_TG_TOKEN", timeout_s=5)
    options.update(opts)
    ch = make_channel("tg", "telegram", options)
    assert isinstance(ch, TelegramChannel)
    return ch


async def test_telegram_ok(telegram_bot_server):
    ch = tg_channel(telegram_bot_server)
    msg = alert_message(hits=[hit(jabatan="Analis <Kebijakan> & Staf")])
    try:
        await ch.send(msg)
    finally:
        await ch.aclose()
    [sent] = telegram_bot_server.sent
    assert sent["chat_id"] == "555000111" and sent["parse_mode"] == "HTML"
    assert sent["disable_web_page_preview"] is True and sent["protect_content"] is True
    assert "Analis &lt;Kebijakan&gt; &amp; Staf" in sent["text"]  # escaped for HTML parse mode
    assert f'<a href="{APP}/hits/hit-1">' in sent["text"] and f'<a href="{ACK}">' in sent["text"]
    assert "Belum merupakan putusan" in sent["text"]
    assert_no_post_text(sent["text"])
    assert telegram_bot_server.requests == [("/bot<token>/sendMessage", 200)]


async def test_telegram_429_gives_retry_after_and_hides_the_token(telegram_bot_server, caplog):
    caplog.set_level(logging.DEBUG)
    ch = tg_channel(telegram_bot_server)
    telegram_bot_server.rate_limit_next(1, retry_after=3)
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    await ch.aclose()
    e = exc.value
    assert e.permanent is False and e.retry_after == 3
    assert "429" in str(e) and "Too Many Requests" in str(e)
    assert TOKEN not in str(e) and TOKEN not in repr(e) and TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in str(e)


@pytest.mark.parametrize("setup, permanent, words", [
    (lambda f: f.unknown_chats.add("555000111"), True, "chat not found"),
    (lambda f: f.blocked_chats.add("555000111"), True, "blocked"),
    (lambda f: f.fail_next(1), False, "500"),
])
async def test_telegram_errors(telegram_bot_server, setup, permanent, words):
    ch = tg_channel(telegram_bot_server)
    setup(telegram_bot_server)
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    await ch.aclose()
    assert exc.value.permanent is permanent and words in str(exc.value)
    assert TOKEN not in str(exc.value)


async def test_telegram_wrong_token_or_unreachable_is_temporary_and_secret(telegram_bot_server, monkeypatch):
    monkeypatch.setenv("T_TG_TOKEN", "123:wrong-token-abc")
    ch = tg_channel(telegram_bot_server)
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    await ch.aclose()
    assert exc.value.permanent is False and "401" in str(exc.value) and "wrong-token" not in str(exc.value)

    monkeypatch.setenv("T_TG_TOKEN", TOKEN)
    ch = make_channel("tg", "telegram", dict(base_url=f"http://127.0.0.1:{free_port()}", token_env="T_TG_TOKEN",
                                             timeout_s=3))
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    await ch.aclose()
    assert exc.value.permanent is False and TOKEN not in str(exc.value)


async def test_telegram_long_digest_is_cut_to_fit(telegram_bot_server):
    ch = tg_channel(telegram_bot_server)
    hits = [hit(i, nip=f"19900315201503{i:04d}", nama=f"Pegawai {i}") for i in range(80)]
    msg = alert_message("digest", hits=hits)
    assert len(msg.telegram) > 4096
    await ch.send(msg)
    await ch.aclose()
    [sent] = telegram_bot_server.sent
    assert len(sent["text"]) <= 4096 and sent["text"].endswith("…")
    assert ACK in sent["text"]  # the links come before the (cut) details
    cut = fit_text(msg.telegram, f"{APP}/hits?alert=al-0001")
    assert len(cut) <= 4096 and cut.endswith(f'<a href="{APP}/hits?alert=al-0001">{APP}/hits?alert=al-0001</a>')
    assert parse_html(cut)[0] is None
    assert fit_text("short", None) == "short"


# ------------------------------------------------------------------ webhook


async def test_webhook_signed_and_verified_by_the_receiver(webhook_receiver):
    ch = make_channel("hook", "webhook", dict(url=webhook_receiver.url, secret_env="T_HOOK_SECRET", timeout_s=5))
    assert isinstance(ch, WebhookChannel)
    msg = alert_message("digest", hits=[hit(1), hit(2)], level=2)
    await ch.send(msg)
    await ch.aclose()
    [d] = webhook_receiver.received
    assert d.json == msg.payload
    assert d.json == {"alert_id": "al-0001", "kind": "digest", "level": 2, "recipient_nip": "197805122003122004",
                      "hit_ids": ["hit-1", "hit-2"], "links": [f"{APP}/hits/hit-1", f"{APP}/hits/hit-2"],
                      "link": None, "ack_link": ACK}
    assert d.headers["X-Monitor-Alert-Id"] == "al-0001"
    ts = d.headers["X-Monitor-Timestamp"]
    assert abs(int(ts) - time.time()) < 60
    assert d.headers["X-Monitor-Signature"] == sign(SECRET, ts, d.body)
    assert_no_post_text(d.body.decode())
    assert "Bagus" not in d.body.decode()  # identifiers and links only

    # a tampered body (or timestamp) does not verify
    header = d.headers["X-Monitor-Signature"]
    assert verify_signature(SECRET, ts, d.body, header)
    assert not verify_signature(SECRET, ts, d.body.replace(b'"level":2', b'"level":1'), header)
    assert not verify_signature(SECRET, str(int(ts) + 1), d.body, header)
    assert not verify_signature("other-secret", ts, d.body, header)
    assert not verify_signature(SECRET, ts, d.body, None)
    assert not verify_signature(SECRET, "abc", d.body, header)
    assert not verify_signature(SECRET, ts, d.body, header, max_age_s=300, now=int(ts) + 3600)


async def test_webhook_wrong_secret_is_refused_permanently(webhook_receiver, monkeypatch):
    monkeypatch.setenv("T_HOOK_SECRET", "not-the-shared-secret")
    ch = make_channel("hook", "webhook", dict(url=webhook_receiver.url, secret_env="T_HOOK_SECRET"))
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    await ch.aclose()
    assert exc.value.permanent is True and "401" in str(exc.value)
    assert "not-the-shared-secret" not in str(exc.value)
    assert len(webhook_receiver.rejected) == 1 and webhook_receiver.received == []


@pytest.mark.parametrize("status, permanent", [(503, False), (500, False), (429, False), (408, False),
                                               (410, True), (400, True), (302, True)])
async def test_webhook_status_classes(webhook_receiver, status, permanent):
    webhook_receiver.status_next = [status]
    webhook_receiver.retry_after = "7"
    ch = make_channel("hook", "webhook", dict(url=webhook_receiver.url, secret_env="T_HOOK_SECRET"))
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    await ch.aclose()
    assert exc.value.permanent is permanent and str(status) in str(exc.value)
    if not permanent:
        assert exc.value.retry_after == 7


async def test_webhook_unreachable_is_temporary():
    ch = make_channel("hook", "webhook", dict(url=f"http://127.0.0.1:{free_port()}/hook", secret_env="T_HOOK_SECRET",
                                              timeout_s=3))
    with pytest.raises(DeliveryError) as exc:
        await ch.send(alert_message())
    await ch.aclose()
    assert exc.value.permanent is False


def test_body_encoding_is_stable():
    assert encode_body({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


# ------------------------------------------------------------------ registry and options


def test_accepts():
    ok = superior()
    none = superior(email=None, telegram=None)
    email = make_channel("kantor", "email", dict(host="smtp.example", from_addr="monitor@pemkot.example"))
    tg = make_channel("tg", "telegram", dict(token_env="T_TG_TOKEN"))
    hook = make_channel("hook", "webhook", dict(url="https://hooks.example/x", secret_env="T_HOOK_SECRET"))
    assert email.accepts(ok) and not email.accepts(none)
    assert tg.accepts(ok) and not tg.accepts(none) and not tg.accepts(superior(telegram="  "))
    assert hook.accepts(ok) and hook.accepts(none)
    assert isinstance(email, Channel) and tg.options.base_url == "https://api.telegram.org"


@pytest.mark.parametrize("type_name, options, expected", [
    ("email", dict(host="smtp.example", from_addr="m@pemkot.example", prot=25), "alerts.channels.x.prot: unknown key"),
    ("email", dict(host="smtp.example"), "alerts.channels.x.from_addr: Field required"),
    ("email", dict(host="smtp.example", from_addr="not an address"), "alerts.channels.x.from_addr:"),
    ("email", dict(host="smtp.example", from_addr="m@pemkot.example", security="ssl"), "alerts.channels.x.security:"),
    ("email", dict(host="smtp.example", from_addr="m@pemkot.example", username="u"),
     "alerts.channels.x.password_env: Value error, required when username is set"),
    ("email", dict(host="smtp.example", from_addr="m@pemkot.example", security="none", username="u",
                   password_env="T_SMTP_PASSWORD"), "alerts.channels.x.password_env: Value error, refusing"),
    ("email", dict(host="smtp.example", from_addr="m@pemkot.example", bcc=["arsip"]), "alerts.channels.x.bcc.0:"),
    ("email", dict(host="smtp.example", from_addr="m@pemkot.example", timeout_s=0), "alerts.channels.x.timeout_s:"),
    ("telegram", dict(), "alerts.channels.x.token_env: Field required"),
    ("telegram", dict(token_env="T_TG_TOKEN", token="123:abc"), "alerts.channels.x.token: unknown key"),
    ("telegram", dict(token_env="T_TG_TOKEN", base_url="api.telegram.org"), "alerts.channels.x.base_url:"),
    ("telegram", dict(token_env="T_UNSET_VAR"), "alerts.channels.x.token_env: environment variable T_UNSET_VAR"),
    ("webhook", dict(url="http://hooks.example/x", secret_env="T_HOOK_SECRET"), "alerts.channels.x.url:"),
    ("webhook", dict(url="https://hooks.example/x"), "alerts.channels.x.secret_env: Field required"),
    ("sms", dict(), "alerts.channels.x.type: unknown channel type 'sms'"),
])
def test_option_errors_name_the_key(monkeypatch, type_name, options, expected):
    monkeypatch.delenv("T_UNSET_VAR", raising=False)
    with pytest.raises(ChannelConfigError) as exc:
        make_channel("x", type_name, options)
    assert expected in str(exc.value)
    assert isinstance(exc.value, ConfigError)
    assert "s3cret" not in str(exc.value)


def test_type_key_in_the_block_is_ignored_and_builtins_are_listed():
    ch = make_channel("hook", "webhook", dict(type="webhook", url="https://hooks.example/x",
                                              secret_env="T_HOOK_SECRET"))
    assert ch.name == "hook"
    assert set(BUILTIN) == {"email", "telegram", "webhook"} <= set(channel_types())


class DummyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room: str


class DummyChannel(Channel):
    type_name = "dummy"
    options_model = DummyOptions

    async def send(self, message):
        self.last = message


def test_entry_point_plugin(monkeypatch):
    import monitor.alerting.channels as reg

    ep = SimpleNamespace(name="dummy", value="tests.test_alert_channels:DummyChannel")
    monkeypatch.setattr(reg, "entry_points", lambda group: [ep] if group == "monitor.alert_channels" else [])
    ch = make_channel("d", "dummy", {"room": "101"})
    assert isinstance(ch, DummyChannel) and ch.options.room == "101"
    with pytest.raises(ChannelConfigError, match=r"alerts\.channels\.d\.room: Field required"):
        make_channel("d", "dummy", {})


# ------------------------------------------------------------------ templates


def test_templates_render_in_indonesian_and_english():
    ctx = dict(recipient=superior(), level=1, hits=[hit()], office_name="Pemerintah Kota Contoh", ack_link=ACK)
    ind = render("alert", ctx, "id")
    en = render("alert", ctx, "en")
    assert "Netralitas ASN" in ind.subject and "Yth." in ind.text
    assert "belum merupakan putusan" in ind.text.lower() and "belum merupakan putusan" in ind.html.lower()
    assert "ASN neutrality" in en.subject and "Dear" in en.text
    assert "not a finding" in en.text.lower() and "not a finding" in en.html.lower() and 'lang="en"' in en.html
    for r in (ind, en):
        assert "\n" not in r.subject
        assert f"{APP}/hits/hit-1" in r.text and ACK in r.text and ACK in r.html and ACK in r.telegram
        assert "Analis Kebijakan Ahli Pertama" in r.text and "Pemerintah Kota Contoh" in r.text
        assert parse_html(r.telegram)[0] is None  # Telegram would accept the markup
        assert_no_post_text(r.subject, r.text, r.html, r.telegram)
    assert render("alert", ctx, "fr").subject == ind.subject  # unknown language -> Indonesian
    test_id, test_en = render("test", ctx, "id"), render("test", ctx, "en")
    assert "uji" in test_id.subject and "test" in test_en.subject.lower() and "uji" in test_id.telegram


def test_digest_groups_hits_per_subordinate_and_escalation_is_visible():
    hits = [hit(1), hit(2, nama="Rina Kartika", nip="199205202019032002"), hit(3)]
    r = render("digest", dict(recipient=superior(), level=2, hits=hits, ack_link=ACK), "id")
    assert "ESKALASI tingkat 2" in r.subject and "Rekap 3 dugaan" in r.subject and "(2 pegawai)" in r.subject
    assert r.text.count("Bagus Setiawan") == 1 and r.text.count("Rina Kartika") == 1
    assert r.text.index("hit-1") < r.text.index("hit-3") < r.text.index("Rina Kartika")  # grouped, first-seen order
    assert "ESKALASI TINGKAT 2" in r.text and "ESKALASI TINGKAT 2" in r.html and "ESKALASI TINGKAT 2" in r.telegram
    for n in (1, 2, 3):
        assert f"{APP}/hits/hit-{n}" in r.text and f"{APP}/hits/hit-{n}" in r.html
    assert_no_post_text(r.text, r.html, r.telegram)


def test_html_and_telegram_are_escaped_text_is_not():
    r = render("alert", dict(recipient=superior(nama="A <b>&</b>"), hits=[hit(jabatan="<script>x</script>")]), "id")
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "<script>" not in r.telegram and "&lt;script&gt;" in r.telegram
    assert "<script>x</script>" in r.text and "A <b>&</b>" in r.text


def test_admin_template_folder_overrides_one_file(tmp_path, caplog):
    (tmp_path / "alert_subject.txt").write_text("[Kantor] Perlu tindak lanjut: {{ hits|length }} temuan\n",
                                                encoding="utf-8")
    ctx = dict(recipient=superior(), hits=[hit()], ack_link=ACK)
    r = render("alert", ctx, "id", template_dir=tmp_path)
    assert r.subject == "[Kantor] Perlu tindak lanjut: 1 temuan"
    assert r.text == render("alert", ctx, "id").text  # the other files still come from the package
    msg = alert_message(template_dir=tmp_path)
    assert msg.subject.startswith("[Kantor]")

    # a broken admin template never loses an alert: the packaged one is used and the error logged
    (tmp_path / "alert.txt").write_text("{% if %}broken", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        r2 = render("alert", ctx, "id", template_dir=tmp_path)
    assert r2.text == render("alert", ctx, "id").text and "broken" in caplog.text.lower()


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        render("weekly", {}, "id")


def test_payload_never_holds_names_or_text():
    msg = alert_message()
    assert set(msg.payload) == {"alert_id", "kind", "level", "recipient_nip", "hit_ids", "links", "link", "ack_link"}
    assert msg.link == f"{APP}/hits/hit-1"


def test_delivery_error_fields():
    e = DeliveryError("x", permanent=True, retry_after=2.5)
    assert e.permanent and e.retry_after == 2.5 and str(e) == "x"
    assert DeliveryError("y").permanent is False and DeliveryError("y").retry_after is None


def test_sockets_helper_free_port_is_closed():
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", free_port())) != 0
