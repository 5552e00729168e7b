"""Accounts that post: campaign teams, election bodies, the public, and ASN accounts that are NOT
declared in the roster (matched only by display name, with the label a careful watcher gives)."""

from __future__ import annotations

import random

from demo_data.accounts import Registry, new_account
from demo_data.names import base_key, pick_group, random_base, typo, variant_spelling

REGION_CITY = {"kalbar": ("Kalbar", "Pontianak", "kb"), "sultra": ("Sultra", "Kendari", "sg")}
TEAMS = {
    "01": [("Relawan AMIN {R}", "relawanamin_{r}"), ("Posko Perubahan {C}", "poskoperubahan_{r}"),
           ("Sahabat AMIN {C}", "sahabatamin_{r}")],
    "02": [("Relawan Prabowo-Gibran {R}", "relawan02_{r}"), ("Sahabat Gemoy {C}", "sahabatgemoy_{r}"),
           ("Posko Indonesia Maju {C}", "poskoim02_{r}")],
    "03": [("Relawan Ganjar-Mahfud {R}", "relawangama_{r}"), ("Posko Sat Set {C}", "poskosatset_{r}"),
           ("Gerak Cepat 03 {C}", "gerakcepat03_{r}")],
}
PUBLIC_BIOS = ["Wiraswasta", "Mahasiswa | Pontianak", "Ibu rumah tangga, jualan online", "Driver ojol 🛵",
               "Pedagang pasar", "Content creator kuliner", "Petani sawit", "Nelayan", "Karyawan swasta",
               None, None, "Pecinta kopi dan bola ⚽", "Honorer? bukan, freelancer wkwk", "Jurnalis warga"]
GENERIC_ASN_BIOS = ["Abdi negara 🇮🇩", "PNS", "ASN", "Abdi negara | Hamba Allah", None]


def _org(reg: Registry, platform: str, name: str, handle: str, region: str, bio: str) -> dict:
    handle = handle.lower()
    options = [handle[:15] if platform == "x" else handle.replace("_", ".") if platform == "instagram" else handle]
    options.append(options[0][:12] + str(reg.rng.randint(10, 99)))
    acc = new_account(reg, platform, name, "1", "org", region, name, bio, preferred=options)
    acc["org"] = True
    return acc


def campaign_accounts(reg: Registry) -> dict[tuple[str, str, str], dict]:
    """(platform, region, ticket) -> a volunteer/team account (fictional)."""
    out = {}
    for platform in ("x", "facebook", "instagram", "tiktok", "mastodon", "youtube"):
        for region, (R, C, r) in REGION_CITY.items():
            for ticket, teams in TEAMS.items():
                name, handle = reg.rng.choice(teams)
                out[(platform, region, ticket)] = _org(
                    reg, platform, name.format(R=R, C=C), handle.format(r=r), region,
                    f"Akun relawan pemenangan paslon {ticket} | {R}")
    return out


def official_accounts(reg: Registry, agencies: list[dict]) -> list[dict]:
    """Fictional accounts of election bodies and local government (neutrality campaigns)."""
    out = []
    for ag in agencies:
        city = "Sulawesi Tenggara" if ag["kind"] == "Provinsi" else ag["city"]
        tag = {"ptk": "ptk", "kkr": "kuburaya", "skw": "skw", "kdi": "kdi", "sultra": "sultra"}[ag["key"]]
        for platform in ("x", "facebook", "instagram", "tiktok"):
            acc = _org(reg, platform, f"Bawaslu {city}", f"infobawaslu_{tag}", ag["region"],
                       f"Akun informasi pengawasan pemilu {city} (demo)")
            acc.update(city=city, region=ag["region"])
            out.append(acc)
        acc = _org(reg, "mastodon", f"Kominfo {ag['label']}", f"kominfo_{tag}", ag["region"],
                   f"Informasi publik {ag['instansi']}")
        acc.update(city=city, region=ag["region"])
        out.append(acc)
    for region, (R, C, r) in REGION_CITY.items():
        for platform in ("x", "facebook"):
            acc = _org(reg, platform, f"KPU {C}", f"infokpu_{C.lower()}", region, f"Info kepemiluan {C} (demo)")
            acc.update(city=C, region=region)
            out.append(acc)
    return out


def public_accounts(reg: Registry, roster_keys: set[str], count: int) -> list[dict]:
    """Ordinary citizens; their names are never a roster name."""
    rng = reg.rng
    out = []
    platforms = ["facebook"] * 4 + ["x"] * 3 + ["instagram"] * 2 + ["tiktok"] * 2 + ["youtube", "mastodon"]
    while len(out) < count:
        region = rng.choice(["kalbar", "sultra"])
        gender = rng.choice("12")
        base = random_base(rng, pick_group(rng, region), gender)
        if base_key(base) in roster_keys:
            continue
        roster_keys.add(base_key(base))
        platform = rng.choice(platforms)
        shown = rng.choice([base, base, base.split()[0] + rng.choice(["", " Jr", "_", " 88"]), base.lower()])
        acc = new_account(reg, platform, base, gender, "id", region, shown, rng.choice(PUBLIC_BIOS))
        acc.update(region=region, city=REGION_CITY[region][1])
        out.append(acc)
    return out


def identifying_bio(rng: random.Random, person: dict) -> str:
    short = person["_short"]
    options = [f"ASN {short}", f"PNS | {short}", f"Abdi negara | {short} 🇮🇩", f"{person['jabatan']} | {short}"]
    if person["_profile"] == "guru":
        options.append(f"Guru di {person['unit_kerja']} 📚")
    if person["_profile"] in ("perawat", "bidan", "dokter"):
        options.append(f"Nakes {person['unit_kerja']} 💉")
    return rng.choice(options)


def undeclared_account(reg: Registry, person: dict, form: str) -> tuple[dict, str]:
    """An account the ASN did not declare, and the label its partisan posts deserve.

    Forms: ``exact`` (roster spelling with titles), ``bare_bio``/``variant_bio``/``typo_bio``/
    ``commas_bio`` (name without titles, other spelling, a typo or titles without commas, each
    with a bio naming the workplace) -> ``hit_name``; ``ambig`` (a name 2-3 roster rows share,
    generic bio) and ``weak_typo`` (a misspelt name, no workplace) -> ``ambiguous``.
    """
    rng = reg.rng
    base = person["_base"]
    if len(base.split()) < 2 and form in ("typo_bio", "weak_typo", "variant_bio"):
        form = "bare_bio"  # a one-word name is not misspelt in the data set
    bio = identifying_bio(rng, person)
    label = "hit_name"
    if form == "exact":
        shown, bio = person["nama"], rng.choice([bio, bio, None])
    elif form == "variant_bio":
        shown = variant_spelling(rng, base) or base
    elif form == "typo_bio":
        shown = typo(rng, base)
    elif form == "commas_bio":
        shown = person["nama"].replace(",", "")
    elif form == "ambig":
        shown, bio, label = base if rng.random() < 0.7 else base.upper(), rng.choice(GENERIC_ASN_BIOS), "ambiguous"
    elif form == "weak_typo":
        shown, bio, label = typo(rng, base), rng.choice([None, "Pecinta kopi ☕", "Hamba Allah"]), "ambiguous"
    else:  # bare_bio
        shown = base
    platform = rng.choices(["facebook", "youtube", "tiktok", "instagram", "x"], weights=[50, 15, 12, 12, 11])[0]
    ag = person["_agency"]
    acc = new_account(reg, platform, base, person["_gender"], ag["key"], ag["region"], shown, bio)
    acc.update(declared=False, form=form)
    return acc, label
