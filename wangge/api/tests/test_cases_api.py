"""The case endpoints: intake with an idempotency key, the loop, conflicts and scope."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.api import auth
from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.factories import POINT_A1, category, crew
from wangge.core.accounts import user_disable
from wangge.core.models import ApiToken, Revision
from wangge.core.revisions import API_TOKENS
from wangge.core.scope import Actor
from wangge.core.tokens import api_token_issue, api_token_revoke
from wangge.orgs.enums import Role
from wangge.orgs.role_services import role_revoke

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


# --- the token → actor cache (wangge/api/auth.py) ----------------------------------------------
# WANGGE_CACHE_RECHECK_SECONDS is high here, so only the revoking process's own notice (or, for
# "another process", an explicit re-read of the revision) can end a cached entry.

RARELY = override_settings(WANGGE_CACHE_RECHECK_SECONDS=3600.0)
INTAKE = {
    "category": "T0101",
    "title": "路灯不亮",
    "lng": POINT_A1[0],
    "lat": POINT_A1[1],
    "source": "grid_worker",
}


def token_client(actor) -> tuple[Client, str]:
    raw = api_token_issue(user=actor.user)[0]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), raw


@RARELY
def test_a_cached_token_costs_no_token_or_role_query(c):
    worker, _raw = token_client(c.grid_worker)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    with CaptureQueriesContext(connection) as captured:
        assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    sql = " ".join(q["sql"] for q in captured)
    assert "core_apitoken" not in sql and "orgs_roleassignment" not in sql


@RARELY
def test_a_revoked_token_is_refused_at_once_and_makes_nothing(c):
    worker, raw = token_client(c.grid_worker)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    api_token_revoke(actor=c.grid_worker, raw=raw)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 401
    assert Case.objects.count() == 1


@RARELY
def test_a_disabled_account_is_refused_at_once(c):
    worker, _raw = token_client(c.grid_worker)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    user_disable(actor=Actor.system(), user_id=c.grid_worker.user.pk, reason="left the job")
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 401
    assert Case.objects.count() == 1


@RARELY
def test_a_revoked_role_is_dropped_from_the_cached_actor_at_once(c):
    worker, _raw = token_client(c.grid_worker)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    role_revoke(
        actor=Actor.system(),
        user=c.grid_worker.user,
        role=Role.GRID_WORKER,
        org_unit_code=c.street.grid_a1.code,
    )
    refused = post(worker, "/api/v1/cases", INTAKE)
    assert refused.status_code == 403 and refused.json()["field"] == "source"
    assert Case.objects.count() == 1


@RARELY
def test_a_revocation_by_another_process_counts_once_the_revision_is_read(c):
    worker, _raw = token_client(c.grid_worker)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    # Another worker process revoked it: the rows changed, this process was not told.
    ApiToken.objects.update(revoked_at=timezone.now())
    Revision.objects.update_or_create(name=API_TOKENS, defaults={"number": 7})
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201  # still cached here
    with override_settings(WANGGE_CACHE_RECHECK_SECONDS=0.0):
        assert post(worker, "/api/v1/cases", INTAKE).status_code == 401
    assert Case.objects.count() == 2


@RARELY
def test_a_change_behind_the_services_back_counts_after_the_ttl(c, monkeypatch):
    worker, _raw = token_client(c.grid_worker)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    ApiToken.objects.update(revoked_at=timezone.now())  # no revision bump at all
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    monkeypatch.setattr(auth, "TOKEN_CACHE_SECONDS", 0.0)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 401


@RARELY
def test_an_expired_token_is_refused_although_cached(c, monkeypatch):
    worker, _raw = token_client(c.grid_worker)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 201
    later = timezone.now() + settings.WANGGE_API_TOKEN_TTL + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert post(worker, "/api/v1/cases", INTAKE).status_code == 401
    assert Case.objects.count() == 1


def test_each_request_gets_its_own_user_object(c):
    worker, _raw = token_client(c.grid_worker)
    first = worker.get("/api/v1/cases", {"queue": "to_accept"})
    second = worker.get("/api/v1/cases", {"queue": "to_accept"})
    assert first.wsgi_request.user is not second.wsgi_request.user
    assert first.wsgi_request.user.pk == second.wsgi_request.user.pk == c.grid_worker.user.pk
