"""Make realistic test ID cards from real face photos with Pillow.

The portrait is small, flat and compressed, as on a real card: a face crop on
the left, printed text on the right, a slight perspective and JPEG re-encoding.
"""

import io
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from vendors.engine import decode_rgb, get_engine

CARD_SIZE = (856, 540)  # ISO/IEC 7810 ID-1, 85.6 x 54 mm at 10 px/mm


def portrait_crop(photo: Image.Image) -> Image.Image:
    """Head-and-shoulders crop around the largest face, 3:4 like a passport photo."""
    buf = io.BytesIO()
    photo.convert("RGB").save(buf, "JPEG", quality=95)
    faces = get_engine().faces(decode_rgb(buf.getvalue()), embeddings=False)
    if not faces:
        raise ValueError("no face to put on the card")
    f = faces[0]
    cx, cy = (f.left + f.right) / 2, (f.top + f.bottom) / 2
    h = f.height * 2.2
    w = h * 3 / 4
    box = (int(cx - w / 2), int(cy - h * 0.45), int(cx + w / 2), int(cy + h * 0.55))
    return photo.crop(box)


def make_id_card(photo_path, *, name="ZHANG SAN", seed=0, quality=72, perspective=True) -> bytes:
    rnd = random.Random(seed)
    card = Image.new("RGB", CARD_SIZE, (214, 229, 240))
    draw = ImageDraw.Draw(card)
    draw.rectangle([0, 0, CARD_SIZE[0], 70], fill=(36, 84, 140))
    font = ImageFont.load_default(size=28)
    small = ImageFont.load_default(size=22)
    draw.text((24, 18), "IDENTITY CARD", fill="white", font=font)
    with Image.open(photo_path) as photo:
        portrait = portrait_crop(photo).resize((240, 320), Image.LANCZOS)
    card.paste(portrait, (40, 120))
    lines = [
        ("Name", name),
        ("Sex", rnd.choice(["M", "F"])),
        ("Born", f"19{rnd.randint(50, 99)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"),
        ("No.", "".join(str(rnd.randint(0, 9)) for _ in range(18))),
    ]
    y = 130
    for label, value in lines:
        draw.text((320, y), label, fill=(90, 90, 90), font=small)
        draw.text((420, y), value, fill=(20, 20, 20), font=font)
        y += 70
    card = card.filter(ImageFilter.GaussianBlur(0.6))
    if perspective:
        # A hand-held shot: the card slightly keystoned on a darker table.
        w, h = CARD_SIZE
        canvas = Image.new("RGB", (w + 120, h + 120), (70, 64, 58))
        d = rnd.randint(8, 20)
        coeffs = _perspective_coeffs(
            [(0, 0), (w, 0), (w, h), (0, h)], [(d, 0), (w - d, d // 2), (w, h), (0, h - d // 2)]
        )
        warped = card.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=(70, 64, 58))
        canvas.paste(warped, (60, 60))
        card = canvas
    out = io.BytesIO()
    card.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _perspective_coeffs(dst, src):
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for p in src for c in p], dtype=float)
    return np.linalg.solve(a, b).tolist()
