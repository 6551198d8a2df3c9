"""The few statements every case runs several times, as SQL built once per process from the models'
metadata (table, columns, and each field's own conversion of its value), so that they follow the
models. The ORM compiling them anew on every call was the largest part of a worker's CPU
(docs/performance.md, "Where a worker's time goes"). Everything else goes through the ORM.
"""

from __future__ import annotations

import functools

from django.db import connection as default_connection
from django.db.models.fields import AutoFieldMixin


def table(model, connection=default_connection) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name, connection=default_connection) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def value(model, name, raw, connection=default_connection):
    """raw as the database takes it for this field (UUIDs, datetimes and JSON differ by database)."""
    return model._meta.get_field(name).get_db_prep_save(raw, connection)


def values(model, names, obj, *, add: bool, connection=default_connection) -> list:
    """obj's fields as saving it would write them (pre_save: auto_now and auto_now_add set the time)."""
    fields = [model._meta.get_field(name) for name in names]
    return [field.get_db_prep_save(field.pre_save(obj, add), connection) for field in fields]


def _auto_pk(model) -> bool:
    return isinstance(model._meta.pk, AutoFieldMixin)


@functools.cache
def _insert_sql(model, names: tuple, vendor: str, rows: int = 1, queue=None) -> str:
    qn = default_connection.ops.quote_name
    pk = qn(model._meta.pk.column)
    row = f"({', '.join(['%s'] * len(names))})"
    sql = f"INSERT INTO {table(model)} ({', '.join(column(model, n) for n in names)}) VALUES {', '.join([row] * rows)}"
    if not _auto_pk(model) or vendor != "postgresql":
        return sql  # the key is known already, or SQLite gives it as lastrowid
    if queue is None:
        return f"{sql} RETURNING {pk}"
    # PostgreSQL: the row and its queue entry in one round trip.
    queue_model, queue_field = queue
    return (
        f"WITH new AS ({sql} RETURNING {pk}) INSERT INTO {table(queue_model)} "
        f"({column(queue_model, queue_field)}) SELECT {pk} FROM new RETURNING {column(queue_model, queue_field)}"
    )


def _saved_fields(model) -> tuple:
    """What Model.save writes for a new row: every concrete field but an auto-incremented key."""
    return tuple(f.name for f in model._meta.concrete_fields if not (f.primary_key and _auto_pk(model)))


def _added(obj):
    obj._state.adding, obj._state.db = False, "default"


def insert(obj, *, queue=None):
    """INSERT obj as Model.save would (every field it writes, pre_save applied) and set its key, the
    new one when it is auto-incremented; returns the key. queue=(model, field): also insert that
    model with the new key in `field` (in the same statement on PostgreSQL)."""
    model, connection = type(obj), default_connection
    vendor, names = connection.vendor, _saved_fields(model)
    params = values(model, names, obj, add=True)
    with connection.cursor() as cursor:
        if not _auto_pk(model):
            cursor.execute(_insert_sql(model, names, vendor), params)
        elif vendor == "postgresql":
            cursor.execute(_insert_sql(model, names, vendor, 1, queue), params)
            obj.pk = cursor.fetchone()[0]
        else:
            cursor.execute(_insert_sql(model, names, vendor), params)
            obj.pk = cursor.lastrowid
            if queue is not None:
                cursor.execute(_insert_sql(queue[0], (queue[1],), vendor), [obj.pk])
    _added(obj)
    return obj.pk


def insert_many(objs) -> None:
    """INSERT these objects of one model, whose keys are set already (UUIDs), in one statement."""
    model = type(objs[0])
    assert not _auto_pk(model) and all(type(obj) is model for obj in objs)
    names = _saved_fields(model)
    params = [param for obj in objs for param in values(model, names, obj, add=True)]
    with default_connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, names, default_connection.vendor, len(objs)), params)
    for obj in objs:
        _added(obj)


@functools.cache
def _update_sql(model, names: tuple, vendor: str, count: int, when=None, unless=None) -> str:
    qn = default_connection.ops.quote_name
    sets = ", ".join(f"{column(model, n)} = %s" for n in names)
    sql = f"UPDATE {table(model)} SET {sets} WHERE {qn(model._meta.pk.column)} IN ({', '.join(['%s'] * count)})"
    for condition, negate in ((when, ""), (unless, "NOT ")):
        if condition is not None:
            name, n = condition
            sql += f" AND {negate}({column(model, name)} IN ({', '.join(['%s'] * n)}))"
    return sql


def update(obj, names, *, when=None, unless=None, pks=None) -> int:
    """UPDATE obj's row (or the rows of pks) with obj's fields `names`, when (field, values) the
    row's field is one of those values and unless it is one of those: a conditional update instead
    of a lock and a read. The number of rows changed."""
    model = type(obj)
    pks = [obj.pk] if pks is None else list(pks)
    params = values(model, names, obj, add=False) + [value(model, model._meta.pk.name, pk) for pk in pks]
    keys = []
    for condition in (when, unless):
        if condition is None:
            keys.append(None)
            continue
        name, accepted = condition
        params += [value(model, name, v) for v in accepted]
        keys.append((name, len(accepted)))
    with default_connection.cursor() as cursor:
        cursor.execute(_update_sql(model, tuple(names), default_connection.vendor, len(pks), *keys), params)
        return cursor.rowcount


@functools.cache
def _select_sql(model, where: str, count: int, related: tuple, vendor: str, for_update: bool, skip_locked: bool):
    """The SELECT, and how to read its rows: [(path, model, first column, converters, pk's
    position, the foreign key from the parent)], the model itself first."""
    connection = default_connection
    qn = connection.ops.quote_name
    tables = {(): (model, "t0", None, False)}  # path -> (model, alias, foreign key, outer join)
    joins = []
    for path in related:  # forward foreign keys, "a__b" as in select_related
        parts = tuple(path.split("__"))
        for i in range(1, len(parts) + 1):
            key = parts[:i]
            if key in tables:
                continue
            parent_model, parent_alias, _, parent_outer = tables[key[:-1]]
            field = parent_model._meta.get_field(key[-1])
            alias, outer = f"t{len(tables)}", field.null or parent_outer
            tables[key] = (field.related_model, alias, field, outer)
            joins.append(
                f"{'LEFT OUTER' if outer else 'INNER'} JOIN {table(field.related_model)} {alias} "
                f"ON {alias}.{qn(field.target_field.column)} = {parent_alias}.{qn(field.column)}"
            )
    selected, layout = [], []
    for path, (table_model, alias, field, _) in tables.items():
        fields = table_model._meta.concrete_fields
        converters = []
        for f in fields:
            col = f.get_col(table_model._meta.db_table)
            converters.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
        pk_at = [f.attname for f in fields].index(table_model._meta.pk.attname)
        layout.append((path, table_model, len(selected), converters, pk_at, field))
        selected += [f"{alias}.{qn(f.column)}" for f in fields]
    sql = (
        f"SELECT {', '.join(selected)} FROM {table(model)} t0 {' '.join(joins)} "
        f"WHERE t0.{column(model, where)} IN ({', '.join(['%s'] * count)})"
    )
    if for_update and connection.features.has_select_for_update:
        # Locked in key order, so that transactions locking overlapping sets cannot deadlock.
        sql += f" ORDER BY t0.{qn(model._meta.pk.column)} FOR UPDATE" + (" OF t0" if joins else "")
        if skip_locked and connection.features.has_select_for_update_skip_locked:
            sql += " SKIP LOCKED"
    return sql, layout


def fetch(model, where, equals, *, related=(), for_update=False, skip_locked=False) -> list:
    """The rows of model whose field `where` equals `equals` (or is in it, a list), as model
    instances, unordered, with the rows of the forward foreign keys in `related` ("a__b", as
    select_related: one query) on them. for_update: the model's rows are locked, in key order, not
    the others (skip_locked: those another transaction holds are left out).

    The values go through the same converters the ORM's compiler applies (JSON, SQLite's UUIDs
    and datetimes); tests/test_sql.py compares every field with the ORM's reading."""
    wanted = list(equals) if isinstance(equals, (list, tuple, set, frozenset)) else [equals]
    if not wanted:
        return []
    query, layout = _select_sql(
        model, where, len(wanted), tuple(related), default_connection.vendor, for_update, skip_locked
    )
    with default_connection.cursor() as cursor:
        cursor.execute(query, [value(model, where, v) for v in wanted])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        instances = {}
        for path, table_model, start, converters, pk_at, field in layout:
            converted = []
            for raw, (col, functions) in zip(row[start : start + len(converters)], converters):
                for function in functions:
                    raw = function(raw, col, default_connection)
                converted.append(raw)
            instance = instances[path] = (
                table_model.from_db("default", None, converted) if converted[pk_at] is not None else None
            )  # an outer join's miss
            if field is not None and instances[path[:-1]] is not None:
                field.set_cached_value(instances[path[:-1]], instance)
        found.append(instances[()])
    return found
