"""Detection quality of the rules on real, labelled election posts (precision / recall).

Plain script, not a test::

    python bench/eval.py [--data CSV] [--rules PATH ...] [--show N]

``--data``   CSV with the columns ``source,text,partisan,target,sentiment`` (default:
             ``../shared/eval/election_posts_dev.csv`` next to the repository, see
             ``shared/eval/README.md``; the file is third-party data and is not shipped).
``--rules``  rule files/folders to use for *every* row instead of the per-source packs below.
``--show N`` how many worst false positives and misses to print per source (default 10).

Every text goes through the product's own pipeline, not a separate code path: for each rule
setup the script builds a store in a temporary DuckDB file, imports a one-person roster (a
fictional ASN with the declared account ``x:@asn_eval``), turns each CSV row into a ``Post``
by that account (platform ``x``, ``post_id`` = row number, fixed ``created_at``, text = row
text) and ingests the posts through ``monitor.context.AppContext`` /
``monitor.pipeline.ingest.Pipeline`` with a config whose ``[rules] paths`` are:

* ``pilkada-dki2017`` rows: ``rules/`` + ``rules/examples/pilkada-dki-2017.yaml``;
* ``pilpres2019-labelled`` rows: ``rules/`` + ``rules/examples/pilpres-2019.yaml``;
* ``control-*`` rows (non-political, ``partisan=0``): evaluated with BOTH setups and counted
  once per setup;
* ``pilpres2019`` (no stance label) and ``pilpres2019-unclear`` rows are skipped.

Emoji that the data set spelled out as Unicode names (``<Victory Hand>``) are turned back into
the emoji before ingesting; nothing else in the text is changed.

A row counts as predicted partisan iff the pipeline stored a hit for it (declared account, so
identity is 1.0: in practice content score >= ``min_content``). Per setup and source the
script prints the confusion counts (TP FP FN TN), precision and recall, then the false
positives with the highest scores and the misses, with the rules and terms that fired (for a
miss: the rules that matched below the threshold). The summary lines at the end are the
figures the rule packs are held to: recall on pilkada-dki2017, precision on pilkada-dki2017 +
controls, precision and recall on pilpres2019-labelled; the last lines compare them with the
targets of issue 7 (``TARGETS``) and say which are met.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_DATA = REPO.parent / "shared" / "eval" / "election_posts_dev.csv"
PILKADA_PACK = REPO / "rules" / "examples" / "pilkada-dki-2017.yaml"
PILPRES_PACK = REPO / "rules" / "examples" / "pilpres-2019.yaml"

#: setup name -> rule paths (the default pack plus one example pack)
SETUPS: dict[str, list[Path]] = {
    "pilkada": [REPO / "rules", PILKADA_PACK],
    "pilpres": [REPO / "rules", PILPRES_PACK],
}
#: which setups evaluate a source; sources not listed here are skipped
SOURCE_SETUPS: dict[str, tuple[str, ...]] = {
    "pilkada-dki2017": ("pilkada",),
    "pilpres2019-labelled": ("pilpres",),
}
CONTROL_PREFIX = "control"

ROSTER_CSV = (
    "nip,nama,jabatan,unit_kerja,instansi,atasan_nip,akun,email,telegram\n"
    '199001012019031001,"Eval Pratama, S.Kom.",Analis Data,Bidang Evaluasi,Pemerintah Kota Contoh,,'
    "x:@asn_eval,eval@contoh.go.id.invalid,\n"
)
CREATED_AT = datetime(2024, 1, 21, 3, 0, tzinfo=timezone.utc)


@dataclass
class Row:
    n: int  # 1-based data row number (post_id)
    source: str
    text: str
    label: int


@dataclass
class Outcome:
    row: Row
    setup: str
    predicted: bool
    score: float  # final hit score, or the content score below threshold for a miss
    rules: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, o: Outcome) -> None:
        if o.predicted and o.row.label:
            self.tp += 1
        elif o.predicted:
            self.fp += 1
        elif o.row.label:
            self.fn += 1
        else:
            self.tn += 1

    def __iadd__(self, other: "Confusion") -> "Confusion":
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn
        return self

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Report:
    outcomes: list[Outcome]
    # (setup, source) -> confusion
    tables: dict[tuple[str, str], Confusion]

    def combined(self, setup: str, sources: list[str] | None = None, *, controls: bool = False) -> Confusion:
        c = Confusion()
        for (st, src), conf in self.tables.items():
            if st != setup:
                continue
            if (sources is not None and src in sources) or (controls and src.startswith(CONTROL_PREFIX)):
                c += conf
        return c


_PLACEHOLDER = re.compile(r"<([A-Za-z][A-Za-z &'-]{1,60})>")


def restore_emoji(text: str) -> str:
    """The Pilkada 2017 data set wrote emoji as their Unicode names (``<Victory Hand>``): put the
    emoji back so the text reads as it was posted. Unknown names (``<USERNAME>``) stay."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1).strip().replace("&", "and")
        for cand in (name, name + " sign"):
            try:
                return unicodedata.lookup(cand)
            except KeyError:
                pass
        return m.group(0)

    return _PLACEHOLDER.sub(sub, text)


def read_rows(path: Path) -> list[Row]:
    if not path.is_file():
        raise SystemExit(
            f"evaluation data not found: {path}\n"
            "pass --data CSV (columns source,text,partisan,target,sentiment); see shared/eval/README.md"
        )
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"source", "text", "partisan"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing column(s): {', '.join(sorted(missing))}")
        for i, rec in enumerate(reader, start=1):
            label = (rec.get("partisan") or "").strip()
            if label not in ("0", "1"):
                continue  # unlabelled (pilpres2019) or undecided (pilpres2019-unclear)
            rows.append(Row(n=i, source=rec["source"].strip(), text=restore_emoji(rec.get("text") or ""),
                            label=int(label)))
    return rows


def setups_for(source: str) -> tuple[str, ...]:
    if source.startswith(CONTROL_PREFIX):
        return tuple(SETUPS)
    return SOURCE_SETUPS.get(source, ())


def _run_setup(name: str, rule_paths: list[Path], rows: list[Row]) -> list[Outcome]:
    """Ingest ``rows`` through the product pipeline with ``rule_paths``; one Outcome per row."""
    from monitor.cli.roster import import_roster
    from monitor.collect.base import Batch
    from monitor.config import Config, RulesConfig
    from monitor.context import AppContext
    from monitor.i18n import t
    from monitor.models import Author, Post
    from monitor.scoring.content import content_score

    cfg = Config(rules=RulesConfig(paths=[Path(p).resolve() for p in rule_paths]), base_dir=REPO)
    posts = [
        Post(
            platform="x",
            post_id=str(r.n),
            url=f"https://x.com/asn_eval/status/{r.n}",
            created_at=CREATED_AT,
            author=Author(id="900001", handle="asn_eval", name="Eval Pratama"),
            kind="post",
            text=r.text,
        )
        for r in rows
    ]
    with tempfile.TemporaryDirectory(prefix="asn-eval-") as d:
        roster = Path(d) / "roster.csv"
        roster.write_text(ROSTER_CSV, encoding="utf-8")
        with AppContext(cfg, Path(d) / "eval.duckdb") as app:
            ok, lines = import_roster(app.store, roster, skip_invalid=False, actor="bench-eval",
                                      lang_t=lambda k, **kw: t(k, "en", **kw))
            if not ok:
                raise RuntimeError("roster import failed: " + "; ".join(lines))
            pipe = app.pipeline
            for i in range(0, len(posts), 500):
                pipe.process(f"eval-{name}", Batch(posts=posts[i:i + 500]), save_cursor=False)
            hits = {h["post_id"]: h for h in app.store.list_hits(
                start=datetime(1970, 1, 1, tzinfo=timezone.utc), end=datetime(2100, 1, 1, tzinfo=timezone.utc))}
            ruleset = app.rules.current
            out: list[Outcome] = []
            for r in rows:
                h = hits.get(str(r.n))
                if h is not None:
                    out.append(Outcome(r, name, True, float(h["score"]),
                                       [m["rule_id"] for m in h["rules"] if m["category"] == "partisan"],
                                       list(h["terms"])))
                else:  # diagnostics only: what fired below the threshold
                    ms = ruleset.match(r.text, "text") if r.text else []
                    cs = content_score(ms, "text")
                    out.append(Outcome(r, name, False, cs.score,
                                       [m.rule_id for m in ms],
                                       sorted({t_ for m in ms if m.category == "partisan" for t_ in m.terms})))
    return out


def evaluate(rows: list[Row], rules: list[Path] | None = None) -> Report:
    """Core: run ``rows`` through the pipeline once per setup; confusion per (setup, source)."""
    outcomes: list[Outcome] = []
    for setup, paths in SETUPS.items():
        mine = [r for r in rows if setup in setups_for(r.source)]
        if mine:
            outcomes.extend(_run_setup(setup, list(rules) if rules else paths, mine))
    tables: dict[tuple[str, str], Confusion] = {}
    for o in outcomes:
        tables.setdefault((o.setup, o.row.source), Confusion()).add(o)
    return Report(outcomes, tables)


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def _line(label: str, c: Confusion) -> str:
    return (f"{label:<42} TP {c.tp:4d}  FP {c.fp:4d}  FN {c.fn:4d}  TN {c.tn:4d}   "
            f"precision {_fmt(c.precision)}  recall {_fmt(c.recall)}")


def _clip(text: str, n: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def print_report(rep: Report, show: int = 10) -> None:
    for (setup, src), c in sorted(rep.tables.items()):
        print(_line(f"[{setup}] {src}", c))
    print()
    for (setup, src) in sorted(rep.tables):
        mine = [o for o in rep.outcomes if o.setup == setup and o.row.source == src]
        fps = sorted((o for o in mine if o.predicted and not o.row.label), key=lambda o: -o.score)
        fns = sorted((o for o in mine if not o.predicted and o.row.label), key=lambda o: o.score)
        printed = False
        for kind, items in (("false positives", fps), ("misses", fns)):
            if not items or show <= 0:
                continue
            printed = True
            print(f"--- [{setup}] {src}: {kind} ({len(items)}, showing {min(show, len(items))})")
            for o in items[:show]:
                print(f"  row {o.row.n:5d} score {o.score:.2f} rules={','.join(o.rules) or '-'} "
                      f"terms={','.join(o.terms) or '-'}")
                print(f"      {_clip(o.row.text)}")
        if printed:
            print()
    print("=== summary")
    print(_line("recall pilkada-dki2017", rep.combined("pilkada", ["pilkada-dki2017"])))
    print(_line("precision pilkada-dki2017 + controls", rep.combined("pilkada", ["pilkada-dki2017"], controls=True)))
    print(_line("pilpres2019-labelled", rep.combined("pilpres", ["pilpres2019-labelled"])))
    print(_line("pilpres2019-labelled + controls", rep.combined("pilpres", ["pilpres2019-labelled"], controls=True)))
    print("=== targets (issue 7)")
    for line in target_lines(rep):
        print(line)


#: (label, setup, sources, with controls, minimum precision, minimum recall): the issue 7 targets
TARGETS = (
    ("pilkada-dki2017 + controls", "pilkada", ["pilkada-dki2017"], True, 0.95, 0.90),
    ("pilpres2019-labelled", "pilpres", ["pilpres2019-labelled"], False, 0.90, 0.80),
)


def target_lines(rep: Report) -> list[str]:
    """One line per target: the figure, the minimum and whether it is met (``n/a``: no rows)."""
    out = []
    for label, setup, sources, controls, min_p, min_r in TARGETS:
        c = rep.combined(setup, sources, controls=controls)
        parts = []
        for name, value, minimum in (("precision", c.precision, min_p), ("recall", c.recall, min_r)):
            verdict = "n/a" if value is None else ("met" if value >= minimum else "NOT MET")
            parts.append(f"{name} {_fmt(value)} (>= {minimum:.2f}: {verdict})")
        out.append(f"{label:<42} " + "  ".join(parts))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled CSV (default: %(default)s)")
    ap.add_argument("--rules", type=Path, nargs="+", default=None,
                    help="rule files/folders for every row instead of rules/ + the per-source example pack")
    ap.add_argument("--show", type=int, default=10, help="false positives / misses to print per source")
    args = ap.parse_args(argv)
    rows = read_rows(args.data)
    if args.rules:
        for p in args.rules:
            if not p.exists():
                raise SystemExit(f"rule path not found: {p}")
    rep = evaluate(rows, args.rules)
    print(f"data: {args.data} ({len(rows)} labelled rows)")
    print_report(rep, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
