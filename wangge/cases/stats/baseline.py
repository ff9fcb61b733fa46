"""The same figures straight from the cases table, by GROUP BY (no rollups).

The reference the rollups are checked against (tests) and measured against (the bench): a
unit's subtree by path prefix (a department: the cases it holds), the period by reported_at
between the local midnights, the counters by the very SQL the rebuild uses.
"""

# SQL here is built from our own table and column names and constants; values are parameters.
# ruff: noqa: S608

from datetime import date, datetime, time, timedelta

from django.db import connection

from wangge.core.calendar import LOCAL_TZ
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit

from .indicators import Indicators
from .models import COUNTERS
from .rollup import counter_sql


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ)


def baseline_indicators(
    unit: OrgUnit, start: date, end: date, category_ids: list[int] | None = None
) -> Indicators:
    exprs = counter_sql("c")
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [
        adapt(local_midnight(start)),
        adapt(local_midnight(end + timedelta(days=1))),
    ]
    if unit.kind == OrgUnitKind.DEPARTMENT:
        where = "c.handler_path = %s"
        params.append(unit.path)
    else:
        where = "c.path LIKE %s"
        params.append(unit.path + "%")
    if category_ids:
        where += f" AND c.category_id IN ({', '.join(['%s'] * len(category_ids))})"
        params += list(category_ids)
    sql = (
        f"SELECT {', '.join(f'SUM({exprs[name]})' for name in COUNTERS)} FROM cases_case c"
        f" WHERE c.reported_at >= %s AND c.reported_at < %s AND {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return Indicators.of(int(value or 0) for value in row)
