"""``config.toml``: loaded with :mod:`tomllib`, validated by pydantic.

Unknown keys and wrong types fail at start with the key path named. Secrets are never in the
file: a source or channel names the *environment variable* that holds its token
(``token_env = "MASTODON_TOKEN"``). Relative paths are resolved against the config file's folder.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.models.election import ELECTION_ID_PATTERN, Election
from monitor.models.post import KINDS
from monitor.models.validation import error_lines


class ConfigError(Exception):
    """A config problem; the message names the file and the key path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Strict):
    backend: Literal["duckdb", "ducklake"] = "duckdb"
    """``duckdb``: the local file ``path``. ``ducklake``: a DuckLake catalog in PostgreSQL shared by
    offices (connection from the environment variable ``pg_dsn_env``, else libpq's ``PG*`` variables),
    data files under ``data_path``."""
    path: Path = Path("data/monitor.duckdb")
    data_path: str = "data/lake"
    """ducklake: the shared folder of the lake's Parquet files (relative to the config file), or an
    ``s3://bucket/prefix/`` URL (credentials through a DuckDB secret; only a filesystem is tested)."""
    lake_name: str = Field("monitor", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """ducklake: the PostgreSQL schema holding the catalog and sequences (one per lake)."""
    pg_dsn_env: str = "MONITOR_LAKE_PG_DSN"
    """ducklake: the environment variable holding the libpq connection string of the catalog."""


class RulesConfig(_Strict):
    paths: list[Path] = Field(default_factory=lambda: [Path("rules")])


DEFAULT_WEIGHTS: dict[str, float] = {
    "post": 1.0, "quote": 1.0, "comment": 0.85, "share": 0.9, "forward": 0.9, "like": 0.5, "follow": 0.45,
}


class ScoringConfig(_Strict):
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """Per-behaviour weight: how much a behaviour counts against an ASN (0..1). Behaviours a
    config leaves out (e.g. one written before likes and follows existed) take the default."""
    min_score: float = Field(0.4, ge=0.0, le=1.0)
    """A post becomes a hit when its final score reaches this."""
    min_content: float = Field(0.5, ge=0.0, le=1.0)
    """Content below this is not partisan enough to look for the author at all."""
    min_identity: float = Field(0.5, ge=0.0, le=1.0)
    """Identity candidates below this confidence are not listed."""
    name_threshold: float = Field(88.0, ge=50.0, le=100.0)
    """rapidfuzz similarity (0..100) a normalised display name needs to be a candidate."""

    @field_validator("weights")
    @classmethod
    def _known_behaviours(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown behaviour(s) {unknown}; known: {list(KINDS)}")
        for k, w in v.items():
            if not 0.0 <= w <= 1.0:
                raise ValueError(f"weight for '{k}' must be between 0 and 1, got {w}")
        return {k: v.get(k, DEFAULT_WEIGHTS[k]) for k in KINDS}


class OfficeConfig(_Strict):
    name: str = "Bawaslu"
    timezone: str = "Asia/Jakarta"
    language: Literal["id", "en"] = "id"
    code: str | None = None
    """This instance's office as a region code (``ID`` national, ``61`` province, ``61.71``
    city/regency; :mod:`monitor.models.office`). Missing: a single-office instance whose users see
    everything stored."""

    @field_validator("code")
    @classmethod
    def _valid_code(cls, v: str | None) -> str | None:
        if v is None:
            return None
        from monitor.models.office import parse_office

        return parse_office(v)  # OfficeCodeError is a ValueError: pydantic names the key

    @field_validator("timezone")
    @classmethod
    def _valid_tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{v}' (use an IANA name such as Asia/Pontianak)") from exc
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CollectorConfig(_Strict):
    queue_size: int = Field(8, ge=1, le=1000)
    """Batches buffered between the sources and the single writer."""
    max_merge_posts: int = Field(10_000, ge=1)
    """Waiting batches of one source are committed together up to this many posts (1 = never merge)."""
    interval_s: int = Field(300, ge=1)
    """Default schedule of ``monitor collect``/``serve`` (per source override: ``interval_s`` or ``cron``)."""
    run_timeout_s: float = Field(3600.0, ge=0)
    """Most seconds one run of a source may spend fetching (0 = no limit; per source: ``run_timeout_s``).
    On expiry the run stops, committed batches stay and the next run resumes from the last cursor."""


class SourceBlock(BaseModel):
    """``[sources.NAME]``: ``type`` picks the plugin, which validates the remaining keys itself."""

    model_config = ConfigDict(extra="allow")

    type: str
    enabled: bool = True
    interval_s: int | None = Field(None, ge=1)
    run_timeout_s: float | None = Field(None, ge=0)
    """This source's run time limit (overrides ``[collector] run_timeout_s``; 0 = no limit)."""
    cron: str | None = None
    """Crontab expression in the office's time zone (``"*/10 6-22 * * *"``); wins over ``interval_s``."""

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, v: str | None) -> str | None:
        if v is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(v)
            except ValueError as exc:
                raise ValueError(f"invalid crontab expression '{v}': {exc}") from exc
        return v

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def run_limit(self, collector: CollectorConfig) -> float | None:
        """Seconds of fetching one run of this source may take (None: no limit)."""
        limit = collector.run_timeout_s if self.run_timeout_s is None else self.run_timeout_s
        return limit or None


class ServiceConfig(_Strict):
    """``monitor serve``: the long-running process that owns the database."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    grace_s: float = Field(30.0, ge=0)
    """On SIGTERM, how long in-flight source runs may take to commit before they are cancelled."""
    rules_check_s: int = Field(30, ge=1)
    """How often rule files are checked for changes."""
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    """Largest accepted request body (webhook intake)."""
    storage_probe_s: float = Field(15.0, gt=0)
    """While the database cannot be written (disk full, read-only), how often a small write is tried."""


class RetentionConfig(_Strict):
    """Data minimisation (UU 27/2022): how long material that led to nothing is kept. 0 = forever."""

    unmatched_posts_days: int = Field(0, ge=0)
    """Posts with no hit (never evidence of anything) older than this are deleted, with their revisions."""
    quarantine_days: int = Field(0, ge=0)
    """Quarantined inputs older than this are deleted."""
    dismissed_hits_days: int = Field(0, ge=0)
    """Posts whose every hit was dismissed this many days ago (none on legal hold) are deleted with
    those hits. New/under-review and confirmed hits, and hits on legal hold, are always kept."""
    run_at: str = "03:30"
    """Local time of the daily retention job."""

    @field_validator("run_at")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        try:
            h, m = (int(x) for x in v.split(":"))
            assert 0 <= h < 24 and 0 <= m < 60
        except (ValueError, AssertionError) as exc:
            raise ValueError(f"'{v}' is not a time HH:MM") from exc
        return v


def _hhmm_ok(v: str) -> str:
    try:
        h, m = (int(x) for x in v.split(":"))
        assert 0 <= h < 24 and 0 <= m < 60
    except (ValueError, AssertionError) as exc:
        raise ValueError(f"'{v}' is not a time HH:MM") from exc
    return v


class AlertChannelBlock(BaseModel):
    """``[alerts.channels.NAME]``: ``type`` picks the channel plugin, which validates the rest."""

    model_config = ConfigDict(extra="allow")

    type: str
    enabled: bool = True

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class AlertsConfig(_Strict):
    """Who is told about which hit, when, and how (``[alerts]``)."""

    enabled: bool = False
    trigger: Literal["confirmed", "confirmed_or_auto"] = "confirmed"
    """``confirmed``: a hit a watcher confirmed. ``confirmed_or_auto``: also unreviewed hits whose
    identity is a declared account and whose score reaches ``auto_min_score``."""
    auto_min_score: float = Field(0.9, ge=0.0, le=1.0)
    urgent_min_score: float = Field(0.0, ge=0.0, le=1.0)
    """Alerts at or above this score go out at once; the others wait for the daily digest."""
    escalate_after_h: float = Field(48.0, gt=0)
    """Unacknowledged this long: the next superior up the chain is told."""
    max_level: int = Field(3, ge=1, le=10)
    quiet_hours: str | None = "21:00-06:00"
    """Local ``HH:MM-HH:MM`` during which nothing is sent (held until the end); None = always."""
    digest_at: str = "07:00"
    base_url: str = "http://127.0.0.1:8080"
    """Where the web application is reached; links in messages point there."""
    max_attempts: int = Field(8, ge=1, le=100)
    retry_base_s: float = Field(30.0, gt=0)
    retry_cap_s: float = Field(3600.0, gt=0)
    template_dir: Path | None = None
    """Optional folder of admin-edited templates that override the built-in ones."""
    channels: dict[str, AlertChannelBlock] = Field(default_factory=dict)

    @field_validator("digest_at")
    @classmethod
    def _digest(cls, v: str) -> str:
        return _hhmm_ok(v)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        parts = v.split("-")
        if len(parts) != 2:
            raise ValueError(f"'{v}' is not HH:MM-HH:MM")
        _hhmm_ok(parts[0].strip())
        _hhmm_ok(parts[1].strip())
        return v


class EvidenceConfig(_Strict):
    """``[evidence]``: capture of the media of posts behind hits."""

    allow_private_media: bool = False
    """Let media be downloaded from loopback/private/link-local addresses. Off: media URLs come from
    platform payloads (untrusted) and must not reach the office network or cloud metadata services."""


class Config(_Strict):
    store: StoreConfig = Field(default_factory=StoreConfig)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    office: OfficeConfig = Field(default_factory=OfficeConfig)
    collector: CollectorConfig = Field(default_factory=CollectorConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    sources: dict[str, SourceBlock] = Field(default_factory=dict)
    elections: dict[str, Election] = Field(default_factory=dict)
    """``[elections.ID]``: each election (Pemilu, each Pilkada) with its region, dates and rule packs."""

    @field_validator("elections")
    @classmethod
    def _election_ids(cls, v: dict[str, Election]) -> dict[str, Election]:
        import re

        for key in v:
            if not re.match(ELECTION_ID_PATTERN, key):
                raise ValueError(f"election id '{key}': use lower-case letters, digits, '.', '_' and '-'")
        return {key: e.model_copy(update={"id": key}) for key, e in v.items()}

    base_dir: Path = Field(default=Path("."), exclude=True)

    def resolve(self, p: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(os.path.expanduser(str(p)))
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def db_path(self) -> Path:
        return self.resolve(self.store.path)

    @property
    def rule_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.rules.paths]


def _format_validation(path: Path, exc: ValidationError) -> str:
    return "\n".join([f"{path}: invalid configuration"] + [f"  {line}" for line in error_lines(exc)])


def load_config(path: Path | str | None) -> Config:
    """Load and validate ``config.toml``. A missing default file yields the built-in defaults."""
    if path is None:
        return Config(base_dir=Path.cwd())
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8: {exc}") from exc
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(path, exc)) from exc
    cfg.base_dir = path.resolve().parent
    return cfg


def secret_from_env(var: str | None, what: str) -> str | None:
    """Read a secret from the environment variable named in the config (never from the file)."""
    if not var:
        return None
    value = os.environ.get(var)
    if not value:
        raise ConfigError(f"{what}: environment variable {var} is not set")
    return value
