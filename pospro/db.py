"""Multi-row INSERT of model instances with the SQL built once per (model, row count).

`QuerySet.bulk_create` runs the ORM's insert compiler on every call, which costs several times
what the INSERT itself costs the database for the few rows of a sale. `insert_rows` writes the
same columns with the same conversions (each field's `pre_save` and `get_db_prep_save`) but
caches the statement text. No signals are sent and nothing is read back: an auto-increment
primary key stays None on the instance (UUID keys are set by Python before the insert).
"""

import threading
from collections.abc import Sequence

from django.db import connections, models
from django.db.models import UUIDField
from django.db.models.fields import AutoFieldMixin

_UUID = UUIDField()
_statements: dict = {}


def uuid_param(value, using: str = "default"):
    """A UUID as this database binds it in raw SQL (SQLite has no UUID type)."""
    return _UUID.get_db_prep_value(value, connections[using])


_lock = threading.Lock()


def _statement(model, count: int, vendor: str, using: str) -> tuple[str, list]:
    key = (model, count, vendor)
    found = _statements.get(key)
    if found is None:
        connection = connections[using]
        # An auto-increment key is left to the database (and not read back).
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.generated and not isinstance(f, AutoFieldMixin)
        ]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - names only
            f"VALUES {', '.join([row] * count)}"
        )
        found = (sql, fields)
        with _lock:
            _statements[key] = found
    return found


def insert_rows(objs: Sequence[models.Model], *, using: str = "default") -> list:
    """INSERT `objs` (all of one model) in one statement; returns them, saved."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    connection = connections[using]
    sql, fields = _statement(model, len(objs), connection.vendor, using)
    params = []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, True)
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return list(objs)
