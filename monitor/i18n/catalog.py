"""Message catalogue: key -> {"id": ..., "en": ...}."""

MESSAGES: dict[str, dict[str, str]] = {
    "error": {"id": "Galat: {msg}", "en": "Error: {msg}"},
    "config_error": {"id": "Konfigurasi tidak valid:\n{msg}", "en": "Invalid configuration:\n{msg}"},
    "db_locked": {
        "id": "Basis data {path} sedang dipakai oleh proses {pid}. DuckDB hanya mengizinkan satu proses per berkas: "
        "hentikan proses itu atau kirim pekerjaan ke layanan yang sedang berjalan.\n({detail})",
        "en": "Database {path} is in use by process {pid}. DuckDB allows one process per file: stop that process "
        "or send the work to the running service.\n({detail})",
    },
    "roster_invalid": {
        "id": "Impor daftar ASN dibatalkan: {n} baris bermasalah. Daftar sebelumnya tetap dipakai.",
        "en": "Roster import cancelled: {n} invalid row(s). The previous roster stays in use.",
    },
    "roster_row_error": {"id": "  baris {row}, kolom {column}: {reason}", "en": "  row {row}, column {column}: {reason}"},
    "roster_file_error": {"id": "  berkas: {reason}", "en": "  file: {reason}"},
    "roster_hint_skip": {
        "id": "Gunakan --skip-invalid untuk mengimpor baris yang valid saja.",
        "en": "Use --skip-invalid to import only the valid rows.",
    },
    "roster_warning": {"id": "  peringatan: {msg}", "en": "  warning: {msg}"},
    "roster_imported": {
        "id": "Daftar ASN diimpor: {rows} orang, {accounts} akun terdaftar ({skipped} baris dilewati).",
        "en": "Roster imported: {rows} people, {accounts} declared accounts ({skipped} rows skipped).",
    },
    "rules_ok": {
        "id": "Aturan valid: {rules} aturan dalam {files} berkas, semua contoh lolos (versi {version}).",
        "en": "Rules valid: {rules} rules in {files} files, all examples pass (version {version}).",
    },
    "rules_invalid": {"id": "Aturan TIDAK valid: {n} galat.", "en": "Rules INVALID: {n} error(s)."},
    "ingest_summary": {
        "id": "{source}: {new} unggahan baru, {dup} duplikat, {rev} revisi, {quar} dikarantina, {hits} temuan baru.",
        "en": "{source}: {new} new posts, {dup} duplicates, {rev} revisions, {quar} quarantined, {hits} new hits.",
    },
    "source_failed": {"id": "{source}: GAGAL: {error}", "en": "{source}: FAILED: {error}"},
    "no_sources": {"id": "Tidak ada sumber yang aktif.", "en": "No enabled sources."},
    "hits_header": {
        "id": "Daftar temuan {date} ({tz}): {n} temuan",
        "en": "Hit list {date} ({tz}): {n} hits",
    },
    "hits_none": {"id": "Tidak ada temuan.", "en": "No hits."},
    "hits_counts": {
        "id": "Status: {baru} baru, {dikonfirmasi} dikonfirmasi, {ditolak} ditolak.",
        "en": "Status: {baru} new, {dikonfirmasi} confirmed, {ditolak} dismissed.",
    },
    "review_done": {"id": "Temuan {hit_id}: status sekarang '{status}'.", "en": "Hit {hit_id}: status is now '{status}'."},
    "review_need_nip": {
        "id": "Identitas temuan ini ambigu: pilih orangnya dengan --nip (salah satu dari: {nips}).",
        "en": "This hit's identity is ambiguous: choose the person with --nip (one of: {nips}).",
    },
    "review_bad_nip": {
        "id": "NIP {nip} bukan kandidat temuan ini (kandidat: {nips}).",
        "en": "NIP {nip} is not a candidate of this hit (candidates: {nips}).",
    },
    "review_need_action": {
        "id": "Pilih salah satu: --confirm, --dismiss atau --reopen.",
        "en": "Choose one of --confirm, --dismiss or --reopen.",
    },
    "hit_not_found": {"id": "Temuan {hit_id} tidak ditemukan.", "en": "Hit {hit_id} not found."},
    "demo_start": {
        "id": "Demo: basis data baru {path} (data fiktif).",
        "en": "Demo: new database {path} (fictional data).",
    },
    "demo_refuse": {
        "id": "{path} ada tetapi bukan berkas demo; tidak akan ditimpa.",
        "en": "{path} exists but is not a demo file; it will not be replaced.",
    },
    "demo_speed": {
        "id": "Kecepatan pencocokan+aturan+skor: {rate:,.0f} unggahan/detik ({n} unggahan, {secs:.2f} s).",
        "en": "Match+rules+score speed: {rate:,.0f} posts/s ({n} posts, {secs:.2f} s).",
    },
    "fictional": {
        "id": "Semua orang, akun dan unggahan dalam data demo adalah fiktif.",
        "en": "All people, accounts and posts in the demo data are fictional.",
    },
    "col_score": {"id": "skor", "en": "score"},
    "col_behaviour": {"id": "perilaku", "en": "behaviour"},
    "col_person": {"id": "ASN", "en": "ASN"},
    "col_status": {"id": "status", "en": "status"},
    "col_terms": {"id": "kata", "en": "terms"},
    "backfill_oldest": {"id": "terlama {date}", "en": "oldest {date}"},
    "backfill_interrupted": {
        "id": "{source}: pengisian mundur dihentikan; jalankan perintah yang sama untuk melanjutkan.",
        "en": "{source}: backfill interrupted; run the same command again to resume.",
    },
    "backfill_done": {
        "id": "{source}: isi mundur sampai {since} selesai: {new} baru, {dup} duplikat, {quar} dikarantina, {hits} temuan.",
        "en": "{source}: backfill to {since} finished: {new} new, {dup} duplicates, {quar} quarantined, {hits} hits.",
    },
    "backfill_already": {
        "id": "{source}: isi mundur sampai {since} sudah selesai sebelumnya ({new} baru).",
        "en": "{source}: backfill to {since} was already finished ({new} new).",
    },
    "demo_users": {
        "id": "Akun demo (hanya untuk data fiktif ini):",
        "en": "Demo accounts (for this fictional data only):",
    },
    "ambiguous": {"id": "AMBIGU: {n} kandidat", "en": "AMBIGUOUS: {n} candidates"},
}
