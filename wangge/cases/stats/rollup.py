"""Maintaining the case rollups: the per-event hook, the sweep's bulk hook and the rebuild.

A case's contribution (models.py explains the tables) is a pure function of its row plus one
sticky fact, `urged` (the sweep urged it once: it went red). It is written three ways that must
agree, and a test checks that they do:

- `contribution()` in Python, for the hooks (new minus the stored snapshot, applied as deltas);
- `counter_sql()`, the same rules as SQL over `cases_case`, for `rebuild_rollups()` and for
  the baseline (`baseline.py`), which answers the same questions by GROUP BY over the cases.

Seconds are whole seconds since the epoch, truncated on both sides (SQLite's strftime('%s')
would round fractional seconds from milliseconds, so the fraction is cut off first).
"""

# SQL here is built from our own table and column names and constants; values are parameters.
# ruff: noqa: S608

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

from wangge.core.calendar import LOCAL_TZ
from wangge.core.id_lists import id_list
from wangge.orgs.codes import path_codes

from ..enums import CaseState
from ..models import Case
from .models import COUNTERS, CaseRollup, CaseStatsSnapshot

PLACE, HANDLER = CaseRollup.PLACE, CaseRollup.HANDLER
DAY, MONTH, ALL = CaseRollup.DAY, CaseRollup.MONTH, CaseRollup.ALL_CATEGORIES
NOT_REGISTERED = (CaseState.REPORTED, CaseState.REJECTED, CaseState.MERGED)
URGE_ACTION = "urge"
REPORT_ACTION = "report"  # the first event of every case
# Rows per multi-row INSERT: 15 parameters each stays far below SQLite\'s variable limit.
MULTI_ROW = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)
CHUNK = 2_000
ROLLUP = CaseRollup._meta.db_table
SNAPSHOT = CaseStatsSnapshot._meta.db_table
KEY = ("dimension", "unit_code", "grain", "day", "category_id")
SNAPSHOT_KEYS = ("day", "path", "handler_path", "category_pk", "urged")
CASE_FIELDS = (
    "id",
    "state",
    "reported_at",
    "closed_at",
    "due_at",
    "reworks",
    "reopens",
    "extensions",
    "rating",
    "path",
    "handler_path",
    "category_id",
)

Counts = tuple[int, ...]
RowKey = tuple[str, str, str, date, int]


@dataclass(frozen=True)
class Contribution:
    day: date
    path: str
    handler_path: str
    category_pk: int
    urged: bool
    counts: Counts

    def rows(self) -> list[RowKey]:
        """Place rows for the place unit and every ancestor, and one handler unit; each as a
        day and a month row, for the case's category and for all categories."""
        units = [(PLACE, code) for code in path_codes(self.path)]
        handler = path_codes(self.handler_path)
        if handler:
            units.append((HANDLER, handler[-1]))
        month = self.day.replace(day=1)
        return [
            (dimension, code, grain, day, category)
            for dimension, code in units
            for grain, day in ((DAY, self.day), (MONTH, month))
            for category in (self.category_pk, ALL)
        ]


def _seconds(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_SECOND


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def counts_of(
    *,
    state: str,
    reported_at: datetime,
    closed_at: datetime | None,
    due_at: datetime | None,
    reworks: int,
    extensions: int,
    rating: int | None,
    urged: bool,
) -> Counts:
    """The counters of one case, in COUNTERS order (each 0 or 1 but handling_seconds)."""
    closed = closed_at is not None
    late = closed and due_at is not None and closed_at > due_at  # type: ignore[operator]
    return (
        1,
        int(state not in NOT_REGISTERED),
        int(closed),
        int(closed and due_at is not None and not late),
        int(reworks > 0),
        int(extensions > 0),
        int(urged or late),
        int(rating is not None),
        int(rating is not None and rating >= 4),
        _seconds(closed_at) - _seconds(reported_at) if closed_at is not None else 0,
    )


def contribution(values: dict, urged: bool) -> Contribution:
    """`values`: the CASE_FIELDS of one case (a model's attributes or a values() row)."""
    return Contribution(
        day=local_day(values["reported_at"]),
        path=values["path"],
        handler_path=values["handler_path"] or "",
        category_pk=values["category_id"],
        urged=urged,
        counts=counts_of(
            state=values["state"],
            reported_at=values["reported_at"],
            closed_at=values["closed_at"],
            due_at=values["due_at"],
            # A reporter's reopen (a bad rating) sends the work back as a failed check does.
            reworks=values["reworks"] + values["reopens"],
            extensions=values["extensions"],
            rating=values["rating"],
            urged=urged,
        ),
    )


# --- applying deltas ---------------------------------------------------------------------------


def _add(deltas: dict[RowKey, list[int]], keys: Iterable[RowKey], counts: Counts, sign: int):
    for key in keys:
        row = deltas.setdefault(key, [0] * len(COUNTERS))
        for index, value in enumerate(counts):
            row[index] += sign * value


def _diff(deltas: dict[RowKey, list[int]], old: Contribution | None, new: Contribution) -> None:
    if old is not None:
        _add(deltas, old.rows(), old.counts, -1)
    _add(deltas, new.rows(), new.counts, 1)


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def apply_deltas(deltas: dict[RowKey, list[int]]) -> None:
    """x = x + d for each row, inserting missing rows; safe under concurrent writers on SQLite
    (one writer) and PostgreSQL (ON CONFLICT takes the row lock)."""
    params = []
    adapt = connection.ops.adapt_datefield_value
    for (dimension, code, grain, day, category), counts in deltas.items():
        if any(counts):
            params.append((dimension, code, grain, adapt(day), category, *counts))
    if not params:
        return
    # In key order, so that two transactions lock shared rows in the same order (no deadlock).
    params.sort(key=lambda row: row[: len(KEY)])
    columns = ", ".join((*KEY, *COUNTERS))
    marks = "(" + ", ".join(["%s"] * (len(KEY) + len(COUNTERS))) + ")"
    updates = ", ".join(f"{name} = {ROLLUP}.{name} + excluded.{name}" for name in COUNTERS)
    # One multi-row statement per chunk: an event touches ~20 rows, and one round trip for
    # all of them is what keeps intake fast (executemany sends a statement per row).
    with connection.cursor() as cursor:
        for part in _chunks(params, MULTI_ROW):
            sql = (
                f"INSERT INTO {ROLLUP} ({columns}) VALUES {', '.join([marks] * len(part))}"
                f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
            )
            cursor.execute(sql, [value for row in part for value in row])


def _write_snapshots(items: dict[int, Contribution]) -> None:
    adapt = connection.ops.adapt_datefield_value
    params = [
        (
            case_id,
            adapt(item.day),
            item.path,
            item.handler_path,
            item.category_pk,
            item.urged,
            *item.counts,
        )
        for case_id, item in items.items()
    ]
    if not params:
        return
    columns = ("case_id", *SNAPSHOT_KEYS, *COUNTERS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns[1:])
    sql = (
        f"INSERT INTO {SNAPSHOT} ({', '.join(columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})"
        f" ON CONFLICT (case_id) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        for part in _chunks(params):
            cursor.executemany(sql, part)


def _snapshots(ids: list[int]) -> dict[int, Contribution]:
    found: dict[int, Contribution] = {}
    for part in _chunks(ids):
        for row in CaseStatsSnapshot.objects.filter(case_id__in=id_list(part)).values_list(
            "case_id", *SNAPSHOT_KEYS, *COUNTERS
        ):
            day, path, handler_path, category_pk, urged = row[1:6]
            found[row[0]] = Contribution(
                day, path, handler_path, category_pk, urged, counts=tuple(row[6:])
            )
    return found


def _refresh(cases: list[dict], urged_now: set[int], *, new: bool = False) -> None:
    """Bring the rollups and snapshots of these cases up to date with their rows. `new`: the
    cases were just reported, so they have no snapshot to read."""
    old = {} if new else _snapshots([values["id"] for values in cases])
    deltas: dict[RowKey, list[int]] = {}
    changed: dict[int, Contribution] = {}
    for values in cases:
        before = old.get(values["id"])
        urged = values["id"] in urged_now or (before is not None and before.urged)
        after = contribution(values, urged)
        if after != before:
            _diff(deltas, before, after)
            changed[values["id"]] = after
    apply_deltas(deltas)
    _write_snapshots(changed)


def on_event(case, event) -> None:
    """Called by events.record_event for every timeline row, in the same transaction."""
    values = {name: getattr(case, name) for name in CASE_FIELDS}
    urged = {case.pk} if event.action == URGE_ACTION else set()
    _refresh([values], urged, new=event.action == REPORT_ACTION)


def on_bulk_events(rows: list[tuple[int, str, str, dict]], now: datetime) -> None:
    """Called by the sweep for its bulk (case id, action, state, detail) rows.

    Only an urge can change a contribution: a card is not an indicator (it is cleared on
    closure; "overdue" reads the urge instead), so the card rows of a big first sweep cost
    nothing here."""
    ids = sorted({row[0] for row in rows if row[1] == URGE_ACTION})
    # All at once: cases urged in one sweep share rollup rows, so each row is written once.
    missing = _mark_urged(ids)
    for part in _chunks(missing):
        _refresh(list(Case.objects.filter(pk__in=id_list(part)).values(*CASE_FIELDS)), set(part))


OVERDUE = COUNTERS.index("overdue")


def _mark_urged(ids: list[int]) -> list[int]:
    """An urge changes one thing: the case now counts as overdue (if it did not already, by a
    late closure). Read only the snapshots' keys and two flags, add 1 to `overdue` on the rows
    of each group of cases that share a snapshot key (a first sweep urges a hundred thousand
    cases at once and they share a few thousand keys), and mark the snapshots. Returns the ids
    that have no snapshot (loaded in bulk before a rebuild), for the general path."""
    groups: dict[tuple, int] = {}
    flips: list[int] = []
    found: set[int] = set()
    for part in _chunks(ids):
        for (
            case_id,
            day,
            path,
            handler_path,
            category_pk,
            urged,
            overdue,
        ) in CaseStatsSnapshot.objects.filter(case_id__in=id_list(part)).values_list(
            "case_id", *SNAPSHOT_KEYS, "overdue"
        ):
            found.add(case_id)
            if urged:
                continue
            flips.append(case_id)
            if not overdue:
                group = (day, path, handler_path, category_pk)
                groups[group] = groups.get(group, 0) + 1
    # Only `overdue` moves: add to that one counter rather than through _add's full rows.
    overdue_by_row: dict[RowKey, int] = {}
    for (day, path, handler_path, category_pk), count in groups.items():
        for row_key in Contribution(day, path, handler_path, category_pk, False, ()).rows():
            overdue_by_row[row_key] = overdue_by_row.get(row_key, 0) + count
    zeros = [0] * len(COUNTERS)
    deltas: dict[RowKey, list[int]] = {}
    for row_key, count in overdue_by_row.items():
        row = deltas[row_key] = zeros.copy()
        row[OVERDUE] = count
    apply_deltas(deltas)
    for part in _chunks(flips):
        CaseStatsSnapshot.objects.filter(case_id__in=id_list(part)).update(urged=True, overdue=1)
    return [case_id for case_id in ids if case_id not in found]


# --- the same rules in SQL, and the rebuild ----------------------------------------------------


def _sql_seconds(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM date_trunc('second', {column}))::bigint"
    return f"CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER)"


def sql_day(column: str = "c.reported_at") -> str:
    """The local (Asia/Shanghai, no daylight saving) day of a stored UTC datetime."""
    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({column}, '+8 hours')"


def urged_sql(alias: str = "c") -> str:
    return f"{alias}.id IN (SELECT case_id FROM cases_caseevent WHERE action = '{URGE_ACTION}')"


def counter_sql(alias: str = "c") -> dict[str, str]:
    """COUNTERS as SQL over cases_case (each a 0/1 or seconds expression per case row)."""
    c = alias
    closed = f"{c}.closed_at IS NOT NULL"
    late = f"({closed} AND {c}.due_at IS NOT NULL AND {c}.closed_at > {c}.due_at)"
    states = ", ".join(f"'{state}'" for state in NOT_REGISTERED)

    def flag(condition: str) -> str:
        return f"CASE WHEN {condition} THEN 1 ELSE 0 END"

    return {
        "reported": "1",
        "registered": flag(f"{c}.state NOT IN ({states})"),
        "closed": flag(closed),
        "closed_on_time": flag(
            f"{closed} AND {c}.due_at IS NOT NULL AND {c}.closed_at <= {c}.due_at"
        ),
        "reworked": flag(f"({c}.reworks + {c}.reopens) > 0"),
        "extended": flag(f"{c}.extensions > 0"),
        "overdue": flag(f"({urged_sql(c)}) OR {late}"),
        "rated": flag(f"{c}.rating IS NOT NULL"),
        "satisfied": flag(f"{c}.rating >= 4"),
        "handling_seconds": (
            f"CASE WHEN {closed} THEN {_sql_seconds(f'{c}.closed_at')}"
            f" - {_sql_seconds(f'{c}.reported_at')} ELSE 0 END"
        ),
    }


def _rebuild_snapshots(cursor) -> None:
    exprs = counter_sql("c")
    cursor.execute(f"DELETE FROM {SNAPSHOT}")
    cursor.execute(
        f"INSERT INTO {SNAPSHOT} (case_id, {', '.join(SNAPSHOT_KEYS)}, {', '.join(COUNTERS)})"
        f" SELECT c.id, {sql_day()}, c.path, COALESCE(c.handler_path, ''), c.category_id,"
        f" {urged_sql('c')}, {', '.join(exprs[name] for name in COUNTERS)}"
        f" FROM cases_case c",
        [],  # with parameters, so that %% in the SQL reads as % on both databases
    )


def _unit_map(cursor) -> None:
    """stats_unit_map(dimension, path, code): a place path to every code on it, a handler path
    to its own code. A few thousand rows, so the rollup insert is one join and GROUP BY."""
    cursor.execute("DROP TABLE IF EXISTS stats_unit_map")
    cursor.execute(
        "CREATE TEMPORARY TABLE stats_unit_map"
        " (dimension varchar(1), path varchar(255), code varchar(16))"
    )
    cursor.execute(f"SELECT DISTINCT path FROM {SNAPSHOT}")
    rows = [(PLACE, path, code) for (path,) in cursor.fetchall() for code in path_codes(path)]
    cursor.execute(f"SELECT DISTINCT handler_path FROM {SNAPSHOT} WHERE handler_path <> ''")
    rows += [(HANDLER, path, path_codes(path)[-1]) for (path,) in cursor.fetchall()]
    for part in _chunks(rows):
        cursor.executemany("INSERT INTO stats_unit_map VALUES (%s, %s, %s)", part)


def _month_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def _rebuild_rollups(cursor) -> None:
    """Day rows per category from the snapshots, then month rows from the day rows, then the
    all-categories rows from both."""
    sums = ", ".join(f"SUM(g.{name})" for name in COUNTERS)
    inner = ", ".join(f"SUM(s.{name}) AS {name}" for name in COUNTERS)
    plain = ", ".join(f"SUM({name})" for name in COUNTERS)
    into = f"INSERT INTO {ROLLUP} ({', '.join(KEY)}, {', '.join(COUNTERS)})"
    cursor.execute(f"DELETE FROM {ROLLUP}")
    for dimension, column in ((PLACE, "path"), (HANDLER, "handler_path")):
        cursor.execute(
            f"{into} SELECT m.dimension, m.code, %s, g.day, g.category_pk, {sums}"
            f" FROM (SELECT s.day, s.{column} AS path, s.category_pk, {inner}"
            f" FROM {SNAPSHOT} s GROUP BY s.day, s.{column}, s.category_pk) g"
            f" JOIN stats_unit_map m ON m.path = g.path AND m.dimension = %s"
            f" GROUP BY m.dimension, m.code, g.day, g.category_pk",
            [DAY, dimension],
        )
    month = _month_sql("day")
    cursor.execute(
        f"{into} SELECT dimension, unit_code, %s, {month}, category_id, {plain}"
        f" FROM {ROLLUP} WHERE grain = %s GROUP BY dimension, unit_code, {month}, category_id",
        [MONTH, DAY],
    )
    cursor.execute(
        f"{into} SELECT dimension, unit_code, grain, day, %s, {plain}"
        f" FROM {ROLLUP} GROUP BY dimension, unit_code, grain, day",
        [ALL],
    )
    cursor.execute("DROP TABLE stats_unit_map")


@transaction.atomic
def rebuild_rollups() -> dict[str, int]:
    """Recompute every snapshot and rollup row from the cases table, in bulk (after a bulk load
    of history, or to check the maintained figures). Returns the row counts."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Events committing meanwhile wait, then apply their deltas to the rebuilt rows
            # (their case changes were not visible to the rebuild), so none is lost or doubled.
            # SQLite has a single writer already.
            cursor.execute(f"LOCK TABLE {ROLLUP}, {SNAPSHOT} IN EXCLUSIVE MODE")
        _rebuild_snapshots(cursor)
        _unit_map(cursor)
        _rebuild_rollups(cursor)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {ROLLUP}")
    return {
        "cases": CaseStatsSnapshot.objects.count(),
        "rollup_rows": CaseRollup.objects.count(),
    }


def rollup_table(*, nonzero: bool = True) -> dict[RowKey, Counts]:
    """Every rollup row as {key: counts} (tests compare the hook's result with the rebuild's)."""
    found: dict[RowKey, Counts] = {}
    for row in CaseRollup.objects.values_list(*KEY, *COUNTERS):
        counts = tuple(row[5:])
        if not nonzero or any(counts):
            found[(row[0], row[1], row[2], row[3], row[4])] = counts
    return found
