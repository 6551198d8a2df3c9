"""dlib face models from PyPI wheels (dlib-bin, face-recognition-models), and BlazeFace.

Detection (BlazeFace proposes, dlib's HOG detector confirms: vendors.blazeface), 5-point landmarks
(eye corners and the base of the nose: what the embedding aligns faces with) and the 128-d ResNet
embedding that dlib reports at 99.38% on LFW (dlib's network and weights, run by numpy:
vendors.resnet). dlib's model files ship inside the face_recognition_models package, BlazeFace's in
vendors/models/; nothing is downloaded at run time. Which files a business may run, and why the
68-point model is only an opt-in (KYC_ENGINE_68_POINT_LANDMARKS): docs/licences.md. Used by the
local engine vendor and by the vendor sandbox to compute scores from real photos.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import io
import math
import os
import threading

import numpy as np
from PIL import Image, ImageOps

from . import blazeface
from .resnet import CHIP_SIZE, FaceResNet

# dlib's documented tolerance for its ResNet model: same person below 0.6.
DLIB_SAME_PERSON_DISTANCE = 0.6
# Detection runs on a grey copy no larger than this (HOG cost grows with pixels): it finds every
# face of 80 px and more in the copy, an eighth of its side. Landmarks and embeddings use the
# full-resolution image.
DETECT_MAX_SIDE = 640
# A photo turned sideways or upside down (no EXIF orientation; a card held up to a webcam) has no
# face found upright. The detector scores upright faces of the fixture photos, plain, blurred, dark
# or printed on a generated card, 0.68-2.7, and the false "faces" it finds in a turned card's text
# or a turned face at most 0.38: without a face scoring this upright, the other three turns are
# tried, and one with a face scoring this is taken.
SURE_FACE = 0.5
# A face too small for the detection copy (a card or a selfie photographed from afar) is looked for
# on the stored pixels, up to this side (the stored size), when they have at least twice the copy's:
# HOG on a 2,000-px photo finds a card's portrait where the card spans a quarter of the frame's
# width, and a selfie's face of the quality check's 80 px, the copy upsampled only where they are
# about half as large again (real pixels, not interpolated ones), at about twice the cost.
FINE_MAX_SIDE = 2000
# HOG confirms a face BlazeFace proposes on a crop of the detection copy twice the face's side,
# shrunk by whole steps of HOG's own image pyramid (5/6) until the face is about this many pixels
# (HOG's window is 80): a crop of about 200 px, a seventh of a 640-px copy's pixels.
CONFIRM_FACE = 96
# More proposals than this (a crowd, a wall of printed faces) and HOG looks at the whole copy once:
# it costs about what four crops do, whatever the photo holds.
MAX_PROPOSALS = 4
# HOG's score on a crop that makes a proposal a face without looking further. On crops it scores the
# upright faces of the shared photos (plain, blurred, dark, on a generated card) 0.81-2.6, and the
# faces of those photos turned sideways or upside down, which BlazeFace still proposes, at most 0.55
# (on the whole copy at most 0.38): below this, HOG decides on the whole copy, as without proposals.
CONFIRMED = 0.7
# A copy whose grey levels vary less than this (standard deviation, of 255) shows nothing: a
# covered lens, a camera not yet started, a blank page. HOG finds the shared photos' faces darkened
# to a twentieth of their light (deviation 1.7) and none in a uniform frame, which would cost it
# every turn and the closer look (ten times a face's photo); such a copy is not searched.
FLAT = 1.0
# Counter-clockwise turns that make a photo upright (PIL's rotate direction), by degrees.
TURNS = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}


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
    landmarks = LANDMARKS_68 if landmarks_68 else LANDMARKS_5
    return f"{blazeface.MODEL}+hog{DETECT_MAX_SIDE}/{landmarks}/{EMBEDDING}"


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
    return _at_most(gray, DETECT_MAX_SIDE)


def fine_copy(gray: Image.Image) -> Image.Image | None:
    """The grey copy a face too small for the detection copy is looked for on, or None where the
    photo has no more than twice the detection copy's pixels on its side (upsampling the copy then
    sees as much)."""
    return _at_most(gray, FINE_MAX_SIDE) if max(gray.size) >= 2 * DETECT_MAX_SIDE else None


def _at_most(gray: Image.Image, side: int) -> Image.Image:
    scale = side / max(gray.size)
    if scale >= 1.0:
        return gray
    return gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))), Image.BILINEAR)


def turned(image: Image.Image, turn: int) -> Image.Image:
    """The image turned `turn` degrees counter-clockwise (0, 90, 180 or 270)."""
    return image.transpose(TURNS[turn]) if turn else image


def decode_image(data: bytes, turn: int = 0) -> Image.Image:
    """The photo in RGB, its EXIF orientation applied, then turned `turn` degrees (an analysis's turn)."""
    image = Image.open(io.BytesIO(data))
    ImageOps.exif_transpose(image, in_place=True)  # loads it; in place: no copy of the pixels
    return turned(image if image.mode == "RGB" else image.convert("RGB"), turn)


def decode_rgb(data: bytes, turn: int = 0) -> np.ndarray:
    return np.asarray(decode_image(data, turn))


def turn_points(points, turn: int, size: tuple[int, int]) -> list[list[int]]:
    """Points of the stored image (`size` its width and height), in the pixels of that image turned
    `turn` degrees counter-clockwise (0, 90, 180 or 270): unturn_points() undone."""
    w, h = size
    there = {
        0: lambda x, y: (x, y),
        90: lambda x, y: (y, w - x),
        180: lambda x, y: (w - x, h - y),
        270: lambda x, y: (h - y, x),
    }[turn]
    return [[round(c) for c in there(x, y)] for x, y in points]


def unturn_points(points, turn: int, size: tuple[int, int]) -> list[list[int]]:
    """Points of an image turned `turn` degrees (90, 180 or 270; `size` its width and height), in the
    pixels of the image as stored: turned the rest of the way round."""
    return turn_points(points, -turn % 360, size)


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


def _flat(small: Image.Image) -> bool:
    """Whether the detection copy shows nothing (FLAT), judged on every fourth pixel each way."""
    return float(np.asarray(small)[::4, ::4].std()) < FLAT


def _sure(located: list[tuple]) -> bool:
    return any(score >= SURE_FACE for _rect, score in located)


def _overlap(a, b) -> float:
    """Intersection over union of two dlib rectangles."""
    return blazeface.overlap((a.left(), a.top(), a.right(), a.bottom()), (b.left(), b.top(), b.right(), b.bottom()))


class FaceEngine:
    def __init__(self, directory: str | None = None, *, landmarks_68: bool = False):
        import dlib  # imported here so that importing this module stays cheap

        directory = directory or models_dir()
        self.model_files = (LANDMARKS_68 if landmarks_68 else LANDMARKS_5, EMBEDDING, blazeface.MODEL)
        self._dlib = dlib
        self._proposer = blazeface.BlazeFace()
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(os.path.join(directory, self.model_files[0]))
        self._resnet = FaceResNet(os.path.join(directory, self.model_files[1]))  # dlib's network, run by numpy
        # dlib objects are not documented as thread-safe; the web process may run
        # several requests' checks at once (eager mode, kyc_verify).
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return engine_version(self.model_files[0] == LANDMARKS_68)

    def _locate(self, small: Image.Image, upsample: int) -> list[tuple]:
        """(rectangle on the copy, score) of each face the HOG detector finds on it."""
        with self._lock:
            rects, scores, _kinds = self._detector.run(np.asarray(small), upsample, 0.0)
        return list(zip(rects, scores))

    def _find(self, small: Image.Image, colour: Image.Image | None) -> list[tuple]:
        """The faces HOG finds on the copy without upsampling.

        Where BlazeFace proposes faces on `colour` (blazeface.proposal_copy() of the photo, turned as
        the copy), HOG looks on a small crop around each, and where it scores one CONFIRMED or more
        these are the faces. Otherwise (none proposed, none confirmed so surely, more than
        MAX_PROPOSALS, or no `colour`) HOG looks at the whole copy."""
        if colour is not None:
            with self._lock:
                proposals = self._proposer(colour)
            if len(proposals) <= MAX_PROPOSALS:
                found = []
                for proposal in proposals:
                    for rect, score in self._confirm(small, proposal.box):
                        if all(_overlap(rect, kept) < 0.5 for kept, _score in found):
                            found.append((rect, score))
                if any(score >= CONFIRMED for _rect, score in found):
                    return found
        return self._locate(small, 0)

    def _confirm(self, small: Image.Image, box: tuple) -> list[tuple]:
        """HOG's faces on a crop of the copy around a proposed face's box (in fractions of the copy's
        sides), the crop shrunk so that the face is about CONFIRM_FACE px; rectangles on the copy."""
        left, right = box[0] * small.width, box[2] * small.width
        top, bottom = box[1] * small.height, box[3] * small.height
        side, cx, cy = max(right - left, bottom - top), (left + right) / 2, (top + bottom) / 2
        steps = max(0, math.floor(math.log(side / CONFIRM_FACE, 6 / 5))) if side > CONFIRM_FACE else 0
        x0, y0 = max(0, round(cx - side)), max(0, round(cy - side))
        x1, y1 = min(small.width, round(cx + side)), min(small.height, round(cy + side))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        crop = small.crop((x0, y0, x1, y1))
        if steps:
            scale = (5 / 6) ** steps
            crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.BILINEAR)
        kx, ky = (x1 - x0) / crop.width, (y1 - y0) / crop.height
        return [
            (
                self._dlib.drectangle(r.left() * kx + x0, r.top() * ky + y0, r.right() * kx + x0, r.bottom() * ky + y0),
                score,
            )
            for r, score in self._locate(crop, 0)
        ]

    def locate(
        self,
        small: Image.Image,
        *,
        turns: bool = True,
        stored: Image.Image | None = None,
        colour: Image.Image | None = None,
    ) -> tuple[int, list[tuple]]:
        """The turn that makes the photo upright (0 unless only a turned copy has a sure face: the
        first found; no turn tried if turns=False) and where the faces are on the detection copy
        turned so. `colour`: blazeface.proposal_copy() of the photo, to look where BlazeFace
        proposes (_find()).

        dlib's HOG window is 80 px: without upsampling it finds every face of 80 px and more in the
        copy, at a quarter of the cost. Only when no turn finds one (a card photographed from afar,
        a small face), look closer: on the pixels of `stored` (the grey photo the copy was made from,
        if given and fine_copy() has a copy of it), else on the copy upsampled."""
        if _flat(small):
            return 0, []
        found = self._find(small, colour)
        hit = self._turned_faces(small, found, colour) if turns else None
        if hit or found:
            return hit or (0, found)
        fine = fine_copy(stored) if stored is not None else None
        if fine is None:
            return 0, self._locate(small, 1)
        k = small.width / fine.width  # rectangles on the copy's scale, in fractions of its pixels
        return 0, [
            (self._dlib.drectangle(r.left() * k, r.top() * k, r.right() * k, r.bottom() * k), score)
            for r, score in self._locate(fine, 0)
        ]

    def upright_turn(self, small: Image.Image, colour: Image.Image | None = None) -> int | None:
        """The turn locate() would find, without locating small faces (a card read without an
        analysis); None when no face is found to tell it."""
        if _flat(small):
            return None
        found = self._find(small, colour)
        hit = self._turned_faces(small, found, colour)
        return hit[0] if hit else (0 if found else None)

    def _turned_faces(
        self, small: Image.Image, upright: list[tuple], colour: Image.Image | None
    ) -> tuple[int, list[tuple]] | None:
        """Without a sure face among those found upright, the first turn with one, and its faces."""
        if _sure(upright):
            return None
        for turn in (90, 270, 180):  # a quarter turn either way first: a phone held the other way
            located = self._find(turned(small, turn), None if colour is None else turned(colour, turn))
            if _sure(located):
                return turn, located
        return None

    def landmarks(self, rgb: np.ndarray, small: Image.Image, located: list[tuple]) -> list[Face]:
        """The located faces (on the detection copy `small` of `rgb`) with their landmarks on
        `rgb`, largest first; no embeddings (embed() adds one)."""
        h, w = rgb.shape[:2]
        scale = small.width / w
        found = []
        with self._lock:
            for r, _score in located:
                rect = self._dlib.rectangle(
                    int(r.left() / scale), int(r.top() / scale), int(r.right() / scale), int(r.bottom() / scale)
                )
                shape = self._predictor(rgb, rect)
                landmarks = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
                box = (max(0, rect.left()), max(0, rect.top()), min(w, rect.right()), min(h, rect.bottom()))
                found.append(Face(*box, landmarks))
        found.sort(key=lambda f: f.width * f.height, reverse=True)
        return found

    def detect(self, rgb: np.ndarray, small: Image.Image | None = None) -> list[Face]:
        """All faces of the image as it is (no turn tried), with their landmarks, largest first.

        `small`: the grey detection copy (detection_copy()) when the caller has made it already."""
        image = Image.fromarray(rgb)
        small = detection_copy(image.convert("L")) if small is None else small
        return self.landmarks(rgb, small, self.locate(small, turns=False, colour=blazeface.proposal_copy(image))[1])

    def embed(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """The 128-d embedding of one detected face, aligned on its landmarks (dlib's face chip)."""
        dlib = self._dlib
        rect = dlib.rectangle(face.left, face.top, face.right, face.bottom)
        shape = dlib.full_object_detection(rect, [dlib.point(int(x), int(y)) for x, y in face.landmarks])
        # What dlib's face_recognition_model_v1 does: the chip, then the network (here without
        # the lock: neither keeps state, and the network's products run outside the GIL).
        return self._resnet(dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=0.25))

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


# A process does one photo's image work at a time (an analysis, an embedding, a burst's frame):
# its threads share one interpreter lock, and CPU-bound work interleaved between a thread pool's
# threads costs more CPU than the same work done in turn (bench/pipeline.py: docs/performance.md).
# More cores are used by more processes. Reentrant: a function that holds it may call another.
IMAGE_WORK = threading.RLock()


def in_turn(func):
    """Run `func` holding the process's image-work lock: one photo's image work at a time."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with IMAGE_WORK:
            return func(*args, **kwargs)

    return wrapper


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
