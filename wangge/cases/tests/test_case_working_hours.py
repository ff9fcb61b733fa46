"""Working hours on the calendar, not clock hours: the report-in deadline of a whistle, the
sweep's escalation (counted from the stage deadline under the holder's service hours), and the
sweep's late mark on a missed report-in, dated at the deadline, also for a whistle that has
ended since. Time is frozen with time_machine; the dates are in 2026, which the seeded calendar
covers (National Day 1-7 October, adjusted working Saturday 10 October)."""

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from wangge.cases import services as s
from wangge.cases.deadlines import working_hours_before
from wangge.cases.models import Case, CaseEvent, CaseReportIn, CaseWhistle
from wangge.cases.sweep import deadline_sweep
from wangge.core.calendar import DEFAULT_SCHEDULE, LOCAL_TZ, ServiceSchedule, working_time_between
from wangge.orgs.permissions import system_actor
from wangge.orgs.service_hours import service_hours_set

from .factories import POINT_B1, category, crew, report, whistled

pytestmark = pytest.mark.django_db


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture
def c():
    team = crew()
    category()  # accept within 4 working hours
    return team


def rows_of(case: Case) -> dict[int, CaseReportIn]:
    return {row.unit_id: row for row in CaseReportIn.objects.filter(case=case)}


# --- the report-in deadline ----------------------------------------------------------------------


def test_report_in_is_due_two_working_hours_later_across_a_weekend(c, time_machine):
    time_machine.move_to(local(11, 6, 16, 30), tick=False)  # a Friday, an hour before closing
    case = whistled(c)
    # One hour on Friday, one on Monday morning (clock hours would say Friday 18:30).
    assert {row.due_at for row in rows_of(case).values()} == {local(11, 9, 9, 30)}
    # Sunday evening, 50 clock hours later: nobody is late yet.
    time_machine.move_to(local(11, 8, 20, 0), tick=False)
    assert deadline_sweep()["late_report_ins"] == 0
    time_machine.move_to(local(11, 9, 9, 0), tick=False)
    assert s.case_report_in(actor=c.dept2, number=case.number).late is False
    # Past Monday 09:30 the lead department, which has not reported in, is late.
    time_machine.move_to(local(11, 9, 9, 31), tick=False)
    assert deadline_sweep()["late_report_ins"] == 1
    rows = rows_of(case)
    assert (rows[c.street.department.pk].late, rows[c.department2.pk].late) == (True, False)


@pytest.mark.parametrize(
    ("whistled_at", "due"),
    [
        # Half an hour on 30 September, then the National Day holiday, then 8 October.
        (local(9, 30, 17, 0), local(10, 8, 10, 0)),
        # Friday 9 October, then Saturday 10 October, an adjusted working day.
        (local(10, 9, 16, 30), local(10, 10, 9, 30)),
    ],
)
def test_report_in_due_skips_a_holiday_and_counts_an_adjusted_saturday(
    c, time_machine, whistled_at, due
):
    time_machine.move_to(whistled_at, tick=False)
    case = whistled(c)
    assert {row.due_at for row in rows_of(case).values()} == {due}
    time_machine.move_to(due + timedelta(minutes=1), tick=False)
    assert s.case_report_in(actor=c.dept2, number=case.number).late is True
    assert rows_of(case)[c.department2.pk].late_at == due


# --- escalation ----------------------------------------------------------------------------------


def escalations(case: Case) -> int:
    return CaseEvent.objects.filter(case=case, action="escalation").count()


def test_escalation_counts_working_hours_so_a_weekend_does_not_escalate(c, time_machine, settings):
    settings.WANGGE_CASE_ESCALATE_AFTER_HOURS = 8
    time_machine.move_to(local(11, 6, 9, 0), tick=False)  # Friday
    case = report(c.resident)
    assert case.stage_due_at == local(11, 6, 15, 0)  # accept within 4 working hours
    # Sunday evening: 53 clock hours overdue, 2.5 working hours.
    time_machine.move_to(local(11, 8, 20, 0), tick=False)
    assert deadline_sweep()["escalated"] == 0
    # Monday: 2.5 + 3.5 (morning) + 2 (afternoon) working hours are reached at 16:00.
    time_machine.move_to(local(11, 9, 15, 59), tick=False)
    assert deadline_sweep()["escalated"] == 0
    assert escalations(case) == 0
    time_machine.move_to(local(11, 9, 16, 0), tick=False)
    assert deadline_sweep()["escalated"] == 1
    time_machine.move_to(local(11, 9, 16, 5), tick=False)
    assert deadline_sweep()["escalated"] == 0
    assert escalations(case) == 1
    event = CaseEvent.objects.get(case=case, action="escalation")
    assert event.detail["to_unit"] == c.street.street.code
    assert event.at == local(11, 9, 16, 0)


def test_escalation_follows_the_holders_own_service_hours(c, time_machine, settings):
    settings.WANGGE_CASE_ESCALATE_AFTER_HOURS = 8
    # Community b serves 08:00-12:00 and 13:00-18:00 (9 hours a day); community a the defaults.
    service_hours_set(
        actor=system_actor(),
        org_unit_code=c.street.community_b.code,
        morning_start="08:00",
        morning_end="12:00",
        afternoon_start="13:00",
        afternoon_end="18:00",
    )
    time_machine.move_to(local(11, 6, 9, 0), tick=False)
    in_a = report(c.resident)
    in_b = report(c.resident2, point=POINT_B1)
    assert (in_a.stage_due_at, in_b.stage_due_at) == (local(11, 6, 15, 0), local(11, 6, 14, 0))
    # b: Friday 14:00-18:00 and Monday 08:00-12:00 make 8 hours; a has 2.5 + 3.5 by then.
    time_machine.move_to(local(11, 9, 12, 30), tick=False)
    assert deadline_sweep()["escalated"] == 1
    assert (escalations(in_a), escalations(in_b)) == (0, 1)
    time_machine.move_to(local(11, 9, 16, 0), tick=False)
    assert deadline_sweep()["escalated"] == 1
    assert (escalations(in_a), escalations(in_b)) == (1, 1)


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        (local(11, 9, 10, 0), 1, local(11, 9, 9, 0)),
        (local(11, 9, 9, 0), 1, local(11, 6, 17, 0)),  # back over the weekend
        (local(11, 9, 15, 0), 1, local(11, 9, 14, 0)),  # the latest moment, after lunch
        (local(10, 8, 9, 30), 2, local(9, 30, 16, 30)),  # back over National Day
        (local(10, 12, 9, 30), 4, local(10, 10, 14, 30)),  # the adjusted Saturday counts
    ],
)
def test_working_hours_before_on_the_calendar(moment, hours, expected):
    assert working_hours_before(moment, hours, DEFAULT_SCHEDULE) == expected


SCHEDULES = [
    DEFAULT_SCHEDULE,
    ServiceSchedule(
        morning=(time(8, 0), time(12, 0)),
        afternoon=(time(12, 0), time(17, 0)),
        extended_weekdays=frozenset({3}),
        extended_end=time(20, 0),
    ),
]


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    minute=st.integers(min_value=60 * 24 * 20, max_value=60 * 24 * 340),
    quarter_hours=st.integers(min_value=1, max_value=160),
    schedule=st.sampled_from(SCHEDULES),
)
def test_working_hours_before_inverts_the_working_time(minute, quarter_hours, schedule):
    """The answer is the latest moment with exactly that much working time up to `moment`."""
    moment = local(1, 1) + timedelta(minutes=minute)
    wanted = timedelta(minutes=15 * quarter_hours)
    found = working_hours_before(moment, wanted.total_seconds() / 3600, schedule)
    assert working_time_between(found, moment, schedule) == wanted
    assert working_time_between(found + timedelta(seconds=1), moment, schedule) < wanted


# --- late report-ins, marked as of the deadline --------------------------------------------------


def test_the_sweep_dates_a_missed_report_in_at_its_deadline_not_at_the_sweep(c, time_machine):
    time_machine.move_to(local(11, 2, 9, 0), tick=False)  # Monday
    case = whistled(c)
    deadline = local(11, 2, 11, 0)
    assert {row.due_at for row in rows_of(case).values()} == {deadline}
    time_machine.move_to(local(11, 2, 13, 0), tick=False)
    assert s.case_report_in(actor=c.dept2, number=case.number).late_at == deadline
    # The sweep runs three hours after the deadline: the mark says the deadline.
    time_machine.move_to(local(11, 2, 14, 0), tick=False)
    assert deadline_sweep()["late_report_ins"] == 1
    lead = rows_of(case)[c.street.department.pk]
    assert (lead.late, lead.late_at, lead.reported_in_at) == (True, deadline, None)
    assert deadline_sweep()["late_report_ins"] == 0


def test_a_whistle_ended_after_the_deadline_is_still_marked_late_at_the_deadline(c, time_machine):
    time_machine.move_to(local(11, 2, 9, 0), tick=False)
    case = whistled(c)
    # Nobody reported in by 11:00; the lead returns the case at 11:30, before any sweep ran.
    time_machine.move_to(local(11, 2, 11, 30), tick=False)
    s.case_return(actor=c.dept, number=case.number, version=case.version, note="非本部门")
    assert CaseWhistle.objects.get(case=case).ended_at == local(11, 2, 11, 30)
    time_machine.move_to(local(11, 2, 14, 0), tick=False)
    assert deadline_sweep()["late_report_ins"] == 2
    assert {(row.late, row.late_at) for row in rows_of(case).values()} == {
        (True, local(11, 2, 11, 0))
    }


def test_a_whistle_ended_before_the_deadline_is_never_marked_late(c, time_machine):
    time_machine.move_to(local(11, 2, 9, 0), tick=False)
    case = whistled(c)
    time_machine.move_to(local(11, 2, 10, 0), tick=False)
    s.case_return(actor=c.dept, number=case.number, version=case.version, note="非本部门")
    time_machine.move_to(local(11, 2, 14, 0), tick=False)
    assert deadline_sweep()["late_report_ins"] == 0
    assert {(row.late, row.late_at) for row in rows_of(case).values()} == {(False, None)}
