"""Whistle, report-in, parts and extensions through the API, with their refusals."""

import pytest

from wangge.cases.joint_models import CaseExtension
from wangge.cases.models import Case, CaseReportIn
from wangge.cases.tests.factories import POINT_A1, category, crew

from .test_cases_api import client_for, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    team = crew()
    category()
    return team


def at_street(c) -> str:
    worker = client_for(c.grid_worker)
    body = {"category": "T0101", "title": "路灯不亮", "lng": POINT_A1[0], "lat": POINT_A1[1]}
    number = post(worker, "/api/v1/cases", body).json()["number"]
    staff = client_for(c.community_a)
    post(staff, f"/api/v1/cases/{number}/accept", {"version": 1})
    escalated = post(staff, f"/api/v1/cases/{number}/escalate", {"version": 2, "note": "上报街道"})
    assert escalated.status_code == 200, escalated.json()
    return number


def test_whistle_report_in_part_and_handle(c):
    number = at_street(c)
    command = client_for(c.command)
    whistled = post(
        command,
        f"/api/v1/cases/{number}/whistle",
        {
            "version": 3,
            "lead_unit_code": c.street.department.code,
            "unit_codes": [c.department2.code],
        },
    )
    assert whistled.status_code == 200, whistled.json()
    assert whistled.json()["handler_unit"] == c.street.department.code
    second = client_for(c.dept2)
    assert second.get(f"/api/v1/cases/{number}").json()["actions"] == ["report_in"]
    lead = client_for(c.dept)
    early = post(lead, f"/api/v1/cases/{number}/handle", {"version": 4})
    assert early.status_code == 422 and early.json()["code"] == "report_ins_missing"
    assert post(second, f"/api/v1/cases/{number}/report_in", {}).status_code == 200
    assert post(lead, f"/api/v1/cases/{number}/report_in", {}).status_code == 200
    part = post(second, f"/api/v1/cases/{number}/add_part", {"note": "已查处"})
    assert part.status_code == 200
    handled = post(lead, f"/api/v1/cases/{number}/handle", {"version": 4, "note": "完成"})
    assert handled.status_code == 200 and handled.json()["state"] == "handled"


def test_a_department_outside_the_whistle_gets_404_and_changes_nothing(c):
    number = at_street(c)
    outsider = client_for(c.dept2)
    refused = post(outsider, f"/api/v1/cases/{number}/report_in", {})
    assert refused.status_code == 404
    community = client_for(c.community_a)
    refused = post(
        community,
        f"/api/v1/cases/{number}/whistle",
        {
            "version": 3,
            "lead_unit_code": c.street.department.code,
            "unit_codes": [c.department2.code],
        },
    )
    assert refused.status_code == 403
    case = Case.objects.get(number=number)
    assert (case.state, case.version) == ("accepted", 3)
    assert not CaseReportIn.objects.exists()


def test_extension_request_and_approval(c):
    number = at_street(c)
    command = client_for(c.command)
    post(
        command,
        f"/api/v1/cases/{number}/dispatch",
        {"version": 3, "unit_code": c.street.department.code},
    )
    dept = client_for(c.dept)
    asked = post(
        dept,
        f"/api/v1/cases/{number}/extension_request",
        {"version": 4, "days": 2, "note": "等待配件"},
    )
    assert asked.status_code == 200, asked.json()
    own = post(dept, f"/api/v1/cases/{number}/extension_approve", {"version": 4})
    assert own.status_code == 403
    before = Case.objects.get(number=number).due_at
    approved = post(command, f"/api/v1/cases/{number}/extension_approve", {"version": 4})
    assert approved.status_code == 200
    case = Case.objects.get(number=number)
    assert case.extensions == 1
    assert before is not None and case.due_at is not None and case.due_at > before
    assert CaseExtension.objects.get(case=case).status == "approved"
