"""Raw scores on a common scale: the estimated false-accept rate (FAR) a score stands for.

Each vendor scores on its own scale, so a policy written in raw scores silently changes its
meaning when the vendor changes. A calibration turns a (vendor, kind, score) into a FAR estimate,
from one of two sources, and says which:
- documented: the vendor's own threshold-to-error-rate table (LinkFace), or the one figure the
  vendor is known by (Baidu's 80); interpolated log-linearly between the documented points and
  given as a bound outside them;
- measured: the impostor scores `evaluate_engine` recorded for the local engine; the share of
  impostors at or above the score. A measurement of N impostor pairs cannot tell rates below 1/N
  apart: beyond the highest impostor score the estimate is "< 1/N", never a made-up smaller number.

Only face compare has a FAR; liveness scores have no documented error-rate table (Baidu documents
false *rejects* of its liveness control, which is not the same thing), so they get no estimate.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import math
from functools import cache
from pathlib import Path

from django.conf import settings

from .base import CheckKind

LOCAL_MEASUREMENT = Path(__file__).parent / "data" / "local_compare_evaluation.json"


@dataclasses.dataclass(frozen=True)
class FarEstimate:
    value: float
    relation: str  # "=" estimate, "<" or "≤" upper bound, ">" lower bound
    source: str

    def __str__(self):
        return f"{'≈' if self.relation == '=' else self.relation} {self.value:.1e}"

    @classmethod
    def parse(cls, text: str, source: str = "") -> FarEstimate | None:
        """Back from str() (the risk reasons keep it so), or None."""
        relation, _, value = (text or "").partition(" ")
        try:
            return cls(float(value), "=" if relation == "≈" else relation, source)
        except ValueError:
            return None

    def in_words(self) -> str:
        """As people read it: "below 1 in 32", "about 1 in 10,000" (str() is for the API and logs)."""
        from django.utils.translation import gettext

        if self.value <= 0:
            return gettext("none measured")
        n = 1 / self.value
        n = round(n) if n < 100 else round(n, 1 - int(math.floor(math.log10(n))))  # two significant digits
        words = {
            "=": gettext("about 1 in %s"),
            "<": gettext("below 1 in %s"),
            "≤": gettext("at most 1 in %s"),
            ">": gettext("above 1 in %s"),
        }.get(self.relation, gettext("about 1 in %s"))
        return words % f"{int(n):,}"

    def at_most(self, target: float) -> bool | None:
        """Whether the FAR is at most target; None when the estimate cannot tell."""
        if self.relation == "=":
            return self.value <= target
        if self.relation in ("<", "≤"):
            return True if self.value <= target else None
        return False if self.value >= target else None


@dataclasses.dataclass(frozen=True)
class Calibration:
    vendor: str
    kind: str
    method: str  # documented | measured
    source: str
    # (score, FAR), scores ascending; FAR falls as the score rises (similarity: higher is the same person).
    points: tuple[tuple[float, float], ...] = ()
    impostor_scores: tuple[float, ...] = ()  # measured curves

    @property
    def resolution(self) -> float:
        """The smallest FAR this calibration can tell."""
        if self.impostor_scores:
            return 1.0 / len(self.impostor_scores)
        return min(far for _score, far in self.points)

    def estimate(self, score: float) -> FarEstimate:
        if self.impostor_scores:
            n = len(self.impostor_scores)
            above = n - bisect.bisect_left(self.impostor_scores, score)
            return FarEstimate(above / n, "=", self.source) if above else FarEstimate(1.0 / n, "<", self.source)
        points = self.points
        if len(points) == 1:  # one documented figure: a bound on either side
            at, far = points[0]
            return FarEstimate(far, "≤" if score >= at else ">", self.source)
        if score < points[0][0]:
            return FarEstimate(points[0][1], ">", self.source)
        if score > points[-1][0]:
            return FarEstimate(points[-1][1], "<", self.source)
        i = max(1, bisect.bisect_left([s for s, _ in points], score))
        (s0, f0), (s1, f1) = points[i - 1], points[i]
        t = (score - s0) / (s1 - s0)
        return FarEstimate(10 ** (math.log10(f0) + t * (math.log10(f1) - math.log10(f0))), "=", self.source)

    def score_for(self, target: float) -> float | None:
        """The lowest score whose FAR is at most target; None when the calibration cannot say."""
        if target < self.resolution:
            return None
        if self.impostor_scores:
            n = len(self.impostor_scores)
            allowed = math.floor(target * n + 1e-9)  # impostors allowed at or above the threshold
            if allowed >= n:
                return None
            # Just above the (allowed+1)-th highest impostor score.
            return math.nextafter(self.impostor_scores[n - allowed - 1], math.inf)
        points = self.points
        if len(points) == 1:
            return points[0][0] if math.isclose(target, points[0][1]) else None
        if target > points[0][1]:
            return None
        for (s0, f0), (s1, f1) in zip(points, points[1:]):
            if f1 <= target <= f0:
                t = (math.log10(target) - math.log10(f0)) / (math.log10(f1) - math.log10(f0))
                return round(s0 + t * (s1 - s0), 6)
        return None


def documented() -> list[Calibration]:
    """The vendors' documented tables, each declared by its vendor's module (VendorBackend.calibrations)."""
    from .registry import BACKENDS, get_backend

    return [c for name in BACKENDS for c in get_backend(name).calibrations]


def measured_from_file(path: Path, vendor="local") -> Calibration:
    """A curve from `evaluate_engine`'s evaluation.json (its impostor_scores)."""
    data = json.loads(Path(path).read_text())
    scores = tuple(sorted(float(s) for s in data["impostor_scores"]))
    if not scores:
        raise ValueError(f"{path}: no impostor scores to measure a FAR with")
    return Calibration(
        vendor,
        CheckKind.COMPARE.value,
        "measured",
        f"measured by evaluate_engine: {len(scores)} impostor pairs of {data.get('identities', '?')} "
        f"people ({Path(path).name})",
        impostor_scores=scores,
    )


@cache
def _local(path: str) -> Calibration:
    return measured_from_file(Path(path))


def calibration(vendor: str, kind: str) -> Calibration | None:
    if (vendor, kind) == ("local", CheckKind.COMPARE.value):
        return _local(str(settings.KYC_CALIBRATION_LOCAL_COMPARE or LOCAL_MEASUREMENT))
    return next((c for c in documented() if (c.vendor, c.kind) == (vendor, kind)), None)


def estimate(vendor: str, kind: str, score: float | None) -> FarEstimate | None:
    found = calibration(vendor, kind) if score is not None else None
    return found.estimate(score) if found else None


def all_calibrations() -> list[Calibration]:
    return [calibration("local", CheckKind.COMPARE.value), *documented()]
