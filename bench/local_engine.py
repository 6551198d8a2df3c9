"""The local engine on one core: time per face for detection, and for detection + landmarks +
embedding, on a selfie and on an ID card; and the cost of verifying one active-liveness burst.

    python bench/local_engine.py [--runs 20]
"""

import argparse
import os
import sys
import time
from pathlib import Path

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
    from tests.bursts import burst, frame
    from tests.conftest import id_card_bytes
    from vendors.engine import decode_rgb, get_engine
    from vendors.liveness import verify_burst

    engine = get_engine()
    selfie = decode_rgb(frame("obama_1"))  # 640 px, as the page captures it
    card = decode_rgb(id_card_bytes("obama_2"))  # 976 x 660 with the table around it
    rows = []
    for name, rgb in (("selfie 640 px", selfie), (f"ID card {card.shape[1]} px", card)):
        assert len(engine.faces(rgb, embeddings=False)) == 1
        p50, p95 = timed(lambda: engine.faces(rgb, embeddings=False), args.runs)
        rows.append({"work": f"{name}: detection", "p50_ms": p50, "p95_ms": p95})
        p50, p95 = timed(lambda: engine.faces(rgb), args.runs)
        rows.append({"work": f"{name}: detection + landmarks + embedding", "p50_ms": p50, "p95_ms": p95})
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
