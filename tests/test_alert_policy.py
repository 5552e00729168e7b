import random
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from monitor.alerting.policy import backoff, next_daily, release_time

WIB = ZoneInfo("Asia/Pontianak")


def utc(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=timezone.utc)


def test_quiet_hours_overnight():
    # 22:00 WIB (15:00 UTC) is inside 21:00-06:00: held until 06:00 WIB next day (23:00 UTC)
    assert release_time(utc(2024, 1, 21, 15), "21:00-06:00", WIB) == utc(2024, 1, 21, 23)
    # 03:00 WIB (20:00 UTC previous day) is inside too: released at 06:00 WIB the same local day
    assert release_time(utc(2024, 1, 20, 20), "21:00-06:00", WIB) == utc(2024, 1, 20, 23)
    # 10:00 WIB is outside
    now = utc(2024, 1, 21, 3)
    assert release_time(now, "21:00-06:00", WIB) == now
    assert release_time(now, None, WIB) == now


def test_quiet_hours_same_day_window():
    assert release_time(utc(2024, 1, 21, 5, 30), "12:00-13:00", WIB) == utc(2024, 1, 21, 6)


def test_next_daily_is_local():
    assert next_daily(utc(2024, 1, 21, 0), "07:30", WIB) == utc(2024, 1, 21, 0, 30)
    assert next_daily(utc(2024, 1, 21, 1), "07:30", WIB) == utc(2024, 1, 22, 0, 30)


def test_backoff_honours_retry_after_and_grows():
    assert backoff(1, 30, 3600, retry_after=3) == 3
    assert backoff(1, 30, 3600, retry_after=99999) == 3600
    rnd = random.Random(1)
    waits = [backoff(n, 30, 3600, rnd=rnd) for n in range(1, 12)]
    assert all(1 <= w <= 3600 for w in waits)
    assert max(waits[6:]) > max(waits[:2])
