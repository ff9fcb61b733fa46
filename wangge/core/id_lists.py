"""A long list of ids as one query parameter, for `field__in=` filters in bulk work.

`filter(pk__in=[...])` prepares every id through the field and sends one parameter per id: at
the sweep's sizes (a first sweep filters and updates by hundreds of thousands of ids) that
preparation took more time than the queries themselves, and SQLite caps the parameters of one
statement. Here the ids travel as one JSON text (SQLite's json_each) or one array (PostgreSQL's
unnest), and the database expands them.
"""

import json
from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL


def id_list(ids: Iterable[int]) -> RawSQL:
    """A subquery of these integer ids: `Model.objects.filter(pk__in=id_list(ids))`."""
    values = [int(value) for value in ids]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))
