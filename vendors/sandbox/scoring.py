"""Sandbox scores from real photos, on each vendor's scale.

These are sandbox rules, not estimates of any vendor's model:
- face quality q in [0, 1] = min(1, face side / 200 px) x min(1, sharpness / 30); no face -> None;
- "liveness" scores are q on the vendor's scale (AceData and Tencent cloud 0-100, Tencent legacy
  0 below q 0.3 else 80 + 20q, Baidu liveness_score 0-1): a sharp, large face reads as live;
- compare scores map the dlib embedding distance d piecewise-linearly: the scale's maximum at d = 0,
  the vendor's threshold at d = 0.5, zero at d >= 1. Same person (d 0.35-0.45 on the test photos)
  lands above every vendor's threshold, different people (d >= 0.74) well below.
"""

import base64
import collections
import hashlib
import io
import threading
import weakref

from PIL import Image

from vendors.engine import decode_rgb, get_engine, sharpness, to_gray

SAME_PERSON_PIVOT = 0.5


class Undecodable(Exception):
    pass


class Analysis:
    def __init__(self, faces, quality, width, height, fmt, brightness, face_sharpness):
        self.faces = faces
        self.quality = quality
        self.width, self.height, self.format = width, height, fmt
        self.brightness = brightness
        self.sharpness = face_sharpness

    @property
    def face(self):
        return self.faces[0] if self.faces else None


def _analyze(data) -> Analysis:
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, (w, h) = im.format, im.size
        rgb = decode_rgb(data)
    except Exception as exc:  # noqa: BLE001 - any decode failure is the vendor's "bad image"
        raise Undecodable(str(exc)) from None
    faces = get_engine().faces(rgb)
    if not faces:
        return Analysis([], None, w, h, fmt, None, None)
    f = faces[0]
    crop = to_gray(rgb)[f.top : f.bottom, f.left : f.right]
    sharp = sharpness(crop)
    quality = min(1.0, min(f.width, f.height) / 200) * min(1.0, sharp / 30)
    return Analysis(faces, round(quality, 4), w, h, fmt, float(crop.mean()), sharp)


class _Recent:
    """The last `size` values by key, for any thread."""

    def __init__(self, size=256):
        self.size, self.items, self.lock = size, collections.OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_analyses = _Recent()  # sha256 of the image -> Analysis
_locks_guard = threading.Lock()
_locks = weakref.WeakValueDictionary()  # sha256 -> lock, while a call holds or waits for it


def analyze(data: bytes, digest: str | None = None) -> Analysis:
    digest = digest or hashlib.sha256(data).hexdigest()
    if (known := _analyses.get(digest)) is not None:
        return known
    with _locks_guard:
        lock = _locks.get(digest)
        if lock is None:
            lock = _locks[digest] = threading.Lock()
    # One analysis per image: calls that bring the same photo together wait for the first one's
    # instead of each running dlib on it.
    with lock:
        if (known := _analyses.get(digest)) is None:
            known = _analyze(data)  # Undecodable is not remembered: such calls are rare and cheap
            _analyses.put(digest, known)
        return known


class Decoded:
    """A base64 image one call brought: its size, its digest (work keys) and its analysis."""

    def __init__(self, text: str, size: int, digest: str, data: bytes | None = None):
        self._text, self._data = text, data
        self.size, self.digest = size, digest

    def analysis(self) -> Analysis:
        if (known := _analyses.get(self.digest)) is not None:
            return known
        if self._data is None:  # seen before, but its analysis is no longer remembered
            self._data = base64.b64decode(self._text)
        return analyze(self._data, self.digest)


_decoded = _Recent(1024)  # (length, hash) of a base64 text -> (size, digest) of its image


def decode_base64(text: str) -> Decoded:
    """The image in a base64 text; binascii.Error or ValueError when it is not base64.

    The same photo comes again and again in tests and benchmarks: a text seen before is not
    decoded again. Keyed by Python's hash of the
    text (SipHash, per process) with its length: a collision is out of reach for real photos.
    """
    key = (len(text), hash(text))
    if (known := _decoded.get(key)) is not None:
        return Decoded(text, *known)
    data = base64.b64decode(text, validate=True)
    decoded = Decoded(text, len(data), hashlib.sha256(data).hexdigest(), data)
    _decoded.put(key, (decoded.size, decoded.digest))
    return decoded


def distance(a: Analysis, b: Analysis) -> float:
    return get_engine().distance(a.face, b.face)


def compare_score(d: float, *, top: float, threshold: float) -> float:
    if d <= SAME_PERSON_PIVOT:
        value = top - (top - threshold) * (d / SAME_PERSON_PIVOT)
    else:
        value = threshold * max(0.0, 1 - (d - SAME_PERSON_PIVOT) / (1 - SAME_PERSON_PIVOT))
    return round(value, 4 if top <= 1 else 2)
