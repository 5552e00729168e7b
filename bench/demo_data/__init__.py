"""Generator of the bundled, fictional demo data in ``monitor/demo/data/``.

Run ``python bench/make_demo_data.py``. Everything is drawn from ``random.Random(2024)`` in a fixed
order, so a rerun writes byte-identical files.
"""

from __future__ import annotations

import random
from pathlib import Path

SEED = 2024


def build() -> tuple[list[dict], list[dict]]:
    """Return (roster rows, posts) with internal ``_`` fields still attached."""
    from demo_data import categories as c
    from demo_data.accounts import Registry
    from demo_data.posts import Factory
    from demo_data.roster import build_roster

    rng = random.Random(SEED)
    reg = Registry(rng)
    roster = build_roster(rng, reg)
    f = Factory(rng, reg, roster)
    c.public_sources(f, campaign=36, official=14)
    c.undeclared(f, total=60)
    with_accounts = [p for p in roster if p["_accounts"]]
    actors = rng.sample(with_accounts, 55)
    c.declared(f, {"post": 40, "comment": 30, "share": 22, "quote": 14, "forward": 14}, False, actors)
    rest = [p for p in with_accounts if p not in actors]
    c.declared(f, {"post": 18, "comment": 9, "quote": 3}, True, rng.sample(actors, 10) + rng.sample(rest, 5))
    c.campaign(f, {"post": 28, "share": 26, "comment": 3, "quote": 3})
    c.neutral(f, total=210)
    c.citizens(f, partisan=35, plain=35)
    posts = sorted(f.posts, key=lambda p: (p["_when"], p["platform"], p["post_id"]))
    return roster, posts


def generate(out_dir: Path, check: bool = True) -> dict:
    """Write every file into ``out_dir``; return the summary counts."""
    from demo_data.output import write_all
    from demo_data.validate import validate

    roster, posts = build()
    summary = write_all(out_dir, roster, posts)
    if check:
        summary["problems"] = validate(out_dir)
    return summary
