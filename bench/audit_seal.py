"""Sealing the audit trail after a commit, with a large trail already sealed.

Every audited commit seals its new events. Finding them by searching the trail for events without
a seal (an anti-join) reads the whole trail; the sealer now reads a queue of pending events
written in the events' own transactions. This fills a PostgreSQL database with N sealed events
(generate_series), then times, per size: the old search alone, and seal_pending sealing one new
event (median of 20).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyc_bench_audit python bench/audit_seal.py [--events 1000000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import create_database, report, setup_django  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc_bench_audit")


def fill(count):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO onboarding_auditevent (created_at, actor_type, actor, action, from_status, "
            "to_status, data) SELECT now() - interval '1 day', 'system', 'bench', 'bench', '', '', "
            "'{}'::jsonb FROM generate_series(1, %s)",
            [count],
        )
        # Fake links: this measures finding and sealing new events, not verifying the chain.
        cursor.execute(
            "INSERT INTO onboarding_auditseal (seq, event_id, event_hash, prev_hash, hash, sealed_at) "
            "SELECT e.id, e.id, 'bench', 'bench', 'bench', now() FROM onboarding_auditevent e "
            "WHERE NOT EXISTS (SELECT 1 FROM onboarding_auditseal s WHERE s.event_id = e.id)"
        )
        cursor.execute(
            "INSERT INTO onboarding_auditchainhead (id, seq, hash, updated_at) "
            "SELECT 1, max(seq), 'bench', now() FROM onboarding_auditseal "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq"
        )
        cursor.execute("ANALYZE")


def median_ms(fn, runs=20):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="sealed events at the largest size")
    args = parser.parse_args()
    create_database(os.environ["DATABASE_URL"], fresh=True)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from onboarding.models import AuditEvent
    from onboarding.services.compliance import audit, audit_chain

    rows, total = [], 0
    for size in (10_000, 100_000, args.events):
        fill(size - total)
        total = size

        def old_search():
            list(AuditEvent.objects.filter(seal__isnull=True).order_by("id")[: audit_chain.BATCH])

        def record_and_seal():
            audit.record("bench", actor=audit.Actor.system("bench"))  # outside a transaction: sealed at once

        rows.append(
            {
                "sealed_events": size,
                "old_search_ms": median_ms(old_search, 5),
                "record_and_seal_ms": median_ms(record_and_seal),
            }
        )
        total += 20
        if AuditEvent.objects.filter(action="bench", seal__isnull=True).exists():
            raise SystemExit("an event was left unsealed")
    report(
        "audit_seal",
        "audit trail: finding and sealing new events, by trail size (PostgreSQL)",
        ["sealed_events", "old_search_ms", "record_and_seal_ms"],
        rows,
    )


if __name__ == "__main__":
    main()
