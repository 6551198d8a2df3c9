"""Sanctions screening at N list entries: importing a generated list, and screening one person
against it (candidates by key in the database, then fuzzy scoring), p50 and p95.

The list is generated as tests/screening/generated.py makes it (Latin names, Arabic names in
several transliterations, Han names with their pinyin, aliases, birth dates, nationalities) and
written as OpenSanctions FollowTheMoney JSON lines, then imported by the same service as
`kyc_screening import`. The people screened are half on the list (spelt another way), half not.
Uses DATABASE_URL when set (PostgreSQL for the real figures), else a throwaway SQLite file.

    python bench/screening.py [--sizes 10000,100000,1000000] [--searches 200]
    python bench/screening.py --rescreen 100000 [--changed 5000]

--rescreen N: N approved customers (declared name and date of birth, encrypted as the app keeps
them), then a new version of the list that changes `--changed` entries and adds as many; the time
to screen every customer against them (services.screening.ongoing, batch after batch, in this one
process: workers share the batches out).
"""

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile, placeholder_photo, report, setup_django  # noqa: E402


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


SYLLABLES = ["ka", "ren", "lo", "mi", "sa", "tor", "vin", "el", "da", "ni", "bo", "rus", "fe", "lix", "an", "ja"]


def _made_up(rnd) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4))).capitalize()


def customers(count, sample, seed=13):
    """`count` approved cases with declared identities; one in a hundred is on the list."""
    import json as _json
    import uuid

    from onboarding import encryption
    from onboarding.models import Applicant, DeclaredIdentity, Photo, Verification
    from onboarding.selectors.identity import declared_name

    rnd = random.Random(seed)
    done = 0
    while done < count:
        n = min(5000, count - done)
        applicants = Applicant.objects.bulk_create([Applicant(id=uuid.uuid4()) for _ in range(n)])
        photos = Photo.objects.bulk_create(
            [placeholder_photo(a, kind) for a in applicants for kind in ("selfie", "id_card")]
        )
        declared = []
        for a in applicants:
            if rnd.random() < 0.01:
                p = rnd.choice(sample)
                data = {"full_name": p["names"][0], "date_of_birth": p["dob"]}
            else:  # not the list's few hundred names over again: names made of syllables
                data = {
                    "full_name": f"{_made_up(rnd)} {_made_up(rnd)}",
                    "date_of_birth": f"{rnd.randint(1950, 2004)}-05-05",
                }
            blob = encryption.encrypt(_json.dumps(data).encode(), name=declared_name(a.pk))
            declared.append(DeclaredIdentity(applicant=a, data=blob))
        DeclaredIdentity.objects.bulk_create(declared)
        Verification.objects.bulk_create(
            [
                Verification(applicant=a, selfie=photos[2 * i], id_card=photos[2 * i + 1], status="approved")
                for i, a in enumerate(applicants)
            ]
        )
        done += n


def rescreen(args):
    """Customers against a changed list version: the whole re-screen's time."""
    from django.db import connection

    from onboarding.models import ScreeningSource
    from onboarding.services.compliance import audit
    from onboarding.services.pipeline import rescreen as ongoing
    from onboarding.services.screening import lists

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.ftm.json"
        sample = write_list(path, args.list_size)
        with open(path, "rb") as f:
            lists.import_file(f, source="bench", actor=audit.Actor.system("bench"))
        customers(args.rescreen, sample)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # The next version: `changed` entries get an alias, as many new ones appear.
        changed_path = Path(tmp) / "list2.ftm.json"
        with open(path) as src, open(changed_path, "w") as out:
            for i, line in enumerate(src):
                if i < args.changed:
                    entity = json.loads(line)
                    entity["properties"]["alias"] = entity["properties"].get("alias", []) + [f"Alias {i}"]
                    line = json.dumps(entity) + "\n"
                out.write(line)
        with open(changed_path, "a") as out:
            rnd = random.Random(5)
            from tests.screening.generated import person

            for i in range(args.changed):
                p = person(rnd, args.list_size + i)
                props = {
                    "name": p["names"][:1],
                    "alias": p["names"][1:],
                    "birthDate": [p["dob"]],
                    "nationality": [p["nat"]],
                }
                out.write(json.dumps({"id": p["id"], "schema": "Person", "properties": props}) + "\n")
        with open(changed_path, "rb") as f:
            version = lists.import_file(f, source="bench", actor=audit.Actor.system("bench"))
    source = ScreeningSource.objects.get(name="bench")
    started, after, batches = time.perf_counter(), None, 0
    while True:
        after = ongoing.rescreen_batch(source.pk, source.version, after)
        batches += 1
        if after is None:
            break
    seconds = time.perf_counter() - started
    from onboarding.models import ScreeningHit

    row = {
        "customers": args.rescreen,
        "list_entries": args.list_size + args.changed,
        "changed_and_added": version.added + version.changed,
        "batches": batches,
        "rescreen_s": round(seconds, 1),
        "per_customer_ms": round(1000 * seconds / args.rescreen, 2),
        "new_hits": ScreeningHit.objects.count(),
    }
    report(
        "screening_rescreen",
        f"re-screening approved customers against a changed list ({connection.vendor})",
        list(row),
        [row],
    )


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
    parser.add_argument("--rescreen", type=int, default=0, help="customers to re-screen (instead of searches)")
    parser.add_argument("--list-size", type=int, default=100000)
    parser.add_argument("--changed", type=int, default=5000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from onboarding.services import dispatch

    dispatch.rescreen_after_commit = lambda *args: None  # the re-screen is run (and timed) here, not queued
    if args.rescreen:
        rescreen(args)
        return
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
