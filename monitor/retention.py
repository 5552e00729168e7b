"""The ``[retention]`` settings turned into one retention run (used by the service job and the CLI)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from monitor.config import RetentionConfig

log = logging.getLogger("monitor.retention")


def cutoffs(ret: RetentionConfig, now: datetime | None = None) -> dict[str, datetime | None]:
    """The cut-off time of each rule; None where the rule is off (0 days = keep forever)."""
    now = now or datetime.now(timezone.utc)

    def before(days: int) -> datetime | None:
        return now - timedelta(days=days) if days else None

    return {"unmatched_before": before(ret.unmatched_posts_days), "quarantine_before": before(ret.quarantine_days),
            "dismissed_before": before(ret.dismissed_hits_days)}


def apply_retention(store, ret: RetentionConfig, *, actor: str, now: datetime | None = None) -> dict:
    """One retention run with the configured cut-offs (the caller holds the writer's turn).

    Captured media files that no remaining post refers to are deleted from the media folder
    after the run commits (a file that cannot be deleted is logged and left)."""
    cuts = cutoffs(ret, now)
    keep = roster_authors(store, cuts["unmatched_before"]) if cuts["unmatched_before"] else None
    return store.purge(actor=actor, remove_files=lambda files: remove_media_files(store.path, files),
                       keep_authors=keep, **cuts)


def roster_authors(store, before: datetime) -> list[tuple]:
    """Raw author columns of old hit-less posts whose account key (the identity index's own
    normalisation, :func:`monitor.identity.accounts.author_account_keys`) is declared on the roster
    or linked to a NIP by a reviewer: their posts are not "of authors who match nobody".
    Computed per distinct author, not per post."""
    from monitor.identity.accounts import author_account_keys, declared_account_key
    from monitor.models import Author, DeclaredAccount

    declared, known = store.known_accounts()
    known |= {k for k in (declared_account_key(DeclaredAccount.model_construct(platform=p, value=v))
                          for p, v in declared) if k is not None}
    if not known:
        return []
    return [a for a in store.unhit_authors(before)
            if any(k in known for k in author_account_keys(a[0], Author.model_construct(id=a[1], handle=a[2], url=a[3])))]


def remove_media_files(db_path: str, files: list[str]) -> None:
    from monitor.evidence.paths import media_dir

    root = media_dir(db_path).resolve()
    for rel in files:
        p = (root / rel).resolve()
        if root not in p.parents:  # a stored path never leaves the media folder
            log.warning("retention: media path outside the media folder left alone", extra={"file": rel})
            continue
        try:
            p.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("retention: cannot delete media file", extra={"file": rel, "error": str(exc)})
