"""Everything held about one ASN, for a data-subject access request (UU 27/2022): ``monitor export-person``.

The result is a zip of JSON files: the roster entry, declared accounts, identity-memory links
and rejections, the posts matched to the person (through a hit, a declared account or a
confirmed link), the hits naming them (as the person or as one candidate), the reviews, the
alerts sent about them and the audit rows about them.

Nothing about another ASN goes in: other candidates of an ambiguous hit are removed (with the
steps and explanation that name them), the supervisor's NIP and alert recipients are left out
(an alert says only its level: 1 = direct supervisor), and an audit row whose detail names other
NIPs keeps only its action, actor and time. The post's raw payload and the parent post's text
and author (a third person's data) are not included; their SHA-256 is.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timezone
from typing import Any

from monitor.store.scope import UNSCOPED, Scope

NIP_IN_TEXT = re.compile(r"(?<!\d)\d{18}(?!\d)")

_HIT_COLUMNS = (
    "hit_id", "platform", "post_id", "post_created_at", "detected_at", "identity_method", "ambiguous", "behaviour",
    "score", "identity_score", "content_score", "rules", "terms", "targets", "ruleset_version", "status",
    "reviewer", "review_reason", "reviewed_at", "payload_sha256", "legal_hold", "legal_hold_at", "legal_hold_reason",
)
_POST_COLUMNS = ("platform", "post_id", "url", "created_at", "collected_at", "source", "kind", "author_id",
                 "author_handle", "author_name", "author_bio", "author_url", "text", "parent_post_id", "parent_url",
                 "raw_sha256")


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _loads(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _others(value: Any, nip: str) -> bool:
    """True when ``value`` (any JSON-able) contains an 18-digit number other than ``nip``."""
    return any(m != nip for m in NIP_IN_TEXT.findall(json.dumps(value, ensure_ascii=False, default=str)))


def collect_person(store, nip: str, scope: Scope = UNSCOPED) -> dict[str, Any]:
    """The person's data as JSON-able lists/dicts, one entry per file of the export.

    With an office ``scope`` (an office's instance), only hits of that office's subtree go in, and
    only the posts behind them (a post found through a declared account alone has no office)."""
    q = store._dicts
    seen, seen_p = scope.hit_where(prefix=" AND ")
    roster = q("SELECT nip, nama, jabatan, unit_kerja, instansi, email, telegram FROM roster WHERE nip = ?", [nip])
    accounts = q("SELECT platform, value FROM accounts WHERE nip = ? ORDER BY platform, value", [nip])
    links = q("SELECT platform, account, nip, confirmed_at, hit_id FROM account_links WHERE nip = ? "
              "ORDER BY platform, account", [nip])
    rejected = q("SELECT platform, account, nip, rejected_at, hit_id, reason FROM rejected_pairs WHERE nip = ? "
                 "ORDER BY platform, account", [nip])

    cols = ", ".join(f"h.{c}" for c in _HIT_COLUMNS)
    raw_hits = q(f"SELECT {cols}, h.nip, h.confirmed_nip, h.candidates, h.steps, h.explanation FROM hits h "
                 "WHERE (h.nip = ? OR h.confirmed_nip = ? OR h.candidates LIKE ?)" + seen
                 + " ORDER BY h.post_created_at, h.hit_id",
                 [nip, nip, f"%{nip}%", *seen_p])
    hits = []
    for h in raw_hits:
        cands = _loads(h.pop("candidates")) or []
        mine = [c for c in cands if isinstance(c, dict) and c.get("nip") == nip]
        if not mine and h["nip"] != nip and h["confirmed_nip"] != nip:
            continue  # the NIP only appeared inside some other text
        steps, explanation = _loads(h.pop("steps")), h.pop("explanation")
        only_me = all(isinstance(c, dict) and c.get("nip") == nip for c in cands)
        out = {k: _loads(v) if k in ("rules", "terms", "targets") else v for k, v in h.items()
               if k not in ("nip", "confirmed_nip")}
        out["attributed_to_person"] = h["confirmed_nip"] == nip or (h["confirmed_nip"] is None and h["nip"] == nip)
        out["named_as_candidate"] = mine[0] if mine else None
        out["other_candidates"] = len(cands) - len(mine)
        if only_me and not _others([steps, explanation], nip):
            out["steps"], out["explanation"] = steps, explanation
        if _others(out, nip):  # e.g. a review reason naming someone else
            out["review_reason"] = "[redacted: names another person]" if out.get("review_reason") else None
        hits.append(out)
    hit_ids = [h["hit_id"] for h in hits]

    pcols = ", ".join(f"p.{c}" for c in _POST_COLUMNS)
    acc_keys = [(a["platform"], a["value"].lower()) for a in accounts] + \
               [(link["platform"], str(link["account"]).lower()) for link in links]
    if not scope.everything:
        acc_keys = []
    posts = q(
        f"SELECT {pcols} FROM posts p WHERE EXISTS (SELECT 1 FROM hits h WHERE h.platform = p.platform AND "
        "h.post_id = p.post_id AND list_contains(?, h.hit_id)) "
        "OR list_contains(?, p.platform || ':' || lower(coalesce(p.author_handle, ''))) "
        "OR list_contains(?, p.platform || ':' || lower(coalesce(p.author_id, ''))) "
        "ORDER BY p.created_at, p.platform, p.post_id",
        [hit_ids, [f"{p}:{v}" for p, v in acc_keys], [f"{p}:{v}" for p, v in acc_keys]])

    reviews, audit = [], []
    for a in q("SELECT id, at_utc, actor, action, object, detail FROM audit_log WHERE object = ? "
               "OR list_contains(?, object) OR detail LIKE ? ORDER BY id", [nip, hit_ids, f"%{nip}%"]):
        a["detail"] = _loads(a["detail"])
        if _others(a, nip):
            a["detail"] = {"redacted": "names other people"}
        (reviews if a["object"] in hit_ids and str(a["action"]).startswith("hit.") else audit).append(a)

    alerts = q("SELECT alert_id, hit_id, level, kind, created_at, due_at, acked_at, follow_up, ack_note "
               "FROM alerts WHERE list_contains(?, hit_id) ORDER BY created_at, alert_id", [hit_ids])
    alert_ids = [a["alert_id"] for a in alerts]
    deliveries = q("SELECT message_id AS alert_id, channel, status, attempts, sent_at, created_at "
                   "FROM alert_deliveries WHERE list_contains(?, message_id) ORDER BY created_at", [alert_ids])
    for a in alerts:
        if _others(a, nip):
            a["ack_note"] = "[redacted: names another person]" if a.get("ack_note") else None

    return {
        "roster.json": roster[0] if roster else None,
        "accounts.json": accounts,
        "identity_links.json": links,
        "identity_rejections.json": rejected,
        "posts.json": posts,
        "hits.json": hits,
        "reviews.json": reviews,
        "alerts.json": alerts,
        "alert_deliveries.json": deliveries,
        "audit.json": audit,
    }


def person_zip(store, nip: str, scope: Scope = UNSCOPED) -> tuple[bytes, dict[str, int]]:
    """The zip file's bytes and the number of items in each file."""
    data = collect_person(store, nip, scope)
    counts = {k: (len(v) if isinstance(v, list) else int(v is not None)) for k, v in data.items()}
    readme = {
        "nip": nip,
        "generated_at": datetime.now(timezone.utc).isoformat(),
        "times": "UTC (ISO 8601)",
        "files": counts,
        "left_out": __doc__.split("\n\n", 2)[2].strip(),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.json", _json(readme))
        for name, value in data.items():
            z.writestr(name, _json(value))
    return buf.getvalue(), counts
