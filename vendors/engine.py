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
# Detection runs on a grey copy no larger than this (HOG cost grows with pixels): it finds every
# face of 80 px and more in the copy, an eighth of its side. Landmarks and embeddings use the
# full-resolution image.
DETECT_MAX_SIDE = 640


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


def engine_version(landmarks_68: bool | None = None) -> str:
    """What an analysis is made with (without loading the models): a stored one made otherwise is made again."""
    if landmarks_68 is None:
        from django.conf import settings

        landmarks_68 = getattr(settings, "KYC_ENGINE_68_POINT_LANDMARKS", False)
    return f"hog{DETECT_MAX_SIDE}/{LANDMARKS_68 if landmarks_68 else LANDMARKS_5}/{EMBEDDING}"


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


def detection_copy(gray: Image.Image) -> Image.Image:
    """The grey copy faces are detected on: no larger than DETECT_MAX_SIDE (grey: HOG's gradients
    on three channels cost a third more, for the same faces)."""
    scale = DETECT_MAX_SIDE / max(gray.size)
    if scale >= 1.0:
        return gray
    return gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))), Image.BILINEAR)


def decode_image(data: bytes) -> Image.Image:
    """The photo upright (EXIF orientation applied), in RGB."""
    with Image.open(io.BytesIO(data)) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def decode_rgb(data: bytes) -> np.ndarray:
    return np.asarray(decode_image(data))


def similarity_from_distance(distance: float) -> float:
    """Map embedding distance to a 0-100 similarity: 100 identical, 50 at dlib's 0.6, 0 at 1.2 and beyond."""
    return round(max(0.0, min(100.0, 100.0 * (1.0 - distance / (2 * DLIB_SAME_PERSON_DISTANCE)))), 2)


def sharpness(gray: np.ndarray | Image.Image) -> float:
    """Variance of the Laplacian on a 256-px-wide copy: low means blurry."""
    if not isinstance(gray, Image.Image):
        gray = Image.fromarray(gray.astype(np.uint8))
    if gray.width != 256:
        gray = gray.resize((256, max(8, int(gray.height * 256 / gray.width))), Image.BILINEAR)
    gray = np.asarray(gray)
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

    @property
    def version(self) -> str:
        return engine_version(self.model_files[0] == LANDMARKS_68)

    def detect(self, rgb: np.ndarray, small: Image.Image | None = None) -> list[Face]:
        """All faces with their landmarks, largest first; no embeddings (embed() adds one).

        `small`: the grey detection copy (detection_copy()) when the caller has made it already."""
        h, w = rgb.shape[:2]
        small = detection_copy(Image.fromarray(rgb).convert("L")) if small is None else small
        scale = small.width / w
        small = np.asarray(small)
        found = []
        with self._lock:
            # dlib's HOG window is 80 px: without upsampling it finds every face of 80 px and more
            # in the copy, at a quarter of the cost. Upsample only when that finds nothing (a card
            # photographed from afar, a small face).
            rects = self._detector(small, 0) or self._detector(small, 1)
            for r in rects:
                rect = self._dlib.rectangle(
                    int(r.left() / scale), int(r.top() / scale), int(r.right() / scale), int(r.bottom() / scale)
                )
                shape = self._predictor(rgb, rect)
                landmarks = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
                box = (max(0, rect.left()), max(0, rect.top()), min(w, rect.right()), min(h, rect.bottom()))
                found.append(Face(*box, landmarks))
        found.sort(key=lambda f: f.width * f.height, reverse=True)
        return found

    def embed(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """The 128-d embedding of one detected face, aligned on its landmarks."""
        dlib = self._dlib
        rect = dlib.rectangle(face.left, face.top, face.right, face.bottom)
        shape = dlib.full_object_detection(rect, [dlib.point(int(x), int(y)) for x, y in face.landmarks])
        with self._lock:
            return np.array(self._encoder.compute_face_descriptor(rgb, shape, 1))

    def faces(self, rgb: np.ndarray, *, embeddings: bool = True) -> list[Face]:
        """All faces, largest first, each with its embedding unless embeddings=False."""
        found = self.detect(rgb)
        if embeddings:
            for face in found:
                face.embedding = self.embed(rgb, face)
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
