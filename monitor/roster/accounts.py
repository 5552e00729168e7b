"""The roster's ``akun`` cell: declared accounts, ``platform:handle`` pieces separated by ``;``.

Normalisation rules are in :mod:`monitor.names.handles` (shared with the identity matcher).
"""

from __future__ import annotations

import re

from monitor.models import DeclaredAccount
from monitor.names.handles import split_account_spec

__all__ = ["parse_declared_account", "parse_declared_accounts"]

_SEPARATORS_RE = re.compile(r"[;,\n\r]+")


def parse_declared_account(spec: str) -> DeclaredAccount:
    """Parse one ``platform:handle`` / ``platform:id``; ValueError with a reason otherwise."""
    platform, value = split_account_spec(spec)
    return DeclaredAccount(platform=platform, value=value)


def parse_declared_accounts(cell: str | None) -> tuple[list[DeclaredAccount], list[str]]:
    """Parse an ``akun`` cell: pieces separated by ``;`` (also ``,`` or a line break).

    Returns the accounts (duplicates within the cell removed, order kept) and one error message
    per unusable piece. Empty pieces are skipped.
    """
    accounts: list[DeclaredAccount] = []
    errors: list[str] = []
    if not cell:
        return accounts, errors
    seen: set[DeclaredAccount] = set()
    for piece in _SEPARATORS_RE.split(cell):
        if not piece.strip():
            continue
        try:
            acc = parse_declared_account(piece)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if acc not in seen:
            seen.add(acc)
            accounts.append(acc)
    return accounts, errors
