"""The register endpoints: search, profile, writes and reveal, through a bearer token."""

import json
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from wangge.core.models import AuditEvent
from wangge.core.tokens import api_token_issue
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import PASSWORD, grid_worker, make_street, staff_user
from wangge.registry.models import Person
from wangge.registry.tests.factories import make_household_with_members, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    from wangge.orgs.grid_index import grid_index_reset

    grid_index_reset()
    yield
    grid_index_reset()


@pytest.fixture
def street():
    return make_street()


def api_client(user) -> Client:
    raw = api_token_issue(user=user)[0]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_search_by_pinyin_initials_and_profile_in_scope(street):
    household = make_household_with_members(street.grid_a1)
    worker = api_client(grid_worker(street))
    found = worker.get("/api/v1/persons", {"q": "zw"}).json()["results"]
    assert [row["name"] for row in found] == ["张伟"]
    person_id = found[0]["id"]
    assert found[0]["id_number"].count("*") == 8
    posted = post(worker, "/api/v1/persons/search", {"q": "张"}).json()["results"]
    assert {row["name"] for row in posted} == {"张伟", "张小明"}
    profile = worker.get(f"/api/v1/persons/{person_id}").json()
    assert profile["name"] == "张伟" and profile["phone_masked"] == "138****8000"
    assert profile["household"]["id"] == household.id
    assert AuditEvent.objects.filter(
        action="registry.person.view", object_id=str(person_id)
    ).exists()


def test_another_communitys_worker_finds_nothing_and_gets_404(street):
    household = make_household_with_members(street.grid_b1)
    person = household.members.get(name="张伟")
    outsider = api_client(grid_worker(street))  # grid a1, community a
    assert outsider.get("/api/v1/persons", {"q": "zw"}).json()["results"] == []
    response = outsider.get(f"/api/v1/persons/{person.id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert outsider.get(f"/api/v1/households/{household.id}").status_code == 404
    before = Person.objects.get(pk=person.id).version
    patch = outsider.patch(
        f"/api/v1/persons/{person.id}",
        json.dumps({"version": before, "name": "改名"}),
        content_type="application/json",
    )
    assert patch.status_code == 404
    assert Person.objects.get(pk=person.id).name == "张伟"
    assert not AuditEvent.objects.filter(action="registry.person.view").exists()


def test_create_names_the_bad_field_and_then_creates(street):
    worker = api_client(grid_worker(street))
    bad = post(
        worker,
        "/api/v1/persons",
        {"name": "王芳", "id_number": "12345", "grid_code": street.grid_a1.code},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "id_number"
    assert not Person.objects.exists()
    number = valid_id_number(date(1990, 2, 3), female=True)
    good = post(
        worker,
        "/api/v1/persons",
        {"name": "王芳", "id_number": number, "grid_code": street.grid_a1.code},
    )
    assert good.status_code == 201
    stale = worker.patch(
        f"/api/v1/persons/{good.json()['id']}",
        json.dumps({"version": 7, "employer": "眉山一中"}),
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_reveal_through_the_api(street):
    make_household_with_members(street.grid_a1)
    person = Person.objects.get(name="张伟")
    user = grid_worker(street)
    client = api_client(user)
    body = {"field": "phone", "reason": "核实联系方式", "password": PASSWORD}
    refused = post(client, f"/api/v1/persons/{person.id}/reveal", body)
    assert refused.status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    allowed = post(client, f"/api/v1/persons/{person.id}/reveal", body)
    assert allowed.status_code == 200 and allowed.json()["value"] == "13800138000"


def test_a_clerk_may_read_but_not_write(street):
    make_household_with_members(street.grid_a1)
    person = Person.objects.get(name="张伟")
    clerk = api_client(staff_user("clerk", Role.CLERK, street.street))
    assert clerk.get(f"/api/v1/persons/{person.id}").status_code == 200
    response = clerk.patch(
        f"/api/v1/persons/{person.id}",
        json.dumps({"version": 1, "employer": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Person.objects.get(pk=person.id).employer == ""


def test_tags_listed_defined_and_granted_through_the_api(street):
    from wangge.orgs.tests.factories import admin_user

    worker_user = grid_worker(street)
    worker = api_client(worker_user)
    codes = [tag["code"] for tag in worker.get("/api/v1/key-population-tags").json()]
    assert "veteran" in codes and "disability" not in codes
    refused = post(worker, "/api/v1/key-population-tags", {"code": "x_tag", "name": "甲"})
    assert refused.status_code == 403
    admin = api_client(admin_user(street.street))
    created = post(admin, "/api/v1/key-population-tags", {"code": "new_job", "name": "新就业群体"})
    assert created.status_code == 201 and created.json()["code"] == "new_job"
    granted = post(admin, "/api/v1/tag-grants", {"user_id": worker_user.pk, "tag": "disability"})
    assert granted.status_code == 204
    codes = [tag["code"] for tag in worker.get("/api/v1/key-population-tags").json()]
    assert {"disability", "new_job"} <= set(codes)
