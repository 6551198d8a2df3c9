"""Measure the local engine's face compare on a folder of labelled photos.

Every pair of photos of one person is a genuine pair, every pair across people an
impostor pair. At a threshold, the true-accept rate (TAR) is the share of genuine
pairs scoring at or above it and the false-accept rate (FAR) the share of impostor
pairs doing so.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np

from .analysis import analyse
from .engine import similarity_from_distance

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}  # what an upload may be


@dataclasses.dataclass
class Evaluation:
    identities: int
    photos: int
    skipped: list[str]
    genuine: np.ndarray  # scores, ascending (lists are sorted into arrays)
    impostor: np.ndarray
    threshold: float

    def __post_init__(self):
        # Sorted arrays: a rate at any threshold is one binary search, so the ROC of a few hundred
        # people's million impostor pairs takes a moment, not an hour.
        self.genuine = np.sort(np.asarray(self.genuine, dtype=float))
        self.impostor = np.sort(np.asarray(self.impostor, dtype=float))

    @staticmethod
    def rate(scores, threshold):
        """The share of scores at or above threshold (nan without scores); `scores` ascending."""
        n = len(scores)
        return float(n - np.searchsorted(scores, threshold, side="left")) / n if n else float("nan")

    @property
    def tar(self):
        return self.rate(self.genuine, self.threshold)

    @property
    def far(self):
        return self.rate(self.impostor, self.threshold)

    def threshold_for_far(self, target: float):
        """The lowest threshold whose FAR is at most target, and whether the sample can resolve it.

        With n impostor pairs the smallest non-zero FAR is 1/n: below that the answer is only
        "above every impostor score seen", which is what we return, flagged as unresolved.
        """
        impostor = self.impostor
        resolvable = len(impostor) >= 1 / target
        allowed = int(np.floor(target * len(impostor)))  # impostor pairs that may pass
        if not len(impostor):
            return None, False
        cut = float(impostor[-allowed - 1] if allowed < len(impostor) else impostor[0])
        return round(min(100.0, cut + 0.01), 2), resolvable

    def roc(self):
        """(FAR, TAR, threshold) at every score seen, and at 0 and 100, thresholds ascending."""
        thresholds = np.unique(np.concatenate([self.genuine, self.impostor, [0.0, 100.0]]))

        def rates(scores):
            n = len(scores)
            if not n:
                return np.full(len(thresholds), np.nan)
            return (n - np.searchsorted(scores, thresholds, side="left")) / n

        return list(zip(rates(self.impostor).tolist(), rates(self.genuine).tolist(), thresholds.tolist()))

    def as_dict(self, far_target=1e-3):
        t_far, resolved = self.threshold_for_far(far_target)
        return {
            "identities": self.identities,
            "photos": self.photos,
            "skipped": self.skipped,
            "genuine_pairs": len(self.genuine),
            "impostor_pairs": len(self.impostor),
            "threshold": self.threshold,
            "true_accept_rate": self.tar,
            "false_accept_rate": self.far,
            "far_target": far_target,
            "threshold_for_far_target": t_far,
            "far_target_resolvable": resolved,
            "genuine_scores": self.genuine.tolist(),
            "impostor_scores": self.impostor.tolist(),
        }


def labelled_photos(directory: Path, *, by_prefix=False) -> dict[str, list[Path]]:
    """One subfolder per person (its photos at any depth in it: selfies/, id/ …), or with by_prefix
    a flat folder named person_N.jpg."""
    groups: dict[str, list[Path]] = {}
    if by_prefix:
        for path in sorted(directory.iterdir()):
            if path.is_file() and _photo(path.relative_to(directory)):
                groups.setdefault(path.stem.rsplit("_", 1)[0], []).append(path)
    else:
        for folder in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
            photos = photos_in(folder)
            if photos:
                groups[folder.name] = photos
    return groups


def photos_in(folder: Path) -> list[Path]:
    """The files of a folder, at any depth, that an upload may be by their names; hidden files
    (.DS_Store, the ._ copies macOS puts in a zipped folder) are not photos."""
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and _photo(p.relative_to(folder))]


def _photo(relative: Path) -> bool:
    return relative.suffix.lower() in IMAGE_SUFFIXES and not any(part.startswith(".") for part in relative.parts)


def evaluate(
    groups: dict[str, list[Path]], threshold: float, *, read=Path.read_bytes, root: Path | None = None
) -> Evaluation:
    """`read(path)`: the photo as a check reads it (manage.py evaluate_engine: as an upload is
    stored); a ValueError skips the photo, with its message. A skipped photo is named by its path
    under `root` when given (two people's folders may both hold a 1.jpg), else by its file name."""
    embeddings: dict[str, list[np.ndarray]] = {}
    skipped = []
    for person, paths in groups.items():
        for path in paths:
            name = path.relative_to(root).as_posix() if root else path.name
            try:
                data = read(path)
            except ValueError as exc:
                skipped.append(f"{name}: {exc}")
                continue
            analysis = analyse(data, selfie=False)  # as the compare check sees the photo
            if len(analysis.faces) != 1:  # no face, or several: not a usable labelled photo
                skipped.append(f"{name}: {len(analysis.faces)} faces")
                continue
            embeddings.setdefault(person, []).append(analysis.embedding)

    def score(a, b):
        return similarity_from_distance(float(np.linalg.norm(a - b)))

    genuine = [score(a, b) for embs in embeddings.values() for a, b in itertools.combinations(embs, 2)]
    impostor = [
        score(a, b) for p, q in itertools.combinations(embeddings, 2) for a in embeddings[p] for b in embeddings[q]
    ]
    return Evaluation(len(embeddings), sum(len(e) for e in embeddings.values()), skipped, genuine, impostor, threshold)


def plot_roc(evaluation: Evaluation, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = evaluation.roc()
    fig, (roc, hist) = plt.subplots(1, 2, figsize=(10, 4.2))
    roc.step([p[0] for p in points], [p[1] for p in points], where="post")
    roc.scatter(
        [evaluation.far],
        [evaluation.tar],
        color="red",
        zorder=3,
        label=f"threshold {evaluation.threshold:g}: TAR {evaluation.tar:.2f}, FAR {evaluation.far:.3f}",
    )
    roc.set(
        xlabel="false-accept rate",
        ylabel="true-accept rate",
        title="ROC, local engine compare",
        xlim=(-0.02, 1.02),
        ylim=(-0.02, 1.02),
    )
    roc.legend(loc="lower right", fontsize=8)
    bins = np.linspace(0, 100, 41)
    hist.hist(evaluation.impostor, bins=bins, alpha=0.6, label=f"different people ({len(evaluation.impostor)})")
    hist.hist(evaluation.genuine, bins=bins, alpha=0.6, label=f"same person ({len(evaluation.genuine)})")
    hist.axvline(evaluation.threshold, color="red", linestyle="--", label="threshold")
    hist.set(xlabel="similarity score (0-100)", ylabel="pairs", title="Score distributions")
    hist.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
