"""The deadline sweep over open cases: one bulk sweep against a naive per-case loop.

N open cases (full: 1,000,000; BENCH_SCALE small: 50,000) over the seeded categories, held by the
communities of a generated city (30 communities), are inserted directly with executemany, each
with a "report" event and, past the reported state, the event that started its stage. The mix,
relative to a fixed "now" (Monday 9 November 2026, 10:00):
- 70 % not due for a long time (stage deadline 14-40 days ahead; 0.5 % carry a stale yellow card
  from before an extension, which the sweep must drop);
- 20 % due within five days, started 1-6 days before their deadline (some past 80 %: yellow);
- 10 % overdue by up to ten days (red; 1 % of them already red and urged).

Figure: one `deadline_sweep` (target ≤ 10 s). A second run right after must write nothing:
asserted with the counts, the event and audit row counts and, on SQLite, the connection's
total_changes. Baseline: a naive loop with Python-side checks (per case: load it, find the
stage start and the pauses with their own queries, working_time_between from the calendar, save
the row and create the events one by one) over a sample of 10,000 of the same cases, in a
transaction rolled back afterwards so the sweep sees the same data; its time is extrapolated to N
cases linearly, and the record says so.
"""

import random
import time
from datetime import datetime, timedelta

from common import django_database, record, sized

SEED = 20261109
SAMPLE = 10_000
OPEN = ("reported", "accepted", "dispatched", "in_progress", "handled", "verified")
STAGE_EVENT = {
    "accepted": "accept",
    "dispatched": "dispatch",
    "in_progress": "dispatch",
    "handled": "handle",
    "verified": "handle",
}


def main() -> None:
    with django_database():
        from django.db import connection

        from wangge.core.calendar import LOCAL_TZ

        now = datetime(2026, 11, 9, 10, 0, tzinfo=LOCAL_TZ)
        cases = sized(small=50_000, full=1_000_000)
        units = load_city()
        started = time.perf_counter()
        insert_cases(units, cases, now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{cases:,} open cases inserted in {time.perf_counter() - started:.1f} s")
        # Intake writes each case's statistics snapshot; raw inserts do not, so build them as
        # the rollup rebuild would (setup, not part of the measured sweep).
        from wangge.cases.stats.rollup import rebuild_rollups

        started = time.perf_counter()
        rebuild_rollups()
        print(f"statistics rollups built in {time.perf_counter() - started:.1f} s")
        measure(cases, now)


def load_city() -> list[tuple[int, str]]:
    from wangge.core.scope import Actor
    from wangge.demo.generator import generate_city
    from wangge.orgs.models import OrgUnit
    from wangge.orgs.services import org_tree_import

    org_tree_import(actor=Actor.system(), feature_collection=generate_city(seed=SEED, scale=30))
    return list(OrgUnit.objects.filter(kind="community").order_by("code").values_list("id", "path"))


def insert_cases(units: list[tuple[int, str]], count: int, now: datetime) -> None:
    from django.db import connection, transaction

    from wangge.cases.models import CaseCategory

    rng = random.Random(SEED)
    # As the ORM stores them (SQLite: naive UTC text, compared as text); a raw aware local
    # datetime would be stored with "+08:00" and compare wrong.
    db = connection.ops.adapt_datetimefield_value
    categories = list(
        CaseCategory.objects.filter(parent__isnull=False).values_list("id", flat=True)
    )
    day = timedelta(days=1)
    with transaction.atomic(), connection.cursor() as cursor:
        batch = []
        for index in range(count):
            unit_id, path = units[index % len(units)]
            roll = rng.random()
            card = ""
            if roll < 0.70:
                due = now + day * rng.uniform(14, 40)
                start = due - day * rng.uniform(1, 10)
                card = "yellow" if rng.random() < 0.005 else ""
            elif roll < 0.90:
                due = now + day * rng.uniform(0.01, 5)
                start = due - day * rng.uniform(1, 6)
            else:
                due = now - day * rng.uniform(0.01, 10)
                start = due - day * rng.uniform(1, 5)
                card = "red" if rng.random() < 0.01 else ""
            state = OPEN[index % len(OPEN)]
            batch.append(
                (
                    f"C{index:012d}",
                    rng.choice(categories),
                    "resident",
                    state,
                    "",
                    "路灯不亮",
                    "",
                    "",
                    path,
                    unit_id,
                    path,
                    False,
                    "",
                    "{}",
                    "[]",
                    db(start if state == "reported" else start - day),
                    db(due),
                    db(due + day * 3),
                    False,
                    card,
                    0,
                    0,
                    0,
                    1,
                    db(now),
                )
            )
            if len(batch) == 20_000:
                insert_batch(cursor, batch)
                batch = []
        if batch:
            insert_batch(cursor, batch)


def insert_batch(cursor, batch: list[tuple]) -> None:
    from django.db import connection

    db = connection.ops.adapt_datetimefield_value
    cursor.executemany(
        "INSERT INTO cases_case (number, category_id, source, state, state_before_pause, title,"
        " description, address, path, handler_unit_id, handler_path, anonymous, hotline_number,"
        " attributes, photos, reported_at, stage_due_at, due_at, calendar_warning, card,"
        " extensions, reworks, reopens, version, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s,"
        " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        batch,
    )
    numbers = [row[0] for row in batch]
    cursor.execute(
        "SELECT id, state, reported_at, card FROM cases_case WHERE number >= %s AND number <= %s",
        [numbers[0], numbers[-1]],
    )
    events = []
    for case_id, state, reported_at, card in cursor.fetchall():
        events.append((case_id, db(reported_at), "", "report", "", "reported", "", "[]", "{}"))
        if state in STAGE_EVENT:
            # The stage began with its event, a day after the report.
            began = db(reported_at + timedelta(days=1))
            events.append((case_id, began, "", STAGE_EVENT[state], "", state, "", "[]", "{}"))
        if card == "red":
            events.append(
                (case_id, db(reported_at), "system", "urge", state, state, "", "[]", "{}")
            )
    cursor.executemany(
        "INSERT INTO cases_caseevent (case_id, at, actor_name, action, from_state, to_state,"
        " note, attachments, detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        events,
    )


def naive_sweep(ids: list[int], now: datetime) -> int:
    """The baseline: one case at a time, Python-side checks, per-row saves; returns changes."""
    from wangge.cases.deadlines import schedule_for
    from wangge.cases.models import Case, CaseEvent
    from wangge.cases.sweep import STAGE_ACTIONS
    from wangge.core.calendar import working_time_between

    changed = 0
    for case_id in ids:
        case = Case.objects.select_related("handler_unit").get(pk=case_id)
        if case.state not in OPEN or case.calendar_warning or case.stage_due_at is None:
            continue
        if case.stage_due_at < now:
            card = "red"
        else:
            last = case.events.filter(action__in=STAGE_ACTIONS).order_by("-at").first()
            start = last.at if last else case.reported_at
            marks = list(
                case.events.filter(action__in=("pause", "resume"), at__gte=start)
                .order_by("at")
                .values_list("at", flat=True)
            )
            pauses = list(zip(marks[::2], marks[1::2], strict=False))
            schedule = schedule_for(case.handler_unit)
            allowance = working_time_between(start, case.stage_due_at, schedule, pauses)
            elapsed = working_time_between(start, now, schedule, pauses)
            card = "yellow" if elapsed >= 0.8 * allowance else ""
        if card == case.card:
            continue
        old, case.card = case.card, card
        case.save(update_fields=["card"])
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor_name="system",
            action="card",
            detail={"card": card, "from": old},
        )
        if card == "red" and not case.events.filter(action="urge").exists():
            CaseEvent.objects.create(case=case, at=now, actor_name="system", action="urge")
        changed += 1
    return changed


class Rollback(Exception):
    pass


def measure(cases: int, now: datetime) -> None:
    from django.db import connection, transaction

    from wangge.cases.models import Case, CaseEvent
    from wangge.cases.sweep import deadline_sweep
    from wangge.core.models import AuditEvent

    rng = random.Random(SEED)
    ids = rng.sample(list(Case.objects.values_list("id", flat=True)), min(SAMPLE, cases))
    naive_changes = 0
    started = time.perf_counter()
    try:
        with transaction.atomic():
            naive_changes = naive_sweep(ids, now)
            naive_seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    baseline = naive_seconds * cases / len(ids)
    print(f"naive loop: {len(ids):,} cases in {naive_seconds:.2f} s ({naive_changes:,} changed)")

    started = time.perf_counter()
    first = deadline_sweep(now=now)
    figure = time.perf_counter() - started
    print(f"first sweep: {figure:.2f} s {first}")
    assert first["red"] > 0 and first["yellow"] > 0 and first["cleared"] > 0, first

    def writes() -> tuple[int, int]:
        return CaseEvent.objects.count(), AuditEvent.objects.count()

    before = writes()
    raw = connection.connection if connection.vendor == "sqlite" else None
    changes_before = raw.total_changes if raw is not None else None
    second_now = now + timedelta(seconds=1)
    started = time.perf_counter()
    second = deadline_sweep(now=second_now)
    rerun = time.perf_counter() - started
    print(f"second sweep: {rerun:.2f} s {second}")
    assert (second["red"], second["yellow"], second["cleared"], second["urged"]) == (0,) * 4
    assert writes() == before, "the second run wrote events or audit rows"
    if raw is not None:
        assert raw.total_changes == changes_before, "the second run changed rows"
    record(
        "deadline_sweep",
        f"{cases:,} open cases",
        figure,
        "s",
        baseline,
        10.0,
        second_run_seconds=round(rerun, 2),
        second_run_writes=0,
        first_run=first,
        baseline_what=(
            f"naive per-case loop (load, event queries, working_time_between, save, create "
            f"events) timed on a sample of {len(ids):,} cases and extrapolated linearly to "
            f"{cases:,}: {naive_seconds:.2f} s measured"
        ),
    )


if __name__ == "__main__":
    main()
