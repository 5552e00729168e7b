"""The batch detection path gives exactly the hits of the straightforward per-post path.

``normalize_many``, ``Matcher.evaluate_many``, ``RuleSet.match_many`` and
``Evaluator.evaluate_many`` are compared with ``normalize``, the ungated ``Matcher`` run text by
text, ``RuleSet.match`` and ``Evaluator.evaluate`` on one shared corpus: the demo posts, tricky
Unicode (zero-width characters, fullwidth, combining marks, emoji, mixed scripts, NUL and other
controls, terms at text boundaries, spaced-out and leet spellings) and, when
/work/shared/eval is present, every third real capres2024 tweet; for the default pack and both example
packs; in batches of several sizes.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.demo import DATA_DIR
from monitor.identity import IdentityIndex
from monitor.models import Author, ParentRef, Post
from monitor.pipeline.evaluate import Evaluator
from monitor.roster import read_roster
from monitor.rules import load_rules
from monitor.rules.engine import Matcher
from monitor.scoring import Scorer
from monitor.text import normalize, normalize_many

REPO = Path(__file__).resolve().parents[1]
TWEETS = Path("/work/shared/eval/capres2024_tweets.csv")
PACKS = {
    "default": ["rules"],
    "dki17": ["rules", "rules/examples/pilkada-dki-2017.yaml"],
    "pilpres19": ["rules", "rules/examples/pilpres-2019.yaml"],
}
BATCH_SIZES = (1, 7, 250, 1000)

TERMS = ["prabowo", "Ganjar Pranowo", "#PrabowoGibran", "coblos 02", "anies", "#AMIN", "pilih nomor urut 3",
         "dukung pdip", "ahok djarot", "jokowi amin", "#2019GantiPresiden", "salam 2 jari ✌️"]
WRAPPERS = [
    "{t}", " {t} ", "{t}!", "ayo {t}", "{t} menang", "..{t}..", "({t})", "\u200b{t}\u200d", "\ufeff{t}\u2060",
    "＃{t}", "{t}\x00", "\x00{t}", "a\x00{t}\x00b", "{t}\x01\x1f", "{t}\t\n{t}", "🇮🇩{t}🔥", "{t}🙏🏽", "ضد {t} 漢字",
    "{t}́", "x{t}y", "#{t}", "@{t}", "{t}#{t}", "{t}@gmail.com", "$ {t} $", "{t}   {t}", "-{t}-", "{t}\u00ad",
]
EXTRA = [
    "", " ", "\x00", "\x00\x00 \x00", "   ", "!!!", "p r a b o w o", "p.r.a.b.o.w.o", "pr4bowo 02", "g@nj@r", "anie$",
    "aniesss baswedan", "PPP", "c o b l o s 0 2", "ＧＡＮＪＡＲ ＰＲＡＮＯＷＯ", "𝐩𝐫𝐚𝐛𝐨𝐰𝐨", "prаbowo (Cyrillic a)",
    "ganjár", "#PrabowoGibran2024 @prabowo", "✌️✌🏽", "☝️ 01", "coblos\u200b02", "nomor urut 01 dan 02",
    "jangan pilih 02", "survei elektabilitas prabowo", "mohon doa dan dukungan", "\u202eowobarp\u202c",
]


def _tweets() -> list[str]:
    if not TWEETS.is_file():
        return []
    with TWEETS.open(encoding="utf-8") as fh:
        return [row["text"] for i, row in enumerate(csv.DictReader(fh)) if row.get("text") and i % 3 == 0]


def _demo_posts() -> list[Post]:
    lines = (DATA_DIR / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    return [Post.model_validate(json.loads(line)) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    texts = [w.format(t=t) for t in TERMS for w in WRAPPERS] + EXTRA
    for p in _demo_posts():
        texts += [p.text or "", (p.parent.text if p.parent else None) or ""]
    texts += _tweets()
    rnd = random.Random(11)
    pieces = TERMS + EXTRA + ["#", "@", "$", " ", "0", "1", "4", "aaa", "\u200b", "é", "\x00", "🙏"]
    texts += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 9))) for _ in range(3000)]
    return texts


def _batched(fn, items: list, size: int) -> list:
    out = []
    for i in range(0, len(items), size):
        out += fn(items[i:i + size])
    return out


@pytest.mark.parametrize("size", BATCH_SIZES)
def test_normalize_many_equals_normalize(corpus, size):
    assert _batched(normalize_many, corpus, size) == [normalize(t) for t in corpus]


@pytest.mark.parametrize("pack", PACKS)
def test_batch_matcher_fires_exactly_like_the_plain_per_text_one(corpus, pack):
    rules = [lr.rule for lr in load_rules([REPO / p for p in PACKS[pack]]).rules]
    fast, plain = Matcher(rules), Matcher(rules, gate=False)
    want = [plain.evaluate(normalize(t)) for t in corpus]
    for size in (7, 1000):
        assert _batched(lambda c: fast.evaluate_many(normalize_many(c)), corpus, size) == want
    assert sum(bool(w) for w in want) > 300  # the corpus exercises the rules, not just silence


@pytest.mark.parametrize("pack", PACKS)
def test_match_many_equals_match(corpus, pack):
    rs = load_rules([REPO / p for p in PACKS[pack]])
    for field in ("text", "parent"):
        want = [rs.match(t, field) for t in corpus]
        assert _batched(lambda c, f=field: rs.match_many(c, f), corpus, 250) == want
    assert rs.match_many([]) == []


def _posts(corpus: list[str], roster) -> list[Post]:
    """The demo posts, then corpus texts as own posts, comments and shares by roster authors
    (declared accounts, names) and by outsiders, so that many of them become hits."""
    posts = _demo_posts()
    rnd = random.Random(5)
    declared = [(e, a) for e in roster for a in e.akun if a.platform == "x"]
    t0 = datetime(2024, 1, 20, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    for i, text in enumerate(corpus[:4000]):
        r = rnd.random()
        if r < 0.3 and declared:
            e, a = rnd.choice(declared)
            author = Author(id=f"d{i}", handle=a.value, name=e.nama)
        elif r < 0.6:
            author = Author(id=f"n{i}", handle=f"user{i}", name=rnd.choice(roster).nama)
        else:
            author = Author(id=f"o{i}", handle=f"user{i}", name="Warga Biasa")
        kind = rnd.choice(["post", "post", "comment", "share", "quote", "forward"])
        parent = None
        if kind != "post":
            parent = ParentRef(post_id=f"par{i}", text=rnd.choice(corpus) or None)
        posts.append(Post(platform="x", post_id=str(i), url=f"https://x.com/i/status/{i}",
                          created_at=t0 + timedelta(minutes=i), author=author, kind=kind,
                          text=text, parent=parent))
    return posts


@pytest.mark.parametrize("pack", PACKS)
def test_evaluate_many_gives_exactly_the_hits_of_evaluate(corpus, pack):
    rs = load_rules([REPO / p for p in PACKS[pack]])
    roster = read_roster(DATA_DIR / "roster.csv").entries
    idx = IdentityIndex.build(roster)
    ev = Evaluator(lambda: rs, lambda: idx, Scorer(load_config(REPO / "config.toml").scoring))
    posts = _posts(corpus, roster)
    want = [ev.evaluate(p) for p in posts]
    got = _batched(ev.evaluate_many, posts, 500)
    assert len(got) == len(want)
    for post, a, b in zip(posts, got, want):
        assert (a is None) == (b is None), post.text
        if a is not None:
            assert a.model_dump() == b.model_dump(), post.text
    assert sum(h is not None for h in want) > 50
    assert ev.evaluate_many([]) == []
