"""Regenerate the fictional demo data in ``monitor/demo/data/``.

    python bench/make_demo_data.py [--out DIR] [--no-check]

Deterministic (``random.Random(2024)``): a rerun writes identical files. After writing, the files
are checked with the product's own models (``monitor.models.Post``, the roster importer).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_data import generate  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "monitor" / "demo" / "data")
    ap.add_argument("--no-check", action="store_true", help="skip the validation of the written files")
    args = ap.parse_args()
    s = generate(args.out, check=not args.no_check)
    print(f"wrote {args.out}: roster {s['roster']} rows ({s['declared']} with declared accounts), {s['posts']} posts")
    for key in ("category", "label", "platform", "kind", "day"):
        print(f"  {key}: " + ", ".join(f"{k}={v}" for k, v in sorted(s[key].items())))
    problems = s.get("problems", [])
    for p in problems:
        print("PROBLEM:", p)
    if not args.no_check:
        print("check: " + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
