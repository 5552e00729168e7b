"""Local fakes used by the tests: platform APIs served over real HTTP on 127.0.0.1, and a clock."""

from __future__ import annotations

import asyncio
import time


class FakeClock:
    """Injectable ``sleep`` / ``monotonic`` / ``wall_clock`` for :class:`monitor.collect.http.HttpClient`.

    ``sleep`` records the requested wait and advances both clocks instead of sleeping, so tests
    can assert exactly how long the client *would* have waited.
    """

    def __init__(self, wall_start: float | None = None) -> None:
        self.wall_start = time.time() if wall_start is None else wall_start
        self.offset = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return 10_000.0 + self.offset

    def time(self) -> float:
        return self.wall_start + self.offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += max(0.0, seconds)
        await asyncio.sleep(0)

    def kwargs(self) -> dict:
        """Keyword arguments for ``HttpClient(...)``."""
        return {"sleep": self.sleep, "monotonic": self.monotonic, "wall_clock": self.time}
