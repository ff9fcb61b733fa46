"""Who may see and move a case. Every denial checks that nothing changed (state, version,
events) and that the denial is in the audit trail."""

import pytest

from wangge.cases import services as s
from wangge.cases.enums import CaseState
from wangge.cases.models import Case, CaseEvent
from wangge.cases.selectors import case_get
from wangge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent, AuditResult
from wangge.core.scope import Actor

from .factories import category, crew, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    team = crew()
    category()
    return team


def snapshot(case: Case) -> tuple:
    row = Case.objects.get(pk=case.pk)
    return (
        row.state,
        row.version,
        row.handler_unit_id,
        CaseEvent.objects.filter(case=case).count(),
    )


def denied_rows(action: str) -> int:
    return AuditEvent.objects.filter(action=action, result=AuditResult.DENIED).count()


def test_out_of_scope_is_not_found_and_changes_nothing(c):
    case = report(c.resident)
    before = snapshot(case)
    with pytest.raises(NotFound):
        s.case_accept(actor=c.community_b, number=case.number, version=1)
    with pytest.raises(NotFound):
        s.case_accept(actor=c.dept, number=case.number, version=1)
    with pytest.raises(NotFound):
        case_get(actor=c.community_b, number=case.number)
    assert snapshot(case) == before
    assert denied_rows("cases.case_accept") == 2


def test_a_missing_number_looks_like_an_out_of_scope_one(c):
    with pytest.raises(NotFound) as missing:
        s.case_accept(actor=c.community_a, number="SJ20260101999999", version=1)
    assert missing.value.code == "not_found"


def test_in_scope_without_the_role_is_denied_and_changes_nothing(c):
    case = report(c.resident)
    before = snapshot(case)
    # The grid worker sees the case (its grid) but does not dispatch.
    with pytest.raises(PermissionDenied):
        s.case_accept(actor=c.grid_worker, number=case.number, version=1)
    assert snapshot(case) == before
    assert denied_rows("cases.case_accept") == 1


def test_the_wrong_state_names_the_state_and_changes_nothing(c, english):
    case = report(c.resident)
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as caught:
        s.case_close(actor=c.community_a, number=case.number, version=1)
    assert caught.value.code == "invalid_transition"
    assert "Reported" in caught.value.message
    assert caught.value.detail["state"] == CaseState.REPORTED
    assert snapshot(case) == before


def test_a_stale_version_changes_nothing(c):
    case = report(c.resident)
    s.case_accept(actor=c.community_a, number=case.number, version=1)
    before = snapshot(case)
    with pytest.raises(Conflict) as caught:
        s.case_reject(actor=c.community_a, number=case.number, version=1, note="x")
    assert caught.value.code == "version_conflict"
    assert snapshot(case) == before


def test_a_department_sees_and_works_what_is_routed_to_it_and_nothing_else(c):
    routed = report(c.resident)
    routed = s.case_accept(actor=c.command, number=routed.number, version=1)
    routed = s.case_dispatch(
        actor=c.command,
        number=routed.number,
        version=routed.version,
        unit_code=c.street.department.code,
    )
    other = report(c.resident)
    assert case_get(actor=c.dept, number=routed.number).case == routed
    assert case_get(actor=c.dept, number=routed.number).actions == [
        "start",
        "return",
        "pause",
        "handle",
        "extension_request",
    ]
    with pytest.raises(NotFound):
        case_get(actor=c.dept, number=other.number)
    with pytest.raises(NotFound):
        case_get(actor=c.dept2, number=routed.number)
    before = snapshot(routed)
    with pytest.raises(NotFound):
        s.case_start(actor=c.dept2, number=routed.number, version=routed.version)
    assert snapshot(routed) == before
    s.case_start(actor=c.dept, number=routed.number, version=routed.version)


def test_only_the_reporter_rates_and_reopens(c):
    case = report(c.resident)
    number = case.number
    case = s.case_accept(actor=c.community_a, number=number, version=1)
    unit = c.street.community_a.code
    case = s.case_dispatch(actor=c.community_a, number=number, version=2, unit_code=unit)
    case = s.case_handle(actor=c.community_a, number=number, version=case.version)
    case = s.case_verify(actor=c.community_a, number=number, version=case.version)
    case = s.case_close(actor=c.community_a, number=number, version=case.version)
    before = snapshot(case)
    with pytest.raises(NotFound):
        s.case_rate(actor=c.resident2, number=number, rating=1)
    with pytest.raises(PermissionDenied):
        s.case_rate(actor=c.community_a, number=number, rating=1)
    with pytest.raises(NotFound):
        s.case_reopen(actor=c.resident2, number=number, note="x")
    with pytest.raises(NotFound):
        s.case_rate(actor=Actor(user=None), number=number, rating=1)
    assert snapshot(case) == before
    assert Case.objects.get(pk=case.pk).rating is None
    assert denied_rows("cases.case_rate") == 3


def test_verification_is_by_the_place_not_the_handler(c):
    case = report(c.resident)
    case = s.case_accept(actor=c.command, number=case.number, version=1)
    case = s.case_dispatch(
        actor=c.command, number=case.number, version=2, unit_code=c.street.department.code
    )
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        s.case_verify(actor=c.dept, number=case.number, version=case.version)
    assert snapshot(case) == before
    s.case_verify(actor=c.grid_worker, number=case.number, version=case.version)


def test_the_system_actor_may_take_any_transition(c):
    case = report(c.resident)
    case = s.case_accept(actor=Actor.system(), number=case.number, version=1)
    assert CaseEvent.objects.filter(case=case, action="accept").get().actor_name == "system"
