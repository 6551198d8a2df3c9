"""Text on a photo, read offline: RapidOCR's PP-OCRv6 detection and recognition models (Simplified
Chinese and Latin script), shipped inside the rapidocr wheel and run by onnxruntime.

The detector works on a copy whose long side is at most DETECT_SIDE px: an ID-1 card photo keeps
its printed text legible at that size, and the cost stays under a second of CPU per page
(bench/documents.py). The angle classifier is off: it turns long upright lines (an MRZ) upside
down more often than it rights a rotated one; a page is turned upright as a whole instead, as its
portrait says (vendors.analysis) or, without one, as its lines say (read_upright). Lines are
recognised one at a time: a batch is padded to its longest line, and a page mixes 44-character MRZ
lines with short labels (a passport page costs a third less CPU unbatched).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import math
import threading

import numpy as np
from django.conf import settings

from ..engine import decode_rgb, unturn_points

DETECT_SIDE = 736
# Upright printed text reads at 0.97-1.0 on average (each character weighted by its line's score);
# a page turned a half turn, or a quarter turn the way rapidocr does not right, reads at about 0.7.
SURE_READING = 0.9
_reader = None
_lock = threading.Lock()


@dataclasses.dataclass
class Line:
    text: str
    score: float
    box: list[list[int]]  # four corners, clockwise from the text's top left, in the stored image's pixels

    def as_dict(self) -> dict:
        return {"text": self.text, "score": self.score, "box": self.box}

    @classmethod
    def from_dict(cls, data: dict) -> Line:
        return cls(data["text"], data["score"], data["box"])


def version() -> str:
    """Changes when a reading made before would read differently now (kept readings are redone)."""
    return f"rapidocr {importlib.metadata.version('rapidocr')} PP-OCRv6 small det{DETECT_SIDE} rec1 rows-along-tilt"


def params() -> dict:
    threads = settings.KYC_OCR_THREADS
    return {
        "Global.use_cls": False,
        "Global.log_level": "warning",
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECT_SIDE,
        "Rec.rec_batch_num": 1,
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


def get_reader():
    """The process's one OCR engine (its models take about 0.6 s to load)."""
    global _reader
    with _lock:
        if _reader is None:
            from rapidocr import RapidOCR

            # rapidocr logs each model it loads at INFO through its own handler.
            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            _reader = RapidOCR(params=params())
        return _reader


def read_text(data: bytes, *, turn: int = 0) -> list[Line]:
    """The lines of text on an image (stored bytes) turned `turn` degrees to be upright, in reading
    order; their boxes in the pixels of the image as stored."""
    rgb = decode_rgb(data, turn)
    result = get_reader()(np.ascontiguousarray(rgb[:, :, ::-1]))  # the models take BGR
    if result.txts is None:
        return []
    lines = [
        Line(text, round(float(score), 3), np.asarray(box).round().astype(int).tolist())
        for text, score, box in zip(result.txts, result.scores, result.boxes)
        if text.strip()
    ]
    lines = _reading_order(lines)
    if turn:
        for line in lines:
            line.box = unturn_points(line.box, turn, (rgb.shape[1], rgb.shape[0]))
    return lines


def _reading_order(lines: list[Line]) -> list[Line]:
    """Top to bottom, and left to right within a row (a row: centres within half a line's height),
    along the page's own lines: a page photographed at a tilt is read in the order it is printed."""
    angle = tilt(lines)
    levelled = []  # (centre height, left edge, height) of each line's box turned back by the tilt
    for line in lines:
        xs, ys = zip(*level(line.box, angle))
        levelled.append((sum(ys) / 4, xs[0], max(ys) - min(ys), line))
    rows: list[list[tuple]] = []
    for item in sorted(levelled, key=lambda item: item[:2]):
        if rows and abs(item[0] - rows[-1][0][0]) < rows[-1][0][2] / 2:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [item[3] for row in rows for item in sorted(row, key=lambda item: item[1])]


def level(box, angle: float) -> list[tuple[float, float]]:
    """A box's corners turned back by the page's tilt (`angle`: tilt()), so that its lines run level."""
    cos, sin = math.cos(angle), math.sin(angle)
    return [(x * cos + y * sin, y * cos - x * sin) for x, y in box]


def tilt(lines: list[Line]) -> float:
    """The page's tilt (radians, clockwise as the image is drawn): the median slope of the top
    edges of its wide lines (at least twice as long as high); 0 without any."""
    slopes = []
    for line in lines:
        (x0, y0), (x1, y1), _, (x3, y3) = line.box
        if math.hypot(x1 - x0, y1 - y0) >= 2 * math.hypot(x3 - x0, y3 - y0):
            slopes.append(math.atan2(y1 - y0, x1 - x0))
    return float(np.median(slopes)) if slopes else 0.0


def read_upright(data: bytes) -> tuple[int, list[Line]]:
    """The turn that makes a page upright when no portrait tells it (a card's back), and its lines.

    Read as it is first. Lines that are mostly tall mean the page is turned a quarter turn: the
    detector finds lines whatever their direction, and rapidocr turns a tall line a quarter turn
    to read it, which rights it for one of the two quarter turns (read surely) and not the other.
    Wide lines read unsurely mean a half turn, or a poor photo. Only then is the page read again,
    turned as that says (the other quarter turn next if still unsure: at most three readings), and
    the surest reading kept."""
    best = (0, read_text(data))
    lines = best[1]
    tall = sum(1 if _height(line) > _width(line) else -1 for line in lines if _elongated(line)) > 0
    if not lines or (not tall and sureness(lines) >= SURE_READING):
        return best
    turns = ((90, 270) if sureness(lines) >= SURE_READING else (270, 90)) if tall else (180,)
    for turn in turns:
        lines = read_text(data, turn=turn)
        if _weight(lines) > _weight(best[1]) or (tall and best[0] == 0):
            best = (turn, lines)
        if sureness(lines) >= SURE_READING:
            break
    return best


def sureness(lines: list[Line]) -> float:
    """The lines' mean score, each character counted once."""
    return _weight(lines) / max(1, sum(len(line.text) for line in lines))


def _weight(lines: list[Line]) -> float:
    return sum(len(line.text) * line.score for line in lines)


def _elongated(line: Line) -> bool:
    return max(_height(line), _width(line)) >= 1.5 * min(_height(line), _width(line))


def _width(line: Line) -> float:
    xs = [x for x, _y in line.box]
    return max(xs) - min(xs)


def _height(line: Line) -> float:
    ys = [y for _x, y in line.box]
    return max(ys) - min(ys)
