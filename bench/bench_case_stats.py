"""Case statistics from the maintained rollups against a GROUP BY over the cases table.

N cases (full: 10,000,000; BENCH_SCALE small: 100,000; BENCH_CASE_STATS_CASES overrides) are
spread over the grids of a generated city (100 communities, ~600 grids) and the seeded
sub-categories, reported over three years (2024-01-01 to 2026-11-30), and inserted directly with
executemany: 4 % reported, 3 % rejected, 13 % open in the loop, 35 % closed and 45 % rated;
10 % reworked, 5 % extended, 8 % urged (an "urge" event, the sweep's mark of a case gone red),
closures from an hour to 15 days after the report against a due date 3-7 days after it.
`rebuild_rollups()` then builds the rollups (timed and recorded).

Figure: the p95 of `case_stats` (totals, the series by day, week or month, and the breakdowns
by child unit, department and category) for random org units at every level (city, district,
street, community, grid: a level first, then a unit, so the few big units are asked as often as
the many small ones) and random periods (a day, a week, a month, a quarter, a year, or a random
range of up to two years). Target: p95 <= 200 ms.
Baseline: the same totals by GROUP BY over cases_case (path prefix, reported_at range, the
rebuild's own counter SQL) for a sample of the same queries; every baseline answer must equal
the rollups' totals, so the benchmark also proves the rollups right at scale.
"""

import os
import random
import time
from datetime import date, datetime, timedelta

from common import django_database, percentile, record, sized

SEED = 20261130
COMMUNITIES = 100
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2026, 11, 30)
QUERIES = 300
LEVELS = ("city", "district", "street", "community", "grid")


def case_count() -> int:
    override = os.environ.get("BENCH_CASE_STATS_CASES")
    return int(override) if override else sized(small=100_000, full=10_000_000)


def main() -> None:
    with django_database():
        from django.db import connection

        from wangge.cases.stats.rollup import rebuild_rollups

        count = case_count()
        grids = load_city()
        started = time.perf_counter()
        insert_cases(grids, count)
        inserted = time.perf_counter() - started
        print(f"{count:,} cases inserted in {inserted:.1f} s")
        started = time.perf_counter()
        built = rebuild_rollups()
        rebuild = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"rollups rebuilt in {rebuild:.1f} s: {built}")
        measure(count, built, inserted, rebuild)


def load_city() -> list[tuple[int, str]]:
    from wangge.core.scope import Actor
    from wangge.demo.generator import generate_city
    from wangge.orgs.models import OrgUnit
    from wangge.orgs.services import org_tree_import

    city = generate_city(seed=SEED, scale=COMMUNITIES)
    org_tree_import(actor=Actor.system(), feature_collection=city)
    return list(
        OrgUnit.objects.filter(kind="grid").order_by("code").values_list("parent_id", "path")
    )


def insert_cases(grids: list[tuple[int, str]], count: int) -> None:
    from django.db import connection, transaction

    from wangge.cases.models import CaseCategory
    from wangge.core.calendar import LOCAL_TZ
    from wangge.orgs.models import OrgUnit

    rng = random.Random(SEED)
    db = connection.ops.adapt_datetimefield_value
    categories = list(
        CaseCategory.objects.filter(parent__isnull=False).values_list("id", flat=True)
    )
    paths = dict(OrgUnit.objects.filter(kind="community").values_list("id", "path"))
    first = datetime.combine(FIRST_DAY, datetime.min.time(), LOCAL_TZ)
    span = (LAST_DAY - FIRST_DAY).days * 86400 + 86399
    hour = timedelta(hours=1)
    with transaction.atomic(), connection.cursor() as cursor:
        batch, urged = [], []
        for index in range(count):
            community, path = grids[rng.randrange(len(grids))]
            reported = first + timedelta(seconds=rng.randrange(span))
            due = reported + timedelta(days=rng.uniform(3, 7))
            roll = rng.random()
            closed = rating = None
            state = "in_progress"
            if roll < 0.04:
                state = "reported"
            elif roll < 0.07:
                state = "rejected"
            elif roll < 0.20:
                state = rng.choice(("accepted", "dispatched", "in_progress", "handled"))
            else:
                closed = reported + hour * rng.uniform(1, 360)
                state = "closed"
                if roll >= 0.55:
                    state, rating = "rated", rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
            registered = state not in ("reported", "rejected")
            batch.append(
                (
                    f"C{index:012d}",
                    rng.choice(categories),
                    "resident",
                    state,
                    "路灯不亮",
                    path,
                    community,
                    paths[community],
                    db(reported),
                    db(due),
                    db(closed) if closed else None,
                    int(registered and rng.random() < 0.05),
                    int(registered and rng.random() < 0.10),
                    rating,
                    db(reported),
                )
            )
            if rng.random() < 0.08:
                urged.append(index)
            if len(batch) == 20_000:
                insert_batch(cursor, batch, urged)
                batch, urged = [], []
        if batch:
            insert_batch(cursor, batch, urged)


def insert_batch(cursor, batch: list[tuple], urged: list[int]) -> None:
    from django.db import connection

    cursor.executemany(
        "INSERT INTO cases_case (number, category_id, source, state, state_before_pause, title,"
        " description, address, path, handler_unit_id, handler_path, anonymous, hotline_number,"
        " attributes, photos, reported_at, due_at, closed_at, calendar_warning, card,"
        " extensions, reworks, reopens, rating, version, updated_at) VALUES (%s, %s, %s, %s,"
        " '', %s, '', '', %s, %s, %s, false, '', '{}', '[]', %s, %s, %s, false, '',"
        " %s, %s, 0, %s, 1, %s)",
        batch,
    )
    if not urged:
        return
    numbers = [f"C{index:012d}" for index in urged]
    marks = ", ".join(["%s"] * len(numbers))
    cursor.execute(
        f"SELECT id, state, reported_at FROM cases_case WHERE number IN ({marks})",  # noqa: S608
        numbers,
    )
    db = connection.ops.adapt_datetimefield_value
    cursor.executemany(
        "INSERT INTO cases_caseevent (case_id, at, actor_name, action, from_state, to_state,"
        " note, attachments, detail) VALUES (%s, %s, 'system', 'urge', %s, %s, '', '[]', '{}')",
        [(case_id, db(at + timedelta(days=2)), state, state) for case_id, state, at in cursor],
    )


def random_period(rng: random.Random) -> tuple[date, date]:
    kind = rng.choice(("day", "week", "month", "quarter", "year", "range"))
    length = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}.get(kind)
    if length is None:
        length = rng.randint(1, 730)
    latest = (LAST_DAY - FIRST_DAY).days - length + 1
    start = FIRST_DAY + timedelta(days=rng.randint(0, latest))
    return start, start + timedelta(days=length - 1)


def measure(count: int, built: dict, inserted: float, rebuild: float) -> None:
    from wangge.cases.stats.baseline import baseline_indicators
    from wangge.cases.stats.selectors import case_stats
    from wangge.orgs.models import OrgUnit
    from wangge.orgs.permissions import system_actor

    rng = random.Random(SEED + 1)
    units = {level: list(OrgUnit.objects.filter(kind=level)) for level in LEVELS}
    actor = system_actor()
    queries = []
    for _ in range(QUERIES):
        unit = rng.choice(units[rng.choice(LEVELS)])
        start, end = random_period(rng)
        group_by = "day" if (end - start).days <= 62 else "month"
        queries.append((unit, start, end, group_by))
    times: list[float] = []
    by_level: dict[str, list[float]] = {level: [] for level in LEVELS}
    answers = []
    for unit, start, end, group_by in queries:
        began = time.perf_counter()
        stats = case_stats(
            actor=actor, unit_code=unit.code, start=start, end=end, group_by=group_by
        )
        elapsed = (time.perf_counter() - began) * 1000
        times.append(elapsed)
        by_level[unit.kind].append(elapsed)
        answers.append(stats.totals)
    sample = sized(small=30, full=20)
    baseline_times = []
    for (unit, start, end, _group), expected in list(zip(queries, answers, strict=True))[:sample]:
        began = time.perf_counter()
        found = baseline_indicators(unit, start, end)
        baseline_times.append((time.perf_counter() - began) * 1000)
        assert found == expected, (unit.code, start, end, found, expected)
    p95 = percentile(times, 0.95)
    record(
        "case_stats",
        f"{count:,} cases, {built['rollup_rows']:,} rollup rows",
        p95,
        "ms",
        percentile(baseline_times, 0.95),
        200.0,
        p50_ms=round(percentile(times, 0.5), 2),
        p99_ms=round(percentile(times, 0.99), 2),
        p95_by_level_ms={
            level: round(percentile(values, 0.95), 2)
            for level, values in by_level.items()
            if values
        },
        queries=len(times),
        baseline_queries=len(baseline_times),
        baseline_p50_ms=round(percentile(baseline_times, 0.5), 2),
        baseline_what="the same totals by GROUP BY over cases_case (path prefix, reported_at"
        " range); every answer checked equal to the rollups'",
        figure_what="case_stats: totals, series, by child unit, by department, by category",
        insert_seconds=round(inserted, 1),
        rebuild_seconds=round(rebuild, 1),
        # What else ran shows in the load average, not in a fixed note.
        load_average=round(os.getloadavg()[0], 2),
    )


if __name__ == "__main__":
    main()
