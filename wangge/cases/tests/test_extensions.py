"""Extension requests: the handler asks, a unit above it decides; approval moves the
deadlines by working days (across the National Day holidays) and counts one extension."""

import pytest
from django.utils import timezone

from wangge.cases import services as s
from wangge.cases.joint_models import CaseExtension, ExtensionStatus
from wangge.cases.models import Case, CaseEvent
from wangge.cases.selectors import case_get
from wangge.core.errors import PermissionDenied, ValidationFailed

from .factories import category, crew, report
from .test_transitions import Clock, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(local(2026, 9, 28, 9, 0))  # the Monday before National Day
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def c(clock):
    team = crew()
    category()
    return team


def at_department(c) -> Case:
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_escalate(
        actor=c.community_a, number=case.number, version=case.version, note="上报"
    )
    return s.case_dispatch(
        actor=c.command,
        number=case.number,
        version=case.version,
        unit_code=c.street.department.code,
    )


def test_an_approved_extension_moves_the_deadlines_over_the_holidays(c, clock):
    case = at_department(c)
    # Handle within 3 working days from Mon 28 Sep: 29, 30 Sep, then the holidays, Thu 8 Oct.
    assert case.stage_due_at == local(2026, 10, 8, 17, 30)
    s.case_extension_request(
        actor=c.dept, number=case.number, version=case.version, days=2, reason="需采购灯具"
    )
    assert "extension_approve" in case_get(actor=c.command, number=case.number).actions
    assert "extension_request" not in case_get(actor=c.dept, number=case.number).actions
    case = s.case_extension_decide(
        actor=c.command, number=case.number, version=case.version, approve=True
    )
    # 2 more working days from Thu 8 Oct: Fri 9, then Sat 10 Oct, an adjusted working day.
    assert case.stage_due_at == local(2026, 10, 10, 17, 30)
    assert case.extensions == 1
    request = CaseExtension.objects.get(case=case)
    assert request.status == ExtensionStatus.APPROVED
    assert request.new_due_at == case.due_at
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))[-2:] == [
        "extension_request",
        "extension_approve",
    ]


def test_a_unit_does_not_approve_its_own_extension_and_nothing_changes(c, clock):
    case = at_department(c)
    s.case_extension_request(
        actor=c.dept, number=case.number, version=case.version, days=2, reason="等待材料"
    )
    with pytest.raises(PermissionDenied):
        s.case_extension_decide(
            actor=c.dept, number=case.number, version=case.version, approve=True
        )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.stage_due_at, fresh.extensions, fresh.version) == (
        case.stage_due_at,
        0,
        case.version,
    )
    assert CaseExtension.objects.get(case=case).status == ExtensionStatus.PENDING


def test_a_rejection_needs_a_reason_and_keeps_the_deadline(c, clock):
    case = at_department(c)
    s.case_extension_request(
        actor=c.dept, number=case.number, version=case.version, days=3, reason="人手不足"
    )
    with pytest.raises(ValidationFailed) as bare:
        s.case_extension_decide(
            actor=c.command, number=case.number, version=case.version, approve=False
        )
    assert bare.value.field == "note"
    case = s.case_extension_decide(
        actor=c.command, number=case.number, version=case.version, approve=False, note="可按期完成"
    )
    assert case.extensions == 0
    assert CaseExtension.objects.get(case=case).status == ExtensionStatus.REJECTED


def test_request_rules(c, clock):
    case = at_department(c)
    for days in (0, 31, "x"):
        with pytest.raises(ValidationFailed) as wrong:
            s.case_extension_request(
                actor=c.dept, number=case.number, version=case.version, days=days, reason="r"
            )
        assert wrong.value.field == "days"
    with pytest.raises(ValidationFailed) as no_reason:
        s.case_extension_request(
            actor=c.dept, number=case.number, version=case.version, days=1, reason=""
        )
    assert no_reason.value.field == "reason"
    s.case_extension_request(
        actor=c.dept, number=case.number, version=case.version, days=1, reason="r"
    )
    with pytest.raises(ValidationFailed) as second:
        s.case_extension_request(
            actor=c.dept, number=case.number, version=case.version, days=1, reason="r"
        )
    assert second.value.code == "extension_pending"
    # Another department may not ask for this case's time.
    with pytest.raises(Exception) as other:
        s.case_extension_request(
            actor=c.dept2, number=case.number, version=case.version, days=1, reason="r"
        )
    assert type(other.value).__name__ == "NotFound"
    assert CaseExtension.objects.filter(case=case).count() == 1
