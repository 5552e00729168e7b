"""Wires the stages together for one process: store, rules, identity index, scorer, pipeline."""

from __future__ import annotations

from pathlib import Path

from monitor.config import Config
from monitor.identity import IdentityIndex
from monitor.pipeline.evaluate import Evaluator
from monitor.pipeline.ingest import Pipeline
from monitor.pipeline.ruleholder import RuleHolder
from monitor.scoring import Scorer
from monitor.store import Store


class IdentityProvider:
    """Builds the identity index from the stored roster and the reviewers' identity memory;
    rebuilds after a new roster import or a review that changed the memory."""

    def __init__(self, store: Store, name_threshold: float) -> None:
        self.store = store
        self.name_threshold = name_threshold
        self._version: tuple[int, int] = (-1, -1)
        self._index: IdentityIndex | None = None

    def __call__(self) -> IdentityIndex:
        v = (self.store.roster_version(), self.store.identity_memory_version())
        if self._index is None or v != self._version:
            self._index = IdentityIndex.build(
                self.store.roster_entries(),
                name_threshold=self.name_threshold,
                memory=self.store.identity_memory(),
            )
            self._version = v
        return self._index


class AppContext:
    def __init__(self, config: Config, db_path: Path | None = None, *, rules: RuleHolder | None = None) -> None:
        self.config = config
        self.db_path = db_path or config.db_path
        self.store = Store(self.db_path)
        self._rules = rules
        self._pipeline: Pipeline | None = None

    @property
    def rules(self) -> RuleHolder:
        if self._rules is None:
            self._rules = RuleHolder(self.config.rule_paths, elections=self.config.elections.keys())
        return self._rules

    def record_rules(self) -> None:
        """Keep every rule-set version that scored hits (hits store the version hash)."""
        rs = self.rules.current
        self.store.record_ruleset(rs.version, [str(f) for f in rs.files], [r.rule.model_dump(mode="json") for r in rs.rules])

    def refresh_rules(self) -> None:
        """Pick up edited rule files; an invalid edit is logged and the running rules stay."""
        if self.rules.reload_if_changed():
            self.record_rules()

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            self.record_rules()
            identity = IdentityProvider(self.store, self.config.scoring.name_threshold)
            evaluator = Evaluator(lambda: self.rules.current, identity, Scorer(self.config.scoring),
                                  elections=list(self.config.elections.values()), tz=self.config.office.tz)
            self._pipeline = Pipeline(self.store, evaluator)
        return self._pipeline

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "AppContext":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
