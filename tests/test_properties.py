"""Property-based tests (hypothesis): the text pipeline and every loader hold up against any input.

- normalisation never raises and is idempotent;
- adding an exclusion rule never raises a score (rule engine + scorer, with the shipped rules);
- no rule file, roster file or post payload, however malformed, crashes the loader, the importer or
  a source parser: each yields our own error naming where (file:line:field, row number, item N).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.config import ScoringConfig
from monitor.models import Candidate, IdentityEvidence, IdentityResult
from monitor.roster import read_roster
from monitor.rules import check_rules, load_rules
from monitor.rules.engine import LoadedRule, RuleSet
from monitor.rules.schema import Rule
from monitor.scoring import Scorer
from monitor.sources.jsonl import JsonlOptions, JsonlSource
from monitor.sources.mastodon import status_to_post
from monitor.sources.webhook import PayloadError, parse_payload
from monitor.text import normalize
from tests.helpers import make_post

REPO = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text that exercises the normaliser: campaign words, digits, leet, separators, emoji, zero-width
# and combining characters, other scripts, lone surrogates (valid in JSON, invalid in UTF-8).
SPECIAL = list("0123456789 .-_#@!?'\"/\\\t\n\r") + [
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u0301", "\u0308", "✌️", "☝🏿", "🤟", "Ⅱ",
    "ｐｒａｂｏｗｏ", "İ", "ß", "ﬁ", "\ud800", "\udfff", "\x00", "\x7f", "٢", "𝟎", "Ⓐ",
]
WORDS = ["prabowo", "pr4bowo", "ganjar", "anies", "coblos", "02", "01", "salam", "jari", "dukung", "pilih",
         "paslon", "netral", "asn", "survei", "berita", "menang", "total", "gaskeun", "no", "nomor", "urut"]
texts = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(SPECIAL), st.sampled_from(WORDS)),
                 max_size=30).map("".join)
# what a stored post can hold (a lone surrogate is refused by validation and quarantined)
post_texts = texts.map(lambda s: s.encode("utf-8", "replace").decode("utf-8"))


# ---------------------------------------------------------------------------------- normalisation
@SETTINGS
@given(texts)
def test_normalize_is_idempotent_and_never_raises(text):
    once = normalize(text)
    assert isinstance(once, str)
    assert normalize(once) == once


# ---------------------------------------------------------------------------------- exclusions
_BASE: RuleSet | None = None


def base_rules() -> RuleSet:
    global _BASE
    if _BASE is None:
        _BASE = load_rules([REPO / "rules"])
    return _BASE


def declared() -> IdentityResult:
    return IdentityResult(method="declared_account", candidates=[
        Candidate(nip="198501012010011001", nama="Budi Santoso", confidence=1.0,
                  evidence=[IdentityEvidence(kind="declared_account", detail="x:budi_s", delta=1.0)])])


def _score(rs: RuleSet, text: str, parent: str | None, kind: str) -> float:
    post = make_post("1", text, kind=kind, parent_text=parent)
    matches = rs.match(text, "text") + (rs.match(parent, "parent") if parent else [])
    hit = Scorer(ScoringConfig()).score(post, matches, declared(), ruleset_version=rs.version)
    return 0.0 if hit is None else hit.score


@pytest.mark.slow
@settings(SETTINGS, max_examples=100)
@given(text=post_texts, parent=st.one_of(st.none(), post_texts), kind=st.sampled_from(["post", "comment", "share", "quote"]),
       any_terms=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
       weight=st.floats(min_value=0.001, max_value=1.0))
def test_adding_an_exclusion_rule_never_raises_a_score(text, parent, kind, any_terms, weight):
    base = base_rules()
    extra = Rule.model_validate({
        "id": "zz.prop.exclusion", "title": "property", "description": "property", "category": "exclusion",
        "weight": weight, "terms": {"any": any_terms},
        "examples": {"match": [any_terms[0]], "no_match": ["zzz"]}})
    with_exclusion = RuleSet([*base.rules, LoadedRule(rule=extra, source_file="prop.yaml")], base.files)
    assert _score(with_exclusion, text, parent, kind) <= _score(base, text, parent, kind)


# ---------------------------------------------------------------------------------- rule files
GOOD_RULE = (REPO / "rules" / "pengecualian.yaml").read_text(encoding="utf-8").splitlines(keepends=True)[:60]
yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12))
yaml_values = st.recursive(yaml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["pack", "rules", "id", "title", "description", "category", "weight", "terms",
                                     "any", "all", "none", "regex", "label", "examples", "match", "no_match",
                                     "target", "enabled", "name", "elections", "x"]) | st.text(max_size=5),
                    inner, max_size=5)), max_leaves=25)


@st.composite
def rule_file_texts(draw):
    kind = draw(st.sampled_from(["structure", "mutated", "bytes"]))
    if kind == "structure":
        return yaml.safe_dump(draw(yaml_values), allow_unicode=True).encode("utf-8")
    if kind == "mutated":  # the shipped file with lines dropped, duplicated or garbled
        lines = list(GOOD_RULE)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(lines) - 1))
            op = draw(st.sampled_from(["drop", "dup", "garble", "indent"]))
            if op == "drop":
                del lines[i]
            elif op == "dup":
                lines.insert(i, lines[i])
            elif op == "garble":
                lines[i] = draw(st.text(max_size=20)) + "\n"
            else:
                lines[i] = "   " + lines[i]
            if not lines:
                lines = ["\n"]
        return "".join(lines).encode("utf-8", "surrogatepass")
    return draw(st.binary(max_size=200))


@SETTINGS
@given(rule_file_texts())
@example(b"\x1fpack: {name: x}\n")  # a control character: PyYAML refuses it before parsing (found by hypothesis)
@example(b"\xff\xfe")
def test_no_rule_file_crashes_the_loader(content):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "rules.yaml"
        path.write_bytes(content)
        errors = check_rules([path])  # never raises: every problem is a RuleError
        for e in errors:
            assert e.file == str(path) and e.message
            assert e.line is None or e.line >= 1
            text = str(e)
            assert text.startswith(str(path))
            if e.field:  # a problem inside the file names its line and the field
                assert e.line is not None, text


# ---------------------------------------------------------------------------------- roster files
ROSTER_HEADER = ["nip", "nama", "jabatan", "unit_kerja", "instansi", "atasan_nip", "akun", "email", "telegram"]
cells = st.one_of(st.sampled_from(["", "198501012010011002", "197001012000011001", "x:@budi", "mastodon:@a@b.c",
                                   "budi@contoh.go.id", "12345", "=1+1", "  ", "NIP", "nama"]),
                  st.text(max_size=20))


@st.composite
def roster_files(draw):
    header = draw(st.one_of(st.just(ROSTER_HEADER), st.lists(st.sampled_from(ROSTER_HEADER + ["x", "", "Nama"]),
                                                                max_size=10)))
    rows = draw(st.lists(st.lists(cells, max_size=len(header) + 2), max_size=8))
    kind = draw(st.sampled_from(["csv", "csv-bytes", "xlsx", "xlsx-bytes"]))
    return kind, header, rows, draw(st.binary(max_size=120))


@SETTINGS
@given(roster_files())
def test_no_roster_file_crashes_the_importer(spec):
    kind, header, rows, junk = spec
    with tempfile.TemporaryDirectory() as d:
        if kind == "csv":
            import csv
            import io

            buf = io.StringIO()
            w = csv.writer(buf)
            for r in [header, *rows]:
                w.writerow(r)
            path = Path(d) / "roster.csv"
            path.write_bytes(buf.getvalue().encode("utf-8", "surrogatepass"))
        elif kind == "xlsx":
            import openpyxl

            wb = openpyxl.Workbook()
            for r in [header, *rows]:
                try:
                    wb.active.append([c for c in r])
                except Exception:  # openpyxl refuses control characters: not our concern here
                    wb.active.append(["?" for _ in r])
            path = Path(d) / "roster.xlsx"
            wb.save(path)
        else:
            path = Path(d) / ("roster.csv" if kind == "csv-bytes" else "roster.xlsx")
            path.write_bytes(junk)
        parsed = read_roster(path)  # never raises
        nrows = 1 + len(rows)
        for e in parsed.errors + parsed.warnings:
            assert e.reason, e
            assert e.row is None or 1 <= e.row <= nrows + 1, (e, nrows)
            assert str(e).startswith(("file", "row")), str(e)
        if parsed.entries:
            assert parsed.data_rows >= len(parsed.entries)


# ---------------------------------------------------------------------------------- post payloads
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=15)
POST_KEYS = ["platform", "post_id", "url", "created_at", "author", "kind", "text", "parent", "id", "handle", "name",
             "bio", "media", "lang"]
posts_like = st.dictionaries(st.sampled_from(POST_KEYS), st.one_of(
    json_values, st.sampled_from(["x", "facebook", "post", "comment", "2024-01-21T10:00:00+07:00", "2024-13-45",
                                  "https://x.com/a/status/1", "javascript:alert(1)", ""]),
    st.fixed_dictionaries({}, optional={"id": json_values, "handle": json_values, "name": json_values})),
    max_size=9)


@SETTINGS
@given(st.one_of(posts_like, st.lists(posts_like, max_size=5), json_values, st.binary(max_size=80)))
def test_no_webhook_body_crashes_the_intake_parser(payload):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    try:
        batch, results = parse_payload(body, max_items=50)
    except PayloadError as exc:
        assert str(exc)
        return
    assert len(results) == len(batch.posts) + len(batch.rejected)
    for r in batch.rejected:
        assert r.reason.startswith("item ") and r.reason.split(":", 1)[1].strip(), r.reason


@SETTINGS
@given(st.lists(st.one_of(posts_like.map(json.dumps), json_values.map(json.dumps), st.text(max_size=30),
                          st.binary(max_size=30)), min_size=1, max_size=6))
def test_no_jsonl_line_crashes_the_file_source(lines):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "posts.jsonl"
        with path.open("wb") as fh:
            for line in lines:
                raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
                fh.write(raw.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n")
        src = JsonlSource("inbox", JsonlOptions(path=str(path)))

        async def collect():
            return [b async for b in src.fetch(None)]

        batches = asyncio.run(collect())
        for b in batches:
            for r in b.rejected:  # quarantine reason: file:line: why
                assert r.reason.startswith("posts.jsonl:"), r.reason
                assert r.reason.split(":", 2)[1].isdigit() and r.reason.split(":", 2)[2].strip(), r.reason


MASTO_KEYS = ["id", "uri", "url", "created_at", "content", "spoiler_text", "account", "reblog", "in_reply_to_id",
              "in_reply_to_account_id", "quote", "visibility", "media_attachments", "card", "poll", "language"]
statuses = st.dictionaries(st.sampled_from(MASTO_KEYS), st.one_of(
    json_values, st.sampled_from(["109", "2024-01-21T03:00:00.000Z", "<p>Coblos <b>02</b></p>", "not a date"]),
    st.fixed_dictionaries({}, optional={"id": json_values, "acct": json_values, "username": json_values,
                                        "display_name": json_values, "url": json_values, "note": json_values})),
    max_size=10)


@SETTINGS
@given(st.one_of(statuses, json_values))
def test_no_mastodon_status_crashes_the_parser(status):
    try:
        post = status_to_post(status, fallback_domain="kota.social")
    except ValueError as exc:  # pydantic's ValidationError is a ValueError: the item is quarantined
        assert str(exc)
    else:
        assert post.platform == "mastodon" and post.raw
