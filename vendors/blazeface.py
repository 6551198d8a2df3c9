"""Where faces may be, in a few milliseconds: MediaPipe's BlazeFace short-range detector (Apache-2.0,
shipped in vendors/models/), run by OpenCV's TFLite reader on a 128-px colour copy of the photo.

The engine does not take its boxes as faces: HOG confirms each on a small crop (engine.FaceEngine),
so what counts as a face, and where, stays what HOG says, at a fraction of HOG's cost on the whole
photo. Outputs decoded as MediaPipe's face_detection_short_range graph does (anchors, box
regression, score threshold 0.5, suppression of overlapping boxes); its six keypoints are not used
(on a face turned sideways or upside down they place an upright face that is not there).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from PIL import Image

MODEL = "face_detection_short_range.tflite"
INPUT = 128
# Two anchors per cell on the 16x16 grid (stride 8), six per cell on the 8x8 grid (stride 16).
_GRIDS = ((16, 2), (8, 6))
_MIN_SCORE = 0.5
_OVERLAP = 0.3


@dataclasses.dataclass(frozen=True)
class Proposal:
    box: tuple[float, float, float, float]  # left, top, right, bottom, in fractions of the photo's sides
    score: float


def model_path() -> str:
    return os.path.join(os.path.dirname(__file__), "models", MODEL)


def _anchors() -> np.ndarray:
    return np.array(
        [
            ((x + 0.5) / side, (y + 0.5) / side)
            for side, n in _GRIDS
            for y in range(side)
            for x in range(side)
            for _ in range(n)
        ],
        dtype=np.float32,
    )


def proposal_copy(image: Image.Image) -> Image.Image:
    """The photo (RGB: the model reads colour, and misses faces in grey) at INPUT px on its long side."""
    scale = INPUT / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.BILINEAR, reducing_gap=2.0)


class BlazeFace:
    """Not thread-safe (an OpenCV network keeps its buffers): the engine calls it under its lock."""

    def __init__(self, path: str | None = None):
        import cv2  # opencv-python-headless, already there for the OCR and the card outline

        self._net = cv2.dnn.readNetFromTFLite(path or model_path())
        self._outputs = self._net.getUnconnectedOutLayersNames()
        self._anchors = _anchors()

    def __call__(self, copy: Image.Image) -> list[Proposal]:
        """Each likely face on proposal_copy()'s image, most likely first."""
        w, h = copy.size
        ox, oy = (INPUT - w) // 2, (INPUT - h) // 2  # centred on a black square, as MediaPipe pads
        square = np.zeros((INPUT, INPUT, 3), dtype=np.float32)
        square[oy : oy + h, ox : ox + w] = np.asarray(copy.convert("RGB"), dtype=np.float32) / 127.5 - 1.0
        self._net.setInput(square.transpose(2, 0, 1)[None])
        regressors = logits = None
        for out in self._net.forward(self._outputs):
            if out.shape[-1] == 16:
                regressors = out.reshape(-1, 16)
            else:
                logits = out.reshape(-1)
        keep = np.nonzero(logits > np.log(_MIN_SCORE / (1 - _MIN_SCORE)))[0]
        found = []
        for i in keep[np.argsort(-logits[keep])]:
            cx, cy = self._anchors[i] * INPUT + regressors[i, :2]
            bw, bh = regressors[i, 2:4]
            box = ((cx - bw / 2 - ox) / w, (cy - bh / 2 - oy) / h, (cx + bw / 2 - ox) / w, (cy + bh / 2 - oy) / h)
            if all(overlap(box, kept.box) < _OVERLAP for kept in found):
                found.append(Proposal(tuple(float(v) for v in box), float(1 / (1 + np.exp(-logits[i])))))
        return found


def overlap(a, b) -> float:
    """Intersection over union of two boxes."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
