"""The deadline sweep: yellow at 80 % of the stage's working time, red when overdue, the first
urge only, idempotent runs, untouched paused/finished cases, provisionally counted deadlines
carded like any other, and cards that drop when the deadline moves later."""

import random
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from wangge.cases import services as s
from wangge.cases.enums import Card, CaseState
from wangge.cases.models import Case, CaseEvent
from wangge.cases.sweep import WorkingClock, deadline_sweep
from wangge.core.calendar import (
    DEFAULT_SCHEDULE,
    LOCAL_TZ,
    ServiceSchedule,
    calendar_snapshot,
    working_time_between,
)
from wangge.core.models import AuditEvent

from .factories import category, crew, report

pytestmark = pytest.mark.django_db


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(local(11, 2, 9, 0))  # a Monday
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def c(clock):
    team = crew()
    category()  # accept within 4 working hours, handle within 3 working days
    return team


def events(case: Case, action: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, action=action))


def card_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).card


def writes() -> tuple[int, int]:
    return CaseEvent.objects.count(), AuditEvent.objects.filter(
        action="cases.deadline_sweep"
    ).count()


def test_yellow_at_80_percent_of_the_working_time(c):
    case = report(c.resident)
    # Reported Monday 09:00, accept within 4 working hours: due 15:00 (lunch 12:00-14:00 does
    # not count). 80 % = 3 h 12 min of working time: 14:12.
    assert case.stage_due_at == local(11, 2, 15, 0)
    assert deadline_sweep(now=local(11, 2, 14, 11))["yellow"] == 0
    assert card_of(case) == Card.NONE
    counts = deadline_sweep(now=local(11, 2, 14, 12))
    assert counts["yellow"] == 1
    assert card_of(case) == Card.YELLOW
    [event] = events(case, "card")
    assert (event.detail["card"], event.actor_id, event.actor_name) == ("yellow", None, "system")
    assert events(case, "urge") == []


def test_lunch_break_does_not_count_towards_the_80_percent(c):
    case = report(c.resident)
    # Wall-clock 80 % of 09:00-15:00 would be 13:48; in working time only 3 h have passed.
    deadline_sweep(now=local(11, 2, 13, 48))
    assert card_of(case) == Card.NONE


def test_red_when_overdue_with_one_urge_and_one_audit_row(c):
    case = report(c.resident)
    counts = deadline_sweep(now=local(11, 2, 15, 1))
    assert (counts["red"], counts["urged"]) == (1, 1)
    assert card_of(case) == Card.RED
    assert [e.detail["card"] for e in events(case, "card")] == ["red"]
    [urge] = events(case, "urge")
    assert urge.detail["reason"] == "overdue"
    [audit] = AuditEvent.objects.filter(action="cases.deadline_sweep")
    assert (audit.actor_id, audit.actor_username) == (None, "system")
    assert audit.detail == counts


def test_a_second_run_right_after_writes_nothing(c):
    yellow = report(c.resident)
    red = report(c.resident2, title="井盖缺失")
    Case.objects.filter(pk=red.pk).update(stage_due_at=local(11, 2, 9, 30))
    first = deadline_sweep(now=local(11, 2, 14, 30))
    assert (first["red"], first["yellow"]) == (1, 1)
    assert (card_of(yellow), card_of(red)) == (Card.YELLOW, Card.RED)
    before = writes()
    updated = list(Case.objects.values_list("id", "card", "version", "updated_at"))
    second = deadline_sweep(now=local(11, 2, 14, 31))
    assert (second["red"], second["yellow"], second["cleared"], second["urged"]) == (0, 0, 0, 0)
    assert writes() == before
    assert list(Case.objects.values_list("id", "card", "version", "updated_at")) == updated


def test_urge_only_the_first_time_the_case_goes_red(c, clock):
    case = report(c.resident)
    deadline_sweep(now=local(11, 2, 15, 1))
    clock.now = local(11, 2, 15, 30)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    # Accepted: a new stage (dispatch within 4 working hours, due Tuesday 10:30): the red card
    # of the accept stage drops.
    deadline_sweep(now=local(11, 2, 15, 35))
    assert card_of(case) == Card.NONE
    counts = deadline_sweep(now=local(11, 3, 11, 0))
    assert (counts["red"], counts["urged"]) == (1, 0)
    assert card_of(case) == Card.RED
    assert [e.detail["card"] for e in events(case, "card")] == ["red", "", "red"]
    assert len(events(case, "urge")) == 1


def test_paused_finished_and_undated_cases_are_untouched(c):
    cases = {state: report(c.resident, title=f"t-{state}") for state in ("paused", "closed")}
    Case.objects.filter(pk=cases["paused"].pk).update(state=CaseState.PAUSED, card=Card.YELLOW)
    Case.objects.filter(pk=cases["closed"].pk).update(state=CaseState.CLOSED)
    # A date the calendar could not count in at all leaves the case flagged and without deadline.
    warned = report(c.resident, title="t-warned")
    Case.objects.filter(pk=warned.pk).update(
        calendar_warning=True, card=Card.YELLOW, stage_due_at=None
    )
    no_due = report(c.resident, title="t-no-due")
    Case.objects.filter(pk=no_due.pk).update(stage_due_at=None)
    before = writes()
    counts = deadline_sweep(now=local(11, 20, 9, 0))
    assert counts["checked"] == 0
    assert writes() == before
    assert [card_of(case) for case in (cases["paused"], cases["closed"], warned, no_due)] == [
        Card.YELLOW,
        Card.NONE,
        Card.YELLOW,
        Card.NONE,
    ]


def test_a_deadline_in_a_year_without_its_schedule_is_carded_like_any_other(c, clock):
    # 2027's holidays are not in the calendar: Monday 1 March 2027 is an ordinary working day.
    clock.now = datetime(2027, 3, 1, 9, 0, tzinfo=LOCAL_TZ)
    case = report(c.resident)
    assert case.calendar_warning is True
    assert case.stage_due_at == datetime(2027, 3, 1, 15, 0, tzinfo=LOCAL_TZ)
    deadline_sweep(now=datetime(2027, 3, 1, 14, 11, tzinfo=LOCAL_TZ))
    assert card_of(case) == Card.NONE
    deadline_sweep(now=datetime(2027, 3, 1, 14, 12, tzinfo=LOCAL_TZ))
    assert card_of(case) == Card.YELLOW
    deadline_sweep(now=datetime(2027, 3, 1, 15, 1, tzinfo=LOCAL_TZ))
    assert card_of(case) == Card.RED


def test_a_deadline_moved_later_drops_the_card(c):
    """An approved extension (or a resume) moves stage_due_at later: the card shows the risk now,
    so red drops to yellow or to none; the earlier card stays in the timeline."""
    case = report(c.resident)
    deadline_sweep(now=local(11, 2, 15, 1))
    Case.objects.filter(pk=case.pk).update(stage_due_at=local(11, 2, 16, 0))
    counts = deadline_sweep(now=local(11, 2, 15, 10))
    assert counts["yellow"] == 1  # 5 h of working time, 4 h 10 min passed: over 80 %
    assert card_of(case) == Card.YELLOW
    Case.objects.filter(pk=case.pk).update(stage_due_at=local(11, 30, 17, 30))
    counts = deadline_sweep(now=local(11, 2, 15, 20))
    assert counts["cleared"] == 1
    assert card_of(case) == Card.NONE
    assert [e.detail["card"] for e in events(case, "card")] == ["red", "yellow", ""]
    assert len(events(case, "urge")) == 1


def test_paused_time_does_not_count_as_elapsed(c, clock):
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_dispatch(
        actor=c.community_a,
        number=case.number,
        version=case.version,
        unit_code=c.street.community_a.code,
    )
    # Dispatched Monday 09:00, 3 working days: due Thursday 17:30 (24 h 30 min of working time
    # with Monday; 80 % = 19 h 36 min, reached Thursday 10:06 without pauses).
    assert case.stage_due_at == local(11, 5, 17, 30)
    clock.now = local(11, 2, 9, 0)
    case = s.case_pause(actor=c.community_a, number=case.number, version=case.version, note="等")
    clock.now = local(11, 3, 9, 0)  # paused for the rest of Monday: 7 working hours
    case = s.case_resume(actor=c.community_a, number=case.number, version=case.version)
    assert case.stage_due_at == local(11, 6, 17, 30)
    deadline_sweep(now=local(11, 5, 10, 30))  # 80 % without the pause, not with it
    assert card_of(case) == Card.NONE
    deadline_sweep(now=local(11, 6, 10, 10))
    assert card_of(case) == Card.YELLOW


@pytest.mark.parametrize(
    "schedule",
    [DEFAULT_SCHEDULE, ServiceSchedule(extended_weekdays=frozenset({3}), extended_end=time(20, 0))],
)
def test_working_clock_agrees_with_the_calendar(c, schedule):
    snap = calendar_snapshot()
    clock = WorkingClock(schedule, snap, local(9, 1).date(), local(12, 31).date())
    rng = random.Random(4)
    for _ in range(300):
        a = local(9, 1) + timedelta(minutes=rng.randrange(0, 120_000))
        b = a + timedelta(minutes=rng.randrange(0, 20_000))
        expected = working_time_between(a, b, schedule).total_seconds()
        assert clock.at(b) - clock.at(a) == pytest.approx(expected)


def test_the_command_prints_the_counts(c, english, clock):
    report(c.resident)
    clock.now = local(11, 2, 15, 1)
    out = StringIO()
    call_command("wangge_case_sweep", stdout=out)
    assert out.getvalue().strip() == "1 cases checked: 1 red, 0 yellow, 0 cleared, 1 urged"


def test_a_case_overdue_a_working_day_past_its_deadline_is_escalated_once(monkeypatch):
    from wangge.cases.tests.factories import category, crew, report
    from wangge.cases.tests.test_transitions import local

    team = crew()
    category()
    monday = local(2026, 11, 2, 9, 0)
    monkeypatch.setattr("django.utils.timezone.now", lambda: monday)
    case = report(team.resident)
    # Accept within 4 working hours: due Monday 15:00 (after the lunch break); 8 working hours
    # after that (the default: Monday 2.5, Tuesday 3.5 + 2) it escalates to the street.
    assert deadline_sweep(now=local(2026, 11, 3, 15, 59))["escalated"] == 0
    counts = deadline_sweep(now=local(2026, 11, 3, 16, 0))
    assert counts["escalated"] == 1
    event = CaseEvent.objects.get(case=case, action="escalation")
    assert event.detail["to_unit"] == team.street.street.code
    assert deadline_sweep(now=local(2026, 11, 3, 16, 5))["escalated"] == 0
