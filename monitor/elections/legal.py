"""The legal basis shown with a stage suggestion (Bahasa Indonesia and English).

Before the election commission fixes the candidates (penetapan) the person supported is a
*bakal calon*: the act is an ethics breach of the civil-servant code of ethics (PP 42/2004), with a
moral sanction (a closed or open statement by the staffing officer, PPK). From the determination
on, a *calon*: a discipline breach under PP 94/2021 art. 5 letter n (medium or heavy penalty). The
2022 joint decree (SKB) on ASN neutrality lists both. Verify article numbers against the official
legal database (JDIH) before quoting them in a report.
"""

from __future__ import annotations

STAGE_BASIS: dict[str, dict[str, dict[str, str]]] = {
    "bakal_calon": {
        "label": {"id": "bakal calon (sebelum penetapan)", "en": "prospective candidate (before determination)"},
        "breach": {"id": "pelanggaran kode etik: sanksi moral", "en": "ethics breach: moral sanction"},
        "basis": {
            "id": "PP 42/2004 tentang Pembinaan Jiwa Korps dan Kode Etik PNS (sanksi moral, pernyataan "
                  "secara tertutup atau terbuka oleh PPK); SKB netralitas ASN 2022",
            "en": "PP 42/2004 on the civil-service corps and code of ethics (moral sanction, a closed or "
                  "open statement by the staffing officer); 2022 joint decree (SKB) on ASN neutrality",
        },
    },
    "calon": {
        "label": {"id": "calon (sejak penetapan)", "en": "candidate (from the determination on)"},
        "breach": {"id": "pelanggaran disiplin: hukuman disiplin sedang atau berat",
                   "en": "discipline breach: medium or heavy disciplinary penalty"},
        "basis": {
            "id": "PP 94/2021 tentang Disiplin PNS, Pasal 5 huruf n; UU 20/2023 tentang ASN; "
                  "SKB netralitas ASN 2022",
            "en": "PP 94/2021 on civil-servant discipline, art. 5 letter n; UU 20/2023 on the civil service; "
                  "2022 joint decree (SKB) on ASN neutrality",
        },
    },
}


def stage_basis(stage: str | None, lang: str) -> dict[str, str] | None:
    """``{label, breach, basis}`` of a stage in one language, or ``None`` for an unknown stage."""
    entry = STAGE_BASIS.get(stage or "")
    if entry is None:
        return None
    return {k: v.get(lang) or v["id"] for k, v in entry.items()}
