"""Register pages through Django's test client: drill-down, profile, list; scope, masking, the
access log, sensitive tags, keyset links and query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.core.models import AuditEvent
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user
from wangge.registry.identity import encrypted_identifiers
from wangge.registry.models import Building, KeyPopulationTag, Person, TagGrant
from wangge.registry.tests.factories import (
    make_building,
    make_household_with_members,
    make_person,
    tag_person,
)

pytestmark = pytest.mark.django_db


# Process-wide caches (the tag catalogue) check their revision on a timer and reload after a
# change; those reads come and go with the clock, not with the number of rows on a page.
PROCESS_CACHE_READS = ('"core_revision"', 'FROM "registry_keypopulationtag" ORDER BY')


def counted(captured) -> int:
    return sum(
        not any(marker in query["sql"] for marker in PROCESS_CACHE_READS)
        for query in captured.captured_queries
    )


ID_NUMBER = "511402198005170011"
PHONE = "13912345678"
ADDRESS = "四川省眉山市东坡区通惠街道幸福路8号"


@pytest.fixture
def world(street):
    household = make_household_with_members(street.grid_a1)
    head = Person.objects.get(household=household, name="张伟")
    building = Building.objects.get(dwellings__households=household)
    Person.objects.filter(pk=head.pk).update(
        **encrypted_identifiers(id_number=ID_NUMBER, phone=PHONE, registered_address=ADDRESS)
    )
    tag_person(head, "veteran")
    tag_person(head, "community_corrections")
    return {
        "grid": street.grid_a1,
        "household": household,
        "building": building,
        "head": head,
        "worker": grid_worker(street),
        "outsider": staff_user("gw_b1", Role.GRID_WORKER, street.grid_b1),
    }


def drill_urls(world) -> dict[str, str]:
    return {
        "grid": reverse("registry_grid", args=[world["grid"].code]),
        "building": reverse("registry_building", args=[world["building"].id]),
        "household": reverse("registry_household", args=[world["household"].id]),
        "person": reverse("registry_person", args=[world["head"].id]),
    }


def test_drill_down_pages_render_for_the_grid_worker(client, world):
    client.force_login(world["worker"])
    urls = drill_urls(world)
    grid = client.get(urls["grid"]).content.decode()
    assert world["building"].name in grid and urls["building"] in grid
    building = client.get(urls["building"]).content.decode()
    assert "1-301" in building and urls["household"] in building
    household = client.get(urls["household"]).content.decode()
    assert "张伟" in household and urls["person"] in household
    assert "511402********0011" in household and "139****5678" in household
    person = client.get(urls["person"]).content.decode()
    assert "511402********0011" in person and "139****5678" in person
    assert ADDRESS[:6] + "…" in person
    for page in (household, person):
        assert ID_NUMBER not in page and PHONE not in page and ADDRESS not in page


@pytest.mark.parametrize("page", ["grid", "building", "household", "person"])
def test_worker_of_another_community_gets_404_and_only_a_denial_is_written(client, world, page):
    client.force_login(world["outsider"])
    before = set(AuditEvent.objects.values_list("id", flat=True))
    counts = {model: model.objects.count() for model in (Person, TagGrant)}
    response = client.get(drill_urls(world)[page])
    assert response.status_code == 404
    body = response.content.decode()
    assert "张伟" not in body and world["grid"].name not in body
    new = AuditEvent.objects.exclude(id__in=before)
    assert [event.action for event in new] == ["access.denied"]
    assert counts == {model: model.objects.count() for model in (Person, TagGrant)}


def test_profile_view_writes_one_access_log_row_without_personal_data(client, world):
    client.force_login(world["worker"])
    before = set(AuditEvent.objects.values_list("id", flat=True))
    assert client.get(drill_urls(world)["person"]).status_code == 200
    [event] = AuditEvent.objects.exclude(id__in=before)
    assert event.action == "registry.person.view"
    assert event.object_id == str(world["head"].id)
    assert "id_number" in event.detail["fields"]
    detail = str(event.detail)
    for secret in (ID_NUMBER, PHONE, ADDRESS, "张伟"):
        assert secret not in detail


def test_sensitive_tag_hidden_without_grant_and_shown_with_one(client, world):
    client.force_login(world["worker"])
    url = drill_urls(world)["person"]
    page = client.get(url).content.decode()
    assert 'data-tag="veteran"' in page
    assert 'data-tag="community_corrections"' not in page and "社区矫正" not in page
    listing = client.get(reverse("registry_persons")).content.decode()
    assert "社区矫正" not in listing

    tag = KeyPopulationTag.objects.get(code="community_corrections")
    TagGrant.objects.create(user=world["worker"], tag=tag)
    page = client.get(url).content.decode()
    assert 'data-tag="community_corrections"' in page and tag.name in page


def test_unknown_and_ungranted_tag_filters_look_the_same(client, world):
    client.force_login(world["worker"])
    url = reverse("registry_persons")
    sensitive = client.get(url, {"tag": "community_corrections"})
    unknown = client.get(url, {"tag": "no_such_tag"})
    assert sensitive.status_code == unknown.status_code == 422
    marker = 'class="alert alert-error"'
    alert = lambda r: r.content.decode().split(marker)[1].split("</p>")[0]  # noqa: E731
    assert alert(sensitive) == alert(unknown)


def test_person_list_filters_and_next_page_links(client, street, world):
    client.force_login(world["worker"])
    for index in range(55):
        make_person(f"孙{index}", grid=street.grid_a1, birth_date=date(1950, 1, 1))
    url = reverse("registry_persons")
    first = client.get(url)
    assert first.status_code == 200
    rows = first.content.decode().count('class="member" data-person=')
    assert rows == 50
    next_url = first.context["next_url"]
    assert next_url and "after=" in next_url
    # Only an id travels in the URL: no name, no identifier.
    assert "孙" not in next_url and "%E5%AD%99" not in next_url
    second = client.get(next_url)
    assert second.content.decode().count('class="member" data-person=') == 58 - 50
    assert second.context["next_url"] is None and second.context["first_url"]

    elders = client.get(url, {"age_min": "70", "grid": street.grid_a1.code})
    names = {row["name"] for row in elders.context["rows"]}
    assert names and all(name.startswith("孙") for name in names)
    veterans = client.get(url, {"tag": "veteran"})
    assert [row["name"] for row in veterans.context["rows"]] == ["张伟"]


def test_person_list_query_count_does_not_grow(client, street, world):
    client.force_login(world["worker"])
    url = reverse("registry_persons")
    client.get(url)  # warm the session and the templates

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return counted(captured)

    few = queries()
    for index in range(40):
        tag_person(make_person(f"周{index}", grid=street.grid_a1), "veteran")
    assert queries() == few


def test_drill_down_query_counts_do_not_grow(client, street, world):
    client.force_login(world["worker"])
    urls = drill_urls(world)
    client.get(urls["grid"])

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return counted(captured)

    before = {name: queries(url) for name, url in urls.items()}
    for index in range(5):
        make_building(street.grid_a1, f"{index + 20}栋")
        make_person(f"吴{index}", household=world["household"])
    after = {name: queries(url) for name, url in urls.items()}
    assert after == before


def test_navigation_and_grid_card_link_to_the_register(client, world):
    client.force_login(world["worker"])
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("registry_persons")}"' in home
    assert f'href="{reverse("registry_grid", args=[world["grid"].code])}"' in home


def test_pages_need_a_staff_role(client, world):
    assert client.get(drill_urls(world)["person"]).status_code == 302  # to the sign-in page
    nobody = staff_user("no_roles")
    client.force_login(nobody)
    before = AuditEvent.objects.filter(action="registry.person.view").count()
    assert client.get(drill_urls(world)["person"]).status_code == 404
    assert client.get(reverse("registry_persons")).status_code == 404
    assert AuditEvent.objects.filter(action="registry.person.view").count() == before
