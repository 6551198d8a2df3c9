"""Sandbox scores from real photos, on each vendor's scale.

These are sandbox rules, not estimates of any vendor's model:
- face quality q in [0, 1] = min(1, face side / 200 px) x min(1, sharpness / 30); no face -> None;
- "liveness" scores are q on the vendor's scale (AceData and Tencent cloud 0-100, Tencent legacy
  0 below q 0.3 else 80 + 20q, Baidu liveness_score 0-1): a sharp, large face reads as live;
- compare scores map the dlib embedding distance d piecewise-linearly: the scale's maximum at d = 0,
  the vendor's threshold at d = 0.5, zero at d >= 1. Same person (d 0.35-0.45 on the test photos)
  lands above every vendor's threshold, different people (d >= 0.74) well below.
"""
import functools
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


@functools.lru_cache(maxsize=256)
def _analyze(digest, data):
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
    crop = to_gray(rgb)[f.top:f.bottom, f.left:f.right]
    sharp = sharpness(crop)
    quality = min(1.0, min(f.width, f.height) / 200) * min(1.0, sharp / 30)
    return Analysis(faces, round(quality, 4), w, h, fmt, float(crop.mean()), sharp)


_locks_guard = threading.Lock()
_locks = weakref.WeakValueDictionary()  # sha256 -> lock, while a call holds or waits for it


def analyze(data: bytes) -> Analysis:
    digest = hashlib.sha256(data).hexdigest()
    with _locks_guard:
        lock = _locks.get(digest)
        if lock is None:
            lock = _locks[digest] = threading.Lock()
    # One analysis per image: calls that bring the same photo together wait for the first one's
    # instead of each running dlib (a load's first calls cost the sandbox some 13 s of CPU that way).
    with lock:
        return _analyze(digest, data)


def distance(a: Analysis, b: Analysis) -> float:
    return get_engine().distance(a.face, b.face)


def compare_score(d: float, *, top: float, threshold: float) -> float:
    if d <= SAME_PERSON_PIVOT:
        value = top - (top - threshold) * (d / SAME_PERSON_PIVOT)
    else:
        value = threshold * max(0.0, 1 - (d - SAME_PERSON_PIVOT) / (1 - SAME_PERSON_PIVOT))
    return round(value, 4 if top <= 1 else 2)
