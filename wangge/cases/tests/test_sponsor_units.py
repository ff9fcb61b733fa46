"""Sponsor units: offered as handler for matters in their compound, and their weekly issue
lists (generated Thursday, answered by Friday, exported to xlsx)."""

import io
import zipfile
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone
from python_calamine import CalamineWorkbook

from wangge.cases import services as s
from wangge.cases.joint_models import SponsorIssueItem, SponsorIssueList
from wangge.cases.routing import suggested_handler
from wangge.cases.selectors import dispatch_targets
from wangge.cases.sponsor_lists import sponsor_issue_answer, sponsor_issue_lists_generate, week_of
from wangge.core.calendar import LOCAL_TZ
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.registry.tests.factories import make_building, make_compound

from .factories import category, crew, report
from .test_transitions import Clock, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(local(2026, 11, 19, 9, 0))  # a Thursday
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def c(clock):
    team = crew()
    category()
    compound = make_compound(team.street.grid_a1, sponsor_unit=team.department2)
    building = make_building(team.street.grid_a1, compound=compound)
    team.point = (building.lng, building.lat)  # type: ignore[attr-defined]
    return team


def test_the_sponsor_unit_is_suggested_for_a_case_in_its_compound(c):
    case = report(c.resident, point=c.point)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_escalate(
        actor=c.community_a, number=case.number, version=case.version, note="街道"
    )
    targets = dispatch_targets(actor=c.command, case=case)
    suggestion = suggested_handler(case, targets)
    assert suggestion is not None and suggestion.unit == c.department2
    assert "幸福小区" in suggestion.reason


def test_weekly_issue_lists_are_generated_once_answered_and_exported(c, clock):
    first = report(c.resident, point=c.point)
    report(c.resident, point=(104.025, 30.51))  # community b: no sponsored compound
    counts = sponsor_issue_lists_generate(today=date(2026, 11, 19))
    assert counts == {"lists": 1, "items": 1}
    assert sponsor_issue_lists_generate(today=date(2026, 11, 19)) == {"lists": 0, "items": 0}
    issue_list = SponsorIssueList.objects.get()
    assert (issue_list.sponsor_unit, issue_list.week_of) == (c.department2, date(2026, 11, 19))
    assert issue_list.answer_due_at is not None
    assert issue_list.answer_due_at.astimezone(LOCAL_TZ) == local(2026, 11, 20, 17, 30)
    item = SponsorIssueItem.objects.get()
    assert item.case == first
    sponsor_issue_answer(actor=c.dept2, item_id=item.pk, answer="已安排维修")
    client = Client()
    client.force_login(c.command.user)
    page = client.get(f"/cases/sponsor-lists/{issue_list.pk}/")
    assert page.status_code == 200 and first.number in page.content.decode()
    download = client.get(f"/cases/sponsor-lists/{issue_list.pk}/xlsx/")
    assert download.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_index(0)
    values = rows.to_python()
    assert values[1][0] == first.number and values[1][6] == "已安排维修"


def test_only_the_sponsor_unit_answers_and_others_see_nothing(c, clock):
    report(c.resident, point=c.point)
    sponsor_issue_lists_generate(today=date(2026, 11, 19))
    item = SponsorIssueItem.objects.get()
    with pytest.raises(NotFound):
        sponsor_issue_answer(actor=c.community_b, item_id=item.pk, answer="x")
    # The street sees the list but only the sponsor unit's staff answer it.
    with pytest.raises(PermissionDenied):
        sponsor_issue_answer(actor=c.command, item_id=item.pk, answer="x")
    assert AuditEvent.objects.filter(
        action="cases.sponsor_issue_answer", result="denied", actor=c.command.user
    ).exists()
    with pytest.raises(ValidationFailed) as empty:
        sponsor_issue_answer(actor=c.dept2, item_id=item.pk, answer=" ")
    assert empty.value.field == "answer"
    item.refresh_from_db()
    assert (item.answer, item.answered_at) == ("", None)
    client = Client()
    client.force_login(c.dept.user)
    assert client.get(f"/cases/sponsor-lists/{item.issue_list_id}/").status_code == 404
    refused = client.post(
        f"/cases/sponsor-lists/{item.issue_list_id}/items/{item.pk}/answer/", {"answer": "x"}
    )
    assert refused.status_code == 404
    item.refresh_from_db()
    assert item.answer == ""


def test_week_of_is_the_thursday_of_the_week():
    assert week_of(date(2026, 11, 16)) == date(2026, 11, 19)
    assert week_of(date(2026, 11, 22)) == date(2026, 11, 19)


def test_an_answer_that_looks_like_a_formula_is_exported_as_text(c, clock):
    report(c.resident, point=c.point)
    sponsor_issue_lists_generate(today=date(2026, 11, 19))
    item = SponsorIssueItem.objects.get()
    answer = '=HYPERLINK("http://evil.example","点这里")'
    sponsor_issue_answer(actor=c.dept2, item_id=item.pk, answer=answer)
    client = Client()
    client.force_login(c.command.user)
    download = client.get(f"/cases/sponsor-lists/{item.issue_list_id}/xlsx/")
    book = CalamineWorkbook.from_filelike(io.BytesIO(download.content))
    assert book.get_sheet_by_index(0).to_python()[1][6] == answer
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(download.content)).read(
        "xl/worksheets/sheet1.xml"
    )
