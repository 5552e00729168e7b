"""Shared machinery for building the posts: days and times, parent pools, authors, texts."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from demo_data.accounts import Registry
from demo_data.actors import REGION_CITY, campaign_accounts, official_accounts, public_accounts, undeclared_account
from demo_data.names import base_key
from demo_data.platforms import KINDS_BY_PLATFORM, make_post
from demo_data.roster import AGENCIES
from demo_data.texts_neutral import official_post
from demo_data.texts_partisan import CALEG, campaign_account_post

TZS = {"kalbar": dt.timezone(dt.timedelta(hours=7)), "sultra": dt.timezone(dt.timedelta(hours=8))}
HOURS = list(range(5, 24))
HOUR_WEIGHTS = [1, 3, 5, 6, 5, 4, 4, 5, 5, 4, 4, 4, 5, 6, 7, 8, 7, 5, 3]
TOTAL = 600
ON_LAST_DAY = 262  # 2024-01-21 (local), the day the demo lists
TICKET_WEIGHTS = [("01", 30), ("02", 40), ("03", 30)]


class Factory:
    def __init__(self, rng: random.Random, reg: Registry, roster: list[dict]):
        self.rng, self.reg, self.roster = rng, reg, roster
        self.posts: list[dict] = []
        self.texts: set[str] = set()
        others = [d for d in range(15, 21) for _ in range((TOTAL - ON_LAST_DAY) // 6)]
        others += [rng.randint(15, 20) for _ in range(TOTAL - ON_LAST_DAY - len(others))]
        self.days = [21] * ON_LAST_DAY + others
        rng.shuffle(self.days)
        self.camp = campaign_accounts(reg)
        self.official = official_accounts(reg, AGENCIES)
        keys = {base_key(p["_base"]) for p in roster} | {base_key(c.replace("Hj. ", "")) for c in CALEG}
        self.public = public_accounts(reg, keys, 70)
        self.parents: list[dict] = []  # campaign posts (in the data set or older)
        self.official_posts: list[dict] = []
        self.neutral_posts: list[dict] = []
        self.tickets = {p["nip"]: rng.choices([t for t, _ in TICKET_WEIGHTS], [w for _, w in TICKET_WEIGHTS])[0]
                        for p in roster}
        self.undeclared: dict[str, tuple[dict, str]] = {}
        self._old_parents()

    # -- time -------------------------------------------------------------------------------
    def when(self, region: str, day: int | None = None, after: dt.datetime | None = None) -> dt.datetime:
        rng = self.rng
        day = day if day is not None else self.days.pop()
        hour = rng.choices(HOURS, HOUR_WEIGHTS)[0]
        t = dt.datetime(2024, 1, day, hour, rng.randrange(60), rng.randrange(60), tzinfo=TZS[region])
        if after is not None and t <= after:
            t = after + dt.timedelta(minutes=rng.randint(3, 90))
        return t

    # -- parents ----------------------------------------------------------------------------
    def _old_parents(self) -> None:
        """Campaign and official posts from 12-14 January: they only appear as parents."""
        for (platform, region, ticket), acc in self.camp.items():
            t = self.when(region, day=self.rng.randint(12, 14))
            self.campaign_post(platform, region, ticket, t, keep=False)
        for acc in self.official:
            platform = acc["platform"]
            t = self.when(acc["region"], day=self.rng.randint(11, 14))
            self.official_item(acc, platform, t, keep=False)

    def campaign_post(self, platform: str, region: str, ticket: str, t: dt.datetime, keep: bool) -> dict:
        acc = self.camp[(platform, region, ticket)]
        text = campaign_account_post(self.rng, ticket, REGION_CITY[region][1], acc["name"])
        post = make_post(self.reg, platform, acc, "post", text, t)
        post.update(_ticket=ticket, _region=region)
        self.parents.append(post)
        if keep:
            self.add(post, "public", "no_hit_public", "campaign account")
        return post

    def official_item(self, acc: dict, platform: str, t: dt.datetime, keep: bool) -> dict:
        post = make_post(self.reg, platform, acc, "post", official_post(self.rng, acc["name"], acc["city"]), t)
        post.update(_region=acc["region"])
        self.official_posts.append(post)
        if keep:
            self.add(post, "public", "no_hit_public", "official account")
        return post

    def pick_parent(self, pool: list[dict], platform: str, when: dt.datetime, region: str | None = None,
                    ticket: str | None = None) -> dict | None:
        cands = [p for p in pool if p["platform"] == platform and p["_when"] < when - dt.timedelta(minutes=10)]
        for test in (lambda p: p.get("_ticket") == ticket and p.get("_region") == region,
                     lambda p: p.get("_ticket") == ticket, lambda p: True):
            good = [p for p in cands if test(p)]
            if good:
                return self.rng.choice(good)
        return None

    # -- authors ----------------------------------------------------------------------------
    def ux(self, person: dict, form: str | None = None) -> tuple[dict, str]:
        """The person's one undeclared account (created on first use)."""
        if person["nip"] not in self.undeclared:
            if form is None:
                shared = self.shared_count(person) > 1
                form = "ambig" if shared else self.rng.choice(["exact", "bare_bio", "bare_bio", "typo_bio"])
                if form == "exact" and person["nama"] == person["_base"]:
                    form = "bare_bio"
            self.undeclared[person["nip"]] = undeclared_account(self.reg, person, form)
        return self.undeclared[person["nip"]]

    def shared_count(self, person: dict) -> int:
        if not hasattr(self, "_counts"):
            self._counts = defaultdict(int)
            for p in self.roster:
                self._counts[base_key(p["_base"])] += 1
        return self._counts[base_key(person["_base"])]

    def account_for(self, person: dict, kind: str) -> dict | None:
        """A declared account of ``person`` on a platform that has ``kind``."""
        accs = [a for a in person["_accounts"] if kind in KINDS_BY_PLATFORM[a["platform"]]]
        return self.rng.choice(accs) if accs else None

    # -- texts and bookkeeping --------------------------------------------------------------
    def unique(self, make, tries: int = 8) -> str:
        text = make()
        for _ in range(tries):
            if not text or text not in self.texts:
                break
            text = make()
        if text:
            self.texts.add(text)
        return text

    def add(self, post: dict, category: str, label: str, note: str = "") -> dict:
        post.update(_cat=category, _label=label, _note=note)
        self.posts.append(post)
        return post

    def ctx(self, person: dict) -> dict:
        ag = person["_agency"]
        return dict(city=ag["city"], unit=person["unit_kerja"], profile=person["_profile"],
                    short=ag["label"], kel=(ag["lurah"] or "Korumba").split(" ", 1)[-1])
