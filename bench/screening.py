"""Sanctions screening at N list entries: importing a generated list, and screening one person
against it (candidates by key in the database, then fuzzy scoring), p50 and p95.

The list is generated as tests/screening/generated.py makes it (Latin names, Arabic names in
several transliterations, Han names with their pinyin, aliases, birth dates, nationalities) and
written as OpenSanctions FollowTheMoney JSON lines, then imported by the same service as
`kyc_screening import`. The people screened are half on the list (spelt another way), half not.
Uses DATABASE_URL when set (PostgreSQL for the real figures), else a throwaway SQLite file.

    python bench/screening.py [--sizes 10000,100000,1000000] [--searches 200]
"""

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile, report, setup_django  # noqa: E402


def write_list(path: Path, size: int, seed=7) -> list[dict]:
    """`size` generated persons as FtM JSON lines; returns a sample of them to screen."""
    from tests.screening.generated import person

    rnd = random.Random(seed)
    sample = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(size):
            p = person(rnd, i)
            if len(sample) < 1000 and rnd.random() < 0.01:
                sample.append(p)
            props = {
                "name": p["names"][:1],
                "alias": p["names"][1:],
                "birthDate": [p["dob"]],
                "nationality": [p["nat"]],
            }
            f.write(json.dumps({"id": p["id"], "schema": "Person", "properties": props, "datasets": ["bench"]}))
            f.write("\n")
    return sample


def probes(sample, count, seed=11):
    from vendors.screening.matching import Person

    rnd = random.Random(seed)
    out = []
    for i in range(count):
        p = rnd.choice(sample)
        if i % 2:  # on the list
            out.append(Person.of(p.get("han") or p["names"][0], p["dob"] if len(p["dob"]) == 10 else "", p["nat"]))
        else:  # not: another given name, born later
            out.append(Person.of(f"Quentin {p['names'][0].split()[-1]}", "2001-02-03", "gb"))
    return out


def main():
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from onboarding.models import ScreeningKey
    from onboarding.services.compliance import audit
    from onboarding.services.policy import versions
    from onboarding.services.screening import lists, search

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    weights = versions.active().screening
    rows = []
    for size in sorted(int(n) for n in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "list.ftm.json"
            sample = write_list(path, size)
            started = time.perf_counter()
            with open(path, "rb") as f:
                lists.import_file(f, source="bench", actor=audit.Actor.system("bench"))
            import_s = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # as autovacuum would have: the planner's statistics
                cursor.execute("ANALYZE onboarding_screeningkey")
                cursor.execute("ANALYZE onboarding_screeningentry")
        people = probes(sample, args.searches)
        for person in people[:10]:  # warm the connection and the caches
            search.screen(person, weights)
        times, found = [], 0
        for person in people:
            started = time.perf_counter()
            found += bool(search.screen(person, weights))
            times.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "entries": size,
                "keys": ScreeningKey.objects.count(),
                "import_s": round(import_s, 1),
                "search_p50_ms": round(percentile(times, 50), 1),
                "search_p95_ms": round(percentile(times, 95), 1),
                "people_with_hits": f"{found}/{len(people)}",
            }
        )
        print(rows[-1], flush=True)
    report(
        "screening",
        f"sanctions screening, one person against N entries ({connection.vendor})",
        ["entries", "keys", "import_s", "search_p50_ms", "search_p95_ms", "people_with_hits"],
        rows,
    )


if __name__ == "__main__":
    main()
