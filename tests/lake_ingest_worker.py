"""One office's ingest into a shared lake, as a separate process (used by tests/test_lake_store.py).

``python -m tests.lake_ingest_worker '{"dsn": ..., "lake_name": ..., "data_path": ..., "office": 0,
"batches": [[first_id, last_id], ...]}'`` opens the lake (applying migrations if it is the first),
ingests each id range as one batch with the real pipeline (shipped rules, a small roster), re-runs
its first batch at the end (a re-delivery) and prints one JSON line: the summed batch results and
how many times a batch failed after every retry and was fetched again.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitor.collect.base import Batch
from monitor.config import load_config
from monitor.identity import IdentityIndex
from monitor.models import Author, Post, RosterEntry
from monitor.pipeline.evaluate import Evaluator
from monitor.pipeline.ingest import Pipeline
from monitor.rules import load_rules
from monitor.scoring import Scorer
from monitor.store import Store
from monitor.store.lake import LakeSettings, StoreConflictError

REPO = Path(__file__).resolve().parents[1]
PARTISAN = "Ayo coblos 02! #PrabowoGibran menang satu putaran"
ROSTER = [RosterEntry(nip="198001012005011001", nama="Budi Santoso", akun=[{"platform": "x", "value": "budi_s"}])]


def post(i: int) -> Post:
    """Post ``i`` of the shared workload: every 7th is partisan by a declared account (a hit)."""
    partisan = i % 7 == 0
    handle = "budi_s" if partisan else f"warga{i % 13}"
    return Post(platform="x" if i % 3 else "mastodon", post_id=str(i), url=f"https://example.invalid/{i}",
                created_at=datetime(2024, 1, 21, 2, tzinfo=timezone.utc) + timedelta(seconds=i),
                author=Author(id="u-" + handle, handle=handle, name="Budi Santoso" if partisan else "Warga"),
                text=PARTISAN if partisan else f"kabar hari ini nomor {i}", raw=json.dumps({"id": i}))


class _CountRetries(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "commit conflict" in record.getMessage():
            self.n += 1


def main(args: dict) -> dict:
    counter = _CountRetries()
    log = logging.getLogger("monitor.store.lake")
    log.addHandler(counter)
    log.setLevel(logging.INFO)
    settings = LakeSettings(data_path=args["data_path"], lake_name=args["lake_name"], dsn=args["dsn"])
    rules = load_rules([REPO / "rules"])
    idx = IdentityIndex.build(ROSTER)
    evaluator = Evaluator(lambda: rules, lambda: idx, Scorer(load_config(REPO / "config.toml").scoring))
    out = {"new": 0, "duplicate": 0, "revised": 0, "hits": 0, "refetched": 0}
    source = f"office{args['office']}"
    with Store("lake", lake=settings) as store:
        pipe = Pipeline(store, evaluator)
        ranges = [tuple(r) for r in args["batches"]]
        for n, (lo, hi) in enumerate(ranges + ranges[:1]):
            batch = Batch(posts=[post(i) for i in range(lo, hi)], cursor={"batch": n})
            while True:  # what the collector does: a failed batch is fetched again from the cursor
                try:
                    res = pipe.process(source, batch)
                    break
                except StoreConflictError:
                    out["refetched"] += 1
            for k in ("new", "duplicate", "revised", "hits"):
                out[k] += getattr(res, k)
    out["retries"] = counter.n
    return out


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
