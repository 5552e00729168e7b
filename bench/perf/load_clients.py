"""The two kinds of load-test clients: the webhook intake driver and the watchers.

* Intake: open-loop. Every request has a scheduled send time derived from the target rate (the
  next request is due when the posts already sent, divided by the rate, say so), whatever the
  previous responses did; its latency is measured from that scheduled time, so a server that falls
  behind shows up as latency instead of silently lowering the offered load.
* Watchers: closed loop, like a person at a browser: sign in (the login form's CSRF token and
  cookie), then repeatedly load a daily list (today or yesterday, various filters and sorts), open
  one or two hits from it, and pause for a think time.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp

from bench.perf.workload import PostFactory

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_HIT_LINK = re.compile(r'href="/hits/(H[0-9a-f]+)"')


@dataclass
class Series:
    """Latencies (seconds) and outcomes of one kind of request."""

    lat: list[float] = field(default_factory=list)
    status: Counter = field(default_factory=Counter)

    def add(self, seconds: float, status: int | str) -> None:
        self.lat.append(seconds)
        self.status[status] += 1

    def pct(self, p: float) -> float | None:
        if not self.lat:
            return None
        s = sorted(self.lat)
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]

    @property
    def errors(self) -> dict:
        return {str(k): v for k, v in self.status.items() if k != 200}


# ---------------------------------------------------------------------------------- intake
@dataclass
class IntakePlan:
    requests: list[tuple[float, bytes, list[str]]]  # (send at, seconds after start; body; post ids)

    @property
    def posts(self) -> int:
        return sum(len(ids) for _, _, ids in self.requests)


def make_plan(*, rate: float, seconds: float, batch_min: int, batch_max: int, roster, prefix: str,
              start: datetime, seed: int = 5, partisan: float = 0.06) -> IntakePlan:
    """Bodies for ``seconds`` of intake at ``rate`` posts/s, serialised before the clock starts.

    Posts are the benchmark's realistic mix (everyday Indonesian text, real campaign tweets, a few
    percent campaign phrases of the shipped rules; 12% roster names, 3% declared roster accounts,
    comments and shares with a parent) with ``created_at`` at their send time, so their hits fall on
    today's list."""
    rng = random.Random(seed)
    pf = PostFactory(roster, [], seed=seed, campaign_share=partisan, roster_author_share=0.12, declared_share=0.03)
    total = int(rate * seconds)
    reqs: list[tuple[float, bytes, list[str]]] = []
    sent = 0
    while sent < total:
        n = min(rng.randint(batch_min, batch_max), total - sent)
        at = sent / rate
        items, ids = [], []
        for _ in range(n):
            p = pf.post()
            pid = f"{prefix}{pf.n}"
            created = start + timedelta(seconds=at)
            item = {"platform": p.platform, "post_id": pid, "url": f"https://x.com/i/status/{pid}",
                    "created_at": created.isoformat(), "kind": p.kind, "text": p.text,
                    "author": {k: v for k, v in (("id", p.author.id), ("handle", p.author.handle),
                                                 ("name", p.author.name), ("bio", p.author.bio)) if v}}
            if p.parent is not None:
                item["parent"] = {"post_id": p.parent.post_id, "text": p.parent.text}
            items.append(item)
            ids.append(pid)
        reqs.append((at, json.dumps({"posts": items}, ensure_ascii=False).encode(), ids))
        sent += n
    return IntakePlan(reqs)


@dataclass
class IntakeResult:
    series: Series = field(default_factory=Series)
    accepted_ids: list[str] = field(default_factory=list)
    posts_accepted: int = 0
    new: int = 0
    hits: int = 0
    first_send: float | None = None
    last_done: float | None = None
    lag_max: float = 0.0  # how late the client itself sent a request (a saturated client shows here)
    unsent: int = 0  # posts of requests still waiting for a connection when the client gave up


async def drive_intake(session: aiohttp.ClientSession, url: str, token: str, plan: IntakePlan, t0: float,
                       *, max_inflight: int = 256, give_up_at: float | None = None) -> IntakeResult:
    """Send the plan's requests at their times; at most ``max_inflight`` at once. Requests that are
    still waiting for a free slot at ``give_up_at`` (loop time) are not sent (counted in ``unsent``)."""
    loop = asyncio.get_running_loop()
    res = IntakeResult()
    sem = asyncio.Semaphore(max_inflight)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def one(at: float, body: bytes, ids: list[str]) -> None:
        due = t0 + at
        async with sem:
            now = loop.time()
            if give_up_at is not None and now > give_up_at:
                res.unsent += len(ids)
                return
            res.lag_max = max(res.lag_max, now - due)
            if res.first_send is None:
                res.first_send = now
            try:
                async with session.post(url, data=body, headers=headers) as r:
                    status = r.status
                    payload = await r.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status, payload = type(exc).__name__, b""
        done = loop.time()
        res.last_done = done if res.last_done is None else max(res.last_done, done)
        res.series.add(done - due, status)
        if status in (200, 207):
            out = json.loads(payload)
            res.posts_accepted += out["accepted"]
            res.new += out["new"]
            res.hits += out["hits"]
            res.accepted_ids += [it["post_id"] for it in out["items"] if it["status"] == "accepted"]

    tasks = []
    for at, body, ids in plan.requests:
        delay = t0 + at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(at, body, ids)))
    await asyncio.gather(*tasks)
    return res


# ---------------------------------------------------------------------------------- watchers
@dataclass
class WatcherResult:
    login: Series = field(default_factory=Series)
    lists: Series = field(default_factory=Series)
    list_today: Series = field(default_factory=Series)
    hit_pages: Series = field(default_factory=Series)
    list_rows: list[int] = field(default_factory=list)


LIST_VARIANTS = ("", "sort=time", "status=baru", "sort=rank", "platform=x", "behaviour=post&sort=instansi",
                 "score_min=0.7", "page=2")


async def watcher(base: str, username: str, password: str, *, stop_at: float, think: float, seed: int,
                  tz: ZoneInfo, out: WatcherResult) -> None:
    """One signed-in watcher looping over daily lists and hit pages until ``stop_at`` (loop time)."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=120)) as s:
        t = loop.time()
        async with s.get(base + "/login") as r:
            html = await r.text()
        m = _CSRF.search(html)
        if not m:
            raise RuntimeError("no CSRF token on the sign-in page")
        async with s.post(base + "/login", data={"csrf": m.group(1), "username": username, "password": password,
                                                 "next": "/"}, allow_redirects=False) as r:
            await r.read()
            out.login.add(loop.time() - t, 200 if r.status == 302 else r.status)
            if r.status != 302:
                raise RuntimeError(f"sign-in of {username} failed with status {r.status}")
        await asyncio.sleep(rng.uniform(0, think))
        while loop.time() < stop_at:
            today = datetime.now(tz).date()
            day = today if rng.random() < 0.6 else today - timedelta(days=1)
            q = f"/?date={day.isoformat()}"
            variant = rng.choice(LIST_VARIANTS)
            if variant:
                q += "&" + variant
            t = loop.time()
            try:
                async with s.get(base + q) as r:
                    html = await r.text()
                    status = r.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                html, status = "", type(exc).__name__
            dt = loop.time() - t
            out.lists.add(dt, status)
            if day == today:
                out.list_today.add(dt, status)
            ids = _HIT_LINK.findall(html)
            out.list_rows.append(len(ids))
            for hit_id in rng.sample(ids, min(len(ids), rng.choice((1, 1, 2)))):
                if loop.time() >= stop_at:
                    break
                t = loop.time()
                try:
                    async with s.get(f"{base}/hits/{hit_id}") as r:
                        await r.read()
                        status = r.status
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    status = type(exc).__name__
                out.hit_pages.add(loop.time() - t, status)
                await asyncio.sleep(think * rng.uniform(0.5, 1.5) / 2)
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


def proc_status(pid: int) -> dict:
    """VmHWM / VmRSS (MB) and CPU seconds (user + system) of a process."""
    out: dict = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for ln in fh:
                if ln.startswith(("VmHWM:", "VmRSS:")):
                    out[ln.split(":")[0]] = int(ln.split()[1]) / 1024
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        import os

        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass
    return out

