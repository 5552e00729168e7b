"""Fictional Indonesian personal names: pools per group, titles per profession, spelling helpers.

Every name is a recombination of common given names and family names; none is meant to be a
real person. Groups: Malay (Kalimantan Barat and general Muslim names), Dayak, Chinese-Indonesian
(Kalbar Hakka/Teochew family names), Bugis, Tolaki, Buton (La Ode / Wa Ode), Javanese.
"""

from __future__ import annotations

import random
import unicodedata

# group -> (male given names, female given names, male second names, female second names)
POOLS: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "malay": (
        ["Ahmad", "Muhammad", "Syarif", "Rahmat", "Hasan", "Zulkifli", "Rusdi", "Junaidi", "Hendri",
         "Irwan", "Rudi", "Firmansyah", "Arif", "Syahrial", "Herman", "Taufik", "Abdul", "Moh.",
         "Achmad", "Muh.", "Syahrul", "Fadli", "Iskandar", "Saiful", "Zainal", "Jumadi"],
        ["Siti", "Nurul", "Rina", "Dewi", "Fitri", "Utin", "Dayang", "Nurhasanah", "Rahmawati",
         "Yanti", "Lina", "Erna", "Hasnah", "Mariani", "Juliana", "Rosita", "Nurlela", "Suryani",
         "Zubaidah", "Halimah", "Sarifah", "Maimunah"],
        ["Hidayat", "Saputra", "Fauzi", "Rahman", "Hamdani", "Effendi", "Syahputra", "Kurniawan",
         "Ramadhan", "Maulana", "Setiadi", "Hermawan", "Aminullah", "Syafrudin", "Basri", "Hasbi",
         "Mulyadi", "Yusuf", "Ridwan", "Nasution", "Harahap", "Arsyad", "Syarifuddin", "Fadillah"],
        ["Rahmah", "Aisyah", "Kartika", "Maulida", "Fitriani", "Hayati", "Anggraini", "Safitri",
         "Ramadhani", "Novita", "Marlina", "Yuliani", "Hartati", "Zahara", "Rosmiati", "Hairani"],
    ),
    "dayak": (
        ["Yohanes", "Paulus", "Stefanus", "Agustinus", "Yosef", "Martinus", "Yakobus", "Markus",
         "Antonius", "Fransiskus", "Petrus", "Alexander", "Kristianus", "Yulius", "Simon"],
        ["Lusia", "Maria", "Veronika", "Yuliana", "Agnes", "Theresia", "Modesta", "Margareta",
         "Elisabeth", "Natalia", "Yustina", "Katarina", "Benedikta"],
        ["Ajat", "Alen", "Tamen", "Juang", "Jamin", "Sahat", "Lawing", "Lahang", "Nyangun", "Ungan",
         "Acun", "Kayan", "Ading", "Usun", "Bujang", "Ngadan"],
        ["Ajat", "Alen", "Tamen", "Juang", "Jamin", "Lawing", "Lahang", "Nyangun", "Ungan", "Kayan",
         "Ading", "Usun", "Ngadan", "Seneng"],
    ),
    "chinese": (
        ["Hendra", "Suryadi", "Susanto", "Yohanes", "Budiman", "Hartono", "Wiliam", "Edi", "Rudy",
         "Hermanto", "Fendi", "Jimmy", "Sutrisno", "Kurniadi"],
        ["Fransiska", "Lusiana", "Meliana", "Yuliana", "Sutina", "Linda", "Erlina", "Cindy",
         "Herlina", "Susana", "Vivian", "Lenny"],
        ["Bong", "Tjhin", "Lie", "Tan", "Lim", "Phang", "Chai", "Liu", "Ng", "Tjia", "Halim",
         "Tjong", "Jap", "Kho"],
        ["Bong", "Tjhin", "Lie", "Tan", "Lim", "Phang", "Chai", "Liu", "Ng", "Tjia", "Halim",
         "Tjong", "Jap", "Kho"],
    ),
    "bugis": (
        ["Andi", "Muh.", "Baso", "Syamsuddin", "Haeruddin", "Jumardin", "Asrul", "Hasanuddin",
         "Arifin", "Nasrullah", "Ilham", "Rusdin", "Sahrul", "Akbar", "Muhammad", "Amiruddin",
         "Kaharuddin", "Mustamin"],
        ["Andi", "Sitti", "Hasnah", "Rahmawati", "Nurhayati", "Hasriani", "Marwah", "Sumarni",
         "Irmawati", "Fatmawati", "Nurlia", "Haslinda", "Jumriani", "Rosdiana"],
        ["Hasan", "Amir", "Tahir", "Saleh", "Rauf", "Latif", "Husain", "Syukur", "Mappe", "Madjid",
         "Pawelloi", "Sakka", "Djafar", "Nompo"],
        ["Hasan", "Amir", "Tahir", "Saleh", "Rauf", "Latif", "Nurdin", "Syukur", "Daeng", "Madjid",
         "Nurhayati", "Sakka", "Djafar", "Hamzah"],
    ),
    "tolaki": (
        ["Ridwan", "Jumran", "Sudirman", "Rusli", "Hasrun", "Alimuddin", "Kasman", "Asman",
         "Burhanuddin", "Samsul", "Hamzah", "Ruslan", "Syahrir", "Ansar"],
        ["Kasmawati", "Sarina", "Hasmiati", "Nurmala", "Wahida", "Asriani", "Halimah", "Yusnita",
         "Sumarni", "Rosnawati", "Muliana", "Darmawati"],
        ["Lasandara", "Lapadi", "Latulu", "Tamburaka", "Lamuda", "Sorumba", "Lapotende", "Mekuo",
         "Pambahako", "Lasida", "Tonggasu", "Lambusa"],
        ["Lasandara", "Lapadi", "Latulu", "Tamburaka", "Lamuda", "Sorumba", "Lapotende", "Mekuo",
         "Pambahako", "Lasida", "Tonggasu", "Lambusa"],
    ),
    "buton": (
        ["La Ode", "La Ode Muh.", "La Ode Moh."],
        ["Wa Ode", "Wa Ode Sitti"],
        ["Arsyad", "Hasrun", "Syarifuddin", "Rahim", "Ilyas", "Kamaluddin", "Azhar", "Mukmin",
         "Salihin", "Abdul Gani", "Rusman", "Falihin"],
        ["Fitri", "Nurlina", "Hasmia", "Rahma", "Nirmala", "Asni", "Salmia", "Wahyuni", "Munira",
         "Zaenab", "Harnia", "Sumiati"],
    ),
    "javanese": (
        ["Agus", "Bambang", "Eko", "Joko", "Sugeng", "Budi", "Slamet", "Heru", "Wahyu", "Teguh",
         "Dwi", "Bayu", "Edy", "Hadi", "Sigit", "Priyo"],
        ["Sri", "Dwi", "Tri", "Endang", "Retno", "Puji", "Wahyu", "Ratna", "Sulastri", "Yuni",
         "Rini", "Tutik", "Eny"],
        ["Setiawan", "Sutrisno", "Prasetyo", "Susilo", "Riyadi", "Santoso", "Purnomo", "Wibowo",
         "Nugroho", "Hartanto", "Suharto", "Widodo", "Subagyo", "Wicaksono"],
        ["Lestari", "Handayani", "Wahyuni", "Rahayu", "Utami", "Astuti", "Suharti", "Wulandari",
         "Sulistyowati", "Purwanti", "Rahmawati", "Ningsih"],
    ),
}

REGION_GROUPS = {
    "kalbar": [("malay", 45), ("dayak", 20), ("chinese", 12), ("javanese", 15), ("bugis", 8)],
    "sultra": [("bugis", 30), ("tolaki", 24), ("buton", 20), ("javanese", 14), ("malay", 12)],
}
MUSLIM_GROUPS = {"malay", "bugis", "tolaki", "buton", "javanese"}

# profession -> (prefix titles, first degrees, second degrees)
PROFILES = {
    "pimpinan": (["Drs.", "Ir.", "Dr."], ["S.STP.", "S.Sos.", "S.E.", "S.H.", "S.IP.", "S.T."],
                 ["M.Si.", "M.M.", "M.AP.", "M.H.", "M.Pd."]),
    "admin": ([], ["S.E.", "S.H.", "S.Sos.", "S.IP.", "S.AP.", "A.Md.", "S.Ak.", "S.M."],
              ["M.Si.", "M.M.", "M.AP."]),
    "it": ([], ["S.Kom.", "S.T.", "A.Md.Kom.", "S.I.Kom."], ["M.Kom.", "M.T."]),
    "guru": ([], ["S.Pd.", "S.Pd.I.", "S.Pd.SD.", "S.Si.", "S.Pd"], ["M.Pd."]),
    "dokter": (["dr."], [], ["M.Kes.", "Sp.A.", "Sp.PD."]),
    "perawat": (["Ns."], ["S.Kep.", "A.Md.Kep."], ["M.Kep."]),
    "bidan": ([], ["A.Md.Keb.", "S.Tr.Keb.", "S.Keb."], ["M.Keb."]),
    "kesmas": ([], ["S.K.M.", "SKM", "S.Gz.", "S.K.M"], ["M.Kes."]),
}

# Names shared EXACTLY (after title removal) by several roster rows in different agencies.
# (base name, gender, group, [agency keys])
SHARED_NAMES = [
    ("Ahmad Fauzi", "1", "malay", ["ptk", "kkr", "kdi"]),
    ("Siti Rahmah", "2", "malay", ["kkr", "sultra"]),
    ("Sri Wahyuni", "2", "javanese", ["ptk", "kkr", "kdi"]),
    ("Yohanes Bong", "1", "chinese", ["skw", "ptk"]),
    ("Wa Ode Fitri", "2", "buton", ["kdi", "sultra"]),
    ("Andi Nurhayati", "2", "bugis", ["kdi", "sultra"]),
    ("Agus Setiawan", "1", "javanese", ["kkr", "skw"]),
    ("Muh. Ridwan", "1", "bugis", ["kdi", "ptk"]),
    # the same name in two spellings (folded together by the name normaliser)
    ("Achmad Hidayat|Ahmad Hidayat", "1", "malay", ["kkr", "sultra"]),
    ("Moh. Yusuf Basri|Muhammad Yusuf Basri", "1", "malay", ["ptk", "kdi"]),
]

# Spelling variants a display name may use for a roster token (and back).
VARIANTS = {
    "Muhammad": ["Muh.", "Moh.", "Mohammad", "Muhamad"], "Muh.": ["Muhammad", "Muhamad"],
    "Moh.": ["Muhammad", "Mohammad"], "Ahmad": ["Achmad", "Akhmad"], "Achmad": ["Ahmad"],
    "Sitti": ["Siti"], "Siti": ["Sitti"], "Yusuf": ["Yusup"], "Rahmat": ["Rachmat"],
}


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only (for handles and e-mail addresses)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


def base_key(base: str) -> str:
    """A rough comparison key for uniqueness checks inside the generator."""
    words = []
    for w in base.replace(".", " ").lower().split():
        w = {"muh": "muhammad", "moh": "muhammad", "muhamad": "muhammad", "mohammad": "muhammad",
             "achmad": "ahmad", "akhmad": "ahmad", "sitti": "siti", "yusup": "yusuf",
             "rachmat": "rahmat"}.get(w, w)
        words.append(w)
    return " ".join(words)


def pick_group(rng: random.Random, region: str) -> str:
    groups = REGION_GROUPS[region]
    return rng.choices([g for g, _ in groups], weights=[w for _, w in groups])[0]


def random_base(rng: random.Random, group: str, gender: str) -> str:
    """A base name (no titles) of ``group`` for gender "1" (male) or "2" (female)."""
    male, female, male2, female2 = POOLS[group]
    first = rng.choice(male if gender == "1" else female)
    second = rng.choice(male2 if gender == "1" else female2)
    if group == "bugis" and first == "Andi":
        mid = rng.choice(["Muh.", "", "", "Ahmad"]) if gender == "1" else ""
        first = f"Andi {mid}".strip()
        second = rng.choice(POOLS["bugis"][0][3:] if gender == "1" else POOLS["bugis"][1][1:])
    if first.split()[-1] == second or first.endswith(second):
        second = rng.choice(male2 if gender == "1" else female2)
    if group == "javanese" and rng.random() < 0.12:
        return first if len(first) > 4 else f"{first} {second}"  # a one-word Javanese name
    if group == "malay" and rng.random() < 0.15:
        middle = rng.choice(male2 if gender == "1" else female2)
        if middle != second:
            return f"{first} {middle} {second}"
    return f"{first} {second}"


def with_titles(rng: random.Random, base: str, group: str, gender: str, profile: str,
                senior: bool) -> str:
    """Write ``base`` with honorifics and degrees the way rosters print them (varied forms)."""
    prefixes, first_deg, second_deg = PROFILES[profile]
    pre: list[str] = []
    if prefixes and (profile in ("dokter", "perawat") or rng.random() < 0.35):
        p = rng.choice(prefixes)
        if p in ("Drs.", "Dr.") and gender == "2" and rng.random() < 0.6:
            p = "Dra." if p == "Drs." else p
        pre.append(p)
    if group in MUSLIM_GROUPS and senior and rng.random() < 0.45:
        haji = "H." if gender == "1" else "Hj."
        pre.insert(rng.randrange(len(pre) + 1), haji)  # "Drs. H." and "H. Drs." both occur
    post: list[str] = []
    if first_deg and not (pre and pre[-1] in ("Drs.", "Dra.", "Ir.") and rng.random() < 0.5):
        post.append(rng.choice(first_deg))
    if second_deg and (senior and rng.random() < 0.7 or rng.random() < 0.12):
        post.append(rng.choice(second_deg))
    if len(post) > 1 and post[0].startswith("A.Md"):
        post = post[:1]
    if profile == "perawat" and post and post[0] == "A.Md.Kep.":
        pre = [p for p in pre if p != "Ns."]
    name = " ".join(pre + [base])
    if not post:
        return name
    if rng.random() < 0.1:  # dots dropped, as typed in many spreadsheets
        post = [d.replace(".", "") if len(d) <= 5 else d for d in post]
    return f"{name}, {', '.join(post)}"


def variant_spelling(rng: random.Random, base: str) -> str | None:
    """``base`` with one token spelled differently (Muhammad/Muh., Ahmad/Achmad...), or None."""
    words = base.split()
    options = [i for i, w in enumerate(words) if w in VARIANTS]
    if not options:
        return None
    i = rng.choice(options)
    words[i] = rng.choice(VARIANTS[words[i]])
    return " ".join(words)


def typo(rng: random.Random, base: str) -> str:
    """One keyboard slip in the longest word (doubled, dropped or swapped letter)."""
    words = base.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    j = rng.randrange(2, len(w) - 1)
    how = rng.choice(["double", "drop", "swap"])
    if how == "double":
        w = w[:j] + w[j] + w[j:]
    elif how == "drop":
        w = w[:j] + w[j + 1:]
    else:
        w = w[:j - 1] + w[j] + w[j - 1] + w[j + 1:]
    words[i] = w
    return " ".join(words)
