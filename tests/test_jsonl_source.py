import json

import pytest

from monitor.sources.jsonl import JsonlOptions, JsonlSource, parse_line
from tests.helpers import post_line


async def collect(src, cursor=None):
    return [b async for b in src.fetch(cursor)]


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


async def test_reads_posts_and_keeps_each_line_as_raw(tmp_path):
    f = tmp_path / "a.jsonl"
    lines = [post_line(str(i), f"teks {i}") for i in range(3)]
    write(f, lines)
    batches = await collect(JsonlSource("s", JsonlOptions(path=f)))
    posts = [p for b in batches for p in b.posts]
    assert [p.post_id for p in posts] == ["0", "1", "2"]
    assert [p.raw for p in posts] == lines


async def test_malformed_lines_are_rejected_with_line_and_reason(tmp_path):
    f = tmp_path / "a.jsonl"
    good = post_line("1", "ok")
    no_time = json.loads(post_line("2", "x"))
    del no_time["created_at"]
    naive = json.loads(post_line("3", "x"))
    naive["created_at"] = "2024-01-21T10:00:00"
    share = json.loads(post_line("4", "x"))
    share["kind"] = "share"
    write(f, [good, "{not json", json.dumps(no_time), json.dumps(naive), json.dumps(share), "[1,2]", post_line("5", "ok")])
    batches = await collect(JsonlSource("s", JsonlOptions(path=f)))
    posts = [p.post_id for b in batches for p in b.posts]
    rejected = [r for b in batches for r in b.rejected]
    assert posts == ["1", "5"]
    reasons = [r.reason for r in rejected]
    assert reasons[0].startswith("a.jsonl:2: invalid JSON")
    assert reasons[1].startswith("a.jsonl:3: created_at")
    assert "a.jsonl:4: created_at" in reasons[2] and "timezone" in reasons[2]
    assert "a.jsonl:5:" in reasons[3] and "parent" in reasons[3]
    assert "a.jsonl:6: a line must hold one JSON object" == reasons[4]
    assert rejected[0].payload == "{not json"


async def test_cursor_resumes_after_last_committed_batch(tmp_path):
    f = tmp_path / "a.jsonl"
    write(f, [post_line(str(i), "x") for i in range(10)])
    src = JsonlSource("s", JsonlOptions(path=f, batch_size=4))
    batches = await collect(src)
    assert [len(b.posts) for b in batches] == [4, 4, 2]
    # resume from the cursor after the first batch: the remaining 6 posts, nothing lost
    rest = await collect(src, batches[0].cursor)
    assert [p.post_id for b in rest for p in b.posts] == [str(i) for i in range(4, 10)]
    # appended lines are picked up from the final cursor
    with f.open("a") as fh:
        fh.write(post_line("10", "baru") + "\n")
    more = await collect(src, batches[-1].cursor)
    assert [p.post_id for b in more for p in b.posts] == ["10"]


async def test_replaced_file_is_read_again(tmp_path):
    f = tmp_path / "a.jsonl"
    write(f, [post_line("1", "x")])
    src = JsonlSource("s", JsonlOptions(path=f))
    cur = (await collect(src))[-1].cursor
    write(f, [post_line("9", "lain"), post_line("8", "lain")])
    again = await collect(src, cur)
    assert [p.post_id for b in again for p in b.posts] == ["9", "8"]


async def test_folder_source_reads_files_in_order(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "b.jsonl", [post_line("b", "x")])
    write(tmp_path / "sub" / "a.jsonl", [post_line("a", "x")])
    write(tmp_path / "ignored.txt", ["nope"])
    batches = await collect(JsonlSource("s", JsonlOptions(path=tmp_path)))
    assert sorted(p.post_id for b in batches for p in b.posts) == ["a", "b"]


def test_parse_line_rejects_unknown_fields():
    rec = json.loads(post_line("1", "x"))
    rec["likes"] = 3
    with pytest.raises(ValueError, match="likes: unknown field"):
        parse_line(json.dumps(rec))


async def test_invalid_utf8_is_quarantined(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_bytes(post_line("1", "x").encode() + b"\n" + b'{"text": "\xff\xfe"}\n')
    batches = await collect(JsonlSource("s", JsonlOptions(path=f)))
    assert [p.post_id for b in batches for p in b.posts] == ["1"]
    assert "not UTF-8" in batches[-1].rejected[0].reason
