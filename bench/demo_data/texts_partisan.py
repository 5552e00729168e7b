"""Clearly partisan texts for Pemilu 2024: calls to vote, slogans, hashtags, comments, shares,
forwarded broadcasts, campaign-account posts and evasion spellings."""

from __future__ import annotations

import random

TICKETS = {
    "01": dict(n="01", d="1", names=["Anies-Muhaimin", "Anies–Cak Imin", "AMIN", "Pak Anies", "Anies Baswedan"],
               short=["Pak Anies", "AMIN", "Anies"], vp="Cak Imin",
               tags=["#AMIN2024", "#AniesMuhaimin", "#AMINAjaDulu", "#PerubahanUntukSemua"],
               slogans=["Perubahan!", "AMIN aja dulu!", "Slepet!", "Saatnya perubahan!"], emoji=["☝️", "1️⃣"],
               lines=["Cak Imin slepet habis di debat! Perubahan harus menang ☝️ #AMIN2024",
                      "Indonesia butuh perubahan, bukan sekadar lanjutan. Coblos AMIN nomor 1!",
                      "Anies presidenku 2024 ☝️ #AniesMuhaimin",
                      "Wakanda no more, Indonesia forever! Coblos 01 tanggal 14 Februari ☝️"]),
    "02": dict(n="02", d="2", names=["Prabowo-Gibran", "Prabowo–Gibran", "Pak Prabowo", "Mas Gibran", "Samsul"],
               short=["Pak Prabowo", "Prabowo-Gibran", "Prabowo"], vp="Mas Gibran",
               tags=["#PrabowoGibran2024", "#PrabowoGibran", "#OkeGas", "#SatuPutaran", "#IndonesiaMaju"],
               slogans=["Lanjutkan!", "Oke gas, oke gas!", "Satu putaran aja!", "Menuju Indonesia Maju!"],
               emoji=["✌️", "2️⃣"],
               lines=["Ayo coblos 02! Prabowo-Gibran satu putaran ✌️",
                      "Oke gas oke gas, nomor dua tancap gas! 🔥 #PrabowoGibran2024",
                      "Lanjutkan pembangunan, Indonesia Maju bersama Prabowo-Gibran! ✌️",
                      "Yang gemoy yang menang 🐼 coblos nomor 2 ya gaes #PrabowoGibran"]),
    "03": dict(n="03", d="3", names=["Ganjar-Mahfud", "Ganjar–Mahfud", "Pak Ganjar", "Prof Mahfud", "GAMA"],
               short=["Pak Ganjar", "Ganjar-Mahfud", "Ganjar"], vp="Prof Mahfud",
               tags=["#GanjarMahfud2024", "#SatSet", "#GanjarMahfud", "#MenangTotal"],
               slogans=["Sat set, tas tas!", "Gerak cepat!", "Menang total!", "Sat set!"], emoji=["3️⃣", "🔥"],
               lines=["Ganjar-Mahfud sat set! #GanjarMahfud2024",
                      "Prof Mahfud tenang dan berkelas, 03 menang total 🔥",
                      "Sat set tas tas, coblos 03 tanggal 14! 3️⃣",
                      "Gerak cepat bersama Ganjar-Mahfud, pemimpin yang merakyat #SatSet"]),
}
PARTIES = [("PKB", "1", "#PKBMenang"), ("Gerindra", "2", "#GerindraMenang"), ("PDI Perjuangan", "3", "#Banteng"),
           ("Golkar", "4", "#GolkarMenang"), ("NasDem", "5", "#NasDemRestorasi"), ("PKS", "8", "#PKSMenang"),
           ("PAN", "12", "#PANMenang"), ("Demokrat", "14", "#DemokratMenang"), ("PSI", "15", "#PSIMenang"),
           ("PPP", "17", "#PPPMenang")]
CALEG = ["Rizal Mahendra", "Yusnita Darmadi", "Ferdinand Aloysius", "Hj. Nurbaya Kaharu", "Benny Tjandra",
         "Andi Makmur Tenri", "Dominikus Ijang", "Safaruddin Bolong"]

CORE = [
    "Ayo coblos {n}! {slogan}",
    "{name} sudah pasti pilihan keluarga kami {e}",
    "14 Februari jangan lupa coblos nomor {n} ya, {name} untuk Indonesia!",
    "Bismillah, pilih {name}. {slogan}",
    "Gaskeun {n}! {tag}",
    "Siapa lagi kalau bukan {name}? Coblos nomor {n} {e}",
    "Sudah bulat, {name} menang! {slogan}",
    "Stiker {name} sudah nempel di motor, siap menangkan nomor {n} 💪",
    "Relawan {name} {city} solid! Door to door terus sampai 14 Februari",
    "Mantap programnya, {short} paling siap jadi presiden! {tag}",
    "Kami warga {city} siap menangkan {name} {e}{e}",
    "Pilihan cerdas 2024: {name}, nomor urut {n}!",
]
DEBATE_CORE = ["Debat cawapres malam ini: {vp} keren banget! Fix coblos {n} {e}",
               "Nonton debat, {vp} paling menguasai materi. {name} menang! {tag}"]
OPEN = ["", "", "", "Bismillah, ", "Pokoknya ", "Wkwk ", "Mantap! ", "Fix, "]
LOWER_OK = {"Ayo", "Siapa", "Sudah", "Stiker", "Relawan", "Mantap", "Kami", "Pilihan", "Gaskeun", "Bismillah",
            "Debat", "Nonton"}
TAIL = ["", "", " 👍", " 🇮🇩", " 💪", " mantap", " gaskeun!", " wkwk", " 🔥🔥"]


def _fill(t: str, tk: dict, rng: random.Random, city: str) -> str:
    return t.format(n=rng.choice([tk["n"], tk["d"]]) if "{n}" in t else "", name=rng.choice(tk["names"]),
                    short=rng.choice(tk["short"]), vp=tk["vp"], slogan=rng.choice(tk["slogans"]),
                    tag=rng.choice(tk["tags"]), e=rng.choice(tk["emoji"]), city=city)


def partisan(rng: random.Random, ticket: str, city: str, debate: bool = False) -> str:
    """An own post that supports a presidential ticket (or, one in six, a party and its caleg)."""
    tk = TICKETS[ticket]
    if rng.random() < 0.17:
        return party_post(rng, city)
    if rng.random() < 0.25:
        text = rng.choice(tk["lines"])
    else:
        pool = CORE + (DEBATE_CORE * 3 if debate else [])
        body, opener = _fill(rng.choice(pool), tk, rng, city), rng.choice(OPEN)
        if opener and not opener.endswith("! ") and body.split()[0] in LOWER_OK:
            body = body[0].lower() + body[1:]
        text = opener + body
    if rng.random() < 0.35 and "#" not in text:
        text += " " + rng.choice(tk["tags"])
    tail = rng.choice(TAIL)
    if tail.strip() and tail.strip(" !").lower() in text.lower():
        tail = ""
    return (text + tail).strip()


def party_post(rng: random.Random, city: str) -> str:
    party, num, tag = rng.choice(PARTIES)
    caleg = rng.choice(CALEG)
    return rng.choice([
        f"Coblos {party} nomor {num}, pilih {caleg} caleg DPRD {city} dapil {rng.randint(1, 5)}! {tag}",
        f"Bismillah, {party} menang di {city}! Jangan lupa nomor {num} ya 👍 {tag}",
        f"Dukung {caleg} dari {party}, orangnya amanah. Coblos nomor urut {rng.randint(1, 8)} ✅",
        f"Salam perjuangan! {party} nomor {num} siap menang di {city} 💪",
    ])


COMMENTS = ["Siap menangkan, Pak! 💪", "Gaskeun {n}! {e}", "Mantap, {short} presidenku!", "Kami sekeluarga pilih {n} {e}",
            "Merinding dengarnya, {short} harus jadi presiden 🥺", "Hadir dari {city} 🙋 siap menangkan {n}!",
            "Insya Allah {n} menang satu putaran", "Pokoknya {short}! {slogan}", "Siap door to door di {city}! {e}",
            "{slogan} {tag}", "Satu komando, menangkan {name}! 🔥", "Tanggal 14 coblos {n}, fix no debat {e}"]
SHARE_NOTES = ["", "", "", "Setuju 👍", "Mantap!", "🔥🔥", "Ini baru pemimpin", "Sebarkan!", "{e}{e}", "{slogan}"]
QUOTE_OWN = ["Ini yang kita tunggu, coblos {n}! {e}", "Inilah pemimpin kita. {slogan}", "Gaskeun {n}, share sebanyak-banyaknya!",
             "Yang begini baru layak dipilih. {name} {e}", "{tag} {slogan}"]
QUOTE_SOFT = ["Nah ini.", "Setuju banget 👍", "Simak baik-baik 👇", "Wajib tonton sampai habis", "Mantap, ini dia 👏"]
FORWARD_NOTES = ["", "", "Diteruskan dari grup sebelah", "Info dari grup RT", "Forwarded 👇", "Baca sampai habis"]


def comment(rng: random.Random, ticket: str, city: str) -> str:
    return _fill(rng.choice(COMMENTS), TICKETS[ticket], rng, city).strip()


def share_note(rng: random.Random, ticket: str) -> str:
    return _fill(rng.choice(SHARE_NOTES), TICKETS[ticket], rng, "").strip()


def quote(rng: random.Random, ticket: str) -> tuple[str, bool]:
    """Quote text and whether it is partisan on its own (else it only endorses the parent)."""
    if rng.random() < 0.6:
        return _fill(rng.choice(QUOTE_OWN), TICKETS[ticket], rng, "").strip(), True
    return rng.choice(QUOTE_SOFT), False


def forward_note(rng: random.Random) -> str:
    return rng.choice(FORWARD_NOTES)


def campaign_account_post(rng: random.Random, ticket: str, city: str, who: str) -> str:
    """What a candidate's team, volunteer group or party branch posts (the parents)."""
    tk = TICKETS[ticket]
    text = rng.choice([
        "{who} menggelar kampanye dialogis bersama warga {city}. Bersama {name}, kita menangkan nomor {n}! {tag}",
        "Terima kasih warga {city} atas sambutannya! 14 Februari coblos {name} nomor urut {n} {e} {tag}",
        "Program unggulan {name} untuk guru, nakes dan UMKM. Sebarkan! {tag}",
        "Malam ini nobar debat cawapres di posko {who}. Dukung {vp}! {tag}",
        "Relawan {city} siap door to door memenangkan {name}. {slogan} {tag}",
    ]).replace("{who}", who)
    return _fill(text, tk, rng, city)


def broadcast(rng: random.Random, ticket: str) -> str:
    """A chain message forwarded from WhatsApp or a Telegram channel."""
    tk = TICKETS[ticket]
    return _fill(rng.choice([
        "[Pesan berantai] Saudaraku, mari bersama menangkan {name} nomor urut {n} pada 14 Februari 2024. Sebarkan ke 10 grup! {tag}",
        "Assalamualaikum. Mohon doa dan dukungan untuk {name}, nomor urut {n}. Jangan sampai salah coblos! {e}",
        "INFO PENTING: Tata cara mencoblos {name} nomor {n}, pastikan surat suara warna abu-abu dicoblos di foto {short} {e}",
    ]), tk, rng, "")


EVASION_NAMES = {
    "01": ["4nies", "aniesss", "a n i e s", "Ani\u200bes", "AMlN", "Cak 1min", "an1es-muha1min", "Ani\u200bes-Mu\u200bhaimin"],
    "02": ["pr4bowo", "prabowooo", "p r a b o w o", "Pra\u200bbowo", "G1bran", "prab0w0-g1br4n", "wowo-gibraaan"],
    "03": ["g a n j a r", "g4nj4r", "ganjarrr", "Gan\u200bjar", "m4hfud", "GNJR-MHFD", "Ganj4r-M4hfud"],
}
EVASION_CALLS = ["cobloss nomor 0 {d}", "c0bl0s n0 {d}", "coblos yg nomor {d} ya", "nyoblos no. 0{d} 😉",
                 "c o b l o s 0{d}", "Cob\u200blos 0{d}", "coblosss nomer {d}"]
EVASION_TAGS = {"01": ["#A_M_I_N", "#AMlN2024", "#4niesMuh4imin"], "02": ["#Pr4bowoG1bran", "#02lanjuttt", "#0k3G4s"],
                "03": ["#G4nj4rM4hfud", "#s4ts3t", "#03m3n4ngt0t4l"]}
EVASION_EXTRA = {"01": ["perubahannn", "☝️☝️"], "02": ["gemoyyy 🐼", "✌️✌️", "lanjuttt"], "03": ["sat settt", "3️⃣3️⃣"]}


def evasion(rng: random.Random, ticket: str) -> str:
    """Partisan text written to slip past keyword filters (a human still reads it at once)."""
    call = rng.choice(EVASION_CALLS).format(d=TICKETS[ticket]["d"])
    name = rng.choice(EVASION_NAMES[ticket])
    parts = [rng.choice([f"{call} {name}", f"{name} {call}", f"pokoknya {name}!! {call}"]),
             rng.choice(EVASION_EXTRA[ticket])]
    if rng.random() < 0.6:
        parts.append(rng.choice(EVASION_TAGS[ticket]))
    if rng.random() < 0.4:
        parts.insert(0, rng.choice(["wkwk", "bismillah", "gaskeun", "jgn bilang2 ya"]))
    return " ".join(parts)
