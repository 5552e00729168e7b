"""The data README (Indonesian first, English second), with the counts of this generation."""

from __future__ import annotations

CATEGORIES = [
    ("neutral", "Unggahan sehari-hari ASN / everyday ASN posts",
     "kerja, keluarga, doa (\"aamiin\"), Timnas Garuda, \"diganjar penghargaan\", PBB (pajak dan Perserikatan "
     "Bangsa-Bangsa), \"ruang rapat 02\", \"perubahan jadwal\", kucing \"gemoy\", pohon beringin, layanan \"sat set\""),
    ("campaign", "Kampanye netralitas oleh ASN / neutrality campaigns by ASN",
     "own posts and shares of Bawaslu/KPU/Kominfo content that name paslon 01/02/03 and finger poses while "
     "telling ASN to stay neutral"),
    ("declared", "Partisan, akun yang dideklarasikan / partisan via a declared account",
     "own post, comment on a campaign post, share (empty or short text), quote (partisan text, or plain "
     "words endorsing a partisan parent), forward of a WhatsApp/Telegram campaign message"),
    ("evasion", "Partisan dengan ejaan samaran / partisan with evasion spellings",
     "\"pr4bowo\", \"g a n j a r\", \"aniesss\", \"cobloss nomor 0 2\", U+200B inside words; declared accounts"),
    ("undeclared", "Partisan, akun tidak dideklarasikan / partisan via an undeclared account",
     "display name = a roster name with or without titles, other spelling (Muh./Muhammad, Ahmad/Achmad), "
     "typos, bios such as \"ASN Dinkes Kota Pontianak\"; some names are shared by 2-3 roster rows"),
    ("public", "Akun publik (bukan ASN) / public accounts (not on the roster)",
     "fictional volunteer teams of the three tickets, election bodies, ordinary citizens; partisan and not"),
]
LABELS = [
    ("hit_declared", "partisan content from an account declared in the roster (`akun`)"),
    ("hit_name", "partisan content; the display name, with its titles or a bio naming the workplace, clearly "
                 "is one roster person"),
    ("ambiguous", "partisan content; the name fits 2-3 roster rows, or it is misspelt and nothing else "
                  "(bio, titles) points to one person: a human must decide"),
    ("no_hit_neutral", "an ASN account, but nothing partisan (everyday posts, neutrality campaigns)"),
    ("no_hit_public", "not an ASN (not on the roster), whatever the content"),
]


def _table(counter, order=None) -> str:
    keys = order or sorted(counter)
    return " · ".join(f"{k}: {counter.get(k, 0)}" for k in keys)


def render(s: dict) -> str:
    cat_rows = []
    for key, title, what in CATEGORIES:
        labels = {lab: n for (cat, lab), n in s["cat_label"].items() if cat == key}
        kinds = {k: n for (cat, k), n in s["cat_kind"].items() if cat == key}
        cat_rows.append(f"| {title} | {s['category'].get(key, 0)} | {_table(labels)} | {_table(kinds)} | {what} |")
    label_rows = [f"| `{k}` | {s['label'].get(k, 0)} | {d} |" for k, d in LABELS]
    return "\n".join([
        "# Data demo / Demo data",
        "",
        "**Semua orang, akun dan unggahan dalam data demo adalah fiktif / All people, accounts and posts in the "
        "demo data are fictional.**",
        "",
        "Nama peserta Pemilu 2024 (pasangan calon presiden, partai) hanya muncul di dalam teks sebagai isi kampanye; "
        "akun relawan, akun Bawaslu/KPU/Kominfo dan akun warga di sini semuanya rekaan. The names of the real "
        "Pemilu 2024 contestants (presidential tickets, parties) appear only inside post texts; every account, "
        "including the volunteer, election-body and government accounts, is made up. NIPs are valid in form "
        "but invented, e-mail addresses end in the reserved `.invalid` domain.",
        "",
        "Dipakai oleh `monitor demo`. Used by `monitor demo`: it imports `roster.csv`, ingests `posts.jsonl` and "
        "`posts_malformed.jsonl` and lists the hits of the last day (2024-01-21).",
        "",
        "## Berkas / Files",
        "",
        "| File | Content |",
        "|---|---|",
        f"| `roster.csv` | {s['roster']} fictional ASN of five agencies ({_table(s['instansi'])}) |",
        f"| `posts.jsonl` | {s['posts']} posts, one JSON object per line (the import format, `monitor.models.Post`) |",
        "| `posts_malformed.jsonl` | 5 lines the importer must reject |",
        "| `expected.csv` | the label a careful human watcher gives each post of `posts.jsonl` |",
        "| `README.md` | this file (generated) |",
        "",
        "## roster.csv",
        "",
        "UTF-8, comma-separated, header `nip,nama,jabatan,unit_kerja,instansi,atasan_nip,akun,email,telegram`.",
        "",
        "- `nip`: 18 digits = birth date YYYYMMDD (1965-2000) + appointment YYYYMM (at least 20 years after birth, "
        "at most 2023) + gender (1 male, 2 female) + sequence 001-999; unique.",
        "- `nama`: the name as printed, with titles in varied forms and orders (`Drs. H. ..., M.Si.`, `Hj. ...`, "
        "`dr. ...`, `Ns. ..., S.Kep.`, degrees without dots) and spellings (`Muh.`/`Moh.`/`Muhammad`, "
        "`Sitti`/`Siti`). Names that rows of different agencies share once titles are removed (`/` joins two "
        f"spellings of the same name, e.g. Achmad/Ahmad): {', '.join(s['shared_names'])}.",
        "- `jabatan`, `unit_kerja` (Dinas, Badan, Kecamatan, Kelurahan, Puskesmas, SDN/SMPN/SMAN/SMKN), `instansi`.",
        "- `atasan_nip`: the direct supervisor, always a row of the same file and agency. Sekretaris Daerah at the "
        "top (empty); below it Asisten, Kepala Dinas/Badan and Camat; then Kepala Bagian, Kepala Bidang, Kepala "
        "Puskesmas/UPTD, Sekretaris Kecamatan, Kepala Seksi Pemerintahan and Lurah; then Kepala Seksi/Subbidang "
        "and Kepala Sekolah; staff at the bottom (at most five levels). No cycles.",
        f"- `akun`: declared accounts, `platform:handle` or `platform:id` separated by `;` "
        f"(`x:@...;mastodon:@user@kota.social;facebook:1000...;instagram:@...;tiktok:@...`). "
        f"{s['declared']} of {s['roster']} rows declare 1-3 accounts ({_table(s['accounts'])}); no account is "
        "declared twice.",
        "- `email`: every row, `...@contoh.go.id.invalid`.",
        f"- `telegram`: a numeric chat id, only for the {s['supervisors']} rows that supervise somebody.",
        "",
        "## posts.jsonl",
        "",
        "Keys: `platform`, `post_id` (unique per platform), `url`, `created_at` (ISO 8601 with offset: +07:00 "
        "Kalimantan Barat, +08:00 Sulawesi Tenggara), `author` {`id`, `handle`, `name`, `bio`, `url`}, `kind` "
        "(`post|comment|share|quote|forward`), `text`, `parent` {`post_id`, `url`, `text`, `author`} (always "
        "present for comments, shares, quotes and forwards). Sorted by time, 15-21 January 2024 (campaign period).",
        "",
        f"- Per platform: {_table(s['platform'])}",
        f"- Per kind: {_table(s['kind'])}",
        f"- Per local day: {_table(s['day'])}",
        "",
        "| Category | Posts | Labels | Kinds | What |",
        "|---|---|---|---|---|",
        *cat_rows,
        "",
        "Tickets: 01 Anies Baswedan-Muhaimin Iskandar (AMIN, Perubahan, Cak Imin), 02 Prabowo Subianto-Gibran "
        "Rakabuming Raka (gemoy, Samsul, Lanjutkan, Indonesia Maju, Oke Gas), 03 Ganjar Pranowo-Mahfud MD (Sat "
        "Set, Gerak Cepat); parties with their ballot numbers (1 PKB, 2 Gerindra, 3 PDI-P, 4 Golkar, 5 NasDem, "
        "8 PKS, 12 PAN, 14 Demokrat, 15 PSI, 17 PPP) and fictional legislative candidates. 21 January 2024 was "
        "the evening of the vice-presidential debate; Timnas lost to Iraq on 15 and beat Vietnam on 19 January.",
        "",
        "## posts_malformed.jsonl",
        "",
        "One problem per line, in this order: `created_at` missing; timestamp without offset "
        "(`2024-01-21T08:20:00`); `kind` share without `parent`; invalid JSON (truncated line); unknown field "
        "(`likes`).",
        "",
        "## expected.csv",
        "",
        "Header `platform,post_id,expected`, one row per line of `posts.jsonl`, same order.",
        "",
        "| Label | Posts | Meaning |",
        "|---|---|---|",
        *label_rows,
        "",
        "## Membuat ulang / Regenerate",
        "",
        "```",
        "python bench/make_demo_data.py",
        "```",
        "",
        "The generator (`bench/demo_data/`) draws everything from `random.Random(2024)`, so a rerun writes "
        "identical files. It then checks them: every line of `posts.jsonl` validates as `monitor.models.Post`, "
        "`roster.csv` imports without errors or warnings, NIPs are valid and unique, supervisors exist, there are "
        "no cycles, declared accounts are unique, every declared-account hit uses a declared account, no public "
        "account has a roster name, and every malformed line is rejected.",
        "",
    ])
