"""L2-regularised logistic regression in plain Python, and the held-out metrics that justify using it.

Features are standardised with the training mean and standard deviation, so a coefficient reads as
"log-odds per standard deviation" and a hit's cue ``w_j * z_j`` says how much that feature moved it
away from the average reviewed hit. Fitting is Newton's method (IRLS) on a dozen features: exact,
deterministic (no random start, no shuffling) and fast enough for tens of thousands of decisions.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from monitor.ranking.features import FEATURES, vector

MIN_PER_CLASS = 20
L2 = 1.0  # penalty on the standardised coefficients, in units of "decisions" (see fit)
TEST_SHARE = 0.2


class NotEnoughDecisions(ValueError):
    """Too few confirmed or dismissed hits to learn from; the list keeps the plain score order."""

    def __init__(self, confirmed: int, dismissed: int, minimum: int) -> None:
        self.confirmed, self.dismissed, self.minimum = confirmed, dismissed, minimum
        super().__init__(
            f"not enough review decisions to train the ranker: {confirmed} confirmed and {dismissed} dismissed, "
            f"at least {minimum} of each are needed; the list stays in score order")


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (``a`` is small and positive definite)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            if f:
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


@dataclass
class Ranker:
    names: list[str]
    mean: list[float]
    std: list[float]
    coef: list[float]
    intercept: float
    l2: float = L2
    metrics: dict = field(default_factory=dict)

    # -- fitting -------------------------------------------------------------------------------
    @classmethod
    def fit(cls, rows: list[dict], labels: list[int], *, l2: float = L2,
            names: tuple[str, ...] = FEATURES) -> "Ranker":
        """Minimise ``sum(log-loss) + l2/2 * |w|^2`` (intercept not penalised) by Newton's method."""
        xs = [vector(r, names) for r in rows]
        n, d = len(xs), len(names)
        mean = [sum(x[j] for x in xs) / n for j in range(d)]
        std = [math.sqrt(sum((x[j] - mean[j]) ** 2 for x in xs) / n) or 1.0 for j in range(d)]
        zs = [[1.0] + [(x[j] - mean[j]) / std[j] for j in range(d)] for x in xs]
        w = [0.0] * (d + 1)
        for _ in range(100):
            grad = [0.0 if j == 0 else l2 * w[j] for j in range(d + 1)]
            hess = [[(l2 if i == j and i > 0 else 0.0) for j in range(d + 1)] for i in range(d + 1)]
            for z, y in zip(zs, labels):
                p = _sigmoid(sum(wi * zi for wi, zi in zip(w, z)))
                g, h = p - y, max(p * (1.0 - p), 1e-9)
                for i in range(d + 1):
                    if z[i]:
                        grad[i] += g * z[i]
                        hz = h * z[i]
                        row = hess[i]
                        for j in range(d + 1):
                            row[j] += hz * z[j]
            step = _solve(hess, grad)
            w = [wi - si for wi, si in zip(w, step)]
            if max(abs(s) for s in step) < 1e-10:
                break
        return cls(names=list(names), mean=mean, std=std, coef=w[1:], intercept=w[0], l2=l2)

    # -- use -----------------------------------------------------------------------------------
    def _z(self, row: dict) -> list[float]:
        x = vector(row, self.names)
        return [(x[j] - self.mean[j]) / self.std[j] for j in range(len(self.names))]

    def predict_proba(self, row: dict) -> float:
        return _sigmoid(self.intercept + sum(c * z for c, z in zip(self.coef, self._z(row))))

    def contributions(self, row: dict) -> list[tuple[str, float, float]]:
        """``(feature, value, contribution to the log-odds)``, largest effect first (zero effects left out).
        A contribution is relative to the average reviewed hit of the training data."""
        x = vector(row, self.names)
        out = [(n, x[j], self.coef[j] * (x[j] - self.mean[j]) / self.std[j]) for j, n in enumerate(self.names)]
        return sorted((c for c in out if abs(c[2]) > 1e-9), key=lambda c: (-abs(c[2]), c[0]))

    # -- persistence ---------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"features": self.names, "mean": self.mean, "std": self.std, "coef": self.coef,
                "intercept": self.intercept, "l2": self.l2}

    @classmethod
    def from_json(cls, w: dict, metrics: dict | None = None) -> "Ranker":
        return cls(names=list(w["features"]), mean=list(w["mean"]), std=list(w["std"]), coef=list(w["coef"]),
                   intercept=float(w["intercept"]), l2=float(w.get("l2", L2)), metrics=metrics or {})

    def weights(self) -> list[tuple[str, float]]:
        """Coefficients per feature (log-odds per standard deviation), largest first."""
        return sorted(zip(self.names, self.coef), key=lambda c: (-abs(c[1]), c[0]))


# -- evaluation --------------------------------------------------------------------------------
def labels_of(rows: list[dict]) -> list[int]:
    return [1 if r["status"] == "dikonfirmasi" else 0 for r in rows]


def is_test(hit_id: str, share: float = TEST_SHARE) -> bool:
    """Deterministic held-out split by a hash of the hit id (independent of insertion order)."""
    return int(hashlib.sha256(hit_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def precision_at(ordered_labels: list[int], k: int) -> float:
    return sum(ordered_labels[:k]) / k if k else 0.0


def auc(scores: list[float], labels: list[int]) -> float | None:
    """Probability that a confirmed hit scores above a dismissed one (ties count half)."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def evaluate(model: Ranker, rows: list[dict]) -> dict:
    """Model order vs plain score order on held-out ``rows``: precision@k (k = 10% and 20%), lift, AUC."""
    labels = labels_of(rows)
    probs = [model.predict_proba(r) for r in rows]
    idx = list(range(len(rows)))
    by_model = sorted(idx, key=lambda i: (-probs[i], -rows[i]["score"], rows[i]["hit_id"]))
    by_score = sorted(idx, key=lambda i: (-rows[i]["score"], rows[i]["hit_id"]))
    out: dict = {"n_test": len(rows), "confirmed_rate": round(sum(labels) / len(rows), 4) if rows else None}
    for pct in (10, 20):
        k = max(1, math.ceil(len(rows) * pct / 100))
        pm = precision_at([labels[i] for i in by_model], k)
        ps = precision_at([labels[i] for i in by_score], k)
        out[f"k{pct}"] = k
        out[f"precision_at_{pct}_model"] = round(pm, 4)
        out[f"precision_at_{pct}_score"] = round(ps, 4)
        out[f"lift_at_{pct}"] = round(pm / ps, 4) if ps else None
    a_m, a_s = auc(probs, labels), auc([r["score"] for r in rows], labels)
    out["auc_model"] = round(a_m, 4) if a_m is not None else None
    out["auc_score"] = round(a_s, 4) if a_s is not None else None
    return out


def train(rows: list[dict], *, min_per_class: int = MIN_PER_CLASS, l2: float = L2) -> Ranker:
    """Evaluate on a held-out 20% (fit on the rest), then fit the returned model on every decision.

    Raises :class:`NotEnoughDecisions` below ``min_per_class`` confirmed or dismissed hits."""
    labels = labels_of(rows)
    pos, neg = sum(labels), len(labels) - sum(labels)
    if pos < min_per_class or neg < min_per_class:
        raise NotEnoughDecisions(pos, neg, min_per_class)
    train_rows = [r for r in rows if not is_test(r["hit_id"])]
    test_rows = [r for r in rows if is_test(r["hit_id"])]
    metrics: dict = {"n_reviewed": len(rows), "n_confirmed": pos, "n_dismissed": neg,
                     "n_train_holdout": len(train_rows), "l2": l2}
    tl = labels_of(train_rows)
    if test_rows and 0 < sum(tl) < len(tl):
        metrics.update(evaluate(Ranker.fit(train_rows, tl, l2=l2), test_rows))
    else:
        metrics["n_test"] = len(test_rows)
    model = Ranker.fit(rows, labels, l2=l2)
    model.metrics = metrics
    return model
