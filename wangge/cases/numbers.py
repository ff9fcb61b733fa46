"""Case numbers: `SJ` + the local date + a 6-digit counter per day, readable and sortable.

The counter lives in one CaseNumberSequence row per day, locked with SELECT ... FOR UPDATE, so
two intakes at once never take the same number. The first intake of a day creates the row; a
racing creator hits the primary key and then locks the row the other one made.

Where the database can answer an UPDATE with RETURNING (PostgreSQL, SQLite >= 3.35) the common
case — the day's row exists — is one statement that increments and reads the counter under the
same row (or database) lock.
"""

import sqlite3
from datetime import date, datetime

from django.db import IntegrityError, connection, transaction

from wangge.core.calendar import LOCAL_TZ

from .models import CaseNumberSequence

PREFIX = "SJ"


def format_case_number(day: date, counter: int) -> str:
    return f"{PREFIX}{day:%Y%m%d}{counter:06d}"


def _locked_day(day: date) -> CaseNumberSequence:
    row = CaseNumberSequence.objects.select_for_update().filter(day=day).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return CaseNumberSequence.objects.create(day=day, last=0)
    except IntegrityError:
        return CaseNumberSequence.objects.select_for_update().get(day=day)


def _returning_supported() -> bool:
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)


def _increment_returning(day: date) -> int | None:
    """The day's incremented counter in one statement, or None when the day has no row yet."""
    quote = connection.ops.quote_name
    table = quote(CaseNumberSequence._meta.db_table)
    sql = (
        f"UPDATE {table} SET {quote('last')} = {quote('last')} + 1 "  # noqa: S608 - names only
        f"WHERE {quote('day')} = %s RETURNING {quote('last')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return int(row[0]) if row is not None else None


def next_case_number(now: datetime) -> str:
    """Take the next number of `now`'s local day; call inside the intake's transaction."""
    day = now.astimezone(LOCAL_TZ).date()
    if _returning_supported():
        counter = _increment_returning(day)
        if counter is not None:
            return format_case_number(day, counter)
    row = _locked_day(day)
    row.last += 1
    row.save(update_fields=["last"])
    return format_case_number(day, row.last)
