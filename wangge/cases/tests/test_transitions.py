"""The case loop through its transition services: the happy path, returns, pauses, rework,
ratings, reopening, optimistic locking and deadlines per stage."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from wangge.cases import services as s
from wangge.cases.enums import CaseState
from wangge.cases.models import Case, CaseEvent
from wangge.core.calendar import LOCAL_TZ
from wangge.core.errors import Conflict, ValidationFailed
from wangge.core.models import AuditEvent

from .factories import category, crew, report

pytestmark = pytest.mark.django_db


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> None:
        self.now = local(year, month, day, hour, minute)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(local(2026, 11, 2, 9, 0))  # a Monday
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def c(clock):
    team = crew()
    category()
    return team


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def actions(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))


def dispatched(c, *, to=None) -> Case:
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_escalate(
        actor=c.community_a, number=case.number, version=case.version, note="需要街道协调"
    )
    unit = to or c.street.department
    return s.case_dispatch(
        actor=c.command, number=case.number, version=case.version, unit_code=unit.code
    )


def test_the_whole_happy_path(c, clock):
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=1)
    assert (case.state, case.version) == (CaseState.ACCEPTED, 2)
    # Dispatch within 4 working hours from 09:00.
    assert case.stage_due_at == local(2026, 11, 2, 15, 0)
    case = s.case_dispatch(
        actor=c.community_a,
        number=case.number,
        version=case.version,
        unit_code=c.street.community_a.code,
    )
    assert case.state == CaseState.DISPATCHED
    assert case.stage_due_at == local(2026, 11, 5, 17, 30)  # 3 working days
    case = s.case_start(actor=c.community_a, number=case.number, version=case.version)
    clock.set(2026, 11, 3, 10, 0)
    case = s.case_handle(
        actor=c.community_a,
        number=case.number,
        version=case.version,
        note="已更换灯泡",
        attachments=["photos/after.jpg"],
    )
    assert case.state == CaseState.HANDLED
    case = s.case_verify(actor=c.grid_worker, number=case.number, version=case.version)
    case = s.case_close(actor=c.community_a, number=case.number, version=case.version)
    assert case.state == CaseState.CLOSED and case.closed_at == local(2026, 11, 3, 10, 0)
    assert case.stage_due_at is None
    case = s.case_rate(actor=c.resident, number=case.number, rating=5, comment="很快")
    assert (case.state, case.rating, case.reopens) == (CaseState.RATED, 5, 0)
    assert actions(case) == [
        "report",
        "accept",
        "dispatch",
        "start",
        "handle",
        "verify",
        "close",
        "rate",
    ]
    handle = CaseEvent.objects.get(case=case, action="handle")
    assert handle.attachments == ["photos/after.jpg"]
    assert (handle.from_state, handle.to_state, handle.note) == (
        "in_progress",
        "handled",
        "已更换灯泡",
    )
    assert handle.actor == c.community_a.user
    audited = set(AuditEvent.objects.filter(object_id=case.number).values_list("action", flat=True))
    assert {"cases.case_report", "cases.case_dispatch", "cases.case_rate"} <= audited
    assert case.version == 8


def test_escalate_then_the_street_dispatches_to_a_department(c):
    case = dispatched(c)
    assert case.handler_unit == c.street.department
    assert case.handler_path == c.street.department.path
    escalate = CaseEvent.objects.get(case=case, action="escalate")
    assert escalate.detail == {"unit": c.street.street.code, "from_unit": c.street.community_a.code}
    # The street cannot escalate further.
    other = report(c.resident)
    other = s.case_accept(actor=c.command, number=other.number, version=1)
    other = s.case_escalate(actor=c.command, number=other.number, version=other.version, note="x")
    with pytest.raises(ValidationFailed) as caught:
        s.case_escalate(actor=c.command, number=other.number, version=other.version, note="x")
    assert caught.value.code == "already_at_street"


def test_return_goes_back_to_the_dispatcher_and_it_is_dispatched_again(c):
    case = dispatched(c)
    case = s.case_start(actor=c.dept, number=case.number, version=case.version)
    with pytest.raises(ValidationFailed) as caught:
        s.case_return(actor=c.dept, number=case.number, version=case.version)
    assert caught.value.field == "note"
    case = s.case_return(
        actor=c.dept, number=case.number, version=case.version, note="不属于城管职责"
    )
    assert case.state == CaseState.ACCEPTED
    assert case.handler_unit == c.street.street
    case = s.case_dispatch(
        actor=c.command, number=case.number, version=case.version, unit_code=c.department2.code
    )
    assert case.handler_unit == c.department2
    assert actions(case)[-3:] == ["start", "return", "dispatch"]


def test_dispatch_only_to_a_department_or_community_in_scope(c):
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=1)
    for code in (c.street.department.code, c.street.community_b.code, c.street.grid_a1.code):
        with pytest.raises(ValidationFailed) as caught:
            s.case_dispatch(
                actor=c.community_a, number=case.number, version=case.version, unit_code=code
            )
        assert caught.value.code == "invalid_target"
    assert fresh(case).version == case.version


def test_pause_and_resume_move_the_deadlines_by_the_paused_working_time(c, clock):
    case = dispatched(c)
    case = s.case_start(actor=c.dept, number=case.number, version=case.version)
    due, stage_due = case.due_at, case.stage_due_at
    assert stage_due == local(2026, 11, 5, 17, 30)
    clock.set(2026, 11, 2, 10, 0)
    case = s.case_pause(actor=c.dept, number=case.number, version=case.version, note="等待配件")
    assert case.state == CaseState.PAUSED and case.state_before_pause == CaseState.IN_PROGRESS
    # 10:00-12:00 and 14:00-15:00: three working hours paused.
    clock.set(2026, 11, 2, 15, 0)
    case = s.case_resume(actor=c.dept, number=case.number, version=case.version)
    assert case.state == CaseState.IN_PROGRESS
    assert case.paused_at is None
    assert case.stage_due_at == local(2026, 11, 6, 11, 30)
    assert case.due_at == local(2026, 11, 6, 11, 30)
    assert due == stage_due
    resume = CaseEvent.objects.get(case=case, action="resume")
    assert resume.detail == {"paused_working_minutes": 180}


def test_a_pause_over_a_weekend_moves_nothing(c, clock):
    case = dispatched(c)
    stage_due = case.stage_due_at
    clock.set(2026, 11, 7, 10, 0)  # Saturday
    case = s.case_pause(actor=c.dept, number=case.number, version=case.version, note="x")
    clock.set(2026, 11, 8, 10, 0)  # Sunday
    case = s.case_resume(actor=c.dept, number=case.number, version=case.version)
    assert case.state == CaseState.DISPATCHED
    assert case.stage_due_at == stage_due


def test_rework_counts_and_gives_a_fresh_handling_period(c, clock):
    case = dispatched(c)
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    clock.set(2026, 11, 4, 9, 0)
    case = s.case_rework(
        actor=c.grid_worker, number=case.number, version=case.version, note="灯仍不亮"
    )
    assert (case.state, case.reworks) == (CaseState.IN_PROGRESS, 1)
    assert case.handler_unit == c.street.department
    assert case.stage_due_at == local(2026, 11, 9, 17, 30)


def test_a_bad_rating_reopens_once_and_a_second_is_only_recorded(c, clock):
    case = dispatched(c)
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    case = s.case_verify(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_close(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_rate(actor=c.resident, number=case.number, rating=2, comment="没修好")
    assert (case.state, case.reopens, case.rating) == (CaseState.IN_PROGRESS, 1, 2)
    assert case.handler_unit == c.street.department  # back to its last handler
    assert case.closed_at is None
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    case = s.case_verify(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_close(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_rate(actor=c.resident, number=case.number, rating=1)
    assert (case.state, case.reopens, case.rating) == (CaseState.RATED, 1, 1)
    rates = CaseEvent.objects.filter(case=case, action="rate").order_by("id")
    assert [event.detail["reopened"] for event in rates] == [True, False]


def test_rating_is_a_whole_number_from_one_to_five_on_a_closed_case(c):
    case = dispatched(c)
    with pytest.raises(ValidationFailed) as caught:
        s.case_rate(actor=c.resident, number=case.number, rating=5)
    assert caught.value.code == "invalid_transition"
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    case = s.case_verify(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_close(actor=c.community_a, number=case.number, version=case.version)
    for bad in (0, 6, True, "5"):
        with pytest.raises(ValidationFailed) as caught:
            s.case_rate(actor=c.resident, number=case.number, rating=bad)
        assert caught.value.field == "rating"
    assert fresh(case).state == CaseState.CLOSED


def test_the_reporter_reopens_within_the_window(c, clock, settings):
    settings.WANGGE_CASE_REOPEN_DAYS = 7
    case = dispatched(c)
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    case = s.case_verify(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_close(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_rate(actor=c.resident, number=case.number, rating=4)
    clock.now = clock.now + timedelta(days=8)
    with pytest.raises(ValidationFailed) as caught:
        s.case_reopen(actor=c.resident, number=case.number, note="又坏了")
    assert caught.value.code == "reopen_expired"
    clock.now = clock.now - timedelta(days=2)
    case = s.case_reopen(actor=c.resident, number=case.number, note="又坏了")
    assert (case.state, case.reopens) == (CaseState.IN_PROGRESS, 1)


def test_reject_needs_a_reason_and_merge_points_at_an_open_case(c):
    first = report(c.resident)
    second = report(c.resident2)
    with pytest.raises(ValidationFailed):
        s.case_reject(actor=c.community_a, number=second.number, version=1)
    merged = s.case_merge(
        actor=c.community_a, number=second.number, version=1, into_number=first.number
    )
    assert merged.state == CaseState.MERGED and merged.merged_into == first
    third = report(c.resident)
    with pytest.raises(ValidationFailed) as caught:
        s.case_merge(actor=c.community_a, number=third.number, version=1, into_number=second.number)
    assert caught.value.code == "target_finished"
    rejected = s.case_reject(actor=c.community_a, number=third.number, version=1, note="重复")
    assert rejected.state == CaseState.REJECTED and rejected.stage_due_at is None


def test_two_dispatchers_at_once_one_wins_and_nothing_is_lost(c):
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=1)
    loaded = case.version
    won = s.case_dispatch(
        actor=c.command, number=case.number, version=loaded, unit_code=c.street.department.code
    )
    with pytest.raises(Conflict) as caught:
        s.case_dispatch(
            actor=c.community_a,
            number=case.number,
            version=loaded,
            unit_code=c.street.community_a.code,
        )
    assert caught.value.code == "version_conflict"
    after = fresh(case)
    assert (after.handler_unit, after.version) == (c.street.department, won.version)
    assert actions(after).count("dispatch") == 1


def test_a_stage_in_a_year_without_its_schedule_flags_the_case(c, clock):
    clock.set(2027, 3, 1, 9, 0)
    case = report(c.resident, now=local(2026, 12, 1, 9, 0))
    assert case.calendar_warning is False
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    assert case.calendar_warning is True
    # Dispatch within 4 working hours of Monday 1 March 2027 09:00 (weekends only are off).
    assert case.stage_due_at == local(2027, 3, 1, 15, 0)
    assert case.due_at == local(2026, 12, 4, 17, 30)
