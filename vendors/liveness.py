"""Active liveness for the local engine: did the head turn as the challenge asked?

A challenge is a random order of head turns. The browser sends a short burst of
frames while the applicant follows it. From dlib's five landmarks (eye corners, base of
the nose) we read the head's yaw in each frame (yaw() below); from its embeddings,
whether every frame shows the same person and whether that person is the one in the
selfie. Turning to the applicant's own left moves the nose towards the right of the
(unmirrored) camera image, which makes yaw grow.

Known limit: a printed photo turned in front of the camera foreshortens like a head
does. Geometry alone cannot tell them apart; the passive checks and vendors exist for that.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .analysis import Analysis, analyse
from .engine import IMAGE_WORK, decode_rgb, get_engine

MOVES = {"turn_left": 1.0, "turn_right": -1.0}
YAW_DELTA = 0.10  # a turn counts when yaw moves this far from where the burst started (a clear turn: ~0.2)
SAME_FACE_DISTANCE = 0.55  # between frames of one burst (dlib tolerance 0.6, a little stricter)
SELFIE_DISTANCE = 0.55
STILL_PIXEL_DIFF = 1.0  # mean absolute difference (0-255) below which two frames are the same picture
MIN_FRAMES, MAX_FRAMES = 6, 15
MIN_FACE_FRAMES = 0.6  # share of frames that must show exactly one face


@dataclasses.dataclass
class BurstVerdict:
    passed: bool
    reasons: list[str]
    metrics: dict


# The outer eye corners and the base of the nose, by landmark model: dlib's 5-point model gives the
# corners of one eye (outer, inner), of the other (outer, inner), then the nose; the 68-point
# model's outer corners are 36 and 45, the base of the nose 33.
FIVE_POINTS = {5: (0, 2, 4), 68: (36, 45, 33)}


def yaw(face) -> float:
    """Where the base of the nose sits between the outer eye corners, along the line through them:
    -1 at the image-left corner, 0 midway (frontal), +1 at the image-right one. A head turned
    towards the right of the image carries the nose that way. Roll cancels out (the projection
    follows the eye line); a clear turn reads about ±0.2."""
    lm = face.landmarks
    one, other, nose = (lm[i] for i in FIVE_POINTS[len(lm)])
    left, right = (one, other) if one[0] <= other[0] else (other, one)
    axis = right - left
    t = float(np.dot(nose - left, axis) / max(float(np.dot(axis, axis)), 1e-6))
    return 2 * t - 1


def random_moves(rng) -> list[str]:
    """Two or three turns, alternating, starting with a random side."""
    first = rng.choice(sorted(MOVES))
    other = "turn_right" if first == "turn_left" else "turn_left"
    return [first, other, first][: rng.choice([2, 3])]


def _moves_seen(yaws: list[float | None], moves: list[str]) -> tuple[int, list[int]]:
    """How many of the moves happened in order, and at which frames."""
    baseline = next((y for y in yaws if y is not None), 0.0)
    seen, at, start = 0, [], 0
    for move in moves:
        sign = MOVES[move]
        for i in range(start, len(yaws)):
            if yaws[i] is not None and sign * (yaws[i] - baseline) >= YAW_DELTA:
                seen, start = seen + 1, i + 1
                at.append(i)
                break
        else:
            break
    return seen, at


def verify_burst(moves: list[str], frames: list[bytes], selfie: Analysis | bytes | None = None) -> BurstVerdict:
    """The burst's verdict; `selfie` (its analysis, or the photo) must show the burst's person."""
    reasons, metrics = [], {"moves": moves, "frames": len(frames)}
    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        return BurstVerdict(False, ["challenge_frame_count"], metrics)
    engine = get_engine()
    with IMAGE_WORK:
        images = [decode_rgb(f) for f in frames]
    diffs = [
        float(np.abs(a.astype(np.int16) - images[0].astype(np.int16)).mean()) if a.shape == images[0].shape else 255.0
        for a in images[1:]
    ]
    metrics["max_pixel_change"] = round(max(diffs), 2)
    if max(diffs) < STILL_PIXEL_DIFF:
        reasons.append("challenge_still_image")

    yaws, embeddings, faces_per_frame = [], [], []
    for rgb in images:
        with IMAGE_WORK:  # frame by frame: other photos' work may go between
            faces = engine.faces(rgb)
        faces_per_frame.append(len(faces))
        if len(faces) == 1:
            yaws.append(round(yaw(faces[0]), 3))
            embeddings.append(faces[0].embedding)
        else:
            yaws.append(None)
    metrics.update(yaw=yaws, faces_per_frame=faces_per_frame)
    if len(embeddings) < MIN_FACE_FRAMES * len(frames):
        reasons.append("challenge_face_missing")
        return BurstVerdict(False, reasons, metrics)

    centre = np.median(np.stack(embeddings), axis=0)
    spread = [float(np.linalg.norm(e - centre)) for e in embeddings]
    pairwise = max(float(np.linalg.norm(a - b)) for a in embeddings for b in embeddings)
    metrics.update(max_distance_to_centre=round(max(spread), 3), max_pairwise_distance=round(pairwise, 3))
    if pairwise > 2 * SAME_FACE_DISTANCE or max(spread) > SAME_FACE_DISTANCE:
        reasons.append("challenge_different_face")

    seen, at = _moves_seen(yaws, moves)
    metrics.update(
        moves_seen=seen,
        move_frames=at,
        yaw_range=[min(y for y in yaws if y is not None), max(y for y in yaws if y is not None)],
    )
    if seen < len(moves):
        reasons.append("challenge_moves_not_seen")

    if selfie is not None:
        if isinstance(selfie, bytes):
            selfie = analyse(selfie, selfie=True)
        if not selfie.complete:
            raise ValueError("the selfie's analysis has no embedding")
        if selfie.embedding is None:
            reasons.append("challenge_selfie_mismatch")
        else:
            d = float(np.linalg.norm(selfie.embedding - centre))
            metrics["selfie_distance"] = round(d, 3)
            if d > SELFIE_DISTANCE:
                reasons.append("challenge_selfie_mismatch")
    return BurstVerdict(not reasons, reasons, metrics)
