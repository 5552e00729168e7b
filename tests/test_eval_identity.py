"""bench/eval_identity.py: metrics add up on a tiny inline roster (no shared CSV needed)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "eval_identity.py"


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("eval_identity", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_identity"] = mod
    spec.loader.exec_module(mod)
    return mod


_FIRST = ["Budi", "Agus", "Siti", "Dewi", "Rina", "Andi", "Joko", "Wahyu", "Muhammad", "Eko",
          "Fitri", "Hendra", "Indah", "Yusuf", "Ratna", "Bambang", "Sri", "Rudi", "Lestari", "Taufik"]
_LAST = ["Santoso", "Wibowo", "Harahap", "Nasution", "Siregar", "Pratama", "Saputra", "Hidayat",
         "Kurniawan", "Setiawan", "Lubis", "Simanjuntak", "Wijaya", "Rahmawati", "Susanti",
         "Purnomo", "Gunawan", "Hasibuan", "Sinaga", "Tanjung"]
_PRE = ["", "", "", "Drs. ", "H. ", "Hj. ", "Ir. ", "Dr. "]
_SUF = ["", "", "", ", S.Pd", ", S.H., M.H.", ", SE", ", S.Sos", ", M.Si"]


def _names() -> list[str]:
    rng = random.Random(3)
    out = [f"{rng.choice(_PRE)}{f} {l}{rng.choice(_SUF)}" for f in _FIRST for l in _LAST]  # 400
    rng.shuffle(out)
    return out


def test_metrics_add_up(ev):
    rep = ev.evaluate(_names(), roster_size=300, n_pos=200, n_neg=200, seed=1)
    assert rep.roster_size == 300
    assert rep.positives == 200 and rep.negatives == 200
    assert rep.exact + rep.listed + rep.amb_wrong + rep.wrong + rep.miss == rep.positives
    assert sum(rep.per_kind[k].n for k in ev.POSITIVE_KINDS) == rep.positives
    assert sum(rep.per_kind[k].n for k in ev.NEGATIVE_KINDS) == rep.negatives
    for k in ev.POSITIVE_KINDS:
        st = rep.per_kind[k]
        assert st.exact + st.listed + st.amb_wrong + st.wrong + st.miss == st.n
    assert sum(rep.per_kind[k].matched for k in ev.NEGATIVE_KINDS) == rep.neg_fp
    for value in (rep.precision, rep.precision_picks, rep.recall_exact, rep.recall_listed,
                  rep.ambiguity_rate, rep.neg_fp_rate, rep.recall_listed_multi):
        assert 0.0 <= value <= 1.0
    assert rep.recall_exact <= rep.recall_listed
    assert rep.recall_listed == pytest.approx((rep.exact + rep.listed) / rep.positives)
    fp = rep.amb_wrong + rep.wrong + rep.neg_fp
    assert rep.precision == pytest.approx((rep.exact + rep.listed) / (rep.exact + rep.listed + fp))
    assert len(rep.misses) <= 10 and len(rep.false_positives) <= 10
    assert rep.queries_per_s > 0
    # deterministic for a seed
    again = ev.evaluate(_names(), roster_size=300, n_pos=200, n_neg=200, seed=1)
    assert (again.exact, again.listed, again.miss, again.neg_fp) == (rep.exact, rep.listed, rep.miss, rep.neg_fp)


def test_exact_names_are_found(ev):
    rep = ev.evaluate(_names(), roster_size=300, n_pos=300, n_neg=10, seed=2)
    st = rep.per_kind["exact"]
    assert st.n > 0
    assert st.listed + st.exact == st.n  # the published name itself always comes back
    assert st.miss == 0 and st.wrong == 0 and st.amb_wrong == 0


def test_roster_nips_valid_and_unique(ev):
    from monitor.roster.nip import parse_nip

    entries, held, keys, topped = ev.build_roster([(n, "") for n in _names()], 300, random.Random(5))
    nips = [e.nip for e in entries]
    assert len(set(nips)) == len(nips) == 300
    for nip in nips:
        info = parse_nip(nip)
        assert 1960 <= info.birth_date.year <= 1999
        assert info.appointment_year >= info.birth_date.year + 20
        assert 1 <= info.sequence <= 999
    # held-out names never share a normalised name with the roster
    roster_keys = {ev._key(e.nama) for e in entries}
    assert not roster_keys & {ev._key(n) for n, _ in held}


def test_missing_names_file_is_a_clear_error(ev, tmp_path):
    with pytest.raises(SystemExit, match="names file not found"):
        ev.load_names(tmp_path / "nope.csv")
