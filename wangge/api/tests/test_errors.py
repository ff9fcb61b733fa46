"""Errors under /api/ and /open311/ are JSON (or Open311's body), never Django's HTML page; a busy
database is 503 with Retry-After everywhere; numbers past a database column are 4xx; residents'
API writes are rate-limited."""

import json
from xml.etree import ElementTree as ET

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from wangge.api.open311 import views as open311_views
from wangge.api.routers import cases as cases_router
from wangge.cases.models import Case
from wangge.cases.tests.factories import POINT_A1, category, crew
from wangge.core.busy import database_busy
from wangge.core.crypto import phone_index
from wangge.core.errors import NotFound
from wangge.core.models import AuditEvent, User
from wangge.core.tokens import api_token_issue
from wangge.portal.views import follow
from wangge.registry import tag_services
from wangge.registry.models import TagGrant

pytestmark = pytest.mark.django_db
LOCKED = "database is locked"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team():
    made = crew()
    category()
    return made


def client_for(actor) -> Client:
    raw = api_token_issue(user=actor.user)[0]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def locked(*args, **kwargs):
    raise OperationalError(LOCKED)


def test_an_unknown_api_path_is_json_404():
    response = Client().get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unexpected_error_in_an_operation_is_json_500_and_logged(team, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cases_router.selectors, "case_queue", broken)
    response = client_for(team.grid_worker).get("/api/v1/cases")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error" and "a bug" not in response.content.decode()
    assert any("Unexpected error" in record.message for record in caplog.records)


def test_a_busy_database_is_503_with_retry_after_in_the_api(team, monkeypatch, settings):
    settings.WANGGE_BUSY_RETRY_AFTER_SECONDS = 3
    monkeypatch.setattr(cases_router.selectors, "case_queue", locked)
    response = client_for(team.grid_worker).get("/api/v1/cases")
    assert response.status_code == 503 and response["Retry-After"] == "3"
    assert response.json()["code"] == "busy"


def test_a_busy_database_is_503_in_open311_format(monkeypatch):
    monkeypatch.setattr(open311_views, "open311_requests", locked)
    response = Client(raise_request_exception=False).get("/open311/v2/requests.xml")
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    document = ET.fromstring(response.content)  # noqa: S314 (our own answer, in a test)
    code = document.find("error/code")
    assert code is not None and code.text == "503"


def test_a_busy_database_is_a_503_page_elsewhere(monkeypatch):
    monkeypatch.setattr(follow, "case_public_status", locked)
    response = Client(raise_request_exception=False).get(
        reverse("portal_follow"), {"number": "SJ20261130000001"}
    )
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")


def test_an_unexpected_error_under_open311_is_its_body_not_html(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(open311_views, "open311_requests", broken)
    response = Client(raise_request_exception=False).get("/open311/v2/requests.json")
    assert response.status_code == 500 and response.json()[0]["code"] == 500


class DriverError(Exception):
    """Stands in for psycopg's error, which carries the SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "busy"),
    [
        ("55P03", True),  # PostgreSQL lock_not_available (lock_timeout)
        ("40001", True),  # serialization_failure
        ("42P01", False),  # undefined_table: a real fault
    ],
)
def test_postgresqls_lock_timeouts_count_as_busy(sqlstate, busy):
    error = OperationalError("canceling statement due to lock timeout")
    error.__cause__ = DriverError(sqlstate)
    assert database_busy(error) is busy
    assert database_busy(OperationalError("no such table: x")) is False
    assert database_busy(OperationalError("database is locked")) is True


# --- numbers past a column ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "9" * 30}, "after"),
        ({"building": "9" * 30}, "building"),
        ({"age_min": "9" * 30}, "age_min"),
        ({"limit": "9" * 30}, "limit"),
    ],
)
def test_huge_numbers_in_the_person_list_are_4xx_naming_the_field(team, params, field):
    response = client_for(team.community_a).get("/api/v1/persons", params)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_a_huge_path_id_is_4xx_not_500(team):
    response = client_for(team.community_a).get(f"/api/v1/persons/{'9' * 30}")
    assert response.status_code in (400, 404, 422)
    assert response["Content-Type"].startswith("application/json")


def test_a_tag_grant_for_an_impossible_user_is_not_found_and_writes_nothing(team):
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(NotFound):
        tag_services.tag_grant_add(actor=team.command, user_id=10**30, tag_code="disabled")
    assert not TagGrant.objects.exists()
    assert AuditEvent.objects.count() == audit_rows


def test_nan_in_case_attributes_is_refused(team):
    body = {
        "category": "T0101",
        "title": "路灯不亮",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        "source": "grid_worker",
    }
    raw = json.dumps(body)[:-1] + ', "attributes": {"pole_number": NaN}}'
    response = client_for(team.grid_worker).post(
        "/api/v1/cases", raw, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["field"] == "attributes"
    assert not Case.objects.exists()


# --- residents' API writes ------------------------------------------------------------------------


def test_a_residents_api_reports_are_limited_per_phone(team, settings):
    settings.WANGGE_RATE_LIMITS = {**settings.WANGGE_RATE_LIMITS, "api_report_phone": "1/h"}
    User.objects.filter(pk=team.resident.user.pk).update(phone_index=phone_index("13812345678"))
    body = {"category": "T0101", "title": "路灯不亮", "lng": POINT_A1[0], "lat": POINT_A1[1]}
    body["source"] = "resident"
    resident = client_for(team.resident)
    first = resident.post("/api/v1/cases", json.dumps(body), content_type="application/json")
    assert first.status_code == 201, first.content
    again = resident.post(
        "/api/v1/cases", json.dumps(body), content_type="application/json", REMOTE_ADDR="10.9.9.9"
    )
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    assert int(again["Retry-After"]) > 0
    assert Case.objects.count() == 1
    # Staff are not counted.
    worker = client_for(team.grid_worker)
    staff_body = {**body, "source": "grid_worker"}
    for _ in range(2):
        response = worker.post(
            "/api/v1/cases", json.dumps(staff_body), content_type="application/json"
        )
        assert response.status_code == 201
