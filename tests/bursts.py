"""Challenge bursts made from the real fixture photos.

obama_1 faces the camera (yaw ~0.02); obama_2 is turned to his right (yaw ~-0.43);
mirrored, obama_2 is turned to his left (~+0.42). Small shifts make the frames differ
the way a live camera's do.
"""

import io

from PIL import Image, ImageOps

from tests.conftest import face


def frame(name, *, mirror=False, shift=0, size=640) -> bytes:
    im = Image.open(face(name)).convert("RGB")
    im.thumbnail((size, size))
    if mirror:
        im = ImageOps.mirror(im)
    if shift:
        im = im.rotate(0, translate=(shift, 0))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def frontal(n=3, person="obama_1"):
    return [frame(person, shift=2 * i) for i in range(n)]


def turned_right(n=2):
    return [frame("obama_2", shift=3 * i) for i in range(n)]


def turned_left(n=2):
    return [frame("obama_2", mirror=True, shift=3 * i) for i in range(n)]


def burst(moves) -> list[bytes]:
    """Frontal frames, then each requested turn with a glance back at the camera between them."""
    frames = frontal(3)
    for move in moves:
        frames += turned_left() if move == "turn_left" else turned_right()
        frames += frontal(1)
    return frames
