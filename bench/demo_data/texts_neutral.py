"""Non-partisan texts: everyday ASN posts (with the traps of domain.md), neutrality campaigns
in the style of the seeds (Bawaslu, KPU, Pemkot), and ordinary public posts."""

from __future__ import annotations

import datetime as dt
import random

GENERAL = [
    "Alhamdulillah apel pagi berjalan lancar. Semangat melayani masyarakat {city} 💪",
    "Rapat koordinasi persiapan {event} di ruang rapat 02 lantai 2 jam 09.00 ya rekan-rekan",
    "Info: ada perubahan jadwal {event}, dari Kamis jadi Jumat pagi. Mohon maaf atas ketidaknyamanannya 🙏",
    "Selamat ulang tahun anakku sayang, semoga jadi anak sholeh/sholehah, sehat dan panjang umur. Aamiin 🤲",
    "Ya Allah, lancarkan semua urusan kami hari ini. Aamiin ya rabbal alamin",
    "Bangga! {unit} diganjar penghargaan pelayanan publik terbaik tingkat provinsi. Terima kasih seluruh tim 🏆",
    "Semoga PBB segera bertindak tegas menghentikan penderitaan warga Gaza 🇵🇸🤲",
    "Pengingat: bayar PBB-P2 sebelum jatuh tempo ya, sekarang bisa lewat aplikasi dan minimarket",
    "Pohon beringin besar di depan kantor tumbang kena angin semalam, hati-hati yang lewat 🙏",
    "Kucing kantor makin gemoy aja, tiap pagi nungguin di parkiran 😹",
    "Ngopi dulu sebelum lanjut nyusun SPJ ☕ wkwk",
    "Pelayanan KTP-el di kecamatan sekarang sat set, 15 menit selesai 👍",
    "Salut sama tim gerak cepat Damkar {city}, api cepat dipadamkan 🚒",
    "Menuju Indonesia Emas 2045, mulai dari disiplin kecil di kantor sendiri",
    "Perubahan iklim makin terasa, siang ini panas sekali 🥵",
    "Hari Minggu waktunya cuci motor, bersih-bersih rumah, lalu antar anak les",
    "Innalillahi wa inna ilaihi rajiun. Turut berduka atas berpulangnya ayahanda rekan kami, semoga husnul khotimah. Aamiin",
    "Jangan lupa sarapan sebelum kerja, rekan-rekan. Sehat itu mahal 😄",
    "Hujan deras dari subuh, jalan ke kantor tergenang. Hati-hati di jalan ya",
    "Kerja bakti bersih-bersih lingkungan RT 02 bersama warga, mantap kompaknya 👍",
    "Terima kasih atas kunjungan tim Ombudsman hari ini, masukan yang sangat berharga",
    "Lagi belajar bikin infografis pakai Canva, ternyata seru juga wkwk",
    "Pesta demokrasi sebentar lagi. Apapun pilihannya, tetap rukun dan jaga persatuan ya 🇮🇩",
    "Anak pertama juara 2 lomba mewarnai, alhamdulillah. Semoga jadi ganjaran atas kerja kerasnya 🥰",
    "Sidang Majelis Umum PBB lagi dibahas di kelas PKn anak saya, diskusinya seru",
    "Minggu pagi jogging keliling taman kota, lanjut sarapan bubur pedas 😋",
    "Hasil panen cabai di pekarangan rumah, lumayan buat dapur sendiri 🌶️",
    "Mohon doanya, ibu saya sedang dirawat. Semoga lekas pulih, aamiin",
    "Nomor antrean 02 dipanggil, ternyata pelayanan makin cepat sekarang 👍",
]
TIMNAS_LOSS = ["Kalah 1-3 dari Irak, tapi Timnas Garuda tetap di hati. Masih ada Vietnam! 🇮🇩⚽",
               "Semalam Garuda kalah lawan Irak, tetap semangat anak-anak muda kita 🇮🇩"]
TIMNAS_WIN = ["Alhamdulillah Timnas Garuda menang 1-0 atas Vietnam! Asnawi tenang sekali ambil penalti 🇮🇩⚽",
              "Garuda di dadaku! Menang lawan Vietnam, peluang lolos 16 besar Piala Asia masih terbuka 🔥",
              "Nobar Timnas Garuda di warkop dekat kantor, pecah banget pas penalti masuk wkwk"]
DEBATE = ["Nonton debat cawapres bareng keluarga. Apapun pilihannya tetap rukun ya 🙏",
          "Debat malam ini dibahas di grup keluarga, ramai sekali. Yang penting damai, jangan saling hujat",
          "Anak saya nanya greenflation itu apa, terpaksa googling dulu wkwk"]
BY_PROFILE = {
    "guru": ["Anak-anak kelas 2 hari ini belajar mengenal pecahan pakai kue lapis 😄",
             "Asesmen sumatif tengah semester dimulai Senin, semangat belajar anak-anak!",
             "Rapat dewan guru membahas persiapan ANBK, semoga lancar. Aamiin",
             "Terima kasih para wali murid yang ikut kerja bakti di sekolah pagi ini 🙏",
             "Murid saya diganjar medali perunggu olimpiade sains kota, bangga sekali!",
             "Upacara Senin pagi di {unit}, yang jadi pembina upacara hari ini kelas 6"],
    "kesmas": ["Jangan lupa 3M plus, kasus DBD mulai naik di musim hujan ini 🦟",
               "Posyandu balita di RT 02 Kelurahan {kel} hari Rabu, bawa buku KIA ya bunda",
               "Imunisasi kejar untuk anak yang belum lengkap, datang ke puskesmas terdekat",
               "Cek tekanan darah gratis di posbindu besok pagi, ajak orang tua kita 👍",
               "Stunting bisa dicegah: gizi seimbang sejak 1000 hari pertama kehidupan"],
    "it": ["Maintenance server malam ini pukul 22.00 - 24.00, layanan aplikasi sementara tidak bisa diakses",
           "Pelatihan keamanan siber untuk admin website OPD berjalan lancar hari ini",
           "Sudah update password email dinas? Jangan pakai tanggal lahir ya wkwk",
           "Jaringan internet kantor sudah normal kembali, terima kasih atas kesabarannya"],
    "admin": ["Batas input SKP dan e-Kinerja bulan ini tanggal 25, jangan sampai lupa rekan-rekan",
              "Pengumuman hasil seleksi administrasi PPPK bisa dicek di laman resmi BKPSDM",
              "Lembur nyusun laporan akhir tahun, semangat tim keuangan 💪",
              "Pelayanan adminduk di kantor kecamatan tetap buka sampai jam 15.00"],
}
EVENTS = ["posyandu", "senam pagi", "rapat evaluasi", "bimtek aplikasi SRIKANDI", "apel gabungan",
          "vaksinasi", "sosialisasi SKP", "pelatihan kearsipan", "kerja bakti"]
PREFIX = ["", "", "", "Bismillah. ", "Selamat pagi rekan-rekan. ", "Info: ", "Alhamdulillah, "]
SUFFIX = ["", "", "", " 🙏", " 👍", " Semangat!", " wkwk", " #{tag}", " 😊"]


def _fill(text: str, ctx: dict) -> str:
    return text.format(city=ctx["city"], unit=ctx["unit"], kel=ctx.get("kel", "Korumba"),
                       event=ctx.get("event", "rapat"), tag=ctx["city"].replace(" ", ""))


def everyday(rng: random.Random, ctx: dict, when: dt.datetime) -> str:
    """An everyday post by an ASN; ``ctx`` has city, unit, profile, kel."""
    pool = list(GENERAL) + BY_PROFILE.get(ctx["profile"], []) * 2
    if when.day == 16:
        pool += TIMNAS_LOSS * 2
    if when.day in (20, 21):
        pool += TIMNAS_WIN * 2
    if when.day == 21 and when.hour >= 20:
        pool += DEBATE * 3
    ctx = dict(ctx, event=rng.choice(EVENTS))
    body = _fill(rng.choice(pool), ctx)
    if body[0].isupper() and rng.random() < 0.15:
        body = body[0].lower() + body[1:]
    prefix = rng.choice(PREFIX) if not body.startswith(("Alhamdulillah", "Bismillah", "Info")) else ""
    if prefix.endswith(", ") and body.split()[0] not in ("Timnas", "Garuda", "PBB", "Pohon"):
        body = body[0].lower() + body[1:]
    suffix = _fill(rng.choice(SUFFIX), ctx)
    if suffix.strip() and suffix.strip() in body:
        suffix = ""
    return (prefix + body + suffix).strip()


CAMPAIGN_OWN = [
    "Pengingat untuk rekan-rekan ASN {short}: tetap netral di Pemilu 2024. Jangan like, komen, share atau follow akun paslon 01, 02 maupun 03 #ASNNetral",
    "Hari ini seluruh pegawai {unit} menandatangani pakta integritas netralitas ASN. Keberpihakan cukup di bilik suara ✅",
    "Bijak bermedsos jelang 14 Februari. ASN jangan sampai terjebak politik praktis, konsekuensinya jelas 🙏 #NetralitasASN",
    "Ikut sosialisasi netralitas ASN bersama Bawaslu {city}. Pengawasan berjenjang: atasan wajib mengawasi bawahannya",
    "Foto bareng boleh, tapi jangan pose jari 1, 2, 3 atau 4 ya rekan ASN. Bisa dianggap dukungan ke paslon atau partai",
    "Mari wujudkan Pemilu 2024 yang damai, jujur dan adil. Tolak SARA, hoaks dan ujaran kebencian 🇮🇩 #PemiluDamai",
    "ASN dilarang ikut kampanye, pakai atribut partai, atau foto dengan caleg sambil acungkan jari. Yuk saling ingatkan",
    "Netralitas ASN itu amanat undang-undang, bukan tanda dicurigai Bawaslu. Kita jaga bersama 👍",
    "Jangan golput! Pelajari visi misi semua paslon, lalu gunakan hak pilih dengan cerdas tanggal 14 Februari",
    "Parpol peserta pemilu juga diminta tidak menggoda ASN ikut politik praktis. ASN harus tetap profesional",
    "Rekan ASN, hati-hati share konten kampanye di grup WA kantor. Itu juga termasuk pelanggaran netralitas",
    "Alhamdulillah, sampai hari ini belum ada laporan pelanggaran netralitas ASN di {city}. Pertahankan! #ASNNetral",
]
OFFICIAL_POSTS = {"bawaslu": [
    "Bawaslu {city} mengingatkan: ASN dilarang memberi dukungan kepada peserta Pemilu 2024, termasuk lewat media sosial (posting, komentar, share, like, follow akun kampanye). Temukan pelanggaran? Laporkan! #BawasluAwasiPemilu",
    "Sosialisasi Pengawasan Pemilu Partisipatif bersama ASN dan tokoh masyarakat {city}. Mari gotong royong wujudkan pemilu yang damai, jujur dan adil.",
    "Infografis: bentuk larangan ASN dalam Pemilu 2024, termasuk berfoto dengan pose jari 1, 2, 3 atau 4 bersama peserta pemilu. Jaga netralitas! #ASNNetral",
    "Saling jaga untuk mencegah pelanggaran. Netralitas ASN bukan bentuk kecurigaan, tetapi amanat Undang-Undang ASN. #BawasluAwasiPemilu",
    "Dialog interaktif netralitas ASN: keberpihakan hanya boleh di bilik suara. Sampaikan laporan dugaan pelanggaran ke Bawaslu {city}.",
], "kpu": [
    "Jelang pemungutan suara 14 Februari 2024, KPU {city} mengajak masyarakat cek DPT online dan datang ke TPS. Satu suara menentukan! #PemilihBerdaulat",
    "Pemilih pemula, yuk kenali tahapan Pemilu 2024: pemungutan suara Rabu, 14 Februari 2024. Cek namamu di DPT! #PemiluDamai",
    "KPU {city} menggelar simulasi pemungutan dan penghitungan suara. ASN, TNI dan Polri wajib menjaga netralitas.",
], "kominfo": [
    "Pemerintah daerah telah menerbitkan surat edaran netralitas ASN dan pakta integritas bagi seluruh pegawai. Pelanggaran akan ditindak tegas.",
    "Pengingat bagi ASN: dilarang memberi dukungan kepada paslon 01, 02 maupun 03 dan partai politik, termasuk like, komen dan share di media sosial. #ASNNetral",
    "Bijak bermedsos jelang Pemilu 2024: saring sebelum sharing, jangan sebarkan hoaks dan ujaran kebencian.",
]}
SHARE_NOTES = ["", "", "Mohon dibaca rekan-rekan ASN 🙏", "Penting!", "Yuk tetap netral 👍", "Saling mengingatkan ya",
               "Catat baik-baik", "#ASNNetral", "Setuju, ASN harus netral"]


def campaign_own(rng: random.Random, ctx: dict) -> str:
    text = rng.choice(CAMPAIGN_OWN).format(short=ctx["short"], unit=ctx["unit"], city=ctx["city"])
    return text + rng.choice(["", "", " 🙏", " 🇮🇩"])


def official_post(rng: random.Random, who: str, city: str) -> str:
    kind = "bawaslu" if who.startswith("Bawaslu") else "kpu" if who.startswith("KPU") else "kominfo"
    return rng.choice(OFFICIAL_POSTS[kind]).format(city=city)


PUBLIC_NEUTRAL = [
    "Macet parah di Jalan Ahmad Yani sore ini, ada yang tahu kenapa?",
    "Harga cabai rawit di pasar naik lagi, 80 ribu sekilo 😭",
    "Debat cawapres malam ini, siapa yang nonton? Semoga berlangsung damai",
    "Nobar Timnas di kafe depan kampus, yang mau ikut merapat!",
    "Open PO kue lapis legit untuk Imlek, bisa kirim se-{city} 🧁",
    "Alhamdulillah kelar sidang skripsi! Terima kasih dosen pembimbing 🎓",
    "Jalan rusak di dekat pasar belum juga diperbaiki, mohon perhatiannya",
    "Cap Go Meh tahun ini pasti ramai lagi, sudah kangen suasananya 🏮",
    "Kalau pemilu nanti, yang penting jangan golput dan jangan golput-golputan pertemanan wkwk",
    "Hujan terus dari pagi, jemuran nggak kering-kering",
    "Lowongan kerja admin toko, pengalaman minimal 1 tahun, kirim CV via DM",
    "PBB gagal lagi sepakati gencatan senjata. Sedih lihat berita Gaza 💔",
    "Sunset di tepian sungai sore ini cantik sekali 🌅",
    "Cari rekomendasi bengkel motor yang jujur di {city}, ada?",
]


def public_neutral(rng: random.Random, city: str) -> str:
    text = rng.choice(PUBLIC_NEUTRAL).format(city=city)
    return text + rng.choice(["", "", " 🙏", " wkwk", " #Info" + city.replace(" ", "")])
