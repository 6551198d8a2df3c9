"""The admin's list pages at a million checks on PostgreSQL: queries per page (constant in the page
size) and page time.

Fills a database with N verifications of 4 checks each (1,000,000 checks at the default 250,000),
cloning one real case row by row in SQL (generate_series), so every column holds a realistic value.
Then asks the verification list, the review queue and the check list, at two page sizes and with a
filter, as a superuser, through Django's test client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyc_bench python bench/admin_scale.py [--cases 250000]
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import create_database, percentile, report, setup_django  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc_bench")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")


def clone(model, template_pk, count, overrides):
    """INSERT count copies of one row; overrides: column -> SQL expression of g (1..count)."""
    from django.db import connection

    table = model._meta.db_table
    columns = [
        f.column
        for f in model._meta.concrete_fields
        if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"))
    ]
    select = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
            f'SELECT {select} FROM "{table}" t, generate_series(1, %s) g WHERE t."{model._meta.pk.column}" = %s',
            [count, template_pk],
        )


def fill(cases):

    from onboarding.models import Applicant, Check, Decision, Photo, Verification
    from tests.factories import submitted_verification

    if Check.objects.count() >= cases * 4:
        return
    from kyc.celery import app

    app.conf.task_always_eager = True  # the template case is processed here, by the local engine
    template = submitted_verification()
    template.refresh_from_db()
    checks = list(template.checks.order_by("created_at"))
    decision = template.decisions.first()
    uid = "md5('{p}' || g)::uuid"
    ago = "now() - (g || ' seconds')::interval"
    started = time.perf_counter()
    clone(Applicant, template.applicant_id, cases, {"id": uid.format(p="a"), "created_at": ago})
    for kind, photo in (("s", template.selfie), ("c", template.id_card)):
        clone(Photo, photo.pk, cases, {"id": uid.format(p=kind), "applicant_id": uid.format(p="a"), "created_at": ago})
    statuses = (
        "(ARRAY['approved','approved','approved','approved','approved','rejected','rejected',"
        "'needs_review','needs_review','needs_review'])[g %% 10 + 1]"
    )
    clone(
        Verification,
        template.pk,
        cases,
        {
            "id": uid.format(p="v"),
            "applicant_id": uid.format(p="a"),
            "selfie_id": uid.format(p="s"),
            "id_card_id": uid.format(p="c"),
            "submitted_at": ago,
            "updated_at": ago,
            "status": statuses,
            "decided_at": ago,
            "assigned_to_id": "NULL",
            "assigned_at": "NULL",
        },
    )
    for i, check in enumerate(checks[:4]):
        vendors = "(ARRAY['local','baidu','acedata','tencent'])[g %% 4 + 1]"
        clone(
            Check,
            check.pk,
            cases,
            {
                "id": f"md5('k{i}' || g)::uuid",
                "request_id": f"md5('r{i}' || g)::uuid",
                "verification_id": uid.format(p="v"),
                "created_at": ago,
                "vendor": vendors if i else "'local'",
                "score": "(g %% 100)::float",
                "passed": "g %% 7 <> 0",
            },
        )
    outcome = (
        "CASE (g %% 10) WHEN 5 THEN 'reject' WHEN 6 THEN 'reject' WHEN 7 THEN 'review' WHEN 8 THEN 'review' "
        "WHEN 9 THEN 'review' ELSE 'approve' END"
    )
    clone(Decision, decision.pk, cases, {"verification_id": uid.format(p="v"), "created_at": ago, "outcome": outcome})
    print(f"filled {cases} cases, {Check.objects.count()} checks in {time.perf_counter() - started:.0f} s")


def measure(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return queries, round(percentile(times, 50)), round(percentile(times, 95))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    create_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from onboarding.admin import cases as case_admin
    from onboarding.models import Check, ReviewReason

    assert connection.vendor == "postgresql", "this benchmark is about PostgreSQL: set DATABASE_URL"
    call_command("migrate", verbosity=0)
    ReviewReason.seed()
    fill(args.cases)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh statistics and visibility maps, as autovacuum keeps them
    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_superuser(
        "bench", "bench@example.com", "bench-password"
    )
    client = Client()
    client.force_login(user)
    pages = [
        ("verification list", "/admin/onboarding/verification/", "VerificationAdmin"),
        ("verification list, rejected", "/admin/onboarding/verification/?status__exact=rejected", "VerificationAdmin"),
        ("review queue", "/admin/onboarding/reviewcase/", "ReviewQueueAdmin"),
        ("review queue, vendor baidu", "/admin/onboarding/reviewcase/?vendor=baidu", "ReviewQueueAdmin"),
        ("check list", "/admin/onboarding/check/", "CheckAdmin"),
        ("check list, vendor tencent", "/admin/onboarding/check/?vendor=tencent", "CheckAdmin"),
    ]
    rows = []
    for label, url, admin_name in pages:
        admin_class = getattr(case_admin, admin_name)
        original = admin_class.list_per_page
        for per_page in (25, 100):
            admin_class.list_per_page = per_page
            queries, p50, p95 = measure(client, url, args.runs)
            rows.append({"page": label, "rows": per_page, "queries": queries, "p50_ms": p50, "p95_ms": p95})
        admin_class.list_per_page = original
    report(
        "admin_scale",
        f"admin list pages at {Check.objects.count():,} checks on PostgreSQL",
        ["page", "rows", "queries", "p50_ms", "p95_ms"],
        rows,
        checks=Check.objects.count(),
    )


if __name__ == "__main__":
    main()
