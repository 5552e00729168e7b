"""RSS/Atom source against a local fake feed host: mapping, conditional GET, resumability, faults,
hostile documents; plus HttpClient.get_bytes."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from monitor.collect.base import Batch
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.sources.rss import (
    SEEN_MIN,
    FeedError,
    RssError,
    RssOptions,
    RssSource,
    decode_document,
    parse_date,
    parse_feed,
    scoped_id,
)
from tests.fakes import FakeClock
from tests.fakes.rss_server import ATOM_TYPE, FakeFeeds, http_date, load_feed, rss_server  # noqa: F401

KABAR = "/kabar/feed"
BLOG = "/blog/atom.xml"
WIB = timezone(timedelta(hours=7))

# ------------------------------------------------------------------ helpers

_CLIENTS: list[HttpClient] = []


@pytest.fixture(autouse=True)
async def _close_clients():
    yield
    while _CLIENTS:
        await _CLIENTS.pop().aclose()


def fast_http(clock: FakeClock | None = None, **kw) -> HttpClient:
    clock = clock or FakeClock()
    opts = dict(timeout_s=2, max_retries=2, backoff_base_s=0.01, backoff_max_s=0.02, requests_per_second=1000)
    opts.update(kw)
    http = HttpClient(HttpOptions(**opts), random=lambda: 0.5, **clock.kwargs())
    _CLIENTS.append(http)
    return http


def make_src(fake: FakeFeeds, feeds: list, clock: FakeClock | None = None, **opts) -> RssSource:
    """A source on the fake host; ``feeds`` are paths or dicts with a ``path`` key."""
    conf = []
    for f in feeds:
        f = {"path": f} if isinstance(f, str) else dict(f)
        f["url"] = fake.url(f.pop("path"))
        conf.append(f)
    return RssSource("berita", RssOptions(feeds=conf, **opts), http=fast_http(clock))


async def run(src: RssSource, cursor=None, *, stop_after: int | None = None) -> list[Batch]:
    out: list[Batch] = []
    gen = src.fetch(copy.deepcopy(cursor))
    try:
        async for b in gen:
            json.dumps(b.cursor)  # the cursor is stored as JSON
            out.append(b)
            if stop_after is not None and len(out) >= stop_after:
                break
    finally:
        await gen.aclose()
    return out


async def run_collect_error(src: RssSource, cursor=None) -> tuple[list[Batch], RssError]:
    got: list[Batch] = []
    with pytest.raises(RssError) as info:
        async for b in src.fetch(copy.deepcopy(cursor)):
            got.append(b)
    return got, info.value


def ids(batches: list[Batch]) -> list[str]:
    return [p.post_id for b in batches for p in b.posts]


def posts_by_id(batches: list[Batch]) -> dict:
    return {p.post_id: p for b in batches for p in b.posts}


def rss(items: list[tuple[str, str]], title: str = "Kabar Kota") -> str:
    """A small RSS 2.0 document; items are (guid, title); an item's date depends on its guid only."""
    body = "".join(
        f"<item><title>{t}</title><link>https://kabarkota.example/{g}</link>"
        f"<guid isPermaLink=\"false\">https://kabarkota.example/?p={g}</guid>"
        f"<pubDate>Mon, 12 Feb 2024 09:{sum(map(ord, g)) % 60:02d}:00 +0700</pubDate>"
        f"<description>Isi {t}</description></item>"
        for g, t in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://kabarkota.example</link><description>x</description>{body}</channel></rss>"
    )


def pid(g: str) -> str:
    return f"https://kabarkota.example/?p={g}"


# ------------------------------------------------------------------ mapping


async def test_rss2_feed_is_mapped(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, load_feed("kabar_rss2.xml"), content_type="application/rss+xml; charset=UTF-8")
    src = make_src(fake, [{"path": KABAR, "platform": "news"}])
    (batch,) = await run(src)
    assert batch.rejected == []
    posts = batch.posts
    assert [p.post_id for p in posts] == [
        "https://kabarkota.example/?p=48211",
        "https://kabarkota.example/?p=48190",
        "https://kabarkota.example/ekonomi/2024/02/09/harga-beras-naik",
    ]
    p1, p2, p3 = posts
    assert all(p.platform == "news" and p.kind == "post" for p in posts)
    assert p1.url == "https://kabarkota.example/politik/2024/02/12/camat-sukamaju-ajak-warga"
    assert p1.created_at == datetime(2024, 2, 12, 9, 30, tzinfo=WIB)
    assert p1.author.name == p1.author.handle == "Rina Wulandari"
    assert p1.author.id == fake.url(KABAR) + "#Rina Wulandari"
    # title, blank line, then content:encoded (preferred over description) as plain text
    assert p1.text.startswith("Camat Sukamaju Diduga Ajak Warga Pilih Paslon Nomor 2\n\nBawaslu Kota menerima")
    assert "mengajak warga memilih paslon nomor 2 saat acara posyandu.\n\"Kami sedang" in p1.text
    assert "<strong>" not in p1.text
    # raw is the item's exact source text: CDATA and prefixes untouched
    src_text = load_feed("kabar_rss2.xml").decode("utf-8")
    assert p1.raw in src_text and p1.raw.startswith("<item>") and p1.raw.endswith("</item>")
    assert "<dc:creator><![CDATA[Rina Wulandari]]></dc:creator>" in p1.raw
    # "Sab, 10 Feb 2024 08:00 WIB": Indonesian day name, no seconds, WIB
    assert p2.created_at == datetime(2024, 2, 10, 8, 0, tzinfo=WIB)
    assert p2.text == (
        "Pemkot Gelar Apel Netralitas ASN Jelang Masa Tenang\n\n"
        "Sekda mengingatkan seluruh ASN untuk menjaga netralitas & tidak ikut kampanye."
    )
    assert p3.author.name == "Tim Ekonomi"  # "email (Name)"
    assert p3.created_at == datetime(2024, 2, 9, 14, 5, tzinfo=timezone.utc)
    assert p3.text.endswith("Harga beras medium naik menjadi Rp 14.000 per kilogram.")
    cur = batch.cursor["feeds"][fake.url(KABAR)]
    assert cur["etag"] == fake.docs[KABAR].etag and len(cur["seen"]) == 3


async def test_atom_feed_is_mapped(rss_server):
    fake = rss_server
    fake.set_feed(BLOG, load_feed("blog_atom.xml"), content_type=ATOM_TYPE)
    src = make_src(fake, [{"path": BLOG, "platform": "blog"}])
    (batch,) = await run(src)
    a, b = batch.posts
    assert a.post_id == "tag:blogger.com,1999:blog-7712093.post-5566"
    assert a.url == fake.url("/2024/02/mari-dukung-paslon-01.html")  # relative href resolved
    assert a.created_at == datetime(2024, 2, 11, 20, 30, tzinfo=WIB)  # published, not updated
    assert a.text == (
        "Mari Dukung Paslon 01 demi Pendidikan\n\n"
        "Sebagai guru, saya mengajak rekan-rekan memilih paslon 01.\n\n#coblos01 #pemilu2024"
    )
    # no entry author: the feed-level author applies
    assert a.author.name == "Budi Santoso" and a.author.url == "https://catatanpakguru.example/profil"
    assert a.raw.startswith("<entry>") and "&lt;b&gt;Paslon 01&lt;/b&gt;" in a.raw
    assert b.created_at == datetime(2024, 2, 3, 9, 0, tzinfo=timezone.utc)  # only <updated>
    assert b.author.name == "Siti Aminah"
    assert b.text == "Kegiatan Pramuka Hari Sabtu\n\nAnak-anak belajar tali-temali.\n\nSeru sekali!"  # xhtml content


async def test_rss1_rdf_feed_and_feed_as_author(rss_server):
    fake = rss_server
    fake.set_feed("/desa.rdf", load_feed("desa_rdf.xml"), content_type="application/rdf+xml")
    fake.set_feed(KABAR, rss([("1", "Tanpa penulis")]))
    src = make_src(fake, ["/desa.rdf", {"path": KABAR, "name": "Kabar Kota Online", "handle": "kabarkota"}])
    b1, b2 = await run(src)
    (p,) = b1.posts
    assert p.post_id == "https://desamaju.example/berita/musdes-2024"
    assert p.created_at == datetime(2024, 1, 20, 10, 0, tzinfo=WIB)
    assert p.author.name == "Admin Desa" and p.text.startswith("Musyawarah Desa Penetapan APBDes 2024\n\n")
    (q,) = b2.posts  # an item without author: the feed is the author
    assert q.author.id == fake.url(KABAR)
    assert q.author.handle == "kabarkota" and q.author.name == "Kabar Kota Online"
    assert q.author.url == "https://kabarkota.example"


async def test_declared_latin1_encoding_is_decoded(rss_server):
    fake = rss_server
    # the server even claims UTF-8: the document's own declaration wins when it decodes
    fake.set_feed("/warta", load_feed("warta_latin1.xml"), content_type="text/xml; charset=utf-8")
    src = make_src(fake, ["/warta"])
    ((p,),) = [b.posts for b in await run(src)]
    assert p.text == (
        "Lomba Kafé «Kopi Nusantara» Dibuka Lurah\n\n"
        "Suhu 30° tak menghalangi warga; hadiah ½ juta rupiah untuk juara."
    )
    assert "Kafé «Kopi Nusantara»" in p.raw
    assert p.author.name == "Pak Lurah"
    # a bare guid is scoped to its feed so two sites cannot collide on one platform
    assert p.post_id == fake.url("/warta") + "#cibodas-2024-0042"


def test_decode_document_order():
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1")
    assert decode_document(latin, "text/xml; charset=utf-8") == (latin.decode("latin-1"), "ISO-8859-1")
    plain = "<a>é</a>".encode("cp1252")  # no declaration: the HTTP charset
    assert decode_document(plain, "text/xml; charset=windows-1252")[0] == "<a>é</a>"
    assert decode_document("<a>é</a>".encode("utf-16"))[0] == "<a>é</a>"  # BOM
    assert decode_document(b"<a>\xff</a>")[0] == "<a>\ufffd</a>"  # nothing fits: replacements


def test_parse_date_variants():
    assert parse_date("Mon, 12 Feb 2024 09:30:00 +0700") == datetime(2024, 2, 12, 9, 30, tzinfo=WIB)
    assert parse_date("Senin, 12 Februari 2024 09:30:00 WIB") == datetime(2024, 2, 12, 9, 30, tzinfo=WIB)
    assert parse_date("12 Agu 24 17:00 WITA").utcoffset() == timedelta(hours=8)
    assert parse_date("Tue, 1 Oct 2024 01:02:03 GMT") == datetime(2024, 10, 1, 1, 2, 3, tzinfo=timezone.utc)
    assert parse_date("Tue, 1 Oct 2024 01:02:03 -0000").utcoffset() == timedelta(0)  # RFC 5322: UTC
    assert parse_date("2024-02-11T20:30:00.5+07:00").utcoffset() == timedelta(hours=7)
    assert parse_date("2024-02-11T13:30:00Z") == datetime(2024, 2, 11, 13, 30, tzinfo=timezone.utc)
    assert parse_date("2024-02-13 08:00:00").tzinfo is None  # no zone: naive
    bad_values = (None, "", "kemarin sore", "Mon, 12 Foo 2024 09:30:00 +0700", "12 Feb 2024 25:00 GMT", "1 Feb 2024 10:00 XYZ")
    for bad in bad_values:
        assert parse_date(bad) is None


def test_ids_are_scoped_and_bounded():
    feed = "https://a.example/rss"
    assert scoped_id("tag:blogger.com,1999:post-1", feed) == "tag:blogger.com,1999:post-1"
    assert scoped_id("12345", feed) == "https://a.example/rss#12345"
    long = "https://a.example/" + "x" * 300
    assert scoped_id(long, feed).startswith("sha256:") and len(scoped_id(long, feed)) == 71


# ------------------------------------------------------------------ conditional GET and cursor


async def test_conditional_get_second_run_is_304(rss_server):
    fake = rss_server
    lm = http_date(1707700000)
    fake.set_feed(KABAR, rss([("1", "Satu"), ("2", "Dua")]), etag='W/"v1"', last_modified=lm)
    src = make_src(fake, [KABAR])
    (b1,) = await run(src)
    assert len(b1.posts) == 2
    first = fake.requests[0].headers
    assert "If-None-Match" not in first and "If-Modified-Since" not in first
    assert "application/rss+xml" in first["Accept"]
    cur = b1.cursor
    assert cur["feeds"][fake.url(KABAR)]["etag"] == 'W/"v1"'
    assert cur["feeds"][fake.url(KABAR)]["last_modified"] == lm

    fake.requests.clear()
    assert await run(src, cur) == []  # 304: nothing new, no batch, cursor unchanged
    (req,) = fake.requests
    assert req.headers["If-None-Match"] == 'W/"v1"' and req.headers["If-Modified-Since"] == lm
    assert req.status == 304


async def test_last_modified_alone_is_used(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu")]), etag=False, last_modified=http_date(1707700000))
    src = make_src(fake, [KABAR])
    cur = (await run(src))[-1].cursor
    fake.requests.clear()
    assert await run(src, cur) == []
    assert fake.requests[0].status == 304 and "If-None-Match" not in fake.requests[0].headers


async def test_etag_change_delivers_only_new_items(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu"), ("2", "Dua")]))
    src = make_src(fake, [KABAR])
    cur = (await run(src))[-1].cursor
    old_etag = fake.docs[KABAR].etag
    fake.set_feed(KABAR, rss([("3", "Tiga"), ("1", "Satu"), ("2", "Dua")]))  # new etag
    fake.requests.clear()
    (b,) = await run(src, cur)
    assert fake.requests[0].headers["If-None-Match"] == old_etag and fake.requests[0].status == 200
    assert ids([b]) == [pid("3")]
    feed = b.cursor["feeds"][fake.url(KABAR)]
    assert feed["etag"] == fake.docs[KABAR].etag != old_etag
    assert len(feed["seen"]) == 3


async def test_republished_feed_without_validators_is_not_re_emitted(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu"), ("2", "Dua")]), etag=False)
    src = make_src(fake, [KABAR])
    cur = (await run(src))[-1].cursor
    (b,) = await run(src, cur)  # 200 again: a batch (cursor), but nothing re-emitted
    assert b.posts == [] and b.rejected == []


async def test_edited_item_is_delivered_again_but_not_for_a_comment_count(rss_server):
    fake = rss_server
    doc = rss([("1", "Satu"), ("2", "Dua")])
    fake.set_feed(KABAR, doc)
    src = make_src(fake, [KABAR])
    cur = (await run(src))[-1].cursor
    desc = "<description>Isi Dua</description>"
    fake.set_feed(KABAR, doc.replace(desc, desc + "<comments>7</comments>"))
    (b,) = await run(src, cur)
    assert b.posts == []  # only a non-content element changed
    fake.set_feed(KABAR, doc.replace("Isi Dua", "Isi Dua (diralat)"))
    (b2,) = await run(src, b.cursor)
    assert ids([b2]) == [pid("2")] and b2.posts[0].text.endswith("(diralat)")  # the store keeps it as a revision
    fake.set_feed(KABAR, doc.replace("Isi Dua", "Isi Dua (diralat)"), etag='"x"')  # same content, new ETag
    (b3,) = await run(src, b2.cursor)
    assert b3.posts == []


async def test_max_items_per_feed_leaves_the_rest_for_next_run(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([(str(i), f"Berita {i}") for i in range(5)]), last_modified=http_date(1707700000))
    src = make_src(fake, [KABAR], max_items_per_feed=2)
    got: list[str] = []
    cur = None
    for expected in (2, 2, 1):
        (b,) = await run(src, cur)
        assert len(b.posts) == expected
        got += ids([b])
        cur = b.cursor
    assert sorted(got) == sorted(pid(str(i)) for i in range(5))
    # validators are stored only once everything was taken; then 304
    assert cur["feeds"][fake.url(KABAR)]["etag"] is not None
    fake.requests.clear()
    assert await run(src, cur) == [] and fake.requests[0].status == 304


async def test_seen_list_is_bounded(rss_server):
    fake = rss_server
    n = SEEN_MIN + 20
    fake.set_feed(KABAR, rss([(str(i), f"B{i}") for i in range(n)]))
    src = make_src(fake, [KABAR], max_items_per_feed=1000)
    (b,) = await run(src)
    assert len(b.posts) == n and len(b.cursor["feeds"][fake.url(KABAR)]["seen"]) == n  # whole document kept
    fake.set_feed(KABAR, rss([("baru", "Baru")]))
    (b2,) = await run(src, b.cursor)
    seen = b2.cursor["feeds"][fake.url(KABAR)]["seen"]
    assert len(seen) == SEEN_MIN and ids([b2]) == [pid("baru")]


async def test_cursor_of_removed_feeds_is_dropped_and_bad_cursor_starts_over(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu")]))
    src = make_src(fake, [KABAR])
    cur = {"v": 1, "feeds": {"https://dulu.example/rss": {"etag": '"a"', "seen": []}}}
    (b,) = await run(src, cur)
    assert list(b.cursor["feeds"]) == [fake.url(KABAR)]
    (b2,) = await run(src, {"v": 99})
    assert len(b2.posts) == 1


# ------------------------------------------------------------------ faults and resuming


async def test_5xx_feed_fails_others_go_on_then_resume_without_loss_or_dup(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu"), ("2", "Dua")]))
    fake.set_feed(BLOG, load_feed("blog_atom.xml"), content_type=ATOM_TYPE)
    fake.fail_next(3, status=503, path=KABAR)  # 1 attempt + 2 retries
    src = make_src(fake, [KABAR, BLOG])
    got, err = await run_collect_error(src)
    assert "1 of 2 feeds failed" in str(err) and fake.url(KABAR) in str(err) and "HTTP 503" in str(err)
    assert len(got) == 1 and len(got[0].posts) == 2  # the blog
    assert fake.url(KABAR) not in got[0].cursor["feeds"]
    delivered = ids(got)

    fake.set_feed(KABAR, rss([("3", "Tiga"), ("1", "Satu"), ("2", "Dua")]))  # changed while failing
    again = await run(src, got[-1].cursor)
    delivered += ids(again)
    assert sorted(delivered) == sorted([pid("1"), pid("2"), pid("3"), *ids(got)])
    assert len(delivered) == len(set(delivered))
    assert [r.status for r in fake.hits(BLOG)][-1] == 304


async def test_transient_5xx_is_retried_within_the_run(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu")]))
    fake.fail_next(1, status=502)
    (b,) = await run(make_src(fake, [KABAR]))
    assert len(b.posts) == 1 and [r.status for r in fake.requests] == [502, 200]


@pytest.mark.parametrize("stop_after", [1, 2])
async def test_crash_after_a_committed_batch_resumes_without_loss(rss_server, stop_after):
    fake = rss_server
    fake.set_feed("/a", rss([("a1", "A1"), ("a2", "A2")]))
    fake.set_feed("/b", rss([("b1", "B1")]))
    fake.set_feed("/c", rss([("c1", "C1"), ("c2", "C2")]))
    src = make_src(fake, ["/a", "/b", "/c"])
    part = await run(src, stop_after=stop_after)
    rest = await run(src, part[-1].cursor)
    delivered = ids(part) + ids(rest)
    assert sorted(delivered) == sorted(pid(x) for x in ("a1", "a2", "b1", "c1", "c2"))
    assert len(delivered) == len(set(delivered))  # committed feeds answer 304


async def test_429_retry_after_is_honoured(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu")]))
    fake.rate_limit_next(1, retry_after="7", path=KABAR)
    clock = FakeClock()
    (b,) = await run(make_src(fake, [KABAR], clock))
    assert len(b.posts) == 1
    assert [r.status for r in fake.requests] == [429, 200]
    assert any(s == pytest.approx(7, abs=0.5) for s in clock.sleeps)


async def test_html_page_with_200_fails_only_that_feed(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu")]))
    fake.set_feed(BLOG, load_feed("blog_atom.xml"), content_type=ATOM_TYPE)
    fake.html_next(1, path=KABAR)
    got, err = await run_collect_error(make_src(fake, [KABAR, BLOG]))
    assert "an HTML page, not a feed (text/html): 'Sedang Dalam Perbaikan'" in str(err)
    assert len(fake.hits(KABAR)) == 1  # not retried: the next run tries again
    assert len(got) == 1 and fake.url(KABAR) not in got[0].cursor["feeds"]


async def test_not_a_feed_and_not_xml(rss_server):
    fake = rss_server
    fake.set_feed("/json", b'{"status": "ok"}', content_type="application/json")
    fake.set_feed("/svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', content_type="image/svg+xml")
    fake.set_feed("/empty", b"", content_type="application/rss+xml")
    fake.set_feed("/cut", rss([("1", "Satu")])[:-30])
    got, err = await run_collect_error(make_src(fake, ["/json", "/svg", "/empty", "/cut"]))
    msg = str(err)
    assert got == [] and "4 of 4 feeds failed" in msg
    assert "not well-formed XML (application/json" in msg
    assert "not an RSS or Atom feed (root element <svg>" in msg
    assert "empty response" in msg
    assert "no element found" in msg or "not well-formed" in msg.split("/cut")[1]


async def test_xml_bomb_and_external_entities_are_refused(rss_server):
    fake = rss_server
    fake.set_feed("/bom", load_feed("billion_laughs.xml"))
    secret = fake.url("/rahasia")
    fake.set_feed("/rahasia", b"ISI-RAHASIA", content_type="text/plain")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret}">'
        '<!ENTITY pw SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><title>x</title><item><title>&xxe;&pw;</title>'
        "<guid>https://evil.example/1</guid><pubDate>Mon, 12 Feb 2024 09:00:00 +0700</pubDate></item></channel></rss>"
    )
    fake.set_feed("/xxe", xxe)
    dtd = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{secret}">'
        '<rss version="2.0"><channel><title>&foo;</title></channel></rss>'
    )
    fake.set_feed("/dtd", dtd)
    fake.set_feed(KABAR, rss([("1", "Satu")]))
    got, err = await run_collect_error(make_src(fake, ["/bom", "/xxe", "/dtd", KABAR]))
    msg = str(err)
    assert "3 of 4 feeds failed" in msg
    assert msg.count("refused: the document declares entities") == 2
    assert "undefined entity" in msg  # the external DTD is neither fetched nor used
    assert fake.hits("/rahasia") == []
    assert ids(got) == [pid("1")]
    assert "root:" not in json.dumps([b.cursor for b in got]) and "ISI-RAHASIA" not in msg


async def test_rss091_doctype_is_accepted_without_fetching_the_dtd(rss_server):
    fake = rss_server
    dtd_url = fake.url("/rss-0.91.dtd")
    doc = (
        f'<?xml version="1.0" encoding="ISO-8859-1"?>'
        f'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "{dtd_url}">'
        '<rss version="0.91"><channel><title>Lama</title><link>https://lama.example/</link>'
        "<item><title>Berita lama</title><link>https://lama.example/1</link>"
        "<pubDate>Mon, 12 Feb 2024 09:00:00 +0700</pubDate></item></channel></rss>"
    )
    fake.set_feed("/lama", doc.encode("latin-1"))
    (b,) = await run(make_src(fake, ["/lama"]))
    assert ids([b]) == ["https://lama.example/1"]
    assert fake.hits("/rss-0.91.dtd") == []


def test_deep_nesting_is_refused():
    deep = "<b>" * 200 + "x" + "</b>" * 200
    doc = (
        '<rss version="2.0"><channel><title>t</title><item><title>t</title>'
        f"<description>{deep}</description></item></channel></rss>"
    )
    with pytest.raises(FeedError, match="nested more than"):
        parse_feed(doc.encode())


async def test_malformed_items_are_rejected_once(rss_server):
    fake = rss_server
    fake.set_feed("/kec", load_feed("malformed_items.xml"), etag=False)
    src = make_src(fake, ["/kec"])
    (b,) = await run(src)
    assert [p.post_id for p in b.posts] == [fake.url("/kec") + "#102"]
    reasons = [r.reason for r in b.rejected]
    assert len(reasons) == 4
    assert "no guid/id, no link and no title" in reasons[0]
    assert "unparseable pubDate 'kemarin sore'" in reasons[1]
    assert "has no date" in reasons[2]
    assert "has no time zone" in reasons[3]
    assert all(r.reason.startswith(fake.url("/kec")) for r in b.rejected)
    assert b.rejected[0].payload.startswith("<item>") and "Item tanpa judul" in b.rejected[0].payload
    (b2,) = await run(src, b.cursor)  # the same document again: nothing re-quarantined
    assert b2.posts == [] and b2.rejected == []


async def test_timezone_option_for_dates_without_zone(rss_server):
    fake = rss_server
    fake.set_feed("/kec", load_feed("malformed_items.xml"))
    (b,) = await run(make_src(fake, [{"path": "/kec", "timezone": "Asia/Jakarta"}]))
    p = posts_by_id([b])[fake.url("/kec") + "#101"]
    assert p.created_at.utcoffset() == timedelta(hours=7) and p.created_at.hour == 8
    assert len(b.rejected) == 3


async def test_items_identified_by_link_or_hash(rss_server):
    fake = rss_server
    doc = (
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>Tautan saja</title><link>/berita/7</link><pubDate>Mon, 12 Feb 2024 09:00:00 +0700</pubDate></item>"
        "<item><title>Judul saja</title><pubDate>Mon, 12 Feb 2024 10:00:00 +0700</pubDate></item>"
        "<item><guid>https://kabarkota.example/berita/8</guid><pubDate>Mon, 12 Feb 2024 11:00:00 +0700</pubDate>"
        "<description>Tanpa judul</description></item>"
        "</channel></rss>"
    )
    fake.set_feed(KABAR, doc)
    (b,) = await run(make_src(fake, [KABAR]))
    a, h, g = b.posts
    assert a.post_id == a.url == fake.url("/berita/7")
    assert h.post_id.startswith("sha256:") and h.url is None
    assert g.post_id == g.url == "https://kabarkota.example/berita/8"  # a permalink guid is the link
    assert g.text == "Tanpa judul"


# ------------------------------------------------------------------ options


def test_options_validation():
    ok = RssOptions(feeds=[{"url": " https://a.example/rss "}])
    assert ok.feeds[0].url == "https://a.example/rss" and ok.feeds[0].platform == "rss"
    assert ok.max_items_per_feed == 200
    bad = [
        {"feeds": []},
        {"feeds": [{"url": "ftp://a.example/rss"}]},
        {"feeds": [{"url": "https://a.example/rss", "platform": "Berita!"}]},
        {"feeds": [{"url": "https://a.example/rss", "timezone": "Asia/Bandung"}]},
        {"feeds": [{"url": "https://a.example/rss"}, {"url": "https://a.example/rss"}]},
        {"feeds": [{"url": "https://a.example/rss", "tipe": "x"}]},
        {"feeds": [{"url": "https://a.example/rss"}], "extra": 1},
    ]
    for b in bad:
        with pytest.raises(ValidationError):
            RssOptions.model_validate(b)
    src = RssSource("berita", {"feeds": [{"url": "https://a.example/rss"}], "http": {"requests_per_second": 2}})
    assert src.type_name == "rss" and src.options.http.requests_per_second == 2


async def test_source_owns_and_closes_its_client(rss_server):
    fake = rss_server
    fake.set_feed(KABAR, rss([("1", "Satu")]))
    src = RssSource("berita", {"feeds": [{"url": fake.url(KABAR)}], "http": {"requests_per_second": 1000}})
    assert len(ids(await run(src))) == 1
    assert fake.requests[0].headers["User-Agent"].startswith("asn-neutrality-monitor/")
    await src.aclose()
    assert src.http is None


# ------------------------------------------------------------------ HttpClient.get_bytes


async def test_get_bytes_returns_any_body_and_allowed_statuses(rss_server):
    fake = rss_server
    fake.set_feed("/page", "<html><body>halo</body></html>", content_type="text/html", etag='"p"')
    http = fast_http()
    r = await http.get_bytes(fake.url("/page"), {"q": "1"}, {"Accept": "text/html"})
    assert r.status == 200 and r.data == b"<html><body>halo</body></html>" and r.headers["ETag"] == '"p"'
    assert fake.requests[-1].headers["Accept"] == "text/html"
    r304 = await http.get_bytes(fake.url("/page"), headers={"If-None-Match": '"p"'}, allow_status=(304,))
    assert r304.status == 304 and r304.data == b""
    with pytest.raises(FetchError, match="HTTP 304"):
        await http.get_bytes(fake.url("/page"), headers={"If-None-Match": '"p"'})
    with pytest.raises(FetchError, match="HTTP 404"):
        await http.get_bytes(fake.url("/nothing"))
    assert len(fake.hits("/nothing")) == 1  # a 404 is not retried


async def test_get_bytes_retries_and_size_bound(rss_server):
    fake = rss_server
    fake.set_feed("/big", b"x" * 5000, content_type="application/octet-stream")
    fake.fail_next(2, status=503, path="/big")
    http = fast_http()
    r = await http.get_bytes(fake.url("/big"))
    assert len(r.data) == 5000 and [x.status for x in fake.hits("/big")] == [503, 503, 200]
    small = fast_http(max_response_bytes=1000)
    with pytest.raises(FetchError, match="too large"):
        await small.get_bytes(fake.url("/big"))
