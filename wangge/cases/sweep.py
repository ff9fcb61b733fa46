"""The periodic deadline sweep: yellow and red cards and the first urge (督办), in bulk.

`deadline_sweep` runs every five minutes (`manage.py wangge_case_sweep`). For every open case
(not finished, not paused, with a stage deadline; a deadline counted provisionally, in a year whose
holidays are not confirmed, counts like any other) it decides the card the current stage deserves
and writes only the differences:

- red: the stage deadline has passed (`stage_due_at < now`);
- yellow: 80 % of the stage's working time has passed. The stage starts at the case's last
  stage-changing event (STAGE_ACTIONS; `reported_at` when there is none); its time is the
  working time from the start to `stage_due_at` under the holding unit's service hours, minus the
  pauses inside the stage (the clock stops while paused; resume moved the deadline by as much);
- none: otherwise.

A card that no longer fits is dropped as well: when the deadline moves later (an approved
extension, a new stage, a resume) a red case that is no longer overdue goes back to yellow or to
no card. The card shows the risk *now*; the history stays in the timeline (one "card" event per
change) and the on-time figures read the deadlines, not the card. The urge is written only the
first time a case goes red (no earlier "urge" event), so a case is never urged twice.

Beyond the cards the same run escalates: a case still overdue WANGGE_CASE_ESCALATE_AFTER_HOURS
working hours (8 by default; the holder's service hours on the calendar, like every deadline)
after its stage deadline gets one "escalation" event per stage deadline, addressed to the unit
above its holder (its staff are notified); it marks late, as of their due time, the whistle
report-ins whose time passed with none made; and it hands the open cases of handlers whose
leave begins today to their B posts (A/B posts). Each of these is idempotent as well.

Why it is fast: three indexed range queries on (state, stage_due_at) split the open cases into
overdue (red unless already red), far from due (no card; only carded ones are touched) and the
window in between, where the 80 % rule can hold. Only the window needs working time, worked out
with one cumulative working-time table per service schedule (WorkingClock) instead of a calendar
walk per case, and only its cases that may be past 80 % counted from `reported_at` need their
events read (the stage start and pauses). Writes are `update()` per id chunk and the events in
executemany batches (bulk_create's per-row model and field preparation cost five times the
insert). Where the calendar cannot count at all (outside core.calendar.SUPPORTED_YEARS),
wall-clock time stands in (a documented simplification; such cases have no deadline anyway).
Idempotent: a second run right after finds nothing to change and writes nothing at all, not even
its audit row (a run that changed something writes one, counts only).

Cases are not locked and `version` is not bumped: a card is bookkeeping, not a transition, and a
dispatcher's concurrent action must not fail because the sweep passed by. A case moved between the
sweep's read and write may get a stale card; the next run puts it right.
"""

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from wangge.core.audit import audit_record
from wangge.core.calendar import (
    LOCAL_TZ,
    CalendarNotCovered,
    CalendarSnapshot,
    ServiceSchedule,
    add_working_days,
    calendar_snapshot,
)
from wangge.core.id_lists import id_list
from wangge.orgs.codes import parent_code_of
from wangge.orgs.models import OrgUnit
from wangge.orgs.service_hours import service_schedules_in_use

from .assignment import reassign_absent
from .deadlines import schedule_for, verify_hours, working_hours_before
from .enums import Card, CaseState
from .models import Case, CaseCategory, CaseEvent
from .notify_sweep import sweep_notify
from .stats import rollup
from .whistle import mark_late_report_ins

OPEN_STATES = (
    CaseState.REPORTED,
    CaseState.ACCEPTED,
    CaseState.DISPATCHED,
    CaseState.IN_PROGRESS,
    CaseState.HANDLED,
    CaseState.VERIFIED,
)
# Events after which the case runs against a new stage deadline (deadlines.restage was called).
STAGE_ACTIONS = (
    "report",
    "accept",
    "escalate",
    "dispatch",
    "return",
    "handle",
    "rework",
    "reopen",
    "rate",
)
YELLOW_PERCENT = 80
PAUSE_ACTIONS = ("pause", "resume")
# Extensions may lengthen a stage beyond its category's allowance: the window is sized for
# stages up to this many times the longest allowance (an extension rarely doubles a stage).
EXTENSION_MARGIN = 2
CHUNK = 5_000
SYSTEM = "system"


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


class WorkingClock:
    """Service seconds on working days counted from `first`, for one schedule.

    `at(b) - at(a)` equals `working_time_between(a, b, schedule)` for a, b inside [first, last],
    at a few microseconds a call (a bisect and one day's periods) instead of a walk over the days.
    Asia/Shanghai has no daylight saving, so a local day is always 86,400 seconds.
    """

    def __init__(
        self, schedule: ServiceSchedule, snap: CalendarSnapshot, first: date, last: date
    ) -> None:
        snap.require_years(first.year, last.year)
        low = bisect_left(snap.workdays, first.toordinal())
        high = bisect_left(snap.workdays, last.toordinal() + 1)
        self.first, self.last = first.toordinal(), last.toordinal()
        self.days = list(snap.workdays[low:high])
        self.before: list[float] = []
        self.periods: list[list[tuple[int, int]]] = []
        total = 0.0
        for ordinal in self.days:
            ranges = [
                (_seconds(a), _seconds(b)) for a, b in schedule.periods(date.fromordinal(ordinal))
            ]
            self.before.append(total)
            self.periods.append(ranges)
            total += sum(b - a for a, b in ranges)
        self.total = total

    def at(self, moment: datetime) -> float:
        local = moment.astimezone(LOCAL_TZ)
        ordinal = local.toordinal()
        if not self.first <= ordinal <= self.last:
            raise CalendarNotCovered(local.year)
        index = bisect_left(self.days, ordinal)
        if index == len(self.days):
            return self.total
        if self.days[index] != ordinal:  # a rest day: every earlier working day is done
            return self.before[index]
        second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        done = self.before[index]
        for start, end in self.periods[index]:  # a loop, not sum(): called 100,000s of times
            if second > start:
                done += (end if second > end else second) - start
        return done


class WallClock:
    """Wall-clock seconds: the documented fallback where the calendar does not cover the range."""

    @staticmethod
    def at(moment: datetime) -> float:
        return moment.timestamp()


def window_end(now: datetime) -> datetime:
    """Past this moment a stage deadline is too far away for the 80 % rule to hold.

    The longest stage allowance in working days (handling: handle_days plus the rest of the
    first day; hour-based stages at 7 service hours a day), times EXTENSION_MARGIN; a case is yellow
    only when at most 20 % of it remains, so only deadlines within that many working days (and a
    day more, for the day's rest) can qualify, whatever the unit's service hours.
    """
    longest = CaseCategory.objects.aggregate(
        days=Max("handle_days"), accept=Max("accept_hours"), dispatch=Max("dispatch_hours")
    )
    hours = max(longest["accept"] or 0, longest["dispatch"] or 0, verify_hours())
    allowance = max((longest["days"] or 0) + 1, math.ceil(hours / 7) + 1) * EXTENSION_MARGIN
    days = math.ceil(allowance * (100 - YELLOW_PERCENT) / 100) + 1
    today = now.astimezone(LOCAL_TZ).date()
    try:
        last = add_working_days(today, days)
    except CalendarNotCovered:
        last = today + timedelta(days=days * 2 + 14)  # rest days and the longest holiday
    return datetime.combine(last + timedelta(days=1), time(0), LOCAL_TZ)


def _open() -> Q:
    return Q(state__in=OPEN_STATES)


def _stage_starts(ids: list[int]) -> tuple[dict[int, datetime], dict[int, list[datetime]]]:
    """{case id: last stage-changing event}, {case id: its pause and resume times, in order}."""
    starts: dict[int, datetime] = {}
    marks: dict[int, list[datetime]] = defaultdict(list)
    for part in chunks(ids):
        for case_id, at, action in (
            CaseEvent.objects.filter(
                case_id__in=id_list(part), action__in=(*STAGE_ACTIONS, *PAUSE_ACTIONS)
            )
            .values_list("case_id", "at", "action")
            .order_by()
        ):
            if action in PAUSE_ACTIONS:
                marks[case_id].append(at)
            elif case_id not in starts or at > starts[case_id]:
                starts[case_id] = at
    return starts, {key: sorted(value) for key, value in marks.items()}


def _paused(clock, start: datetime, marks: list[datetime], now: datetime) -> float:
    """Working seconds paused inside the stage: pause/resume marks in pairs after `start`."""
    total = 0.0
    marks = [mark for mark in marks if mark >= start]
    for index in range(0, len(marks) - 1, 2):
        total += clock.at(min(marks[index + 1], now)) - clock.at(marks[index])
    return total


def _is_yellow(elapsed: float, remaining: float) -> bool:
    """elapsed >= 80 % of (elapsed + remaining), in whole numbers so 80 % exactly counts."""
    return elapsed * (100 - YELLOW_PERCENT) >= YELLOW_PERCENT * remaining


def _window_cards(now: datetime, end: datetime) -> dict[int, tuple[str, str, str]]:
    """{case id: (current card, deserved card, state)} for the cases due between now and `end`.

    The stage's time is elapsed + remaining (both net of pauses; nothing is paused after now).
    The stage starts no earlier than `reported_at`, so the working time since then bounds the
    elapsed time: where even that is under 80 %, the card is decided without reading events.
    """
    # stage_due_at is never None here (the range filter); the cast says so to the type checker.
    rows = cast(
        list[tuple[int, str, datetime, datetime, int | None, str]],
        list(
            Case.objects.filter(_open(), stage_due_at__gte=now, stage_due_at__lte=end).values_list(
                "id", "card", "stage_due_at", "reported_at", "handler_unit_id", "state"
            )
        ),
    )
    if not rows:
        return {}
    schedules: dict[int | None, ServiceSchedule] = {None: schedule_for(None)}
    for unit in OrgUnit.objects.filter(pk__in={row[4] for row in rows if row[4]}):
        schedules[unit.pk] = schedule_for(unit)
    # The latest due date, not `end`: a deadline exists only where the calendar covered it,
    # while `end` may reach into a year not imported yet.
    first = min(min(row[3] for row in rows), now).astimezone(LOCAL_TZ).date()
    last = max(max(row[2] for row in rows), now).astimezone(LOCAL_TZ).date()
    clocks: dict[ServiceSchedule, tuple[WorkingClock | WallClock, float]] = {}
    snap = calendar_snapshot()
    result: dict[int, tuple[str, str, str]] = {}
    undecided = []
    for case_id, card, due, reported_at, unit_id, state in rows:
        schedule = schedules.get(unit_id, schedules[None])
        if schedule not in clocks:
            clock: WorkingClock | WallClock
            try:
                clock = WorkingClock(schedule, snap, first, last)
            except CalendarNotCovered:
                clock = WallClock()
            clocks[schedule] = (clock, clock.at(now))
        clock, now_at = clocks[schedule]
        remaining = clock.at(due) - now_at
        if not _is_yellow(now_at - clock.at(reported_at), remaining):
            result[case_id] = (card, Card.NONE, state)
        else:
            undecided.append((case_id, card, reported_at, state, clock, now_at, remaining))
    starts, marks = _stage_starts([row[0] for row in undecided])
    for case_id, card, reported_at, state, clock, now_at, remaining in undecided:
        start = max(starts.get(case_id, reported_at), reported_at)
        elapsed = now_at - clock.at(start) - _paused(clock, start, marks.get(case_id, []), now)
        result[case_id] = (
            card,
            Card.YELLOW if _is_yellow(elapsed, remaining) else Card.NONE,
            state,
        )
    return result


def _insert_events(rows: list[tuple[int, str, str, dict]], now: datetime) -> None:
    """(case id, action, state, detail) rows, written with executemany: bulk_create builds a
    model instance and prepares every field of every row, five times the cost of the insert."""
    fields = {field.name: field for field in CaseEvent._meta.concrete_fields}
    at = fields["at"].get_db_prep_save(now, connection)
    empty = fields["attachments"].get_db_prep_save([], connection)
    details: dict[tuple, object] = {}
    params = []
    for case_id, action, state, detail in rows:
        key = tuple(detail.items())
        if key not in details:
            details[key] = fields["detail"].get_db_prep_save(detail, connection)
        params.append((case_id, at, SYSTEM, action, state, state, "", empty, details[key]))
    # In case order: the (case, at) index then grows in runs instead of at random places,
    # which took a million-case first sweep from 10.6 s to 8.3 s.
    params.sort(key=lambda row: row[0])
    with connection.cursor() as cursor:
        for part in chunks(params, 2_000):
            cursor.executemany(
                "INSERT INTO cases_caseevent (case_id, at, actor_name, action,"
                " from_state, to_state, note, attachments, detail)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                part,
            )
    rollup.on_bulk_events(rows, now)
    sweep_notify(rows, now)


def escalate_after_hours() -> float:
    return float(getattr(settings, "WANGGE_CASE_ESCALATE_AFTER_HOURS", 8))


def escalation_cutoffs(now: datetime) -> dict[ServiceSchedule, datetime]:
    """{schedule: the latest stage deadline that has been overdue ESCALATE_AFTER working hours
    by `now`}, for every schedule in use: a handful of calendar walks per run, not one per case.
    Where the calendar cannot count, wall-clock hours stand in (the documented fallback)."""
    return {schedule: _cutoff(now, schedule) for schedule in service_schedules_in_use()}


def _cutoff(now: datetime, schedule: ServiceSchedule) -> datetime:
    hours = escalate_after_hours()
    try:
        return working_hours_before(now, hours, schedule)
    except CalendarNotCovered:
        return now - timedelta(hours=hours)


def _escalations(now: datetime) -> list[tuple[int, str, str, dict]]:
    """Cases overdue ESCALATE_AFTER working hours (the holder's service hours on the calendar)
    past their stage deadline: one "escalation" event per stage deadline, addressed to the unit
    above the holder (its notices go there).

    One indexed range query up to the loosest schedule's cutoff; only when units work to
    different service hours are the rows between the cutoffs checked against their holder's."""
    cutoffs = escalation_cutoffs(now)
    not_yet = Q(escalated_for_due_at__isnull=True) | ~Q(escalated_for_due_at=F("stage_due_at"))
    rows_due = cast(
        list[tuple[int, str, datetime, str, int | None]],
        list(
            Case.objects.filter(
                _open(), not_yet, stage_due_at__lte=max(cutoffs.values())
            ).values_list("id", "state", "stage_due_at", "handler_path", "handler_unit_id")
        ),
    )
    if len(set(cutoffs.values())) > 1:
        units = OrgUnit.objects.in_bulk({row[4] for row in rows_due if row[4] is not None})
        cutoff_of: dict[int | None, datetime] = {}
        for unit_id in {row[4] for row in rows_due}:
            schedule = schedule_for(units.get(unit_id) if unit_id is not None else None)
            if schedule not in cutoffs:  # service hours set since the cutoffs were worked out
                cutoffs[schedule] = _cutoff(now, schedule)
            cutoff_of[unit_id] = cutoffs[schedule]
        rows_due = [row for row in rows_due if row[2] <= cutoff_of[row[4]]]
    late = [row[:4] for row in rows_due]
    rows = []
    for part in chunks(late):
        Case.objects.filter(pk__in=id_list(row[0] for row in part)).update(
            escalated_for_due_at=F("stage_due_at")
        )
        for case_id, state, due, handler_path in part:
            key = due.isoformat() if due is not None else ""
            detail = {
                "due": key,
                "to_unit": parent_code_of(handler_path) or "",
                "reason": "overdue",
            }
            rows.append((case_id, "escalation", state, detail))
    return rows


@transaction.atomic
def deadline_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Issue and drop cards and write the first urge; returns the counts (see the module doc)."""
    now = now or timezone.now()
    end = window_end(now)
    overdue = list(
        Case.objects.filter(_open(), stage_due_at__lt=now)
        .exclude(card=Card.RED)
        .values_list("id", "card", "state")
    )
    window = _window_cards(now, end)
    far = list(
        Case.objects.filter(_open(), stage_due_at__gt=end)
        .exclude(card=Card.NONE)
        .values_list("id", "card", "state")
    )
    changes: list[tuple[int, str, str, str]] = [(i, c, Card.RED, s) for i, c, s in overdue]
    changes += [(i, c, Card.NONE, s) for i, c, s in far]
    changes += [(i, old, new, s) for i, (old, new, s) in window.items() if old != new]
    counts = {
        "checked": len(overdue) + len(window) + len(far),
        "red": len(overdue),
        "yellow": sum(1 for change in changes if change[2] == Card.YELLOW),
        "cleared": sum(1 for change in changes if change[2] == Card.NONE),
        "urged": 0,
        "late_report_ins": mark_late_report_ins(now),
        "reassigned": reassign_absent(now),
    }
    escalations = _escalations(now)
    counts["escalated"] = len(escalations)
    if not changes and not escalations:
        return counts
    by_card: dict[str, list[int]] = defaultdict(list)
    for case_id, _old, new, _state in changes:
        by_card[new].append(case_id)
    for card, ids in by_card.items():
        guard = Q(stage_due_at__lt=now) if card == Card.RED else Q(stage_due_at__gte=now)
        for part in chunks(ids):
            Case.objects.filter(guard, _open(), pk__in=id_list(part)).update(card=card)
    red_ids = by_card.get(Card.RED, [])
    urged_before: set[int] = set()
    for part in chunks(red_ids):
        urged_before.update(
            CaseEvent.objects.filter(case_id__in=id_list(part), action="urge").values_list(
                "case_id", flat=True
            )
        )
    events = [
        (case_id, "card", state, {"card": new, "from": old}) for case_id, old, new, state in changes
    ]
    for case_id, _old, _new, state in changes[: len(overdue)]:
        if case_id not in urged_before:
            events.append((case_id, "urge", state, {"card": Card.RED, "reason": "overdue"}))
            counts["urged"] += 1
    events += escalations
    _insert_events(events, now)
    audit_record(actor=None, action="cases.deadline_sweep", username=SYSTEM, detail=dict(counts))
    return counts
