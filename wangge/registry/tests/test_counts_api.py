"""GET /api/v1/grids/counts: counts per grid for the map colouring; scope; sensitive tags hidden."""

from datetime import date

import pytest

from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import admin_user, grid_worker, login_as, staff_user
from wangge.registry.models import KeyPopulationTag, TagGrant
from wangge.registry.rollups import grid_counts_refresh
from wangge.registry.tests.factories import make_household_with_members, make_person, tag_person

pytestmark = pytest.mark.django_db
URL = "/api/v1/grids/counts"


@pytest.fixture
def register(street):
    household = make_household_with_members(street.grid_a1)
    head = household.members.get(relationship="head")
    tag_person(head, "veteran", since=date(2020, 1, 1))
    tag_person(head, "disability", since=date(2020, 1, 1), grade=3)
    other = make_person("赵敏", grid=street.grid_b1, female=True, party_member=True)
    tag_person(other, "community_corrections", since=date(2025, 6, 1))
    grid_counts_refresh()
    return street


def test_a_grid_worker_gets_only_their_own_grid_without_sensitive_tags(client, register):
    client.force_login(grid_worker(register))
    response = client.get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == [register.grid_a1.code]
    counts = body[register.grid_a1.code]
    assert (counts["households"], counts["persons"], counts["party_members"]) == (1, 3, 0)
    assert counts["key_populations"]["veteran"] == 1
    assert "disability" not in counts["key_populations"]
    assert "community_corrections" not in counts["key_populations"]
    assert "empty_nest_elder" in counts["key_populations"]  # ordinary tags show, at zero


def test_a_tag_grant_reveals_that_tag_and_no_other(client, register):
    worker = grid_worker(register)
    TagGrant.objects.create(user=worker, tag=KeyPopulationTag.objects.get(code="disability"))
    client.force_login(worker)
    populations = client.get(URL).json()[register.grid_a1.code]["key_populations"]
    assert populations["disability"] == 1
    assert "community_corrections" not in populations


def test_a_street_admin_sees_every_grid_and_may_narrow_to_a_community(client, register):
    login_as(client, admin_user(register.street))
    body = client.get(URL).json()
    assert set(body) == {
        register.grid_a1.code,
        register.grid_a2.code,
        register.grid_b1.code,
        register.grid_b2.code,
    }
    assert body[register.grid_b1.code]["party_members"] == 1
    assert body[register.grid_a2.code]["persons"] == 0
    narrowed = client.get(URL, {"parent": register.community_b.code}).json()
    assert set(narrowed) == {register.grid_b1.code, register.grid_b2.code}


def test_community_staff_see_their_community_only(client, register):
    client.force_login(staff_user("cs", Role.COMMUNITY_STAFF, register.community_a))
    assert set(client.get(URL).json()) == {register.grid_a1.code, register.grid_a2.code}


def test_a_parent_out_of_scope_is_not_found(client, register):
    client.force_login(grid_worker(register))
    response = client.get(URL, {"parent": register.community_b.code})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(URL, {"parent": "999999999999"}).status_code == 404


def test_anonymous_requests_are_refused(client, register):
    response = client.get(URL)
    assert response.status_code == 401
    assert register.grid_a1.code.encode() not in response.content


def test_the_route_does_not_shadow_a_grid_card(client, register):
    client.force_login(grid_worker(register))
    card = client.get(f"/api/v1/grids/{register.grid_a1.code}").json()
    assert card["counts"]["persons"] == 3
