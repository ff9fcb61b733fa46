"""Whistle and report-in: the street summons two departments, both report in (one late), each
adds its part, the lead completes the joint work; refusals change nothing."""

import pytest
from django.utils import timezone

from wangge.cases import services as s
from wangge.cases.enums import CaseState
from wangge.cases.models import Case, CaseEvent, CaseReportIn, CaseWhistle
from wangge.cases.selectors import case_get, case_queue
from wangge.cases.sweep import deadline_sweep
from wangge.cases.whistle import summonable
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.tests.factories import org_unit, staff_user

from .factories import at_street, category, crew, report, whistled
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
    return team


def test_the_street_whistles_two_departments_and_the_lead_holds_the_case(c, clock):
    case = whistled(c)
    assert case.state == CaseState.DISPATCHED
    assert case.handler_unit == c.street.department
    rows = list(CaseReportIn.objects.filter(case=case).order_by("-is_lead"))
    assert [(row.unit.code, row.is_lead) for row in rows] == [
        (c.street.department.code, True),
        (c.department2.code, False),
    ]
    # Two working hours to report in, from Monday 09:00.
    assert all(row.due_at == local(2026, 11, 2, 11, 0) for row in rows)
    event = CaseEvent.objects.filter(case=case, action="whistle").get()
    assert event.detail["units"] == [c.street.department.code, c.department2.code]
    # The second department sees the case (summoned) and finds it in its queue to report in.
    assert case_get(actor=c.dept2, number=case.number).actions == ["report_in"]
    assert [item.number for item in case_queue(actor=c.dept2, queue="to_report_in").items] == [
        case.number
    ]


def test_report_ins_parts_and_the_lead_completes_the_work(c, clock):
    case = whistled(c)
    clock.set(2026, 11, 2, 10, 0)
    lead_row = s.case_report_in(actor=c.dept, number=case.number)
    assert lead_row.late is False
    # The lead may not complete the joint work while a department has not reported in.
    version = Case.objects.get(pk=case.pk).version
    with pytest.raises(ValidationFailed) as refused:
        s.case_handle(actor=c.dept, number=case.number, version=version)
    assert refused.value.code == "report_ins_missing"
    assert "市场监管所" in str(refused.value.message)
    assert Case.objects.get(pk=case.pk).state == CaseState.DISPATCHED
    # The second department reports in after its two working hours: marked late.
    clock.set(2026, 11, 2, 15, 0)
    late_row = s.case_report_in(actor=c.dept2, number=case.number, note="已到场")
    assert late_row.late is True
    with pytest.raises(ValidationFailed) as twice:
        s.case_report_in(actor=c.dept2, number=case.number)
    assert twice.value.code == "already_reported_in"
    s.case_add_part(actor=c.dept2, number=case.number, note="检查了商户证照")
    assert CaseReportIn.objects.get(case=case, unit=c.department2).part == "检查了商户证照"
    case = s.case_handle(actor=c.dept, number=case.number, version=version, note="已联合整治")
    assert case.state == CaseState.HANDLED
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions[-4:] == ["report_in", "report_in", "add_part", "handle"]


def test_a_part_needs_a_report_in_first_and_a_note(c, clock):
    case = whistled(c)
    with pytest.raises(ValidationFailed) as first:
        s.case_add_part(actor=c.dept2, number=case.number, note="做了")
    assert first.value.code == "not_reported_in"
    s.case_report_in(actor=c.dept2, number=case.number)
    with pytest.raises(ValidationFailed) as empty:
        s.case_add_part(actor=c.dept2, number=case.number, note="  ")
    assert empty.value.field == "note"


def test_the_sweep_marks_a_missing_report_in_late_once(c, clock):
    case = whistled(c)
    clock.set(2026, 11, 2, 16, 0)
    deadline_sweep(now=timezone.now())
    rows = {row.unit_id: row for row in CaseReportIn.objects.filter(case=case)}
    assert rows[c.department2.pk].late is True
    assert rows[c.street.department.pk].late is True
    s.case_report_in(actor=c.dept2, number=case.number)
    assert CaseReportIn.objects.get(case=case, unit=c.department2).late is True


def test_only_the_street_whistles(c, clock):
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    assert "whistle" not in case_get(actor=c.community_a, number=case.number).actions
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        s.case_whistle(
            actor=c.community_a,
            number=case.number,
            version=case.version,
            lead_unit_code=c.street.department.code,
            unit_codes=[c.department2.code],
        )
    assert refused.value.code == "not_at_street"
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version) == (CaseState.ACCEPTED, case.version)
    assert not CaseWhistle.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_whistle_needs_two_departments_in_scope(c, clock):
    case = at_street(c)
    with pytest.raises(ValidationFailed) as one:
        s.case_whistle(
            actor=c.command,
            number=case.number,
            version=case.version,
            lead_unit_code=c.street.department.code,
            unit_codes=[],
        )
    assert (one.value.code, one.value.field) == ("too_few", "unit_codes")
    with pytest.raises(ValidationFailed) as community:
        s.case_whistle(
            actor=c.command,
            number=case.number,
            version=case.version,
            lead_unit_code=c.street.department.code,
            unit_codes=[c.street.community_a.code],
        )
    assert community.value.code == "invalid_target"
    assert not CaseReportIn.objects.exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED


def test_a_department_not_summoned_may_not_report_in_and_nothing_changes(c, clock):
    case = whistled(c)
    with pytest.raises(NotFound):
        s.case_report_in(actor=c.community_b, number=case.number)
    # The community of the place sees the case but is not summoned.
    with pytest.raises(PermissionDenied):
        s.case_report_in(actor=c.community_a, number=case.number)
    assert not CaseReportIn.objects.filter(reported_in_at__isnull=False).exists()
    assert AuditEvent.objects.filter(
        action="cases.case_report_in", result="denied", object_id=case.number
    ).exists()


def test_a_return_ends_the_whistle_and_goes_back_to_the_street(c, clock):
    case = whistled(c)
    case = s.case_return(actor=c.dept, number=case.number, version=case.version, note="非本部门")
    assert case.handler_unit == c.street.street
    assert case.state == CaseState.ACCEPTED
    assert not CaseWhistle.objects.filter(case=case, is_current=True).exists()
    # The second department no longer sees it once the whistle is over.
    with pytest.raises(NotFound):
        case_get(actor=c.dept2, number=case.number)
    returned = CaseEvent.objects.get(case=case, action="return")
    assert returned.detail["unit"] == c.street.street.code


def test_a_whistle_summons_only_the_streets_own_departments_and_a_refusal_changes_nothing(c, clock):
    # A district command centre may whistle a case its street holds, but only the departments
    # of that street: not the district's own bureaux, not another street's stations.
    district = c.street.district
    bureau = org_unit("511402000000D01", "区住建局", OrgUnitKind.DEPARTMENT, district)
    other_street = org_unit("511402002000", "苏祠街道", OrgUnitKind.STREET, district)
    station = org_unit("511402002000D01", "苏祠城管队", OrgUnitKind.DEPARTMENT, other_street)
    district_centre = actor_for(staff_user("cc_district", Role.COMMAND_CENTRE, district))
    case = at_street(c)
    before = Case.objects.values("state", "version", "handler_unit_id").get(pk=case.pk)
    audit_before = AuditEvent.objects.count()
    refusals = []
    for lead, others in (
        (bureau.code, [c.department2.code]),
        (c.street.department.code, [station.code]),
    ):
        with pytest.raises(ValidationFailed) as refused:
            s.case_whistle(
                actor=district_centre,
                number=case.number,
                version=case.version,
                lead_unit_code=lead,
                unit_codes=others,
            )
        refusals.append((refused.value.code, refused.value.field))
        assert "通惠街道" in str(refused.value.message)
    assert refusals == [
        ("not_the_streets_department", "lead_unit_code"),
        ("not_the_streets_department", "unit_codes"),
    ]
    assert not CaseWhistle.objects.exists()
    assert not CaseReportIn.objects.exists()
    assert Case.objects.values("state", "version", "handler_unit_id").get(pk=case.pk) == before
    assert not CaseEvent.objects.filter(case=case, action="whistle").exists()
    denied = AuditEvent.objects.filter(
        action="cases.case_whistle", result="denied", object_id=case.number
    )
    assert [row.detail["reason"] for row in denied] == ["not_the_streets_department"] * 2
    assert AuditEvent.objects.count() == audit_before + 2
    # The form offers only what the service accepts.
    units = OrgUnit.objects.filter(kind=OrgUnitKind.DEPARTMENT)
    offered = {unit.code for unit in summonable(Case.objects.get(pk=case.pk), units)}
    assert offered == {c.street.department.code, c.department2.code}
    # The same actor may summon the street's own departments.
    whistled_case = s.case_whistle(
        actor=district_centre,
        number=case.number,
        version=case.version,
        lead_unit_code=c.street.department.code,
        unit_codes=[c.department2.code],
    )
    assert whistled_case.handler_unit == c.street.department
