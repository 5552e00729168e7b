"""Wires the stages together for one process: store, rules, identity index, scorer, pipeline."""

from __future__ import annotations

import logging
from pathlib import Path

from monitor.config import Config
from monitor.identity import IdentityIndex
from monitor.pipeline.evaluate import Evaluator
from monitor.pipeline.ingest import Pipeline
from monitor.pipeline.ruleholder import RuleHolder
from monitor.scoring import Scorer
from monitor.store import Store

log = logging.getLogger("monitor.context")


def open_store(config: Config, db_path: Path | None = None, *, read_only: bool = False) -> Store:
    """The configured store: the DuckDB file (``db_path`` or ``[store] path``), or with
    ``[store] backend = "ducklake"`` the shared lake (a ``db_path`` other than ``[store] path``, e.g.
    ``--db``, wins)."""
    sc = config.store
    if sc.backend == "ducklake" and (db_path is None or Path(db_path) == config.db_path):
        from monitor.store.lake import LakeSettings

        data = sc.data_path if "://" in sc.data_path else str(config.resolve(Path(sc.data_path)))
        return Store(sc.lake_name, read_only=read_only,
                     lake=LakeSettings.from_env(data_path=data, lake_name=sc.lake_name, dsn_env=sc.pg_dsn_env))
    return Store(db_path or config.db_path, read_only=read_only)


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
    def __init__(self, config: Config, db_path: Path | None = None, *, rules: RuleHolder | None = None,
                 read_only: bool = False) -> None:
        self.config = config
        self.db_path = db_path or config.db_path
        self._db_arg = db_path
        self.store = open_store(config, db_path, read_only=read_only)
        self._adopt_office(write=not read_only)
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
            self._pipeline = Pipeline(self.store, evaluator, office=self.config.office.code)
        return self._pipeline

    def reopen_store(self) -> None:
        """Close the store and open it again (DuckDB invalidates a database after a failed checkpoint;
        opening it replays the write-ahead log). The pipeline is rebuilt on its next use. If opening
        fails the closed store stays in place, so every use raises until a later reopen succeeds."""
        try:
            self.store.close()
        except Exception:  # an invalidated database may refuse even this; it is dropped either way
            pass
        self.store = open_store(self.config, self._db_arg)
        self._adopt_office()
        self._pipeline = None

    def _adopt_office(self, *, write: bool = True) -> None:
        """Give unassigned users and hits this instance's office. A database that cannot be written
        now (disk full, read-only file) must not stop the start: the office is remembered and the
        rows are adopted when the store is reopened after the fault (:meth:`reopen_store`)."""
        from monitor.store.errors import storage_fault

        try:
            self.store.adopt_office(self.config.office.code, write=write)
        except Exception as exc:
            if storage_fault(exc) is None:
                raise
            log.warning("office adoption postponed: the database cannot be written now (%s)", exc)
            self.store.adopt_office(self.config.office.code, write=False)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "AppContext":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
