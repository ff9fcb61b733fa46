"""The case endpoints: intake with an idempotency key, the loop, conflicts and scope."""

import json

import pytest
from django.test import Client

from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.factories import POINT_A1, category, crew
from wangge.core.tokens import api_token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    from wangge.orgs.grid_index import grid_index_reset

    grid_index_reset()
    yield
    grid_index_reset()


def client_for(actor) -> Client:
    raw = api_token_issue(user=actor.user)[0]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def c():
    team = crew()
    category()
    return team


def test_the_same_idempotency_key_twice_makes_one_case(c):
    worker = client_for(c.grid_worker)
    body = {
        "category": "T0101",
        "title": "路灯不亮",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        "source": "grid_worker",
    }
    first = post(worker, "/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="abc")
    second = post(worker, "/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] == second.json()["number"]
    assert Case.objects.count() == 1
    assert first.json()["grid"] == c.street.grid_a1.code


def test_the_loop_through_the_api_with_a_conflict_on_a_stale_version(c):
    worker = client_for(c.grid_worker)
    body = {
        "category": "T0101",
        "title": "路灯不亮",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        "source": "grid_worker",
    }
    number = post(worker, "/api/v1/cases", body).json()["number"]
    staff = client_for(c.community_a)
    detail = staff.get(f"/api/v1/cases/{number}").json()
    assert "accept" in detail["actions"] and detail["timeline"][0]["action"] == "report"
    accepted = post(staff, f"/api/v1/cases/{number}/accept", {"version": 1})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    events = CaseEvent.objects.count()
    stale = post(staff, f"/api/v1/cases/{number}/reject", {"version": 1, "note": "重复"})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert CaseEvent.objects.count() == events
    dispatched = post(
        staff,
        f"/api/v1/cases/{number}/dispatch",
        {"version": 2, "unit_code": c.street.community_a.code},
    )
    assert dispatched.json()["state"] == "dispatched"
    wrong = post(staff, f"/api/v1/cases/{number}/close", {"version": 3})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_transition"
    unknown = post(staff, f"/api/v1/cases/{number}/fly", {"version": 3})
    assert unknown.status_code == 404


def test_other_community_gets_404_and_changes_nothing(c):
    worker = client_for(c.grid_worker)
    body = {
        "category": "T0101",
        "title": "路灯不亮",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        "source": "grid_worker",
    }
    number = post(worker, "/api/v1/cases", body).json()["number"]
    outsider = client_for(c.community_b)
    assert outsider.get(f"/api/v1/cases/{number}").status_code == 404
    refused = post(outsider, f"/api/v1/cases/{number}/accept", {"version": 1})
    assert refused.status_code == 404
    case = Case.objects.get(number=number)
    assert (case.state, case.version) == ("reported", 1)


def test_queue_lists_cases_to_accept(c):
    worker = client_for(c.grid_worker)
    body = {
        "category": "T0101",
        "title": "路灯不亮",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        "source": "grid_worker",
    }
    number = post(worker, "/api/v1/cases", body).json()["number"]
    page = client_for(c.community_a).get("/api/v1/cases", {"queue": "to_accept"}).json()
    assert [row["number"] for row in page["results"]] == [number]
