"""The app's literal SQL: the few statements the ORM cannot say, each with why. Everything else goes
through the ORM. Tables and columns come from the models' _meta, values through each field's own
conversion (get_db_prep_save), so a statement follows its models.
"""

from django.db import connection, connections

from onboarding.models import AuditEvent, AuditPendingSeal

_AUDIT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def insert_audit_events(events: list[AuditEvent]) -> bool:
    """PostgreSQL: insert the events and their entries in the sealer's queue in one statement.

    Why literal: writing two tables in one statement needs a data-modifying CTE, which the ORM cannot
    say, and every case writes three or four batches of events: one round trip and one statement
    each instead of two. AuditEvent is append-only: this only inserts, as its model's save() would,
    and nothing listens to its signals. Elsewhere (SQLite) returns False and the caller uses the ORM.
    """
    if connection.vendor != "postgresql":
        return False
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _AUDIT_FIELDS)
    row = f"({', '.join(['%s'] * len(_AUDIT_FIELDS))})"
    pk = quote(AuditEvent._meta.pk.column)
    sql = (
        f"WITH new AS (INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) "
        f"VALUES {', '.join([row] * len(events))} RETURNING {pk}) "
        f"INSERT INTO {quote(AuditPendingSeal._meta.db_table)} ({quote(AuditPendingSeal._meta.pk.column)}) "
        f"SELECT {pk} FROM new RETURNING {quote(AuditPendingSeal._meta.pk.column)}"
    )
    params = [f.get_db_prep_save(f.pre_save(event, True), connection) for event in events for f in _AUDIT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = sorted(row[0] for row in cursor.fetchall())
    # The sequence numbers the rows in the order of VALUES.
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding, event._state.db = False, connection.alias
    return True


def estimated_rows(model, using: str) -> int | None:
    """PostgreSQL: the table's row count as its statistics estimate it (ANALYZE, autovacuum), read at
    no cost; None elsewhere.

    Why literal: the estimate lives in the system catalogue (pg_class.reltuples), which no model
    maps, and COUNT(*), the ORM's count(), reads the whole table (120 ms at a million checks)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return row[0] if row else None
