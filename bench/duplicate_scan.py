"""The face index (onboarding/services/faces/index.py) at N stored, encrypted templates: the time to
build it from the store, the memory it holds, and one search as the duplicate scan makes it (a
look for templates stored since, the exact search, the matches confirmed in the store).

Uses DATABASE_URL when set (PostgreSQL for the real figure), else a throwaway SQLite file; the
templates are random vectors of a dlib embedding's norm, which cost the index exactly what real ones do.

    python bench/duplicate_scan.py [--sizes 10000,100000,1000000] [--searches 50]
"""

import argparse
import gc
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from common import percentile, placeholder_photo, report, setup_django  # noqa: E402

BATCH = 10_000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def store(count, rng):
    """`count` more photos with an analysis and an encrypted embedding (one applicant per 100)."""
    from datetime import timedelta

    from django.utils import timezone

    from onboarding.models import Applicant, Photo, PhotoAnalysis
    from onboarding.services.applicant.analysis import encode_embedding

    done = 0
    while done < count:
        batch = min(BATCH, count - done)
        applicants = Applicant.objects.bulk_create([Applicant() for _ in range(max(1, batch // 100))])
        photos = Photo.objects.bulk_create(
            [placeholder_photo(applicants[i % len(applicants)], "selfie") for i in range(batch)]
        )
        vectors = rng.normal(size=(batch, 128))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) / 0.6  # dlib embeddings have norm ~0.6
        stored_at = timezone.now() - timedelta(hours=1)  # a store in use: taken up long ago
        PhotoAnalysis.objects.bulk_create(
            [
                PhotoAnalysis(
                    photo=p,
                    applicant_id=p.applicant_id,
                    has_embedding=True,
                    embedding=encode_embedding(p.pk, v),
                    embedded_at=stored_at,
                )
                for p, v in zip(photos, vectors)
            ]
        )
        done += batch


def main():
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from onboarding.services.faces import index

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--searches", type=int, default=50)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from onboarding.models import PhotoAnalysis

    rng = np.random.default_rng(7)
    stored, rows = PhotoAnalysis.objects.filter(has_embedding=True).count(), []  # a store kept from a run before
    for size in sorted(int(n) for n in args.sizes.split(",")):
        if size < stored:
            continue
        store(size - stored, rng)
        stored = size
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # as autovacuum would have: the planner's statistics
                cursor.execute("ANALYZE onboarding_photoanalysis")
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        built = index.FaceIndex().build()
        build_s = time.perf_counter() - started
        held = rss_mb() - before
        probes = rng.normal(size=(args.searches + 3, 128))
        probes /= np.linalg.norm(probes, axis=1, keepdims=True) / 0.6
        timings, exact = [], []
        for i, probe in enumerate(probes):
            started = time.perf_counter()
            built.nearest(probe, max_distance=0.45, exclude_applicant=uuid.uuid4())
            took = time.perf_counter() - started
            started = time.perf_counter()
            built._scan(probe.astype(np.float32), 0.45, 10, None)
            if i >= 3:  # warm-up
                timings.append(took * 1000)
                exact.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "templates": size,
                "build_s": round(build_s, 1),
                "rss_mb": round(held),
                "arrays_mb": round(built.bytes_held / 2**20),
                "search_p50_ms": round(percentile(timings, 50), 1),
                "search_p95_ms": round(percentile(timings, 95), 1),
                "exact_part_p50_ms": round(percentile(exact, 50), 1),
            }
        )
        del built
        gc.collect()
    report(
        "duplicate_scan",
        f"face index on {connection.vendor}: build, memory, one search (aims at 1M: p95 ≤ 50 ms, build ≤ 60 s, "
        "≤ 1 GiB)",
        ["templates", "build_s", "rss_mb", "arrays_mb", "search_p50_ms", "search_p95_ms", "exact_part_p50_ms"],
        rows,
        database=connection.vendor,
    )


if __name__ == "__main__":
    main()
