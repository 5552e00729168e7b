"""The six kinds of demo posts, each with the label a careful human watcher would give."""

from __future__ import annotations

from demo_data import texts_neutral as tn
from demo_data import texts_partisan as tp
from demo_data.names import VARIANTS
from demo_data.platforms import KINDS_BY_PLATFORM, make_post
from demo_data.posts import Factory

NEUTRAL_COMMENTS = ["Aamiin ya rabbal alamin 🤲", "Aamiin, semoga lekas sembuh 🙏", "Mantap! 👍", "Selamat, bangga sekali 👏",
                    "Siap, terima kasih infonya", "Wkwk bener banget", "Semangat rekan!", "Hadir 🙋",
                    "Garuda di dadaku! 🇮🇩", "Ikut senang 🥰", "Aamiin 🤲", "Setuju, jaga kesehatan ya"]
CAMPAIGN_COMMENTS = ["Siap, tetap netral! 👍", "Terima kasih pengingatnya 🙏", "ASN netral, pemilu damai 🇮🇩",
                     "Siap laksanakan, Pak", "Noted, saling mengingatkan di kantor"]


def _region(person: dict) -> str:
    return person["_agency"]["region"]


def _debate(t) -> bool:
    return t.day == 21 and t.hour >= 20


def public_sources(f: Factory, campaign: int, official: int) -> None:
    """Posts of campaign teams and election bodies inside the window (also parents later)."""
    keys = sorted(f.camp)
    for _ in range(campaign):
        platform, region, ticket = f.rng.choice(keys)
        f.campaign_post(platform, region, ticket, f.when(region), keep=True)
    for _ in range(official):
        acc = f.rng.choice(f.official)
        f.official_item(acc, acc["platform"], f.when(acc["region"]), keep=True)


def _partisan_item(f: Factory, acc: dict, kind: str, ticket: str, region: str, city: str,
                   evasive: bool = False) -> tuple[dict, str]:
    rng, platform = f.rng, acc["platform"]
    t = f.when(region)
    parent = extra = None
    note = kind
    if kind in ("comment", "share", "quote"):
        parent = f.pick_parent(f.parents, platform, t, region, ticket)
    if kind == "forward":
        msg = tp.broadcast(rng, ticket)
        if rng.random() < 0.5:
            channel, n = f"relawan{ticket}_{region}", rng.randint(200, 4000)
            extra = {"post_id": f"{channel}/{n}", "url": f"https://t.me/{channel}/{n}", "text": msg,
                     "author": {"handle": channel, "name": f"Relawan {ticket} {region.title()} (Telegram)"}}
            note = "forward from a Telegram channel"
        else:
            extra, note = {"text": msg}, "forward of a WhatsApp chain message"
        text = tp.forward_note(rng)
    elif evasive:
        text = f.unique(lambda: tp.evasion(rng, ticket))
        note = f"{kind}, evasion spelling"
    elif kind == "post":
        text = f.unique(lambda: tp.partisan(rng, ticket, city, _debate(t)))
    elif kind == "comment":
        text = f.unique(lambda: tp.comment(rng, ticket, city))
        note = "comment on a campaign post"
    elif kind == "share":
        text = tp.share_note(rng, ticket)
        note = "share of a campaign post"
    else:
        text, own = tp.quote(rng, ticket)
        note = "quote, partisan own text" if own else "quote, own words endorse a partisan parent"
    return make_post(f.reg, platform, acc, kind, text, t, parent, extra), note


def declared(f: Factory, kinds: dict[str, int], evasive: bool, actors: list[dict]) -> None:
    rng = f.rng
    plan = [k for k, n in kinds.items() for _ in range(n)]
    rng.shuffle(plan)
    for kind in plan:
        for _ in range(40):
            person = rng.choice(actors)
            acc = f.account_for(person, kind)
            if acc:
                break
        else:
            kind, acc = "post", rng.choice(person["_accounts"])
        post, note = _partisan_item(f, acc, kind, f.tickets[person["nip"]], _region(person),
                                    person["_agency"]["city"], evasive)
        f.add(post, "evasion" if evasive else "declared", "hit_declared",
              f"{note}; declared account of {person['nip']}")


def _forms(f: Factory) -> list[tuple[dict, str]]:
    """Who posts partisan content from an undeclared account, and how the name is shown."""
    rng = f.rng
    shared = [p for p in f.roster if f.shared_count(p) > 1]
    rng.shuffle(shared)
    out = [(p, "ambig") for p in shared[:12]] + [(p, "bare_bio") for p in shared[12:15]]
    unique = [p for p in f.roster if f.shared_count(p) == 1 and p["_level"] >= 1]
    rng.shuffle(unique)
    unique.sort(key=lambda p: bool(p["_accounts"]) and rng.random() < 0.8)  # mostly undeclared people
    cycle = ["exact", "bare_bio", "variant_bio", "typo_bio", "commas_bio"]
    for i, p in enumerate(unique[:24]):
        form = cycle[i % len(cycle)]
        if form == "exact" and p["nama"] == p["_base"] or form == "commas_bio" and "," not in p["nama"]:
            form = "bare_bio"
        if form == "variant_bio" and not any(w in VARIANTS for w in p["_base"].split()):
            form = "typo_bio"
        out.append((p, form))
    out += [(p, "weak_typo") for p in unique[24:29]]
    return out


def undeclared(f: Factory, total: int) -> None:
    rng = f.rng
    actors = [(p, f.ux(p, form)) for p, form in _forms(f)]
    order = actors + [rng.choice(actors) for _ in range(total - len(actors))]
    for person, (acc, label) in order:
        platform = acc["platform"]
        kind = rng.choices(["post", "comment", "share"], [50, 38, 12])[0]
        if platform == "youtube":
            kind = "comment"
        if kind not in KINDS_BY_PLATFORM[platform]:
            kind = "post"
        post, note = _partisan_item(f, acc, kind, f.tickets[person["nip"]], _region(person),
                                    person["_agency"]["city"])
        f.add(post, "undeclared", label, f"{note}; name form {acc['form']} of {person['nip']}")


def campaign(f: Factory, kinds: dict[str, int]) -> None:
    """ASN spreading neutrality campaigns (they mention candidates and numbers: not hits)."""
    rng = f.rng
    plan = [k for k, n in kinds.items() for _ in range(n)]
    rng.shuffle(plan)
    for kind in plan:
        person = rng.choice(f.roster)
        acc = f.account_for(person, kind) if person["_accounts"] and rng.random() < 0.7 else None
        acc = acc or f.ux(person)[0]
        if kind not in KINDS_BY_PLATFORM[acc["platform"]]:
            kind = "post"
        t = f.when(_region(person))
        parent = None
        if kind != "post":
            parent = f.pick_parent(f.official_posts, acc["platform"], t, _region(person))
            kind = kind if parent else "post"
        if kind == "post":
            text = f.unique(lambda: tn.campaign_own(rng, f.ctx(person)))
        elif kind == "comment":
            text = f.unique(lambda: rng.choice(CAMPAIGN_COMMENTS))
        else:
            text = rng.choice([n for n in tn.SHARE_NOTES if n] if kind == "quote" else tn.SHARE_NOTES)
        post = make_post(f.reg, acc["platform"], acc, kind, text, t, parent)
        f.add(post, "campaign", "no_hit_neutral", f"neutrality campaign {kind}; ASN {person['nip']}")


def neutral(f: Factory, total: int) -> None:
    """Everyday posts by ASN, full of words that only look political."""
    rng = f.rng
    for _ in range(total):
        person = rng.choice(f.roster)
        acc = rng.choice(person["_accounts"]) if person["_accounts"] and rng.random() < 0.65 else f.ux(person)[0]
        platform = acc["platform"]
        t = f.when(_region(person))
        parent = f.pick_parent(f.neutral_posts, platform, t) if rng.random() < 0.15 else None
        if parent:
            text = f.unique(lambda: rng.choice(NEUTRAL_COMMENTS), tries=2)
        else:
            text = f.unique(lambda: tn.everyday(rng, f.ctx(person), t))
        post = make_post(f.reg, platform, acc, "comment" if parent else "post", text, t, parent)
        f.add(post, "neutral", "no_hit_neutral", f"everyday; ASN {person['nip']}")
        if not parent:
            f.neutral_posts.append(post)


def citizens(f: Factory, partisan: int, plain: int) -> None:
    """The public (not on the roster): partisan and not."""
    rng = f.rng
    for i in range(partisan + plain):
        acc = rng.choice(f.public)
        platform, region, city = acc["platform"], acc["region"], acc["city"]
        if i < partisan:
            kind = "comment" if platform == "youtube" else rng.choices(["post", "comment", "share"], [45, 40, 15])[0]
            kind = kind if kind in KINDS_BY_PLATFORM[platform] else "post"
            post, note = _partisan_item(f, acc, kind, rng.choice(list(tp.TICKETS)), region, city)
            f.add(post, "public", "no_hit_public", f"citizen, partisan {note}")
            continue
        t = f.when(region)
        parent = f.pick_parent(f.neutral_posts, platform, t) if rng.random() < 0.2 else None
        text = rng.choice(NEUTRAL_COMMENTS) if parent else f.unique(lambda: tn.public_neutral(rng, city))
        post = make_post(f.reg, platform, acc, "comment" if parent else "post", text, t, parent)
        f.add(post, "public", "no_hit_public", "citizen, everyday")
        if not parent:
            f.neutral_posts.append(post)
