"""``rss`` source: RSS 2.0 (and 0.9x), RSS 1.0 (RDF) and Atom 1.0 feeds -- news sites, blogs, and
feed bridges that turn a social account into a feed (RSS-Bridge, RSSHub, ...).

Every configured feed is fetched with one conditional ``GET`` per run (``If-None-Match`` from the
stored ``ETag``, ``If-Modified-Since`` from the stored ``Last-Modified``); ``304 Not Modified``
means nothing new and the cursor is left as it is. No credentials are used.

Parsing is hardened against hostile feeds: the document is parsed with ``defusedxml`` (entity
declarations -- billion laughs, quadratic blow-up -- and external entities/DTDs are refused, never
expanded or fetched), the body is bounded by ``http.max_response_bytes``, and a document that is
not an RSS/Atom feed (an HTML error page served with status 200, say) fails with a clear reason.

Encoding: a byte-order mark, else the ``encoding`` of the XML declaration, else the
``charset`` of ``Content-Type``, else UTF-8 -- the first that decodes the whole body wins (the
document's own declaration is preferred because servers often add a wrong default charset). If
none does, the body is decoded as UTF-8 with U+FFFD replacements and a warning is logged.

Mapping (each ``<item>`` / ``<entry>`` -> :class:`~monitor.models.Post`, ``kind`` always
``post``; shares/reblogs carried in feeds are out of scope):

* ``platform``: the feed's ``platform`` option (``rss``; e.g. ``news``, ``blog``, ``facebook``
  for a bridge feed).
* ``post_id``: ``<guid>`` (RSS 2.0), ``rdf:about`` (RSS 1.0) or ``<id>`` (Atom); else the item's
  link; else ``sha256:`` + SHA-256 of feed URL, title and date. An identifier that is not an
  absolute URI (e.g. a bare ``12345`` guid) is scoped as ``<feed url>#<id>`` so two sites on the
  same platform cannot collide; one longer than 256 characters becomes ``sha256:<hex>``.
* ``url``: ``<link>`` (RSS), ``<link rel="alternate" href>`` (Atom), else a permalink ``<guid>``;
  relative links are resolved against ``xml:base`` / the feed URL.
* ``created_at``: ``pubDate`` (RFC 822; also Indonesian month names and WIB/WITA/WIT),
  ``dc:date``, Atom ``published`` then ``updated`` (RFC 3339). **A missing or unparseable date
  makes the item a** :class:`~monitor.collect.base.Rejected` (quarantined with the reason) --
  the fetch time is never substituted, because a wrong time is worse evidence than none
  (e.g. during the *masa tenang*). A date without a time zone is rejected too unless the feed
  sets ``timezone`` (e.g. ``Asia/Jakarta``).
* ``author``: ``dc:creator`` / RSS ``<author>`` (``email (Name)`` -> ``Name``) / Atom
  ``<author><name>`` (entry, else feed) -> ``id`` = ``<feed url>#<name>``, ``handle`` = ``name`` =
  the name, ``url`` = Atom ``<uri>``. Without one, the feed itself is the author: ``id`` = feed
  URL, ``handle`` = the feed's ``handle`` option or the feed host, ``name`` = the feed's ``name``
  option or its ``<title>``, ``url`` = the site link.
* ``text``: title, a blank line, then ``content:encoded`` / Atom ``content`` (else
  ``description`` / ``summary``) with HTML turned into plain text (as for Mastodon).
* ``raw``: the item's exact source text as it appears in the (decoded) document, from ``<item``
  to ``</item>`` -- CDATA, prefixes and whitespace untouched. (Namespace declarations on the root
  are not repeated in it.)

An item with no guid/id, no link and no title cannot be identified and is Rejected, as is an
item that does not validate as a Post.

Cursor (one entry per configured feed URL; entries of feeds no longer configured are dropped)::

    {"v": 1, "feeds": {"https://kabar.example/rss": {
        "etag": "\\"5f1-abc\\"", "last_modified": "Mon, 12 Feb 2024 03:00:00 GMT",
        "seen": ["1f0c3a9e77d2:9b3e01aa", "c41d...:x", ...]}}}

* ``etag`` / ``last_modified``: the validators of the last feed document fully processed.
* ``seen``: items already delivered, as ``<first 12 hex of sha256(post_id)>:<first 8 hex of a
  hash of url, date, author and text>`` (``:x`` for a rejected item, keyed by the hash of its
  raw text). A seen item is skipped unless its text/link/date/author changed, in which case it is
  delivered again and the store keeps the new version as a *revision* of the post. Changes
  elsewhere in the item (a comment count, say) are ignored. The list keeps the current document's
  items first, then older ones, up to ``max(500, items in the document)`` (at most 5000), so a
  feed that re-publishes old items does not re-emit them.
* At most ``max_items_per_feed`` new or changed items are taken per feed and run; if some are
  left over, the validators are *not* stored, so the next run downloads the feed again and takes
  the rest.
* One :class:`~monitor.collect.base.Batch` per feed answering 200, carrying a deep copy of the
  whole cursor after that feed. Resuming from any committed batch loses nothing: the next feeds
  are fetched again, and anything re-delivered is absorbed by ``(platform, post_id)``
  de-duplication.
* A feed that fails (HTTP error after the client's retries, not XML, not a feed, refused XML)
  keeps its cursor entry unchanged and does not stop the others; the run ends with
  :class:`RssError` naming every failed feed, after all other batches were yielded.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator, Mapping
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.collect.http_source import HttpSource
from monitor.collect.base import Batch, Rejected
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.models import Author, Post
from monitor.collect.payload import describe_validation
from monitor.sources.mastodon import html_to_text

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
MAX_TEXT = 100_000
MAX_POST_ID = 256
SEEN_MIN = 500
SEEN_MAX = 5000
MAX_DEPTH = 64
"""Deeper element nesting is refused (mapping walks items recursively)."""
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_RSS10 = "http://purl.org/rss/1.0/"
NS_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS_XML = "http://www.w3.org/XML/1998/namespace"
XML_BASE = f"{{{NS_XML}}}base"


# ============================================================================ options


class FeedOptions(BaseModel):
    """One entry of ``feeds`` in ``[sources.NAME]`` with ``type = "rss"``."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(..., description="The feed URL (http or https)")
    platform: str = Field(
        "rss", pattern=r"^[a-z0-9_]{1,32}$", description="Platform of its posts: rss, news, blog, facebook..."
    )
    name: str | None = Field(None, min_length=1, max_length=200, description="Display name; default: feed title")
    handle: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Account the feed mirrors (e.g. a bridged Facebook page); author handle of items without one",
    )
    timezone: str | None = Field(
        None, description="IANA zone for dates without one (e.g. Asia/Jakarta); without it they are rejected"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://kabar.example/rss")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Asia/Jakarta)") from None
        return v


class RssOptions(BaseModel):
    """``[sources.NAME]`` with ``type = "rss"``."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[FeedOptions] = Field(..., min_length=1)
    max_items_per_feed: int = Field(200, ge=1, le=5000, description="New or changed items taken per feed and run")
    http: HttpOptions = Field(default_factory=HttpOptions)

    @model_validator(mode="after")
    def _unique(self) -> "RssOptions":
        urls = [f.url for f in self.feeds]
        dup = sorted({u for u in urls if urls.count(u) > 1})
        if dup:
            raise ValueError(f"feed listed twice: {', '.join(dup)}")
        return self


class RssError(Exception):
    """A run of the RSS source could not read every feed (details in the message)."""


class FeedError(Exception):
    """A feed document that cannot be used (not XML, not a feed, refused construct)."""


# ============================================================================ decoding


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.I)


def decode_document(body: bytes, content_type: str = "") -> tuple[str, str]:
    """The feed document as text, and the encoding used (see the module docstring)."""
    candidates: list[str] = []
    for bom, enc in _BOMS:
        if body.startswith(bom):
            candidates.append(enc)
            break
    else:
        if body.startswith(b"<\x00?\x00"):
            candidates.append("utf-16-le")
        elif body.startswith(b"\x00<\x00?"):
            candidates.append("utf-16-be")
        m = _DECL_ENCODING.match(body[:512])
        if m:
            declared = m.group(1).decode("ascii")
            if not declared.lower().replace("_", "-").startswith(("utf-16", "utf-32", "ucs")):
                candidates.append(declared)  # found as ASCII: a 16/32-bit encoding cannot be right
        m2 = _CHARSET.search(content_type or "")
        if m2:
            candidates.append(m2.group(1))
        candidates.append("utf-8")
    for enc in candidates:
        try:
            return body.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            continue
    log.warning("rss: feed is not valid in any of %s; decoding as UTF-8 with replacements", candidates)
    return body.decode("utf-8", "replace"), "utf-8 (with replacements)"


# ============================================================================ parsing


@dataclass
class ParsedFeed:
    format: str
    """``rss`` (2.0 / 0.9x), ``rdf`` (RSS 1.0 / 0.90) or ``atom``."""
    root: ET.Element
    channel: ET.Element
    items: list[ET.Element]
    raws: list[str]
    """Exact source text of each item, in the same order as :attr:`items`."""
    ns: str = ""
    """Namespace of the item elements ("" for RSS 2.0)."""


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _looks_like_html(text: str, content_type: str) -> bool:
    head = text.lstrip()[:300].lower()
    return "html" in (content_type or "").lower() or head.startswith(("<!doctype html", "<html"))


def _html_title(text: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", text[:5000], re.S | re.I)
    return re.sub(r"\s+", " ", m.group(1)).strip()[:120] if m else ""


def parse_feed(body: bytes, content_type: str = "") -> ParsedFeed:
    """Parse a feed document safely; :class:`FeedError` with a clear reason if it is not usable."""
    if not body.strip():
        raise FeedError("empty response (no feed document)")
    text, encoding = decode_document(body, content_type)
    mime = (content_type or "").split(";", 1)[0].strip() or "no Content-Type"
    try:
        root = DET.fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(
            f"refused: the document declares entities or external references ({exc}); "
            "entity expansion is never done for untrusted feeds"
        ) from None
    except ET.ParseError as exc:
        if _looks_like_html(text, content_type):
            title = _html_title(text)
            raise FeedError(
                f"an HTML page, not a feed ({mime})" + (f": {title!r}" if title else "")
            ) from None
        raise FeedError(f"not well-formed XML ({mime}, decoded as {encoding}): {exc}") from None

    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedError("<rss> without <channel>")
        return _with_raws(text, ParsedFeed("rss", root, channel, channel.findall("item"), [], ""), depth=3)
    if tag == f"{{{NS_RDF}}}RDF":
        for ns in (NS_RSS10, NS_RSS090):
            channel = root.find(f"{{{ns}}}channel")
            if channel is not None:
                items = root.findall(f"{{{ns}}}item")
                return _with_raws(text, ParsedFeed("rdf", root, channel, items, [], ns), depth=2)
        raise FeedError("RDF document without an RSS 1.0 <channel>")
    if tag == f"{{{NS_ATOM}}}feed":
        entries = root.findall(f"{{{NS_ATOM}}}entry")
        return _with_raws(text, ParsedFeed("atom", root, root, entries, [], NS_ATOM), depth=2)
    if _local(tag).lower() == "html" or _looks_like_html(text, content_type):
        title = _html_title(text)
        raise FeedError(f"an HTML page, not a feed ({mime})" + (f": {title!r}" if title else ""))
    raise FeedError(f"not an RSS or Atom feed (root element <{_local(tag) or tag}>, {mime})")


def _item_spans(text: str, local: str, depth: int) -> list[str]:
    """Exact source of every element named ``local`` at nesting ``depth`` (the root is 1).

    A second, plain expat pass over a document ``defusedxml`` has already accepted (so it has no
    entity declarations; entity handling is refused here again anyway). It also enforces
    :data:`MAX_DEPTH` (:class:`FeedError`).
    """
    data = text.encode("utf-8")  # pyexpat parses a str as UTF-8: byte indexes refer to this
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    spans: list[str] = []
    level = 0
    start = -1
    end_tag = re.compile(rb"</(?:[^\s>:]+:)?" + re.escape(local.encode()) + rb"\s*>")

    def on_start(name: str, attrs: Any) -> None:
        nonlocal level, start
        level += 1
        if level > MAX_DEPTH:
            raise FeedError(f"refused: elements nested more than {MAX_DEPTH} deep")
        if level == depth and name.rsplit(" ", 1)[-1] == local:
            start = parser.CurrentByteIndex

    def on_end(name: str) -> None:
        nonlocal level, start
        if level == depth and start >= 0:
            pos = parser.CurrentByteIndex
            m = end_tag.match(data, pos)
            stop = m.end() if m else pos  # no end tag: an empty element, pos is already past it
            spans.append(data[start:stop].decode("utf-8"))
            start = -1
        level -= 1

    def refuse(*_: Any) -> None:
        raise FeedError("refused: entity declaration")

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.Parse(text, True)
    return spans


def _with_raws(text: str, feed: ParsedFeed, depth: int) -> ParsedFeed:
    local = "entry" if feed.format == "atom" else "item"
    try:
        spans = _item_spans(text, local, depth)
    except (xml.parsers.expat.ExpatError, ValueError) as exc:  # pragma: no cover - defusedxml passed it
        log.warning("rss: could not locate item source text (%s); using re-serialised XML", exc)
        spans = []
    if len(spans) == len(feed.items):
        feed.raws = spans
    else:  # pragma: no cover - e.g. a foreign element with the same local name at that depth
        feed.raws = [ET.tostring(it, encoding="unicode") for it in feed.items]
    return feed


# ============================================================================ dates

_MONTHS = {
    "jan": 1, "januari": 1, "january": 1,
    "feb": 2, "februari": 2, "february": 2, "peb": 2, "pebruari": 2,
    "mar": 3, "maret": 3, "march": 3,
    "apr": 4, "april": 4,
    "may": 5, "mei": 5,
    "jun": 6, "juni": 6, "june": 6,
    "jul": 7, "juli": 7, "july": 7,
    "aug": 8, "agu": 8, "agt": 8, "ags": 8, "agustus": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "okt": 10, "oktober": 10, "october": 10,
    "nov": 11, "nop": 11, "nopember": 11, "november": 11,
    "dec": 12, "des": 12, "desember": 12, "december": 12,
}  # fmt: skip
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "wib": 7, "wita": 8, "wit": 9,
}  # fmt: skip
_RFC822 = re.compile(
    r"^(?:[^\W\d_]+\.?,\s*|[^\W\d_]+\s+)?(\d{1,2})[\s-]+([^\W\d_]+)\.?[\s-]+(\d{2}|\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([+-])(\d{2}):?(\d{2})|([A-Za-z]{1,5}))?$"
)


def parse_date(value: str | None) -> datetime | None:
    """RFC 822 (``pubDate``) or RFC 3339 / ISO 8601 (Atom, ``dc:date``). None if unparseable.

    The result is naive when the value has no time zone. RFC 822 also accepts Indonesian day and
    month names and the zones WIB (+07), WITA (+08), WIT (+09); ``-0000`` is UTC (RFC 5322).
    """
    if not value:
        return None
    v = value.strip()
    if not v:
        return None
    m = _RFC822.match(v)
    if m:
        day, mon, year, hh, mm, ss, sign, zh, zm, zname = m.groups()
        month = _MONTHS.get(mon.lower())
        if month is None:
            return None
        y = int(year)
        if len(year) == 2:
            y += 2000 if y < 50 else 1900
        tz: timezone | None = None
        if sign:
            off = timedelta(hours=int(zh), minutes=int(zm))
            tz = timezone(-off if sign == "-" else off)
        elif zname:
            if zname.lower() not in _ZONES:
                return None
            tz = timezone(timedelta(hours=_ZONES[zname.lower()]))
        try:
            return datetime(y, month, int(day), int(hh), int(mm), int(ss or 0), tzinfo=tz)
        except ValueError:
            return None
    iso = v.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", v) else v
    if iso[-1:] in ("z", "Z"):
        iso = iso[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


# ============================================================================ mapping


@dataclass
class FeedContext:
    """What the mapping of one item needs to know about its feed."""

    url: str
    """The configured feed URL (author ids, scoping of relative ids)."""
    platform: str = "rss"
    base: str = ""
    """Base for relative links (the final URL after redirects, or ``xml:base``)."""
    title: str | None = None
    site: str | None = None
    handle: str | None = None
    authors: list[tuple[str, str | None]] = field(default_factory=list)
    """Feed-level authors (Atom): (name, uri)."""
    tz: ZoneInfo | None = None


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


def _clean(s: str | None) -> str | None:
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s).strip()
    return s or None


def _text_of(el: ET.Element | None) -> str | None:
    return None if el is None else _clean("".join(el.itertext()))


def _inner_markup(el: ET.Element) -> str:
    """Children of ``el`` as HTML markup (namespaces dropped so ``<p>`` is still a paragraph)."""
    clone = copy.deepcopy(el)
    for e in clone.iter():
        if isinstance(e.tag, str) and e.tag.startswith("{"):
            e.tag = e.tag.split("}", 1)[1]
        for k in [k for k in e.attrib if k.startswith("{")]:
            del e.attrib[k]
    return (clone.text or "") + "".join(ET.tostring(c, encoding="unicode") for c in clone)


_HTMLISH = re.compile(r"</?[A-Za-z][^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")


def _plain_title(s: str | None) -> str | None:
    """An RSS title is meant to be plain text but often carries markup or double-escaped entities."""
    if not s:
        return None
    return _clean(html_to_text(s) if _HTMLISH.search(s) else s)


def _html_el_text(el: ET.Element | None) -> str:
    """An RSS element holding (escaped or CDATA) HTML, or inline markup, as plain text."""
    if el is None:
        return ""
    return html_to_text(_inner_markup(el) if len(el) else (el.text or ""))


def _atom_text(el: ET.Element | None) -> str:
    """An Atom text construct (``type`` text, html or xhtml) as plain text."""
    if el is None or el.get("src"):
        return ""
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml":
        return html_to_text(_inner_markup(el))
    if kind in ("html", "text/html"):
        return html_to_text(el.text or "")
    if kind == "text" or kind.startswith("text/") or kind.endswith(("+xml", "/xml")):
        return ("".join(el.itertext())).strip()
    return ""  # base64 media etc.


def _rss_author(s: str | None) -> str | None:
    """``budi@example.com (Budi Santoso)`` -> ``Budi Santoso``; ``Budi <b@x>`` -> ``Budi``."""
    s = _clean(s)
    if not s:
        return None
    m = re.fullmatch(r"\S+@\S+\s*\((.+)\)", s)
    if m:
        return _clean(m.group(1))
    m = re.fullmatch(r"(.+?)\s*<[^>]*@[^>]*>", s)
    if m:
        return _clean(m.group(1).strip("\"'"))
    return s


def atom_authors(el: ET.Element) -> list[tuple[str, str | None]]:
    out = []
    for a in el.findall(f"{{{NS_ATOM}}}author"):
        name = _text_of(a.find(f"{{{NS_ATOM}}}name")) or _text_of(a.find(f"{{{NS_ATOM}}}email"))
        if name:
            out.append((name, _text_of(a.find(f"{{{NS_ATOM}}}uri"))))
    return out


def _atom_link(el: ET.Element, base: str) -> str | None:
    best = None
    for ln in el.findall(f"{{{NS_ATOM}}}link"):
        href = (ln.get("href") or "").strip()
        if not href or (ln.get("rel") or "alternate") != "alternate":
            continue
        if best is None or (ln.get("type") or "").startswith("text/html"):
            best = href
    return urljoin(base, best) if best else None


_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S")


def _sha(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def scoped_id(raw_id: str, feed_url: str) -> str:
    """A post id unique on its platform: absolute URIs as they are, others scoped to the feed."""
    pid = raw_id if _ABSOLUTE.match(raw_id) else f"{feed_url}#{raw_id}"
    return pid if len(pid) <= MAX_POST_ID else "sha256:" + _sha(pid)


@dataclass
class _Fields:
    raw_id: str | None
    link: str | None
    title: str | None
    body: str
    date_text: str | None
    date_source: str
    author: tuple[str, str | None] | None


def _item_fields(item: ET.Element, feed: ParsedFeed, ctx: FeedContext) -> _Fields:
    base = urljoin(ctx.base, item.get(XML_BASE) or "")
    if feed.format == "atom":
        a = NS_ATOM
        date_el = item.find(f"{{{a}}}published")
        source = "published"
        if _text_of(date_el) is None:
            date_el, source = item.find(f"{{{a}}}updated"), "updated"
        if _text_of(date_el) is None:
            date_el, source = item.find(f"{{{NS_DC}}}date"), "dc:date"
        body = _atom_text(item.find(f"{{{a}}}content")) or _atom_text(item.find(f"{{{a}}}summary"))
        title_el = item.find(f"{{{a}}}title")
        authors = atom_authors(item) or ctx.authors
        return _Fields(
            raw_id=_text_of(item.find(f"{{{a}}}id")),
            link=_atom_link(item, base),
            title=_clean(_atom_text(title_el)) if title_el is not None else None,
            body=body,
            date_text=_text_of(date_el),
            date_source=source,
            author=authors[0] if authors else None,
        )
    ns = feed.ns
    link = _text_of(item.find(_q(ns, "link")))
    raw_id: str | None
    if feed.format == "rdf":
        raw_id = _clean(item.get(f"{{{NS_RDF}}}about"))
    else:
        guid_el = item.find("guid")
        raw_id = _text_of(guid_el)
        permalink = guid_el is not None and (guid_el.get("isPermaLink") or "true").lower() != "false"
        if raw_id and not link and permalink and _ABSOLUTE.match(raw_id):
            link = raw_id
    date_text, source = (_text_of(item.find("pubDate")), "pubDate") if feed.format == "rss" else (None, "")
    if date_text is None:
        date_text, source = _text_of(item.find(f"{{{NS_DC}}}date")), "dc:date"
    content = item.find(f"{{{NS_CONTENT}}}encoded")
    body = _html_el_text(content) or _html_el_text(item.find(_q(ns, "description")))
    name = _clean(_text_of(item.find(f"{{{NS_DC}}}creator"))) or _rss_author(_text_of(item.find("author")))
    return _Fields(
        raw_id=raw_id,
        link=urljoin(base, link) if link else None,
        title=_plain_title(_text_of(item.find(_q(ns, "title")))),
        body=body,
        date_text=date_text,
        date_source=source or "pubDate",
        author=(name, None) if name else None,
    )


def item_to_post(item: ET.Element, raw: str, feed: ParsedFeed, ctx: FeedContext) -> Post:
    """Map one item/entry to a Post; ValueError (with a reason) or ValidationError if it cannot."""
    f = _item_fields(item, feed, ctx)
    if not (f.raw_id or f.link or f.title):
        raise ValueError("item has no guid/id, no link and no title: it cannot be identified")
    label = "published/updated" if feed.format == "atom" else "pubDate/dc:date"
    if f.date_text is None:
        raise ValueError(f"item has no date ({label}); the fetch time is not substituted")
    created = parse_date(f.date_text)
    if created is None:
        raise ValueError(f"unparseable {f.date_source} {f.date_text!r}")
    if created.tzinfo is None:
        if ctx.tz is None:
            raise ValueError(
                f"{f.date_source} {f.date_text!r} has no time zone (set the feed's 'timezone', e.g. Asia/Jakarta)"
            )
        created = created.replace(tzinfo=ctx.tz)
    if f.raw_id:
        post_id = scoped_id(f.raw_id, ctx.url)
    elif f.link:
        post_id = scoped_id(f.link, ctx.url)
    else:
        post_id = "sha256:" + _sha(ctx.url, f.title or "", f.date_text)
    if f.author:
        name, uri = f.author
        author = Author(id=f"{ctx.url}#{name}", handle=name, name=name, url=urljoin(ctx.base, uri) if uri else None)
    else:
        author = Author(
            id=ctx.url,
            handle=ctx.handle or urlsplit(ctx.url).hostname,
            name=ctx.title,
            url=ctx.site,
        )
    text = "\n\n".join(p for p in (f.title, f.body) if p)
    return Post(
        platform=ctx.platform,
        post_id=post_id,
        url=f.link,
        created_at=created,
        author=author,
        kind="post",
        text=text[:MAX_TEXT],
        raw=raw,
    )


def feed_context(feed: ParsedFeed, opts: FeedOptions, final_url: str | None = None) -> FeedContext:
    """Feed-level facts: title, site link, authors, bases for relative links."""
    base = urljoin(final_url or opts.url, feed.root.get(XML_BASE) or "")
    ch = feed.channel
    if feed.format == "atom":
        title_el = ch.find(f"{{{NS_ATOM}}}title")
        title = _clean(_atom_text(title_el)) if title_el is not None else None
        site = _atom_link(ch, base)
        authors = atom_authors(ch)
    else:
        title = _plain_title(_text_of(ch.find(_q(feed.ns, "title"))))
        link = _text_of(ch.find(_q(feed.ns, "link")))
        site = urljoin(base, link) if link else None
        authors = []
    return FeedContext(
        url=opts.url,
        platform=opts.platform,
        base=base,
        title=opts.name or title or urlsplit(opts.url).hostname,
        site=site,
        handle=opts.handle,
        authors=authors,
        tz=ZoneInfo(opts.timezone) if opts.timezone else None,
    )


def content_hash(post: Post) -> str:
    """What makes a re-published item worth delivering again (not comment counts and the like)."""
    a = post.author
    return _sha(post.url or "", post.created_at.isoformat(), a.id or "", a.name or "", post.text)[:8]


# ============================================================================ cursor helpers

_SEEN_RE = re.compile(r"^[0-9a-f]{12}:(?:[0-9a-f]{8}|x)$")


def _empty_feed() -> dict[str, Any]:
    return {"etag": None, "last_modified": None, "seen": []}


def load_cursor(cursor: Mapping[str, Any] | None, urls: list[str]) -> dict[str, Any]:
    """A clean, private copy of a stored cursor, limited to the configured feeds."""
    state: dict[str, Any] = {"v": CURSOR_VERSION, "feeds": {}}
    if not cursor:
        return state
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("feeds"), dict):
        log.warning("rss: unrecognised cursor; reading every feed afresh")
        return state
    for url in urls:
        fs = cursor["feeds"].get(url)
        if not isinstance(fs, dict):
            continue
        clean = _empty_feed()
        for k in ("etag", "last_modified"):
            if isinstance(fs.get(k), str) and fs[k]:
                clean[k] = fs[k]
        seen = fs.get("seen")
        if isinstance(seen, list):
            clean["seen"] = [s for s in seen if isinstance(s, str) and _SEEN_RE.match(s)][:SEEN_MAX]
        state["feeds"][url] = clean
    return state


def _seen_map(entries: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in entries:
        k, _, v = e.partition(":")
        out.setdefault(k, v)
    return out


# ============================================================================ the source


class RssSource(HttpSource):
    type_name = "rss"
    options_model = RssOptions

    def __init__(self, name: str, options: Any, http: HttpClient | None = None, context: Any = None) -> None:
        super().__init__(name, options, http, context)
        options = self.options  # validated by HttpSource
        self.options: RssOptions = options



    async def _fetch_feed(self, http: HttpClient, state: dict[str, Any], opts: FeedOptions) -> Batch | None:
        old = state["feeds"].get(opts.url) or _empty_feed()
        headers = {"Accept": ACCEPT}
        if old["etag"]:
            headers["If-None-Match"] = old["etag"]
        if old["last_modified"]:
            headers["If-Modified-Since"] = old["last_modified"]
        resp = await http.get_bytes(opts.url, None, headers, allow_status=(304,))
        if resp.status == 304:
            log.info("rss %s: %s not modified", self.name, opts.url)
            return None
        feed = parse_feed(resp.data, resp.headers.get("Content-Type", ""))
        ctx = feed_context(feed, opts, resp.url)

        seen = _seen_map(old["seen"])
        batch = Batch()
        current: dict[str, str] = {}  # seen entries of this document, in document order
        taken = 0
        left_over = 0
        for item, raw in zip(feed.items, feed.raws):
            try:
                post: Post | None = item_to_post(item, raw, feed, ctx)
                key, val = _sha(post.post_id)[:12], content_hash(post)
                reason = ""
            except ValidationError as exc:
                post, reason = None, describe_validation(exc)
            except (ValueError, TypeError) as exc:
                post, reason = None, str(exc)
            if post is None:
                key, val = _sha(raw)[:12], "x"
            if seen.get(key) == val or current.get(key) == val:
                current.setdefault(key, val)
                continue
            if taken >= self.options.max_items_per_feed:
                left_over += 1
                if key in seen:
                    current.setdefault(key, seen[key])  # keep the old version's entry
                continue
            taken += 1
            current[key] = val
            if post is not None:
                batch.posts.append(post)
            else:
                batch.rejected.append(Rejected(raw, f"{opts.url}: {reason}"))
        bound = min(SEEN_MAX, max(SEEN_MIN, len(current)))
        merged = dict(current)
        for k, v in seen.items():
            if len(merged) >= bound:
                break
            merged.setdefault(k, v)
        new_state = {
            "etag": None if left_over else resp.headers.get("ETag"),
            "last_modified": None if left_over else resp.headers.get("Last-Modified"),
            "seen": [f"{k}:{v}" for k, v in list(merged.items())[:bound]],
        }
        if left_over:
            log.info(
                "rss %s: %s has %d more new items than max_items_per_feed; they come next run",
                self.name, opts.url, left_over,
            )
        state["feeds"][opts.url] = new_state
        batch.cursor = copy.deepcopy(state)
        return batch

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Yield one batch per feed that answered 200, in configuration order."""
        http = self._client()
        state = load_cursor(cursor, [f.url for f in self.options.feeds])
        errors: list[str] = []
        for opts in self.options.feeds:
            try:
                batch = await self._fetch_feed(http, state, opts)
            except (FetchError, FeedError) as exc:
                log.error("rss %s: feed %s failed: %s", self.name, opts.url, exc)
                errors.append(f"{opts.url}: {exc}")
                continue
            if batch is not None:
                yield batch
        if errors:
            raise RssError(
                f"{len(errors)} of {len(self.options.feeds)} feeds failed: " + " | ".join(errors)
            )
