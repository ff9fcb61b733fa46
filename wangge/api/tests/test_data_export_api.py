"""A person's data export (`POST /api/v1/persons/{id}/data-export`): its own permission, a
reason, a fresh re-authentication, a per-user rate limit; masked unless the caller may reveal;
every attempt audited, the success with the names of the fields that left."""

import datetime as dt
import json

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.test import Client

from wangge.core.models import AuditEvent, AuditResult
from wangge.core.tests.helpers import code_for, give_device
from wangge.core.tokens import api_token_issue
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import PASSWORD, grid_worker, make_street, staff_user
from wangge.registry.models import KeyPopulationTag, Person, TagGrant
from wangge.registry.tests.factories import make_household_with_members, tag_person

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
ACTION = "registry.person_data_export"
PHONE = "13800138000"


@pytest.fixture
def street():
    return make_street()


@pytest.fixture(autouse=True)
def no_totp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def grant(user, *codenames):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))


class Setup:
    def __init__(self, street, *permissions):
        make_household_with_members(street.grid_a1)
        self.person = Person.objects.get(name="张伟")
        tag_person(self.person, "disability")  # sensitive
        tag_person(self.person, "veteran")  # ordinary
        self.admin = staff_user("adm_a", Role.ADMIN, street.community_a)
        grant(self.admin, *permissions)
        self.device = give_device(self.admin)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=self.admin)[0]}")
        self.url = f"/api/v1/persons/{self.person.id}/data-export"

    def reauthenticate(self):
        body = {"password": PASSWORD, "code": code_for(self.device)}
        response = post(self.client, "/api/v1/auth/reauthenticate", body)
        assert response.status_code == 200

    def export(self, reason="本人书面申请"):
        return post(self.client, self.url, {"reason": reason})


def attempts(result=None):
    rows = AuditEvent.objects.filter(action=ACTION)
    return rows.filter(result=result) if result else rows


def assert_nothing_left(response):
    body = response.content.decode()
    assert PHONE not in body and "张伟" not in body
    assert PHONE not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_refused_without_the_permission_even_for_an_admin(street):
    s = Setup(street)  # admin of the area, re-authenticated, with a reason: no permission
    s.reauthenticate()
    response = s.export()
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert_nothing_left(response)
    row = attempts().get()
    assert row.result == AuditResult.DENIED
    assert row.detail == {"reason": "本人书面申请", "refused": "not_allowed"}


def test_refused_to_a_non_admin_holding_the_permission(street):
    s = Setup(street, "export_personal_data")
    worker = grid_worker(street)
    grant(worker, "export_personal_data")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=worker)[0]}")
    post(client, "/api/v1/auth/reauthenticate", {"password": PASSWORD})
    response = post(client, s.url, {"reason": "本人书面申请"})
    assert response.status_code == 403
    assert_nothing_left(response)
    assert attempts(AuditResult.DENIED).count() == 1


def test_refused_without_a_reason(street):
    s = Setup(street, "export_personal_data")
    s.reauthenticate()
    response = s.export(reason="  ")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    assert_nothing_left(response)
    assert attempts().get().detail["refused"] == "required"


def test_refused_without_a_fresh_reauthentication_and_after_the_window(street):
    s = Setup(street, "export_personal_data")
    with time_machine.travel(START, tick=False) as clock:
        never = s.export()
        assert never.status_code == 403
        assert never.json()["code"] == "reauthentication_required"
        assert_nothing_left(never)
        s.reauthenticate()
        assert s.export().status_code == 200
        clock.shift(301)
        late = s.export()
        assert late.status_code == 403 and late.json()["code"] == "reauthentication_required"
    assert [row.result for row in attempts().order_by("id")] == [
        AuditResult.DENIED,
        AuditResult.OK,
        AuditResult.DENIED,
    ]


def test_a_wrong_password_given_with_the_request_counts_toward_the_lockout(street):
    s = Setup(street, "export_personal_data")
    response = post(s.client, s.url, {"reason": "本人书面申请", "password": "wrong-one"})
    assert response.status_code == 422 and response.json()["field"] == "password"
    assert_nothing_left(response)
    assert AccessAttempt.objects.get(username=s.admin.username).failures_since_start == 1
    assert attempts().get().detail["refused"] == "reauthentication_failed"
    # The password alone is not enough for an enrolled user: the code is asked for.
    asked = post(s.client, s.url, {"reason": "本人书面申请", "password": PASSWORD})
    assert asked.status_code == 422 and asked.json()["code"] == "totp_required"


def test_out_of_scope_is_not_found_and_audited(street):
    s = Setup(street, "export_personal_data")
    other = staff_user("adm_b", Role.ADMIN, street.community_b)
    grant(other, "export_personal_data")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=other)[0]}")
    response = post(client, s.url, {"reason": "本人书面申请"})
    assert response.status_code == 404
    assert_nothing_left(response)
    assert AuditEvent.objects.filter(action="access.denied", actor=other).exists()


def test_success_is_masked_without_the_reveal_grant_and_names_the_fields(street):
    s = Setup(street, "export_personal_data")
    s.reauthenticate()
    response = s.export()
    assert response.status_code == 200
    body = response.json()
    assert body["masked"] is True
    assert body["person"]["name"] == "张伟"
    assert body["person"]["phone"] == "138****8000"
    assert "*" in body["person"]["id_number"]
    # The sensitive tag needs its own grant; the ordinary one is there.
    assert [tag["tag"] for tag in body["tags"]] == ["veteran"]
    assert PHONE not in response.content.decode()
    row = attempts(AuditResult.OK).get()
    assert row.detail["reason"] == "本人书面申请"
    assert row.detail["fields"]["phone"] == "masked"
    assert row.detail["fields"]["id_number"] == "masked"
    assert row.detail["fields"]["name"] == "plain"
    assert row.detail["tags"] == 1
    assert PHONE not in json.dumps(row.detail) and "disability" not in json.dumps(row.detail)


def test_the_reveal_grant_and_the_tag_grant_unmask(street):
    s = Setup(street, "export_personal_data", "reveal_personal_data")
    TagGrant.objects.create(user=s.admin, tag=KeyPopulationTag.objects.get(code="disability"))
    s.reauthenticate()
    body = s.export().json()
    assert body["masked"] is False and body["person"]["phone"] == PHONE
    assert sorted(tag["tag"] for tag in body["tags"]) == ["disability", "veteran"]
    row = attempts(AuditResult.OK).get()
    assert row.detail["fields"]["phone"] == "revealed" and row.detail["tags"] == 2


def test_rate_limited_per_user(street, settings):
    settings.WANGGE_DATA_EXPORT_RATE = "2/h"
    s = Setup(street, "export_personal_data")
    with time_machine.travel(START, tick=False):
        s.reauthenticate()
        assert s.export().status_code == 200
        assert s.export().status_code == 200
        limited = s.export()
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 3600
    answer = limited.content.decode()
    assert PHONE not in answer and "张伟" not in answer
    assert attempts(AuditResult.OK).count() == 2
    assert attempts(AuditResult.DENIED).get().detail["refused"] == "rate_limited"


def test_the_old_get_is_gone(street):
    s = Setup(street, "export_personal_data")
    s.reauthenticate()
    response = s.client.get(s.url)
    assert response.status_code == 405
    assert PHONE not in response.content.decode()


def test_the_history_does_not_reveal_a_sensitive_tag(street, settings):
    from datetime import date

    from wangge.orgs.permissions import system_actor
    from wangge.registry.services import person_tag_add

    settings.WANGGE_DATA_EXPORT_RATE = "10/h"
    s = Setup(street, "export_personal_data")
    person_tag_add(
        actor=system_actor(),
        person_id=s.person.id,
        tag_code="community_corrections",
        valid_from=date(2025, 3, 1),
    )
    s.reauthenticate()
    hidden = s.export()
    assert hidden.status_code == 200
    assert "community_corrections" not in hidden.content.decode()
    assert hidden.json()["history"] == []
    tag = KeyPopulationTag.objects.get(code="community_corrections")
    TagGrant.objects.create(user=s.admin, tag=tag)
    shown = s.export().json()
    assert [(entry["action"], entry["fields"]) for entry in shown["history"]] == [
        ("tag_add", ["tag"])
    ]
