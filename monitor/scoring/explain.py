"""Human-readable explanation of a hit (Bahasa Indonesia by default, English on request).

It is rendered from the hit's structured evidence only, so both languages always say the same.
"""

from __future__ import annotations

from monitor.models.hit import Hit

_BEHAVIOUR = {
    "id": {
        "post": "unggahan sendiri",
        "comment": "komentar/balasan",
        "share": "membagikan ulang (share/repost)",
        "quote": "mengutip (quote)",
        "forward": "meneruskan (forward)",
        "like": "menyukai (like/favorit)",
        "follow": "mengikuti akun (follow)",
    },
    "en": {
        "post": "own post",
        "comment": "comment/reply",
        "share": "share/repost",
        "quote": "quote",
        "forward": "forward",
        "like": "like/favourite",
        "follow": "follow (of an account)",
    },
}
_FIELD = {"id": {"text": "teks sendiri", "parent": "konten yang dikomentari/dibagikan"},
          "en": {"text": "own text", "parent": "the commented/shared content"}}
_METHOD = {
    "id": {"declared_account": "akun yang didaftarkan", "name": "kemiripan nama", "none": "-"},
    "en": {"declared_account": "declared account", "name": "name similarity", "none": "-"},
}

_REVIEWER_LINK = {"id": "akun yang dikonfirmasi pengawas", "en": "account confirmed by a reviewer"}


def _num(x: float, lang: str) -> str:
    s = f"{x:.2f}"
    return s.replace(".", ",") if lang == "id" else s


def _q(terms: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"\u201c{t}\u201d" for t in terms)


def explain(hit: Hit, *, post_handle: str = "", lang: str = "id") -> str:
    L = "en" if lang == "en" else "id"
    parts: list[str] = []
    beh = _BEHAVIOUR[L].get(hit.behaviour, hit.behaviour)
    who = f" @{post_handle.lstrip('@')}" if post_handle else ""
    if L == "id":
        parts.append(f"Perilaku: {beh} di {hit.platform}{who}.")
    else:
        parts.append(f"Behaviour: {beh} on {hit.platform}{who}.")

    for m in hit.rules:
        where = _FIELD[L][m.field]
        target = f" [{m.target}]" if m.target else ""
        if m.category == "partisan":
            if L == "id":
                parts.append(
                    f"Aturan {m.rule_id} \u201c{m.title}\u201d{target} cocok pada {where}: kata {_q(m.terms)} (bobot {_num(m.weight, L)})."
                )
            else:
                parts.append(
                    f"Rule {m.rule_id} \u201c{m.title}\u201d{target} matched in {where}: terms {_q(m.terms)} (weight {_num(m.weight, L)})."
                )
        else:
            if L == "id":
                parts.append(
                    f"Pengecualian {m.rule_id} \u201c{m.title}\u201d cocok pada {where} (mengurangi skor, bobot {_num(m.weight, L)})."
                )
            else:
                parts.append(
                    f"Exclusion {m.rule_id} \u201c{m.title}\u201d matched in {where} (lowers the score, weight {_num(m.weight, L)})."
                )

    ident = hit.identity
    method = _METHOD[L][ident.method]
    if ident.candidates and any(e.kind == "reviewer_link" for e in ident.candidates[0].evidence):
        method = _REVIEWER_LINK[L]
    if ident.ambiguous:
        names = "; ".join(f"{c.nama} (NIP {c.nip}, {c.instansi or '-'}, {_num(c.confidence, L)})" for c in ident.candidates)
        if L == "id":
            parts.append(f"Identitas AMBIGU ({method}): beberapa ASN cocok, jangan pilih tanpa verifikasi: {names}.")
        else:
            parts.append(f"AMBIGUOUS identity ({method}): several ASN fit; do not pick one without checking: {names}.")
    elif ident.candidates:
        c = ident.candidates[0]
        ev = "; ".join(f"{e.detail} ({'+' if e.delta >= 0 else ''}{_num(e.delta, L)})" for e in c.evidence)
        if L == "id":
            parts.append(
                f"Identitas ({method}): {c.nama}, NIP {c.nip}, {c.jabatan or '-'}, {c.unit_kerja or '-'}, "
                f"{c.instansi or '-'}; keyakinan {_num(c.confidence, L)}" + (f" [{ev}]" if ev else "") + "."
            )
        else:
            parts.append(
                f"Identity ({method}): {c.nama}, NIP {c.nip}, {c.jabatan or '-'}, {c.unit_kerja or '-'}, "
                f"{c.instansi or '-'}; confidence {_num(c.confidence, L)}" + (f" [{ev}]" if ev else "") + "."
            )
        if len(ident.candidates) > 1:
            others = "; ".join(f"{o.nama} (NIP {o.nip}, {_num(o.confidence, L)})" for o in ident.candidates[1:])
            parts.append(("Kandidat lain: " if L == "id" else "Other candidates: ") + others + ".")

    weight = next((s.factor for s in hit.steps if s.step == "behaviour"), 1.0)
    if L == "id":
        parts.append(
            f"Skor {_num(hit.score, L)} = konten {_num(hit.content_score, L)} \u00d7 identitas "
            f"{_num(hit.identity_score, L)} \u00d7 bobot perilaku {_num(weight, L)}."
        )
        parts.append("Ini dugaan yang harus diverifikasi pengawas, bukan putusan pelanggaran.")
    else:
        parts.append(
            f"Score {_num(hit.score, L)} = content {_num(hit.content_score, L)} \u00d7 identity "
            f"{_num(hit.identity_score, L)} \u00d7 behaviour weight {_num(weight, L)}."
        )
        parts.append("This is an allegation for a watcher to verify, not a finding of a violation.")
    return " ".join(parts)
