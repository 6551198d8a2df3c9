"""One analysis per photo: what the local engine sees in it, made once and reused by every check.

The faces (box and landmarks, largest first), the largest face's embedding (made when a check first
needs it: a quality check does not), and the measures the quality check and the capture page judge
(light, sharpness, the presentation-attack heuristics of a selfie), and for a card the lines of
text on it (vendors.documents.ocr, made when a document check or the capture page first asks).
The pipeline keeps it with the photo, encrypted (onboarding.services.applicant.analysis); here it is
computed and (de)serialized.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .blazeface import proposal_copy
from .documents import ocr
from .documents.outline import card_outline
from .engine import (
    Face,
    decode_image,
    decode_rgb,
    detection_copy,
    get_engine,
    in_turn,
    sharpness,
    turn_points,
    turned,
    unturn_points,
)
from .pad import MEASURE, heuristics


@dataclasses.dataclass
class Analysis:
    engine: str  # FaceEngine.version: an analysis made by another engine is made again
    width: int  # of the photo turned upright: faces, measures and text are of that image
    height: int
    faces: list[Face]
    # brightness; face_sharpness, face_brightness with a face; card_sharpness and card (outline.card_outline) on a card
    measures: dict
    pad: dict | None = None  # vendors.pad.heuristics, for a selfie
    # The lines of text read on it (vendors.documents.ocr.Line), by the OCR of text_engine.
    text: list[ocr.Line] | None = None
    text_engine: str = ""
    # Degrees the stored photo is turned counter-clockwise to be upright (engine.FaceEngine.locate).
    turn: int = 0

    @property
    def has_text(self) -> bool:
        """Its text was read, by the OCR this process runs (a reading by another is made again)."""
        return self.text is not None and self.text_engine == ocr.version()

    @property
    def pad_current(self) -> bool:
        """Its presentation-attack measures are of the kind this code makes (a selfie's)."""
        return self.pad is not None and self.pad.get("measure") == MEASURE

    @property
    def face(self) -> Face | None:
        """The largest face: a card may carry a second, small ghost portrait."""
        return self.faces[0] if self.faces else None

    @property
    def embedding(self) -> np.ndarray | None:
        return self.face.embedding if self.faces else None

    @property
    def complete(self) -> bool:
        """Has everything any check may ask for (the largest face's embedding, when there is a face)."""
        return not self.faces or self.faces[0].embedding is not None

    def as_dict(self) -> dict:
        """Everything but the embedding, which is stored on its own (the duplicate scan reads only it)."""
        return {
            "engine": self.engine,
            "size": [self.width, self.height],
            "faces": [{"box": f.box, "landmarks": f.landmarks.astype(int).tolist()} for f in self.faces],
            "measures": self.measures,
            "pad": self.pad,
            "text": None if self.text is None else [line.as_dict() for line in self.text],
            "text_engine": self.text_engine,
            "turn": self.turn,
        }

    @classmethod
    def from_dict(cls, data: dict, embedding: np.ndarray | None = None) -> Analysis:
        faces = [Face(*f["box"], np.array(f["landmarks"], dtype=np.float32)) for f in data["faces"]]
        if faces and embedding is not None:
            faces[0].embedding = embedding
        text = data.get("text")
        return cls(
            data["engine"],
            *data["size"],
            faces,
            data["measures"],
            data.get("pad"),
            None if text is None else [ocr.Line.from_dict(line) for line in text],
            data.get("text_engine", ""),
            data.get("turn", 0),
        )


@in_turn
def analyse(data: bytes, *, selfie: bool, embedding: bool = True, turns: bool = True) -> Analysis:
    """Decode once, detect on a small grey copy (turning the photo upright when only a turned copy
    has a face, unless turns=False: a card's back has none), measure, and embed the largest face if asked.

    A face too small for the copy (a card photographed from afar, a selfie taken from afar) is looked
    for on the stored pixels (engine.fine_copy), where the quality check's smallest face is as large
    as HOG's window; a back has no portrait to look for."""
    engine = get_engine()
    image = decode_image(data)
    gray = image.convert("L")
    small = detection_copy(gray)
    stored = gray if turns else None
    turn, located = engine.locate(small, turns=turns, stored=stored, colour=proposal_copy(image))
    if turn:
        image, gray, small = turned(image, turn), turned(gray, turn), turned(small, turn)
    rgb = np.asarray(image)
    faces = engine.landmarks(rgb, small, located)
    measures = {"brightness": round(float(np.asarray(small).mean()), 1)}
    if not selfie:  # only a card's quality check judges the whole photo's sharpness
        measures["card_sharpness"] = round(sharpness(gray), 1)
    if faces:
        face = faces[0]
        crop = np.asarray(gray.crop(tuple(face.box)), dtype=np.float32)
        measures.update(face_sharpness=round(sharpness(crop), 1), face_brightness=round(float(crop.mean()), 1))
        if embedding:
            face.embedding = engine.embed(rgb, face)
    if not selfie:  # where the card is in the frame, whatever its layout: the capture page's framing advice
        measures["card"] = card_outline(small)
    h, w = rgb.shape[:2]
    pad = heuristics(rgb, faces[0] if faces else None) if selfie else None
    return Analysis(engine.version, w, h, faces, measures, pad, turn=turn)


@in_turn
def upright_turn(data: bytes) -> int | None:
    """The turn that makes a photo upright, found as an analysis finds it (a card read without one);
    None when no face tells it."""
    image = decode_image(data)
    return get_engine().upright_turn(detection_copy(image.convert("L")), proposal_copy(image))


def card_text(data: bytes, *, portrait: bool = True) -> list[ocr.Line]:
    """The lines on a card read without an analysis: a front turned upright as its portrait is found;
    a back (portrait=False), or a front whose portrait is not found, turned as its text says."""
    turn = upright_turn(data) if portrait else None
    return ocr.read_text(data, turn=turn) if turn is not None else ocr.read_upright(data)[1]


@in_turn
def add_embedding(analysis: Analysis, data: bytes) -> Analysis:
    """The largest face's embedding, for an analysis made without it, from its stored landmarks."""
    if not analysis.complete:
        analysis.faces[0].embedding = get_engine().embed(decode_rgb(data, analysis.turn), analysis.faces[0])
    return analysis


@in_turn
def add_pad(analysis: Analysis, data: bytes) -> Analysis:
    """A selfie's presentation-attack measures made again, for an analysis kept with measures of
    another kind (vendors.pad.MEASURE), on the photo turned upright as its face was found."""
    if not analysis.pad_current:
        analysis.pad = heuristics(decode_rgb(data, analysis.turn), analysis.face)
    return analysis


def add_text(analysis: Analysis, data: bytes, *, portrait: bool = True) -> Analysis:
    """The photo's lines of text, for an analysis made without them (a card's document check), read
    with the photo turned upright as its portrait was found; without one (a card's back, where
    portrait=False, or a front whose portrait was not found), as its text says (the analysis then
    keeps that turn)."""
    if not analysis.has_text:
        if portrait and analysis.faces:
            analysis.text = ocr.read_text(data, turn=analysis.turn)
        else:
            turn, analysis.text = ocr.read_upright(data)
            _turn_to(analysis, turn)
        analysis.text_engine = ocr.version()
    return analysis


def _turn_to(analysis: Analysis, turn: int) -> None:
    """The analysis made of the stored photo turned `turn` degrees (its text's turn) instead of its
    own: size and faces (a back may have a false one: a pattern, a hologram) in that image's pixels."""
    if turn == analysis.turn:
        return
    upright = (analysis.width, analysis.height)
    stored = upright[::-1] if analysis.turn % 180 else upright
    for face in analysis.faces:
        points = unturn_points(face.landmarks, analysis.turn, upright)
        face.landmarks = np.array(turn_points(points, turn, stored), dtype=np.float32)
        corners = [[face.left, face.top], [face.right, face.bottom]]
        xs, ys = zip(*turn_points(unturn_points(corners, analysis.turn, upright), turn, stored))
        face.left, face.top, face.right, face.bottom = min(xs), min(ys), max(xs), max(ys)
    analysis.width, analysis.height = stored[::-1] if turn % 180 else stored
    analysis.turn = turn
