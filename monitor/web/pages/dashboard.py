"""Dashboard: hits per local day, instansi, behaviour and target as SVG bar charts, and the review backlog."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from aiohttp import web

from monitor.web.context import render, require, scope, state
from monitor.web.messages import register

DEFAULT_DAYS = 14
MAX_DAYS = 366

register({
    "dash_title": {"id": "Dasbor temuan", "en": "Hit dashboard"},
    "dash_from": {"id": "Dari tanggal", "en": "From"},
    "dash_to": {"id": "Sampai tanggal", "en": "To"},
    "dash_show": {"id": "Tampilkan", "en": "Show"},
    "dash_bad_date": {
        "id": "Tanggal tidak valid (format TTTT-BB-HH, paling lama {days} hari); periode bawaan dipakai.",
        "en": "Invalid date (format YYYY-MM-DD, at most {days} days); the default period is shown.",
    },
    "dash_period": {
        "id": "Periode {start} s.d. {end} (tanggal unggahan, zona {tz}): {total} temuan.",
        "en": "Period {start} to {end} (post date, {tz} time): {total} hits.",
    },
    "dash_per_day": {"id": "Temuan per hari", "en": "Hits per day"},
    "dash_per_instansi": {"id": "Temuan per instansi", "en": "Hits per agency (instansi)"},
    "dash_per_behaviour": {"id": "Temuan per perilaku", "en": "Hits per behaviour"},
    "dash_per_target": {"id": "Temuan per sasaran dukungan", "en": "Hits per target"},
    "dash_target_note": {
        "id": "Satu temuan dapat menyebut lebih dari satu sasaran.",
        "en": "One hit can name more than one target.",
    },
    "dash_unknown_instansi": {"id": "(tidak teridentifikasi)", "en": "(not identified)"},
    "dash_col_label": {"id": "Kategori", "en": "Category"},
    "dash_col_day": {"id": "Tanggal", "en": "Date"},
    "dash_col_count": {"id": "Jumlah", "en": "Count"},
    "dash_no_data": {"id": "Tidak ada temuan pada periode ini.", "en": "No hits in this period."},
    "dash_show_table": {"id": "Tabel angka", "en": "Numbers as a table"},
    "dash_backlog": {"id": "Antrean penelaahan", "en": "Review backlog"},
    "dash_status_period": {"id": "Status temuan pada periode ini", "en": "Hit status in this period"},
    "dash_status_baru": {"id": "baru", "en": "new"},
    "dash_status_dikonfirmasi": {"id": "dikonfirmasi", "en": "confirmed"},
    "dash_status_ditolak": {"id": "ditolak", "en": "rejected"},
    "dash_open_all": {"id": "Belum ditelaah (seluruh data)", "en": "Not yet reviewed (all data)"},
    "dash_older_3": {"id": "Belum ditelaah, ditemukan lebih dari 3 hari lalu", "en": "Not reviewed, found over 3 days ago"},
    "dash_older_7": {"id": "Belum ditelaah, ditemukan lebih dari 7 hari lalu", "en": "Not reviewed, found over 7 days ago"},
    "dash_deadline_note": {
        "id": "Temuan harus diregistrasi paling lama 7 hari sejak diketahui.",
        "en": "Findings must be registered within 7 days of discovery.",
    },
    "dash_oldest": {"id": "Temuan tertua yang belum ditelaah", "en": "Oldest unreviewed hit"},
    "dash_found_at": {"id": "ditemukan {at}", "en": "found {at}"},
    "dash_none_open": {"id": "Tidak ada temuan yang menunggu.", "en": "No hit is waiting."},
})


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def period(query, default_end: date) -> tuple[date, date, bool]:
    """``(first_day, last_day, bad_input)`` from ``?from=&to=`` (inclusive local days)."""
    default = (default_end - timedelta(days=DEFAULT_DAYS - 1), default_end, False)
    raw_from, raw_to = query.get("from"), query.get("to")
    if not raw_from and not raw_to:
        return default
    d_from, d_to = _parse_day(raw_from), _parse_day(raw_to)
    if (raw_from and d_from is None) or (raw_to and d_to is None):
        return (*default[:2], True)
    if d_from is None:
        d_from = d_to - timedelta(days=DEFAULT_DAYS - 1)  # type: ignore[operator]
    if d_to is None:
        d_to = d_from + timedelta(days=DEFAULT_DAYS - 1)
    if d_to < d_from or (d_to - d_from).days >= MAX_DAYS:
        return (*default[:2], True)
    return d_from, d_to, False


def local_bounds(first: date, last: date, tz) -> tuple[datetime, datetime]:
    """UTC instants of local midnight starting ``first`` and local midnight after ``last``."""
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(timezone.utc)
    return start, end


@require("admin", "pengawas")
async def dashboard(request: web.Request) -> web.Response:
    st = state(request)
    tz = st.tz
    now = datetime.now(timezone.utc)
    latest = await st.db(lambda s: s.latest_post_time())
    default_end = (latest or now).astimezone(tz).date()
    first, last, bad = period(request.query, default_end)
    start, end = local_bounds(first, last, tz)
    sc = scope(request)
    stats = await st.db(lambda s: s.dashboard_stats(start=start, end=end, tz=tz.key, now=now, scope=sc))
    by_day = dict(stats["per_day"])
    days = [(first + timedelta(days=i)) for i in range((last - first).days + 1)]
    per_day = [(d.isoformat(), by_day.get(d, 0)) for d in days]
    return render(
        request, "dashboard.html",
        first=first.isoformat(), last=last.isoformat(), bad_date=bad, max_days=MAX_DAYS,
        tz_name=datetime.combine(last, time(12), tzinfo=tz).tzname(),
        stats=stats, per_day=per_day,
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard", dashboard)
