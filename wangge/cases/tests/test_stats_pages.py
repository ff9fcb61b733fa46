"""Case statistics through the page, the xlsx export and the API: the figures, the scope (another
community's staff get NotFound and nothing about the unit), departments' handled figures, bad
input, and a fixed number of queries."""

import io
from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from python_calamine import CalamineWorkbook

from wangge.cases import services as s
from wangge.cases.stats.rollup import rollup_table
from wangge.cases.stats.selectors import case_stats
from wangge.core.calendar import LOCAL_TZ
from wangge.core.errors import NotFound
from wangge.orgs.grid_index import grid_index_reset

from .factories import POINT_B1, category, crew, report

pytestmark = pytest.mark.django_db
URL = "/cases/stats/"
API = "/api/v1/cases/stats"
PERIOD = {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"}
API_PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    grid_index_reset()
    yield
    grid_index_reset()


@pytest.fixture
def c(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ))
    team = crew()
    category()
    # Community a: one case closed through the department after a rework; one just reported.
    case = report(team.resident)
    case = s.case_accept(actor=team.community_a, number=case.number, version=case.version)
    case = s.case_escalate(
        actor=team.community_a, number=case.number, version=case.version, note="街道协调"
    )
    case = s.case_dispatch(
        actor=team.command,
        number=case.number,
        version=case.version,
        unit_code=team.street.department.code,
    )
    case = s.case_handle(actor=team.dept, number=case.number, version=case.version)
    case = s.case_rework(actor=team.grid_worker, number=case.number, version=case.version, note="x")
    case = s.case_handle(actor=team.dept, number=case.number, version=case.version)
    case = s.case_verify(actor=team.grid_worker, number=case.number, version=case.version)
    s.case_close(actor=team.community_a, number=case.number, version=case.version)
    report(team.resident)
    # Community b: one case.
    report(team.resident2, point=POINT_B1)
    return team


def login(client, actor):
    client.force_login(actor.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def tile(html: str, key: str) -> str:
    marker = f'data-testid="indicator-{key}"'
    assert marker in html, key
    part = html.split(marker, 1)[1]
    return part.split('class="tile-value">', 1)[1].split("<", 1)[0]


def test_the_page_shows_the_indicators_of_the_street(client, c):
    html = login(client, c.command).get(URL, PERIOD).content.decode()
    assert tile(html, "reported") == "3"
    assert tile(html, "registered") == "1"
    assert tile(html, "closed") == "1"
    assert tile(html, "closure_rate") == "100.0%"
    assert tile(html, "reworks") == "1"
    assert tile(html, "rework_rate") == "100.0%"
    assert tile(html, "satisfaction_rate") == "—"
    assert 'data-testid="table-unit"' in html and 'data-testid="table-department"' in html
    assert "case-stats-data" in html and "echarts.min.js" in html


def test_a_community_sees_its_own_figures_by_default(client, c):
    html = login(client, c.community_b).get(URL, PERIOD).content.decode()
    assert tile(html, "reported") == "1"


def test_another_communitys_staff_get_404_and_nothing_changes(client, c):
    before = rollup_table()
    login(client, c.community_b)
    other = {**PERIOD, "unit": c.street.community_a.code}
    response = client.get(URL, other)
    assert response.status_code == 404
    assert 'data-testid="indicator-reported"' not in response.content.decode()
    assert client.get(URL, {**other, "export": "xlsx"}).status_code == 404
    assert client.get(API, {**API_PERIOD, "unit": c.street.community_a.code}).status_code == 404
    # The street above is out of scope as well, and a missing unit looks the same.
    assert client.get(URL, {**PERIOD, "unit": c.street.street.code}).status_code == 404
    assert client.get(URL, {**PERIOD, "unit": "999999999999"}).status_code == 404
    with pytest.raises(NotFound):
        case_stats(
            actor=c.community_b,
            unit_code=c.street.community_a.code,
            start=date(2026, 11, 1),
            end=date(2026, 11, 30),
        )
    assert rollup_table() == before


def test_a_department_sees_what_it_handled_and_nothing_else(client, c):
    login(client, c.dept)
    html = client.get(URL, PERIOD).content.decode()
    assert tile(html, "reported") == "1"
    assert tile(html, "closed") == "1"
    assert client.get(URL, {**PERIOD, "unit": c.street.street.code}).status_code == 404
    body = client.get(API, API_PERIOD).json()
    assert (body["unit"], body["dimension"]) == (c.street.department.code, "handler")
    login(client, c.dept2)
    assert client.get(API, {**API_PERIOD, "unit": c.street.department.code}).status_code == 404


def test_residents_have_no_statistics(client, c):
    login(client, c.resident)
    assert client.get(URL, PERIOD).status_code in (403, 404)
    assert client.get(API, API_PERIOD).status_code == 404


def test_the_xlsx_export_holds_the_same_figures(client, c):
    response = login(client, c.command).get(URL, {**PERIOD, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert response["Cache-Control"] == "no-store"
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0][:3] == ["Unit", c.street.street.name, c.street.street.code]
    header = next(row for row in rows if row and row[0] == "Name")
    by_name = {row[0]: dict(zip(header, row, strict=False)) for row in rows if row}
    street = by_name[c.street.street.name]
    assert (street["Reported"], street["Registered"], street["Closed"]) == (3, 1, 1)
    assert street["Rework rate"] == 100.0
    assert by_name[c.street.community_b.name]["Reported"] == 1
    assert by_name[c.street.department.name]["Closed"] == 1


def test_the_api_returns_totals_series_and_breakdowns(client, c):
    login(client, c.command)
    body = client.get(API, {**API_PERIOD, "group_by": "week"}).json()
    assert body["unit"] == c.street.street.code and body["dimension"] == "place"
    assert body["totals"]["reported"] == 3
    assert body["totals"]["closure_rate"] == 100.0
    assert body["totals"]["satisfaction_rate"] is None
    assert sum(point["indicators"]["reported"] for point in body["series"]) == 3
    assert body["series"][0]["period"] == "2026-10-26"  # the Monday of the week of Nov 1
    units = {row["code"]: row["indicators"]["reported"] for row in body["by_unit"]}
    assert units[c.street.community_a.code] == 2 and units[c.street.community_b.code] == 1
    departments = {row["code"]: row["indicators"]["closed"] for row in body["by_department"]}
    assert departments == {c.street.department.code: 1, c.department2.code: 0}
    assert [row["code"] for row in body["by_category"]] == ["T0101"]
    # A period outside the cases, and bad input that names its field.
    assert (
        client.get(API, {"start": "2026-10-01", "end": "2026-10-31"}).json()["totals"]["reported"]
        == 0
    )
    bad = client.get(API, {"start": "2026-11-30", "end": "2026-11-01"})
    assert bad.status_code == 422 and bad.json()["field"] == "end"
    unknown = client.get(API, {**API_PERIOD, "category": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "category"


def test_a_bad_date_on_the_page_names_the_rule(client, c):
    response = login(client, c.command).get(URL, {"period": "custom", "start": "x", "end": "y"})
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.content.decode()


def test_the_figures_take_a_fixed_number_of_queries(c, django_assert_max_num_queries):
    for _ in range(5):
        report(c.resident2, point=POINT_B1)
    # The worst period: whole months with days on both sides (three ranges per sum).
    with django_assert_max_num_queries(20):
        stats = case_stats(
            actor=c.command,
            unit_code=c.street.street.code,
            start=date(2025, 12, 20),
            end=date(2027, 1, 5),
            group_by="month",
        )
    assert stats.totals.reported == 8


def test_the_rebuild_command_reports_its_counts(c, capsys):
    before = rollup_table()
    call_command("wangge_case_stats_rebuild")
    assert "cases: 3" in capsys.readouterr().out
    assert rollup_table() == before
