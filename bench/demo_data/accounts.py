"""Social-media accounts: unique handles and ids, declared roster accounts, post authors."""

from __future__ import annotations

import random
import string

from demo_data.names import ascii_fold

MASTODON_DOMAINS = {"kalbar": ["kota.social", "khatulistiwa.social"], "sultra": ["kota.social", "anoa.social"]}
DECLARE_WEIGHTS = [("facebook", 30), ("instagram", 25), ("x", 18), ("tiktok", 15), ("mastodon", 12)]
CITY_TAG = {"ptk": "ptk", "kkr": "kkr", "skw": "skw", "kdi": "kdi", "sultra": "sultra"}


class Registry:
    """Everything that must be unique: handles and ids per platform, post ids per platform."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.handles: set[tuple[str, str]] = set()
        self.ids: set[tuple[str, str]] = set()

    def number(self, platform: str, digits: int, prefix: str = "") -> str:
        while True:
            value = prefix + "".join(self.rng.choice(string.digits) for _ in range(digits - len(prefix)))
            if value[0] != "0" and (platform, value) not in self.ids:
                self.ids.add((platform, value))
                return value

    def token(self, platform: str, length: int, prefix: str = "", alphabet: str = "") -> str:
        alphabet = alphabet or string.ascii_letters + string.digits + "_-"
        while True:
            value = prefix + "".join(self.rng.choice(alphabet) for _ in range(length - len(prefix)))
            if (platform, value) not in self.ids:
                self.ids.add((platform, value))
                return value

    def claim(self, platform: str, handle: str) -> bool:
        key = (platform, handle.lower())
        if key in self.handles:
            return False
        self.handles.add(key)
        return True


def handle_candidates(rng: random.Random, base: str, gender: str, tag: str, platform: str) -> list[str]:
    words = [ascii_fold(w) for w in base.split() if ascii_fold(w) not in ("muh", "moh", "la", "wa", "ode")]
    words = [w for w in words if w] or [ascii_fold(base)]
    first, last = words[0], words[-1]
    yy = str(rng.randint(70, 99) if rng.random() < 0.6 else rng.randint(1, 23)).zfill(2)
    sep = "." if platform in ("instagram", "tiktok") and rng.random() < 0.5 else "_"
    nick = ("bang" if tag in ("ptk", "kkr", "skw") else "pak") if gender == "1" else rng.choice(["bunda", "kak", "bu"])
    options = [f"{first}{sep}{last}", f"{first}{last[:4]}{yy}", f"{last}{sep}{first[:3]}", f"{nick}{sep}{first}",
               f"{first}{sep}{tag}", f"{first}{last}{yy}", f"{first}{sep}{last}{sep}{tag}", f"its{first}{yy}"]
    rng.shuffle(options)
    if platform == "x":
        options = [o.replace(".", "_")[:15].rstrip("_") for o in options]
    return options


def new_account(reg: Registry, platform: str, base: str, gender: str, tag: str, region: str,
                name: str, bio: str | None, preferred: list[str] | None = None) -> dict:
    """An account with a fresh unique handle (and numeric id where the platform has one)."""
    rng = reg.rng
    acc = dict(platform=platform, name=name, bio=bio, id=None, handle=None, url=None, value=None)
    if platform == "facebook":
        acc["id"] = reg.number("facebook", 15, "1000")
        acc["value"] = acc["id"]
        acc["url"] = f"https://www.facebook.com/profile.php?id={acc['id']}"
        return acc
    options = preferred or handle_candidates(rng, base, gender, tag, platform)
    for h in options + [f"{ascii_fold(base)[:10]}{rng.randint(100, 999)}"]:
        if platform == "mastodon":
            h = f"{h}@{rng.choice(MASTODON_DOMAINS[region])}"
        if reg.claim(platform, h):
            break
    acc["handle"] = acc["value"] = h
    if platform == "x":
        acc["id"] = reg.number("x", rng.choice([10, 18, 19]), "1" if rng.random() < 0.5 else "")
        acc["url"] = f"https://x.com/{h}"
    elif platform == "instagram":
        acc["id"] = reg.number("instagram", rng.choice([10, 11]))
        acc["url"] = f"https://www.instagram.com/{h}/"
    elif platform == "tiktok":
        acc["id"] = reg.number("tiktok", 19, "6" if rng.random() < 0.5 else "7")
        acc["url"] = f"https://www.tiktok.com/@{h}"
    elif platform == "mastodon":
        user, domain = h.split("@")
        acc["url"] = f"https://{domain}/@{user}"
    elif platform == "youtube":
        acc["handle"] = acc["value"] = "@" + h.replace("_", "").replace(".", "")
        acc["id"] = reg.token("youtube_channel", 24, "UC", string.ascii_letters + string.digits + "_-")
        acc["url"] = f"https://www.youtube.com/{acc['handle']}"
    return acc


def display_name(rng: random.Random, person: dict) -> str:
    """How an ASN shows their name on a declared account (often not the roster spelling)."""
    base = person["_base"]
    first = [w for w in base.split() if w not in ("Muh.", "Moh.", "La", "Wa", "Ode", "Andi")] or base.split()
    nick = {"1": ["Bang", "Pak", "Abang"], "2": ["Bunda", "Kak", "Bu", "Mama"]}[person["_gender"]]
    return rng.choice([person["nama"], base, base, f"{rng.choice(nick)} {first[0]}",
                       f"{first[0]} {person['_agency']['city']}", f"{base} 🇮🇩", base.upper()])


def declared_bio(rng: random.Random, person: dict) -> str | None:
    city = person["_agency"]["city"]
    return rng.choice([None, None, f"{person['_short']}", f"Abdi negara | {city}",
                       "Ayah, suami, pelayan masyarakat" if person["_gender"] == "1" else "Ibu dua anak | pelayan masyarakat",
                       f"Kerja ikhlas | {city}", "Hidup sederhana, syukuri yang ada 🙏", f"{person['jabatan']} | {city}",
                       "Kopi, kerja, keluarga ☕"])


def assign_accounts(rng: random.Random, people: list[dict], reg: Registry) -> None:
    """About 60 % of the roster declares one to three accounts (unique across all rows)."""
    platforms = [p for p, _ in DECLARE_WEIGHTS]
    weights = [w for _, w in DECLARE_WEIGHTS]
    for person in people:
        if rng.random() >= 0.63:
            continue
        count = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
        chosen: list[str] = []
        while len(chosen) < count:
            p = rng.choices(platforms, weights=weights)[0]
            if p not in chosen:
                chosen.append(p)
        ag = person["_agency"]
        for p in chosen:
            acc = new_account(reg, p, person["_base"], person["_gender"], CITY_TAG[ag["key"]],
                              ag["region"], display_name(rng, person), declared_bio(rng, person))
            acc["declared"] = True
            person["_accounts"].append(acc)
        person["akun"] = ";".join(
            f"{a['platform']}:{a['value'] if a['platform'] == 'facebook' else '@' + a['value']}"
            for a in person["_accounts"])
