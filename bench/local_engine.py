"""The local engine on one core: one photo's analysis (vendors.analysis: decoding, BlazeFace's
proposals and HOG's confirmation on the 640-px grey copy, landmarks, the quality measures), without
and with the largest face's embedding, and its decoding and detection alone (what any analysis
costs at least), on a stored selfie and a stored ID card; a selfie as a phone sends it (2,000 px,
the face filling the frame); a selfie turned a quarter turn and a photo without a face (each has the
other three turns tried); and the cost of verifying one active-liveness burst.

    python bench/local_engine.py [--runs 20]
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: no BLAS thread pool either
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, percentile, report, setup_django  # noqa: E402


def timed(fn, runs):
    fn()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(percentile(times, 50), 1), round(percentile(times, 95), 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    setup_django(database=False)
    sys.path.insert(0, str(ROOT))
    from onboarding.services.applicant.images import normalize_image
    from tests.bursts import burst, frame
    from tests.conftest import face_bytes, id_card_bytes, jpeg_bytes, selfie_from_afar
    from tests.documents import pages
    from vendors.analysis import analyse
    from vendors.engine import decode_image, detection_copy, get_engine
    from vendors.liveness import verify_burst

    def detected(data):  # what any analysis costs at least: the copies, BlazeFace and HOG, landmarks
        image = decode_image(data)
        return get_engine().detect(np.asarray(image), detection_copy(image.convert("L")))

    selfie = normalize_image(face_bytes("obama_1"))  # as stored: 910 x 1137
    card = normalize_image(id_card_bytes("obama_2"))  # 976 x 660 with the table around it
    rows = []
    for name, image, is_selfie in (("selfie", selfie, True), ("ID card", card, False)):
        name = f"{name} {image.width} x {image.height}"
        assert len(analyse(image.data, selfie=is_selfie).faces) == 1
        p50, p95 = timed(lambda: detected(image.data), args.runs)
        rows.append({"work": f"{name}: decoding and detection alone (no measures)", "p50_ms": p50, "p95_ms": p95})
        p50, p95 = timed(lambda: analyse(image.data, selfie=is_selfie, embedding=False), args.runs)
        rows.append({"work": f"{name}: analysis (what a quality check needs)", "p50_ms": p50, "p95_ms": p95})
        p50, p95 = timed(lambda: analyse(image.data, selfie=is_selfie), args.runs)
        rows.append({"work": f"{name}: analysis with the embedding", "p50_ms": p50, "p95_ms": p95})
    # Photos without an upright face: the three other turns are tried (engine.FaceEngine.locate), and
    # on a selfie or a card's front of more than 1,280 px the stored pixels are searched for a small face.
    turned = normalize_image(jpeg_bytes(Image.open(io.BytesIO(selfie.data)).rotate(90, expand=True)))
    faceless = normalize_image(pages.photograph(pages.cn_back(pages.Person())))
    # A selfie as a phone sends it, stored at 2,000 px with the face filling the frame (enlarged
    # from a test photo: the fixtures are smaller).
    phone = Image.open(io.BytesIO(face_bytes("biden_2"))).resize((2400, 2400), Image.LANCZOS)
    phone_selfie = normalize_image(jpeg_bytes(phone, quality=92))
    # A card spanning a quarter of a 4:3 phone photo's width, stored at 2,000 px.
    far_card = normalize_image(pages.from_afar(pages.cn_front(pages.Person(), face="obama_2.jpg"), 0.25))
    assert len(analyse(far_card.data, selfie=False, embedding=False).faces) == 1
    # A selfie taken from afar, stored at 2,000 x 1,500, its face about 100 px; and one without a face.
    far_selfie = normalize_image(selfie_from_afar("obama_1", 100))
    far_back = normalize_image(pages.from_afar(pages.cn_back(pages.Person()), 0.25))
    assert len(analyse(far_selfie.data, selfie=True, embedding=False).faces) == 1
    for name, image, is_selfie in (
        ("selfie as a phone sends it, the face 810 px", phone_selfie, True),
        ("selfie turned a quarter turn", turned, True),
        ("a card's back sent as its front (no face)", faceless, False),
        ("selfie from afar, the face 100 px", far_selfie, True),
        ("a card's back from afar sent as a selfie (no face)", far_back, True),
        ("ID card from afar, a quarter of the width", far_card, False),
        ("a card's back from afar sent as its front (no face)", far_back, False),
    ):
        name = f"{name} {image.width} x {image.height}"
        p50, p95 = timed(lambda: analyse(image.data, selfie=is_selfie, embedding=False), args.runs)
        rows.append({"work": f"{name}: analysis (what a quality check needs)", "p50_ms": p50, "p95_ms": p95})
    moves = ["turn_left", "turn_right"]
    frames = burst(moves)
    verdict = verify_burst(moves, frames, frame("obama_1"))
    assert verdict.passed, verdict.reasons
    p50, p95 = timed(lambda: verify_burst(moves, frames, frame("obama_1")), max(3, args.runs // 4))
    rows.append(
        {
            "work": f"active liveness: one burst of {len(frames)} frames + selfie",
            "p50_ms": p50,
            "p95_ms": p95,
            "per_frame_ms": round(p50 / (len(frames) + 1), 1),
        }
    )
    report(
        "local_engine",
        f"local engine (dlib) on one core, {args.runs} runs",
        ["work", "p50_ms", "p95_ms", "per_frame_ms"],
        rows,
    )


if __name__ == "__main__":
    main()
