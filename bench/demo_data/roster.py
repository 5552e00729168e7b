"""The fictional roster: five agencies, supervisor chains, valid NIPs, declared accounts."""

from __future__ import annotations

import datetime as dt
import random

from demo_data.names import SHARED_NAMES, base_key, pick_group, random_base, with_titles
from demo_data.accounts import Registry, assign_accounts

AGENCIES = [
    dict(key="ptk", label="Kota Pontianak", instansi="Pemerintah Kota Pontianak", region="kalbar", city="Pontianak",
         kind="Kota", kec="Kecamatan Pontianak Barat", lurah="Kelurahan Sungai Beliung",
         pkm="Puskesmas Kampung Dalam", schools=["SDN 14 Pontianak Kota", "SMPN 3 Pontianak"],
         bkd="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", bkd_short="BKPSDM"),
    dict(key="kkr", label="Kubu Raya", instansi="Pemerintah Kabupaten Kubu Raya", region="kalbar", city="Kubu Raya",
         kind="Kabupaten", kec="Kecamatan Sungai Raya", lurah="Desa Kapur",
         pkm="Puskesmas Sungai Durian", schools=["SDN 12 Sungai Raya", "SMPN 1 Sungai Kakap"],
         bkd="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", bkd_short="BKPSDM"),
    dict(key="skw", label="Kota Singkawang", instansi="Pemerintah Kota Singkawang", region="kalbar", city="Singkawang",
         kind="Kota", kec="Kecamatan Singkawang Tengah", lurah="Kelurahan Roban",
         pkm="Puskesmas Roban", schools=["SDN 3 Singkawang", "SMPN 2 Singkawang"],
         bkd="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", bkd_short="BKPSDM"),
    dict(key="kdi", label="Kota Kendari", instansi="Pemerintah Kota Kendari", region="sultra", city="Kendari",
         kind="Kota", kec="Kecamatan Mandonga", lurah="Kelurahan Korumba",
         pkm="Puskesmas Mandonga", schools=["SDN 5 Kendari", "SMPN 9 Kendari"],
         bkd="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", bkd_short="BKPSDM"),
    dict(key="sultra", label="Prov. Sultra", instansi="Pemerintah Provinsi Sulawesi Tenggara", region="sultra",
         city="Kendari", kind="Provinsi", kec=None, lurah=None,
         pkm="UPTD Laboratorium Kesehatan Daerah", schools=["SMAN 4 Kendari", "SMKN 2 Kendari"],
         bkd="Badan Kepegawaian Daerah", bkd_short="BKD"),
]
TZ = {"kalbar": "+07:00", "sultra": "+08:00"}

# dinas key -> (unit name, short name, profile of staff, [(bidang, [seksi, ...]), ...])
DINAS = [
    ("pendidikan", "Dinas Pendidikan dan Kebudayaan", "Disdikbud", "admin",
     [("Pembinaan Sekolah Dasar", ["Kurikulum dan Penilaian SD", "Peserta Didik SD"]),
      ("Pembinaan Sekolah Menengah Pertama", ["Kurikulum dan Penilaian SMP", "Sarana Prasarana SMP"])]),
    ("kesehatan", "Dinas Kesehatan", "Dinkes", "kesmas",
     [("Pencegahan dan Pengendalian Penyakit", ["Surveilans dan Imunisasi", "Penyakit Menular"]),
      ("Pelayanan Kesehatan", ["Pelayanan Kesehatan Primer", "Kefarmasian dan Alkes"])]),
    ("kominfo", "Dinas Komunikasi dan Informatika", "Diskominfo", "it",
     [("Informasi dan Komunikasi Publik", ["Pengelolaan Informasi Publik", "Kemitraan Media"]),
      ("Aplikasi Informatika", ["Infrastruktur TIK", "Layanan E-Government"])]),
    ("bkd", None, None, "admin",
     [("Mutasi dan Promosi", ["Mutasi", "Promosi dan Kepangkatan"]),
      ("Pengembangan Kompetensi", ["Diklat", "Penilaian Kinerja"])]),
]
STAFF_JOBS = {
    "admin": ["Analis Kebijakan Ahli Pertama", "Pengadministrasi Umum", "Pengelola Keuangan",
              "Arsiparis Terampil", "Analis SDM Aparatur Ahli Muda", "Penata Kelola Barang",
              "Pranata Humas Ahli Pertama", "Analis Perencanaan"],
    "it": ["Pranata Komputer Ahli Pertama", "Pranata Komputer Ahli Muda", "Statistisi Ahli Pertama",
           "Pranata Humas Ahli Muda", "Pengelola Data dan Informasi"],
    "kesmas": ["Epidemiolog Kesehatan Ahli Muda", "Penyuluh Kesehatan Masyarakat Ahli Pertama",
               "Nutrisionis Ahli Pertama", "Sanitarian Terampil", "Administrator Kesehatan Ahli Pertama"],
    "guru": ["Guru Kelas Ahli Pertama", "Guru Ahli Muda", "Guru Matematika Ahli Pertama",
             "Guru Bahasa Indonesia Ahli Muda", "Guru PJOK Ahli Pertama", "Guru IPA Ahli Pertama"],
    "dokter": ["Dokter Ahli Pertama", "Dokter Ahli Muda"],
    "perawat": ["Perawat Terampil", "Perawat Ahli Pertama", "Perawat Mahir"],
    "bidan": ["Bidan Terampil", "Bidan Ahli Pertama"],
}
BIRTH_YEARS = {0: (1965, 1970), 1: (1966, 1977), 2: (1968, 1984), 3: (1972, 1990), 4: (1975, 2000)}


class RosterBuilder:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.people: list[dict] = []
        self.nips: set[str] = set()
        self.keys: set[str] = set()
        self.forced: dict[str, list[tuple]] = {}
        for bases, gender, group, agencies in SHARED_NAMES:
            spellings = bases.split("|")
            self.keys.add(base_key(spellings[0]))
            for i, ag in enumerate(agencies):
                self.forced.setdefault(ag, []).append((spellings[i % len(spellings)], gender, group))

    def nip(self, level: int, gender: str) -> str:
        rng = self.rng
        while True:
            lo, hi = BIRTH_YEARS[level]
            birth = dt.date(rng.randint(lo, hi), 1, 1) + dt.timedelta(days=rng.randrange(365))
            first = birth.year + rng.choice([20, 22, 23, 24, 25, 26, 27, 28, 30])
            year = min(max(first, birth.year + 20), 2023)
            if level == 4 and birth.year >= 1990:
                year = rng.randint(max(birth.year + 20, 2014), 2023)
            month = rng.choice([1, 1, 2, 3, 3, 4, 6, 10, 12])
            value = f"{birth:%Y%m%d}{year:04d}{month:02d}{gender}{rng.randint(1, 999):03d}"
            if value not in self.nips:
                self.nips.add(value)
                return value

    def add(self, ag: dict, jabatan: str, unit: str, boss: dict | None, level: int,
            profile: str, short: str, name: tuple | None = None) -> dict:
        rng = self.rng
        forced = self.forced.get(ag["key"])
        if name is None and forced and level >= 2 and rng.random() < 0.3 and \
                (profile != "bidan" or forced[0][1] == "2"):
            name = forced.pop(0)
        if name is not None:
            base, gender, group = name
        else:
            gender = "2" if profile == "bidan" else rng.choice("12")
            group = pick_group(rng, ag["region"])
            base = random_base(rng, group, gender)
            while base_key(base) in self.keys:
                base = random_base(rng, group, gender)
            self.keys.add(base_key(base))
        nama = with_titles(rng, base, group, gender, profile, senior=level <= 2)
        person = dict(nip=self.nip(level, gender), nama=nama, jabatan=jabatan, unit_kerja=unit,
                      instansi=ag["instansi"], atasan_nip=boss["nip"] if boss else "",
                      akun="", email="", telegram="",
                      _base=base, _gender=gender, _group=group, _agency=ag, _level=level,
                      _short=short, _profile=profile, _tz=TZ[ag["region"]], _accounts=[])
        self.people.append(person)
        return person

    def staff(self, ag, unit, boss, profile, short, lo=1, hi=3, jobs=None):
        for _ in range(self.rng.randint(lo, hi)):
            prof = profile if jobs is None else self.rng.choice(jobs)
            self.add(ag, self.rng.choice(STAFF_JOBS[prof]), unit, boss, 4, prof, short)

    def agency(self, ag: dict) -> None:
        rng, add = self.rng, self.add
        setda = "Sekretariat Daerah"
        sekda = add(ag, "Sekretaris Daerah", setda, None, 0, "pimpinan", "Setda " + ag["label"])
        asisten = add(ag, "Asisten Pemerintahan dan Kesejahteraan Rakyat", setda, sekda, 1,
                      "pimpinan", "Setda " + ag["label"])
        biro = "Kepala Biro Pemerintahan" if ag["kind"] == "Provinsi" else "Kepala Bagian Tata Pemerintahan"
        kabag = add(ag, biro, setda, asisten, 2, "admin", "Setda " + ag["label"])
        self.staff(ag, setda, kabag, "admin", "Setda " + ag["label"], 1, 2)
        for key, unit, short, profile, bidangs in DINAS:
            unit = unit or ag["bkd"]
            short = f"{short or ag['bkd_short']} {ag['label']}"
            kadis = add(ag, f"Kepala {unit}", unit, sekda, 1, "pimpinan", short)
            if key == "pendidikan" and ag["kind"] == "Provinsi":
                bidangs = [("Pembinaan SMA", ["Kurikulum SMA", "Peserta Didik SMA"]),
                           ("Pembinaan SMK", ["Kurikulum SMK", "Kelembagaan SMK"])]
            heads = {}
            for bidang, seksis in bidangs:
                kabid = add(ag, f"Kepala Bidang {bidang}", unit, kadis, 2, profile, short)
                heads[bidang] = kabid
                for seksi in rng.sample(seksis, rng.choice([1, 1, 2])):
                    sub = "Subbidang" if key == "bkd" else "Seksi"
                    kasi = add(ag, f"Kepala {sub} {seksi}", unit, kabid, 3, profile, short)
                    self.staff(ag, unit, kasi, profile, short, 1, 2)
            if key == "pendidikan":
                for school, kabid in zip(ag["schools"], heads.values()):
                    kepsek = add(ag, "Kepala Sekolah", school, kabid, 3, "guru", school)
                    self.staff(ag, school, kepsek, "guru", school, 2, 3)
            if key == "kesehatan":
                title = "Kepala UPTD" if ag["kind"] == "Provinsi" else "Kepala Puskesmas"
                kapus = add(ag, title, ag["pkm"], kadis, 2, rng.choice(["dokter", "kesmas"]), ag["pkm"])
                jobs = ["dokter", "perawat", "perawat", "bidan", "kesmas"]
                if ag["kind"] == "Provinsi":
                    jobs = ["kesmas", "kesmas", "admin"]
                self.staff(ag, ag["pkm"], kapus, "perawat", ag["pkm"], 3, 4, jobs)
        if ag["kec"]:
            kec = ag["kec"]
            short = kec.replace("Kecamatan ", "Kec. ")
            camat = add(ag, "Camat", kec, sekda, 1, "pimpinan", short)
            sekcam = add(ag, "Sekretaris Kecamatan", kec, camat, 2, "admin", short)
            self.staff(ag, kec, sekcam, "admin", short, 1, 2)
            kasi = add(ag, "Kepala Seksi Pemerintahan", kec, camat, 3, "admin", short)
            self.staff(ag, kec, kasi, "admin", short, 1, 2)
            title = "Kepala Desa" if ag["lurah"].startswith("Desa") else "Lurah"
            if title == "Lurah":  # a village head is elected, not a civil servant
                lurah = add(ag, "Lurah", ag["lurah"], camat, 3, "admin", ag["lurah"])
                self.staff(ag, ag["lurah"], lurah, "admin", ag["lurah"], 1, 2)
        for base, gender, group in self.forced.pop(ag["key"], []):  # not yet placed
            boss = rng.choice([p for p in self.people if p["_agency"] is ag and p["_level"] == 3])
            prof = boss["_profile"] if boss["_profile"] in STAFF_JOBS else "admin"
            self.add(ag, rng.choice(STAFF_JOBS[prof]), boss["unit_kerja"], boss, 4, prof,
                     boss["_short"], name=(base, gender, group))

    def finish(self) -> None:
        rng = self.rng
        supervisors = {p["atasan_nip"] for p in self.people if p["atasan_nip"]}
        chat_ids: set[str] = set()
        emails: set[str] = set()
        for p in self.people:
            if p["nip"] in supervisors:
                while (cid := str(rng.randint(120_000_000, 7_999_999_999))) in chat_ids:
                    pass
                chat_ids.add(cid)
                p["telegram"] = cid
            joined = p["_base"].replace("La Ode", "Laode").replace("Wa Ode", "Waode")
            words = [w for w in joined.replace(".", " ").split() if len(w) > 1 and w not in ("Muh", "Moh")]
            local = ".".join(w.lower() for w in (words[0], words[-1])) if len(words) > 1 else words[0].lower()
            email, n = f"{local}@contoh.go.id.invalid", 1
            while email in emails:
                n += 1
                email = f"{local}{p['nip'][2:4]}{n if n > 2 else ''}@contoh.go.id.invalid"
            emails.add(email)
            p["email"] = email


def build_roster(rng: random.Random, reg: Registry) -> list[dict]:
    builder = RosterBuilder(rng)
    for ag in AGENCIES:
        builder.agency(ag)
    builder.finish()
    assign_accounts(rng, builder.people, reg)
    return builder.people
