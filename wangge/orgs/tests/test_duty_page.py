"""The A/B posts and leave page: a department's staff set a post and record a leave; a bad
leave is refused beside its field; a grid worker gets the 404 page and nothing changes."""

import pytest
from django.test import Client

from wangge.orgs.enums import Role
from wangge.orgs.models import DutyPost, Leave
from wangge.orgs.tests.factories import make_street, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    street = make_street()
    # Extra people on the street for these tests only.
    street.head = staff_user("dept_head", Role.DEPARTMENT_STAFF, street.department)  # type: ignore[attr-defined]
    street.a = staff_user("h_a", Role.HANDLER, street.department)  # type: ignore[attr-defined]
    street.b = staff_user("h_b", Role.HANDLER, street.department)  # type: ignore[attr-defined]
    return street


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_set_a_post_and_record_a_leave(street):
    client = client_for(street.head)
    code = street.department.code
    page = client.get("/duty/")
    assert page.status_code == 200 and street.department.name in page.content.decode()
    saved = client.post(
        "/duty/", {"form": "post", "org_unit_code": code, "a_user": "h_a", "b_user": "h_b"}
    )
    assert saved.status_code == 302
    assert DutyPost.objects.get().b_user == street.b
    bad = client.post(
        "/duty/",
        {
            "form": "leave",
            "org_unit_code": code,
            "user": "h_a",
            "starts_on": "2026-12-03",
            "ends_on": "2026-12-01",
        },
    )
    assert bad.status_code == 422
    assert "must end on or after" in bad.content.decode()
    assert not Leave.objects.exists()
    good = client.post(
        "/duty/",
        {
            "form": "leave",
            "org_unit_code": code,
            "user": "h_a",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-03",
            "note": "年假",
        },
    )
    assert good.status_code == 302
    assert Leave.objects.get().user == street.a


def test_a_grid_worker_gets_404_and_changes_nothing(street):
    worker = staff_user("gw", Role.GRID_WORKER, street.grid_a1)
    client = client_for(worker)
    assert client.get("/duty/").status_code == 404
    refused = client.post(
        "/duty/",
        {"form": "post", "org_unit_code": street.department.code, "a_user": "h_a", "b_user": "h_b"},
    )
    assert refused.status_code == 404
    assert not DutyPost.objects.exists()
