"""dlib face models from PyPI wheels (dlib-bin, face-recognition-models).

Detection (HOG, built into dlib), 5-point landmarks (eye corners and the base of the nose: what
the embedding aligns faces with) and the 128-d ResNet embedding that dlib reports at 99.38% on
LFW. The model files ship inside the face_recognition_models package; nothing is downloaded at
run time. Which files a business may run, and why the 68-point model is only an opt-in
(KYC_ENGINE_68_POINT_LANDMARKS): docs/licences.md. Used by the local engine vendor and by the
vendor sandbox to compute scores from real photos.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import os
import threading

import numpy as np
from PIL import Image, ImageOps

# dlib's documented tolerance for its ResNet model: same person below 0.6.
DLIB_SAME_PERSON_DISTANCE = 0.6
# Detection runs on a copy no larger than this (HOG cost grows with pixels);
# landmarks and embeddings use the full-resolution image.
DETECT_MAX_SIDE = 800


# The model files the engine may load, by role; docs/licences.md lists each one's licence.
LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"  # annotated by dlib's author, public domain
LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"  # trained on iBUG 300-W: no commercial use
EMBEDDING = "dlib_face_recognition_resnet_model_v1.dat"


def models_dir() -> str:
    # find_spec does not import the package: its __init__ needs pkg_resources,
    # which new setuptools no longer ship.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face_recognition_models is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "models")


@dataclasses.dataclass
class Face:
    left: int
    top: int
    right: int
    bottom: int
    landmarks: np.ndarray = dataclasses.field(repr=False)  # (5, 2) x, y; (68, 2) with the opt-in model
    embedding: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def box(self) -> list[int]:
        return [self.left, self.top, self.right, self.bottom]


def decode_rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        im = ImageOps.exif_transpose(im)
        return np.asarray(im.convert("RGB"))


def similarity_from_distance(distance: float) -> float:
    """Map embedding distance to a 0-100 similarity: 100 identical, 50 at dlib's 0.6, 0 at 1.2 and beyond."""
    return round(max(0.0, min(100.0, 100.0 * (1.0 - distance / (2 * DLIB_SAME_PERSON_DISTANCE)))), 2)


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian on a 256-px-wide copy: low means blurry."""
    if gray.shape[1] != 256:
        h = max(8, int(gray.shape[0] * 256 / gray.shape[1]))
        gray = np.asarray(Image.fromarray(gray.astype(np.uint8)).resize((256, h), Image.BILINEAR))
    g = gray.astype(np.float32)
    lap = g[1:-1, 2:] + g[1:-1, :-2] + g[2:, 1:-1] + g[:-2, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)


class FaceEngine:
    def __init__(self, directory: str | None = None, *, landmarks_68: bool = False):
        import dlib  # imported here so that importing this module stays cheap

        directory = directory or models_dir()
        self.model_files = (LANDMARKS_68 if landmarks_68 else LANDMARKS_5, EMBEDDING)
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(os.path.join(directory, self.model_files[0]))
        self._encoder = dlib.face_recognition_model_v1(os.path.join(directory, self.model_files[1]))
        # dlib objects are not documented as thread-safe; the web process may run
        # several requests' checks at once (eager mode, kyc_verify).
        self._lock = threading.Lock()

    def faces(self, rgb: np.ndarray, *, embeddings: bool = True) -> list[Face]:
        """All faces, largest first."""
        h, w = rgb.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
        small = rgb
        if scale < 1.0:
            small = np.asarray(
                Image.fromarray(rgb).resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.BILINEAR)
            )
        found = []
        with self._lock:
            # dlib's HOG window is 80 px: without upsampling it finds every face of 80 px and more,
            # the smallest the quality check accepts, at a quarter of the cost. Upsample only when
            # that finds nothing (a card photographed from afar, a small face).
            rects = self._detector(small, 0) or self._detector(small, 1)
            for r in rects:
                rect = self._dlib.rectangle(
                    int(r.left() / scale), int(r.top() / scale), int(r.right() / scale), int(r.bottom() / scale)
                )
                shape = self._predictor(rgb, rect)
                landmarks = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
                emb = np.array(self._encoder.compute_face_descriptor(rgb, shape, 1)) if embeddings else None
                found.append(
                    Face(
                        max(0, rect.left()),
                        max(0, rect.top()),
                        min(w, rect.right()),
                        min(h, rect.bottom()),
                        landmarks,
                        emb,
                    )
                )
        found.sort(key=lambda f: f.width * f.height, reverse=True)
        return found

    @staticmethod
    def distance(a: Face, b: Face) -> float:
        return float(np.linalg.norm(a.embedding - b.embedding))


_engine = None
_engine_lock = threading.Lock()


def get_engine() -> FaceEngine:
    """One engine per process, loaded on first use (about 30 MB of models)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from django.conf import settings

                _engine = FaceEngine(landmarks_68=getattr(settings, "KYC_ENGINE_68_POINT_LANDMARKS", False))
    return _engine
