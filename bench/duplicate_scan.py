"""Measure the duplicate-face scan (onboarding/services/duplicates.py): time to match one face
against N stored, encrypted templates, as the scan task does for each photo of a new case.

Uses DATABASE_URL when set (PostgreSQL for the real figure), else a throwaway SQLite file; the
templates are random unit vectors, which costs the scan exactly what real ones do.

    python bench/duplicate_scan.py [--sizes 10000,50000,100000] [--json bench/results/duplicate_scan.json]
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyc.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("KYC_VAR_DIR", tempfile.mkdtemp(prefix="kyc-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{os.environ['KYC_VAR_DIR']}/bench.sqlite3")

import numpy as np  # noqa: E402


def main():
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from onboarding.models import Applicant, FaceTemplate, Photo
    from onboarding.services import duplicates

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--json", type=Path, default=Path("bench/results/duplicate_scan.json"))
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(7)
    stored, rows = 0, []
    for size in sorted(int(n) for n in args.sizes.split(",")):
        while stored < size:
            batch = min(5000, size - stored)
            applicants = Applicant.objects.bulk_create([Applicant() for _ in range(batch)])
            photos = Photo.objects.bulk_create([
                Photo(id=uuid.uuid4(), applicant=a, kind="selfie", file="bench", sha256=uuid.uuid4().hex,
                      source_sha256=uuid.uuid4().hex, source_format="JPEG", source_size=1, content_type="image/jpeg",
                      size=1, width=1, height=1) for a in applicants])
            vectors = rng.normal(size=(batch, duplicates.DIMENSIONS))
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) / 0.6  # dlib embeddings have norm ~0.6
            FaceTemplate.objects.bulk_create([
                FaceTemplate(photo=p, applicant=p.applicant, face_found=True, embedding=duplicates.encode(p.pk, v))
                for p, v in zip(photos, vectors)])
            stored += batch
        probe = rng.normal(size=duplicates.DIMENSIONS)
        probe /= np.linalg.norm(probe) / 0.6
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            duplicates.nearest_faces(probe, exclude_applicant=uuid.uuid4(), max_distance=0.45)
            timings.append(time.perf_counter() - started)
        rows.append({"templates": size, "best_s": round(min(timings), 3), "per_100k_s": round(min(timings) * 1e5 / size, 3)})
    result = {"database": connection.vendor, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}", "rows": rows}
    print(f"duplicate-face scan on {result['database']} ({result['machine']})")
    print(f"{'templates':>10} {'one face (s)':>13} {'per 100k (s)':>13}")
    for row in rows:
        print(f"{row['templates']:>10} {row['best_s']:>13} {row['per_100k_s']:>13}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
