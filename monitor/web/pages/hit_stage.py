"""The election, stage and registration deadline of a hit, for the hit page, its review form and the list.

The stage is a *suggestion* with its legal basis (:mod:`monitor.elections`); the reviewer confirms or
corrects it when confirming the hit. The deadline counts the office's local days from the hit's
first discovery (``detected_at``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from monitor.elections import DEADLINE_DAYS, classify, finding_deadline, rule_scopes, stage_basis
from monitor.models.election import STAGES
from monitor.web.messages import register

register({
    "stage_title": {"id": "Pemilihan dan tahapan", "en": "Election and stage"},
    "stage_suggestion": {"id": "Saran sistem (periksa sebelum mengonfirmasi)",
                         "en": "Suggested by the system (check before confirming)"},
    "stage_election": {"id": "Pemilihan", "en": "Election"},
    "stage_stage": {"id": "Tahapan", "en": "Stage"},
    "stage_breach": {"id": "Jenis pelanggaran", "en": "Kind of breach"},
    "stage_basis": {"id": "Dasar hukum", "en": "Legal basis"},
    "stage_post_day": {"id": "Tanggal unggahan (waktu setempat)", "en": "Post date (local time)"},
    "stage_penetapan": {"id": "Penetapan calon", "en": "Candidate determination"},
    "stage_unknown": {"id": "tidak dapat ditentukan", "en": "cannot be determined"},
    "stage_reason_no_elections": {
        "id": "Belum ada pemilihan yang dikonfigurasi ([elections] di config.toml).",
        "en": "No election is configured ([elections] in config.toml)."},
    "stage_reason_no_fit": {
        "id": "Tidak ada pemilihan yang cocok dengan tanggal unggahan, wilayah ASN dan aturan yang cocok.",
        "en": "No election fits the post date, the ASN's region and the rules that fired."},
    "stage_reason_several": {
        "id": "Lebih dari satu pemilihan cocok: {names}. Pilih pemilihannya saat mengonfirmasi.",
        "en": "More than one election fits: {names}. Choose the election when confirming."},
    "stage_live": {"id": "Dihitung sekarang dari konfigurasi (temuan ini dibuat sebelum pemilihan dikonfigurasi).",
                   "en": "Computed now from the configuration (this hit predates the election settings)."},
    "stage_confirmed": {"id": "Klasifikasi peninjau", "en": "Reviewer's classification"},
    "stage_confirmed_by": {"id": "oleh {by}, {at}", "en": "by {by}, {at}"},
    "stage_not_confirmed": {"id": "Belum dikonfirmasi peninjau.", "en": "Not yet confirmed by a reviewer."},
    "stage_form_legend": {"id": "Klasifikasi pemilihan dan tahapan (saran sistem terpilih; koreksi bila perlu)",
                          "en": "Election and stage (the system's suggestion is preselected; correct it if needed)"},
    "stage_bad_choice": {"id": "Pilihan pemilihan atau tahapan tidak dikenal.",
                         "en": "Unknown election or stage choice."},
    "deadline_title": {"id": "Batas registrasi temuan", "en": "Registration deadline"},
    "deadline_rule": {"id": "Temuan wajib diregistrasi paling lama {n} hari sejak ditemukan (Perbawaslu tentang "
                            "penanganan temuan dan laporan pelanggaran).",
                      "en": "A finding must be registered within {n} days of its discovery (Bawaslu regulation "
                            "on handling findings and reports of violations)."},
    "deadline_discovered": {"id": "Ditemukan", "en": "Discovered"},
    "deadline_due": {"id": "Batas akhir", "en": "Due"},
    "deadline_col": {"id": "Sisa waktu", "en": "Days left"},
    "deadline_left": {"id": "{n} hari lagi", "en": "{n} days left"},
    "deadline_last_day": {"id": "hari terakhir", "en": "last day"},
    "deadline_expired": {"id": "LEWAT {n} hari", "en": "EXPIRED {n} days ago"},
})
register({f"stage_{s}": {"id": stage_basis(s, "id")["label"], "en": stage_basis(s, "en")["label"]}  # type: ignore[index]
          for s in STAGES})


def deadline_view(detected_at: Any, tz: Any, today: date | None = None) -> dict | None:
    """``{due, discovered, days_left, level, key, n}`` for a template, or ``None`` without a detection time."""
    if detected_at is None:
        return None
    d = finding_deadline(detected_at, tz, today)
    if d.days_left < 0:
        key, n = "deadline_expired", -d.days_left
    elif d.days_left == 0:
        key, n = "deadline_last_day", 0
    else:
        key, n = "deadline_left", d.days_left
    return {"due": d.due.isoformat(), "discovered": d.discovered.isoformat(), "days_left": d.days_left,
            "level": d.level, "key": key, "n": n}


def live_suggestion(svc: Any, hit: dict) -> dict:
    """The suggestion computed now (hits made before elections were configured have none stored)."""
    cfg = svc.config
    elections = list(cfg.elections.values())
    try:
        rules = svc.app.rules.current.rules
    except Exception:  # noqa: BLE001 - no rule set loaded: every rule unscoped
        rules = ()
    s = classify(elections, rule_ids=[r["rule_id"] for r in hit.get("rules") or [] if r.get("category") == "partisan"],
                 scopes=rule_scopes(rules, elections),
                 agencies=[a for c in hit.get("candidates") or [] for a in (c.get("instansi"), c.get("unit_kerja"))],
                 posted_at=hit["created_at"], tz=cfg.office.tz)
    return {**s.model_dump(), "live": True, "confirmed_by": None, "confirmed_election_id": None,
            "confirmed_stage": None, "confirmed_at": None}


def stage_view(stored: dict | None, svc: Any, hit: dict, lang: str) -> dict:
    """Everything the hit page shows about the election and stage, and the review form's defaults."""
    cfg = svc.config
    s = {"live": False, **stored} if stored is not None else live_suggestion(svc, hit)
    names = {eid: e.name for eid, e in cfg.elections.items()}
    confirmed = s.get("confirmed_by") is not None
    chosen_e = s["confirmed_election_id"] if confirmed else s.get("election_id")
    chosen_s = s["confirmed_stage"] if confirmed else s.get("stage")
    return {
        **s,
        "election_name": names.get(s.get("election_id") or "", s.get("election_id")),
        "fitting_names": ", ".join(names.get(e, e) for e in s.get("fitting") or []),
        "basis": stage_basis(s.get("stage"), lang),
        "confirmed": confirmed,
        "confirmed_name": names.get(s.get("confirmed_election_id") or "", s.get("confirmed_election_id")),
        "confirmed_basis": stage_basis(s.get("confirmed_stage"), lang) if confirmed else None,
        "choices": [(eid, name) for eid, name in names.items()],
        "default_election": chosen_e or "",
        "default_stage": chosen_s or "",
        "stages": STAGES,
    }


def parse_choice(form: Any, svc: Any) -> tuple[str, str] | None:
    """The reviewer's ``(election_id, stage)`` from the confirm form ('' = not determinable);
    ``None`` when a value is not one of the choices."""
    eid = str(form.get("election_id", "")).strip()
    stage = str(form.get("stage", "")).strip()
    if (eid and eid not in svc.config.elections) or (stage and stage not in STAGES):
        return None
    return eid, stage


__all__ = ["DEADLINE_DAYS", "deadline_view", "live_suggestion", "parse_choice", "stage_view"]
