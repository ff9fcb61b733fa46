"""A/B posts: a case dispatched to a handler on leave goes to their B post; recording a leave
(or its first day, through the sweep) hands the open cases over; refusals change nothing."""

from datetime import date

import pytest
from django.utils import timezone

from wangge.cases import services as s
from wangge.cases.models import Case, CaseEvent
from wangge.cases.sweep import deadline_sweep
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.orgs.actors import actor_for
from wangge.orgs.duty import duty_post_set, leave_record, stand_in_for
from wangge.orgs.enums import Role
from wangge.orgs.models import DutyPost, Leave
from wangge.orgs.tests.factories import staff_user

from .factories import category, crew, report
from .test_transitions import Clock, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(local(2026, 11, 2, 9, 0))  # a Monday
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def c(clock):
    team = crew()
    category()
    department = team.street.department
    a_post = staff_user("handler_a", Role.HANDLER, department)
    b_post = staff_user("handler_b", Role.HANDLER, department)
    duty_post_set(actor=team.dept, org_unit_code=department.code, a_user=a_post, b_user=b_post)
    team.a_post, team.b_post = a_post, b_post  # type: ignore[attr-defined]
    return team


def to_street(c) -> Case:
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    return s.case_escalate(
        actor=c.community_a, number=case.number, version=case.version, note="上报"
    )


def dispatch_to_a(c, case: Case) -> Case:
    return s.case_dispatch(
        actor=c.command,
        number=case.number,
        version=case.version,
        unit_code=c.street.department.code,
        assignee="handler_a",
    )


def test_a_case_for_a_handler_on_leave_goes_to_the_b_post(c, clock):
    leave_record(
        actor=c.dept,
        org_unit_code=c.street.department.code,
        user=c.a_post,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 4),
    )
    assert stand_in_for(c.a_post, date(2026, 11, 3)) == c.b_post
    assert stand_in_for(c.a_post, date(2026, 11, 5)) is None
    case = dispatch_to_a(c, to_street(c))
    assert case.assignee == c.b_post
    event = CaseEvent.objects.filter(case=case, action="dispatch").get()
    assert event.detail["stand_in_for"] == "handler_a"


def test_recording_a_leave_hands_the_open_cases_over(c, clock):
    case = dispatch_to_a(c, to_street(c))
    assert case.assignee == c.a_post
    leave_record(
        actor=c.dept,
        org_unit_code=c.street.department.code,
        user=c.a_post,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 2),
        note="病假",
    )
    case.refresh_from_db()
    assert case.assignee == c.b_post
    assert CaseEvent.objects.filter(case=case, action="reassign").count() == 1


def test_a_future_leave_hands_over_on_its_first_day_through_the_sweep(c, clock):
    case = dispatch_to_a(c, to_street(c))
    leave_record(
        actor=c.dept,
        org_unit_code=c.street.department.code,
        user=c.a_post,
        starts_on=date(2026, 11, 4),
        ends_on=date(2026, 11, 6),
    )
    case.refresh_from_db()
    assert case.assignee == c.a_post
    clock.set(2026, 11, 4, 8, 0)
    counts = deadline_sweep(now=timezone.now())
    assert counts["reassigned"] == 1
    case.refresh_from_db()
    assert case.assignee == c.b_post
    assert deadline_sweep(now=timezone.now())["reassigned"] == 0


def test_posts_and_leave_rules_and_denials_change_nothing(c, clock):
    department = c.street.department.code
    with pytest.raises(ValidationFailed) as same:
        duty_post_set(actor=c.dept, org_unit_code=department, a_user=c.a_post, b_user=c.a_post)
    assert same.value.code == "same_person"
    outsider = staff_user("other_dept_person", Role.HANDLER, c.department2)
    with pytest.raises(ValidationFailed) as member:
        duty_post_set(actor=c.dept, org_unit_code=department, a_user=c.a_post, b_user=outsider)
    assert member.value.field == "b_user"
    with pytest.raises(ValidationFailed) as backwards:
        leave_record(
            actor=c.dept,
            org_unit_code=department,
            user=c.a_post,
            starts_on=date(2026, 11, 5),
            ends_on=date(2026, 11, 4),
        )
    assert backwards.value.field == "ends_on"
    # Another department's staff see nothing of this unit; a handler may not set posts.
    with pytest.raises(NotFound):
        leave_record(
            actor=c.dept2,
            org_unit_code=department,
            user=c.a_post,
            starts_on=date(2026, 11, 2),
            ends_on=date(2026, 11, 2),
        )
    with pytest.raises(PermissionDenied):
        duty_post_set(
            actor=actor_for(c.a_post), org_unit_code=department, a_user=c.b_post, b_user=c.a_post
        )
    assert not Leave.objects.exists()
    post = DutyPost.objects.get()
    assert (post.a_user, post.b_user) == (c.a_post, c.b_post)
    assert AuditEvent.objects.filter(action="orgs.duty_post_set", result="denied").exists()


def test_the_assignee_must_handle_for_the_unit(c, clock):
    case = to_street(c)
    with pytest.raises(ValidationFailed) as wrong:
        s.case_dispatch(
            actor=c.command,
            number=case.number,
            version=case.version,
            unit_code=c.street.department.code,
            assignee="dept_sj",
        )
    assert wrong.value.field == "assignee"
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.assignee_id) == ("accepted", None)
