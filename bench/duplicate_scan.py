"""Measure the duplicate-face scan (onboarding/services/duplicates.py): time to match one face
against N stored, encrypted templates, as the scan task does for each photo of a new case.

Uses DATABASE_URL when set (PostgreSQL for the real figure), else a throwaway SQLite file; the
templates are random unit vectors, which costs the scan exactly what real ones do.

    python bench/duplicate_scan.py [--sizes 10000,50000,100000]
"""

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from common import report, setup_django  # noqa: E402


def main():
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from onboarding.models import Applicant, Photo, PhotoAnalysis
    from onboarding.services.applicant.analysis import encode_embedding
    from onboarding.services.pipeline import duplicates

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000,100000")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(7)
    stored, rows = 0, []
    for size in sorted(int(n) for n in args.sizes.split(",")):
        while stored < size:
            batch = min(5000, size - stored)
            applicants = Applicant.objects.bulk_create([Applicant() for _ in range(batch)])
            photos = Photo.objects.bulk_create(
                [
                    Photo(
                        id=uuid.uuid4(),
                        applicant=a,
                        kind="selfie",
                        file="bench",
                        sha256=uuid.uuid4().hex,
                        source_sha256=uuid.uuid4().hex,
                        source_format="JPEG",
                        source_size=1,
                        content_type="image/jpeg",
                        size=1,
                        width=1,
                        height=1,
                    )
                    for a in applicants
                ]
            )
            vectors = rng.normal(size=(batch, 128))
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) / 0.6  # dlib embeddings have norm ~0.6
            PhotoAnalysis.objects.bulk_create(
                [
                    PhotoAnalysis(
                        photo=p, applicant=p.applicant, has_embedding=True, embedding=encode_embedding(p.pk, v)
                    )
                    for p, v in zip(photos, vectors)
                ]
            )
            stored += batch
        probe = rng.normal(size=128)
        probe /= np.linalg.norm(probe) / 0.6
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            duplicates.nearest_faces(probe, exclude_applicant=uuid.uuid4(), max_distance=0.45)
            timings.append(time.perf_counter() - started)
        rows.append(
            {"templates": size, "best_s": round(min(timings), 3), "per_100k_s": round(min(timings) * 1e5 / size, 3)}
        )
    report(
        "duplicate_scan",
        f"duplicate-face scan on {connection.vendor}",
        ["templates", "best_s", "per_100k_s"],
        rows,
        database=connection.vendor,
    )


if __name__ == "__main__":
    main()
