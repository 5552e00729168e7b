"""Check the written demo files against the product's own models and importers."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

from monitor.identity.accounts import author_account_keys
from monitor.models import Post
from monitor.names import normalize_name
from monitor.roster.importer import read_roster
from monitor.roster.nip import parse_nip

WINDOW = (dt.date(2024, 1, 15), dt.date(2024, 1, 21))


def _roster(path: Path, problems: list[str]) -> tuple[list[dict], dict[tuple[str, str], str]]:
    parsed = read_roster(path)
    problems += [f"roster import error: {e}" for e in parsed.errors]
    problems += [f"roster import warning: {w}" for w in parsed.warnings]
    akun = {e.nip: e.akun for e in parsed.entries}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if list(rows[0]) != ["nip", "nama", "jabatan", "unit_kerja", "instansi", "atasan_nip", "akun", "email", "telegram"]:
        problems.append(f"roster header is {list(rows[0])}")
    by_nip = {}
    declared: dict[tuple[str, str], str] = {}
    for r in rows:
        nip = r["nip"]
        if nip in by_nip:
            problems.append(f"duplicate NIP {nip}")
        by_nip[nip] = r
        try:
            info = parse_nip(nip, today=dt.date(2024, 1, 21))
            if not (1965 <= info.birth_date.year <= 2000 and info.birth_date.year + 20 <= info.appointment_year <= 2023):
                problems.append(f"NIP {nip} outside the demo rules")
        except ValueError as exc:
            problems.append(f"NIP {nip}: {exc}")
        if r["akun"] and not akun.get(nip):
            problems.append(f"{nip}: akun {r['akun']!r} not imported")
        for a in akun.get(nip, []):
            key = (a.platform, a.value)
            if key in declared:
                problems.append(f"account {key} declared by {declared[key]} and {nip}")
            declared[key] = nip
            if a.platform == "mastodon" and "@" not in a.value:
                problems.append(f"mastodon account without domain: {a.value}")
        if not r["email"].endswith("@contoh.go.id.invalid"):
            problems.append(f"{nip} email {r['email']}")
    bosses = {r["atasan_nip"] for r in rows if r["atasan_nip"]}
    for r in rows:
        if r["atasan_nip"] and r["atasan_nip"] not in by_nip:
            problems.append(f"{r['nip']}: supervisor {r['atasan_nip']} missing")
        if bool(r["telegram"]) != (r["nip"] in bosses):
            problems.append(f"{r['nip']}: telegram must be set exactly for supervisors")
        seen, cur = set(), r
        while cur and cur["atasan_nip"]:
            if cur["nip"] in seen:
                problems.append(f"supervisor cycle at {r['nip']}")
                break
            seen.add(cur["nip"])
            cur = by_nip.get(cur["atasan_nip"])
    groups = defaultdict(set)
    for r in rows:
        groups[normalize_name(r["nama"])].add(r["instansi"])
    shared = [n for n, inst in groups.items() if len(inst) > 1]
    if len(shared) < 6:
        problems.append(f"only {len(shared)} names shared across agencies")
    return rows, declared


def validate(out_dir: Path) -> list[str]:
    problems: list[str] = []
    rows, declared = _roster(out_dir / "roster.csv", problems)
    roster_names = {normalize_name(r["nama"]) for r in rows}
    with (out_dir / "expected.csv").open(encoding="utf-8", newline="") as fh:
        expected = [(r["platform"], r["post_id"], r["expected"]) for r in csv.DictReader(fh)]
    lines = (out_dir / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    if len(lines) != len(expected):
        problems.append(f"{len(lines)} posts but {len(expected)} expected rows")
    ids, times, days = set(), {}, Counter()
    for n, (line, exp) in enumerate(zip(lines, expected), 1):
        try:
            post = Post.model_validate_json(line)
        except Exception as exc:  # noqa: BLE001 - report every kind of failure
            problems.append(f"posts.jsonl line {n}: {exc}")
            continue
        key = (post.platform, post.post_id)
        if key in ids:
            problems.append(f"duplicate post id {key}")
        ids.add(key)
        times[key] = post.created_at
        local = dt.date.fromisoformat(json.loads(line)["created_at"][:10])
        days[local] += 1
        if not WINDOW[0] <= local <= WINDOW[1]:
            problems.append(f"line {n}: date {local} outside the window")
        if exp[:2] != key:
            problems.append(f"expected.csv row {n} is {exp[:2]}, post is {key}")
        if post.kind != "post" and post.parent is None:
            problems.append(f"line {n}: {post.kind} without parent")
        if post.parent and post.parent.post_id and (post.platform, post.parent.post_id) in times:
            if times[(post.platform, post.parent.post_id)] >= post.created_at:
                problems.append(f"line {n}: parent is not older")
        is_declared = any(k in declared for k in author_account_keys(post.platform, post.author))
        label = exp[2]
        if (label == "hit_declared" and not is_declared) or (label in ("hit_name", "ambiguous", "no_hit_public")
                                                             and is_declared):
            problems.append(f"line {n}: label {label} but declared={is_declared}")
        if label == "no_hit_public" and normalize_name(post.author.name or "") in roster_names:
            problems.append(f"line {n}: public account named like a roster row ({post.author.name})")
        if post.platform in ("x", "facebook") and not (post.author.id or "").isdigit():
            problems.append(f"line {n}: {post.platform} author id not numeric")
    if days[dt.date(2024, 1, 21)] < 250:
        problems.append(f"only {days[dt.date(2024, 1, 21)]} posts on 2024-01-21")
    for n, line in enumerate((out_dir / "posts_malformed.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        try:
            Post.model_validate_json(line)
            problems.append(f"posts_malformed.jsonl line {n} is valid")
        except ValueError:
            pass
    return problems
