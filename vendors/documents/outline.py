"""Where the card is in a photo: its outline, found by its edges, and the share of the frame it covers.

The capture page tells an applicant to come closer or step back from this, whatever the card's
layout (a portrait large or small, left or right, or none). An ID-1 card is 85.6 x 54 mm (aspect
1.59); a hand-held shot keystones it, so any convex four-sided outline of aspect 1.2 to 2.1 that
fills its bounding rectangle counts. No outline found (a card on a table of the same colour, a
card bent or held in fingers across its edge): nothing is said about the framing.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

ASPECT = (1.2, 2.1)  # long side / short side, ID-1 is 1.59 and TD3's data page 1.42
MIN_SHARE = 0.08  # smaller outlines are taken for print or texture on the card, not the card
RECTANGULAR = 0.85  # the outline's area over its smallest enclosing rectangle's
EDGE_PX = 3  # an outline this close to the frame's border touches it: the card is cut off


def card_outline(gray: Image.Image) -> dict | None:
    """{"share": area of the card / area of the frame, "touches_edge": bool} for the largest
    card-shaped outline in this grey image (the analysis's detection copy), or None."""
    import cv2  # opencv-python-headless, already there for the OCR: imported only here

    g = np.asarray(gray)
    h, w = g.shape[:2]
    edges = cv2.Canny(cv2.GaussianBlur(g, (5, 5), 0), 30, 90)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    best = None
    for contour in contours:
        hull = cv2.convexHull(contour)
        area = cv2.contourArea(hull)
        if area < MIN_SHARE * w * h or (best is not None and area <= best[0]):
            continue
        (_, _), (rw, rh), _ = cv2.minAreaRect(hull)
        if min(rw, rh) < 1 or not ASPECT[0] <= max(rw, rh) / min(rw, rh) <= ASPECT[1]:
            continue
        if cv2.contourArea(contour) < RECTANGULAR * rw * rh and area < RECTANGULAR * rw * rh:
            continue
        best = (area, hull)
    if best is None:
        return None
    area, hull = best
    x, y, bw, bh = cv2.boundingRect(hull)
    touches = x <= EDGE_PX or y <= EDGE_PX or x + bw >= w - EDGE_PX or y + bh >= h - EDGE_PX
    return {"share": round(float(area) / (w * h), 3), "touches_edge": bool(touches)}
