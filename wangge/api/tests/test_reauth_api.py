"""Re-authentication (`POST /api/v1/auth/reauthenticate`) and the reveal that relies on it: the
password again, counted by the lockout; the TOTP code when enrolled; fresh for a few minutes,
for the token it was made with only."""

import datetime as dt
import json

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.test import Client

from wangge.core.models import AuditEvent, AuditResult
from wangge.core.tests.helpers import code_for, give_device, wrong_code
from wangge.core.tokens import api_token_issue
from wangge.orgs.tests.factories import PASSWORD, grid_worker, make_street
from wangge.registry.models import Person
from wangge.registry.tests.factories import make_household_with_members

pytestmark = pytest.mark.django_db
REAUTH = "/api/v1/auth/reauthenticate"
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def street():
    return make_street()


@pytest.fixture
def no_totp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def api_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)[0]}")


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def revealer(street):
    make_household_with_members(street.grid_a1)
    user = grid_worker(street)
    user.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    return user, Person.objects.get(name="张伟")


def reveal(client, person):
    return post(
        client, f"/api/v1/persons/{person.id}/reveal", {"field": "phone", "reason": "核实联系方式"}
    )


def test_a_reveal_needs_a_recent_reauthentication_of_the_same_token(street):
    user, person = revealer(street)
    with time_machine.travel(START, tick=False) as clock:
        client, other = api_client(user), api_client(user)
        stale = reveal(client, person)
        assert stale.status_code == 403 and stale.json()["code"] == "reauthentication_required"
        assert "13800138000" not in stale.content.decode()
        done = post(client, REAUTH, {"password": PASSWORD})
        assert done.status_code == 200 and done.json() == {"fresh_for_seconds": 300}
        shown = reveal(client, person)
        assert shown.status_code == 200 and shown.json()["value"] == "13800138000"
        # The user's other token did not re-authenticate.
        assert reveal(other, person).json()["code"] == "reauthentication_required"
        clock.shift(301)
        expired = reveal(client, person)
        assert expired.status_code == 403
        assert expired.json()["code"] == "reauthentication_required"
    rows = AuditEvent.objects.filter(action="registry.person_reveal")
    assert [row.result for row in rows.order_by("id")] == [
        AuditResult.DENIED,
        AuditResult.OK,
        AuditResult.DENIED,
        AuditResult.DENIED,
    ]
    assert {row.detail.get("refused") for row in rows.exclude(result="ok")} == {
        "reauthentication_required"
    }
    assert AuditEvent.objects.filter(action="auth.reauthenticate", result="ok").count() == 1


def test_wrong_passwords_count_toward_the_lockout(street, settings):
    user, person = revealer(street)
    client = api_client(user)
    limit = settings.AXES_FAILURE_LIMIT
    for _attempt in range(limit - 1):
        wrong = post(client, REAUTH, {"password": "not-my-password"})
        assert wrong.status_code == 422 and wrong.json()["field"] == "password"
    locked = post(client, REAUTH, {"password": "not-my-password"})
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert locked["Content-Type"].startswith("application/json")
    assert AccessAttempt.objects.filter(username=user.username).exists()
    # Locked now: the right password is refused here and at sign-in from this address.
    assert post(client, REAUTH, {"password": PASSWORD}).status_code == 429
    token = post(Client(), "/api/v1/auth/token", {"username": user.username, "password": PASSWORD})
    assert token.status_code == 429
    assert reveal(client, person).status_code == 403
    failures = AuditEvent.objects.filter(action="auth.reauthenticate").exclude(result="ok")
    assert failures.count() == limit + 1
    assert not AuditEvent.objects.filter(action="auth.reauthenticate", result="ok").exists()


def test_the_reveal_form_password_is_counted_too(street, settings):
    user, person = revealer(street)
    client = api_client(user)
    body = {"field": "phone", "reason": "核实联系方式", "password": "nope"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = post(client, f"/api/v1/persons/{person.id}/reveal", body)
        assert response.status_code == 422 and response.json()["field"] == "password"
    locked = post(client, f"/api/v1/persons/{person.id}/reveal", body)
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    right = post(client, f"/api/v1/persons/{person.id}/reveal", {**body, "password": PASSWORD})
    assert right.status_code == 429 and "13800138000" not in right.content.decode()
    assert AuditEvent.objects.filter(action="registry.person_reveal", result="ok").count() == 0


def test_revealing_asks_for_the_totp_code_when_enrolled(street, no_totp_throttle):
    user, person = revealer(street)
    device = give_device(user)
    client = api_client(user)
    body = {"field": "phone", "reason": "核实联系方式", "password": PASSWORD}
    asked = post(client, f"/api/v1/persons/{person.id}/reveal", body)
    assert asked.status_code == 422
    assert asked.json()["code"] == "totp_required" and asked.json()["field"] == "code"
    wrong = post(
        client, f"/api/v1/persons/{person.id}/reveal", {**body, "code": wrong_code(device)}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "code"
    assert "13800138000" not in asked.content.decode() + wrong.content.decode()
    # The wrong code is a failure for the lockout, like at sign-in.
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 1
    right = post(client, f"/api/v1/persons/{person.id}/reveal", {**body, "code": code_for(device)})
    assert right.status_code == 200 and right.json()["value"] == "13800138000"
    refused = AuditEvent.objects.filter(action="registry.person_reveal").exclude(result="ok")
    assert sorted(row.detail["refused"] for row in refused) == [
        "reauthentication_failed",
        "totp_required",
    ]


def test_reauthenticate_asks_for_the_code_when_enrolled(street, no_totp_throttle):
    user = grid_worker(street)
    device = give_device(user)
    client = api_client(user)
    asked = post(client, REAUTH, {"password": PASSWORD})
    assert asked.status_code == 422 and asked.json()["code"] == "totp_required"
    assert (
        post(client, REAUTH, {"password": PASSWORD, "code": wrong_code(device)}).status_code == 422
    )
    done = post(client, REAUTH, {"password": PASSWORD, "code": code_for(device)})
    assert done.status_code == 200
    assert AuditEvent.objects.get(action="auth.reauthenticate", result="ok").detail == {
        "two_factor": True
    }
