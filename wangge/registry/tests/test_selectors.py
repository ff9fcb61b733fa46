"""Register selectors: scope, masking, sensitive tags, the access log, filters, keyset paging."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from wangge.core.errors import NotFound, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.core.scope import actor_for_user
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user
from wangge.registry.enums import DwellingUse, ResidenceStatus
from wangge.registry.identity import encrypted_identifiers
from wangge.registry.models import Building, KeyPopulationTag, Person, RecordChange, TagGrant
from wangge.registry.permissions import visible_tags
from wangge.registry.person_list import person_list
from wangge.registry.selectors import (
    building_get,
    building_points,
    grid_buildings,
    household_get,
    person_get,
)
from wangge.registry.tests.factories import (
    make_building,
    make_dwelling,
    make_household,
    make_household_with_members,
    make_person,
    tag_person,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = "511402198005170011"
PHONE = "13912345678"
ADDRESS = "四川省眉山市东坡区通惠街道幸福路8号"


@pytest.fixture
def world(street):
    """Grid a1: a building with a household of three (the head tagged) and one rented dwelling;
    grid b1 (the other community): one household."""
    household = make_household_with_members(street.grid_a1)
    head = Person.objects.get(household=household, name="张伟")
    building = Building.objects.get(dwellings__households=household)
    Person.objects.filter(pk=head.pk).update(
        **encrypted_identifiers(id_number=ID_NUMBER, phone=PHONE, registered_address=ADDRESS)
    )
    tag_person(head, "veteran")
    tag_person(head, "disability", grade=2)
    rented = make_dwelling(building, "2-502", use=DwellingUse.RENTED)
    tenant_household = make_household(rented)
    make_person(
        "王芳",
        household=tenant_household,
        female=True,
        birth_date=date(1995, 6, 1),
        residence_status=ResidenceStatus.MIGRANT,
    )
    other = make_household_with_members(street.grid_b1, "9-901")
    worker = grid_worker(street)
    outsider = staff_user("gw_b1", Role.GRID_WORKER, street.grid_b1)
    return {
        "household": household,
        "head": head,
        "building": building,
        "other": other,
        "worker": worker,
        "outsider": outsider,
    }


def actor(user):
    return actor_for_user(user)


# --- drill-down -------------------------------------------------------------------------------


def test_grid_buildings_counts_dwellings_households_and_persons(street, world):
    result = grid_buildings(actor=actor(world["worker"]), grid_code=street.grid_a1.code)
    assert result["grid"]["code"] == street.grid_a1.code
    [building] = result["buildings"]
    assert building["id"] == world["building"].id
    assert (building["dwellings"], building["households"], building["persons"]) == (2, 2, 4)
    assert result["totals"] == {"dwellings": 2, "households": 2, "persons": 4}


def test_grid_buildings_out_of_scope_is_not_found(street, world):
    with pytest.raises(NotFound):
        grid_buildings(actor=actor(world["outsider"]), grid_code=street.grid_a1.code)
    with pytest.raises(NotFound):
        grid_buildings(actor=actor(world["worker"]), grid_code="999999999999999")


def test_grid_buildings_query_count_does_not_grow(street, world, django_assert_num_queries):
    me = actor(world["worker"])
    grid_buildings(actor=me, grid_code=street.grid_a1.code)
    for index in range(6):
        building = make_building(street.grid_a1, f"{index + 10}栋")
        make_household_with_members(street.grid_a1, f"{index}-101")
        make_dwelling(building, "1-101")
    # The grid (with its parent) and one query for every building and all its counts.
    with django_assert_num_queries(2):
        result = grid_buildings(actor=me, grid_code=street.grid_a1.code)
    assert len(result["buildings"]) == 7


def test_building_get_lists_dwellings_with_use_households_and_members(world):
    result = building_get(actor=actor(world["worker"]), building_id=world["building"].id)
    by_number = {d["number"]: d for d in result["dwellings"]}
    assert by_number["1-301"]["use"] == DwellingUse.OWNER_OCCUPIED
    assert by_number["1-301"]["members"] == 3
    assert by_number["1-301"]["households"][0]["id"] == world["household"].id
    assert by_number["2-502"]["use"] == DwellingUse.RENTED
    assert by_number["2-502"]["members"] == 1


def test_building_get_out_of_scope_is_not_found(world):
    with pytest.raises(NotFound):
        building_get(actor=actor(world["outsider"]), building_id=world["building"].id)
    with pytest.raises(NotFound):
        building_get(actor=actor(world["worker"]), building_id=10**9)


def test_household_get_members_are_masked_and_logged(world):
    before = AuditEvent.objects.count()
    result = household_get(actor=actor(world["worker"]), household_id=world["household"].id)
    names = [m["name"] for m in result["members"]]
    assert names == ["张伟", "李娜", "张小明"]
    head = result["members"][0]
    assert head["id_number_masked"] == "511402********0011"
    assert head["phone_masked"] == "139****5678"
    assert head["relationship"] == "head"
    assert result["dwelling"]["number"] == "1-301"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "registry.household.view"
    assert ID_NUMBER not in str(event.detail) and "张伟" not in str(event.detail)


def test_household_get_out_of_scope_writes_nothing(world):
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound):
        household_get(actor=actor(world["outsider"]), household_id=world["household"].id)
    assert AuditEvent.objects.count() == before


# --- the profile --------------------------------------------------------------------------------


def test_person_get_masks_identifiers(world):
    profile = person_get(actor=actor(world["worker"]), person_id=world["head"].id)
    assert profile["id_number_masked"] == "511402********0011"
    assert profile["phone_masked"] == "139****5678"
    assert profile["registered_address_masked"] == ADDRESS[:6] + "…"
    assert profile["household"]["number"] == world["household"].number
    assert [m["name"] for m in profile["household"]["members"]] == ["张伟", "李娜", "张小明"]
    assert profile["building"]["id"] == world["building"].id
    assert profile["grid"]["code"] == world["household"].grid.code
    text = str(profile)
    assert ID_NUMBER not in text and PHONE not in text and ADDRESS not in text


def test_person_get_writes_exactly_one_access_log_row_without_personal_data(world):
    before = AuditEvent.objects.count()
    person_get(actor=actor(world["worker"]), person_id=world["head"].id)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "registry.person.view"
    assert event.object_type == "registry.person"
    assert event.object_id == str(world["head"].id)
    assert event.actor == world["worker"]
    assert event.org_path == world["head"].path
    fields = event.detail["fields"]
    assert {"name", "id_number", "phone", "registered_address", "tags"} <= set(fields)
    detail = str(event.detail)
    for secret in (ID_NUMBER, PHONE, ADDRESS, "张伟", "139****5678", "511402********0011"):
        assert secret not in detail


def test_person_get_out_of_scope_is_not_found_and_writes_nothing(world):
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound) as missing:
        person_get(actor=actor(world["outsider"]), person_id=world["head"].id)
    with pytest.raises(NotFound) as absent:
        person_get(actor=actor(world["outsider"]), person_id=10**9)
    assert missing.value.message == absent.value.message
    assert AuditEvent.objects.count() == before


def test_sensitive_tag_absent_without_grant_and_shown_with_one(world):
    codes = [
        t["code"]
        for t in person_get(actor=actor(world["worker"]), person_id=world["head"].id)["tags"]
    ]
    assert codes == ["veteran"]
    household = household_get(actor=actor(world["worker"]), household_id=world["household"].id)
    assert [t["code"] for t in household["members"][0]["tags"]] == ["veteran"]

    TagGrant.objects.create(
        user=world["worker"], tag=KeyPopulationTag.objects.get(code="disability")
    )
    tags = person_get(actor=actor(world["worker"]), person_id=world["head"].id)["tags"]
    assert [t["code"] for t in tags] == ["disability", "veteran"]
    assert tags[0]["grade"] == 2 and tags[0]["sensitive"] is True


def test_person_get_shows_history_and_moves(world):
    head = world["head"]
    RecordChange.objects.create(
        object_type="person",
        object_id=head.id,
        changed_at=timezone.now() - timedelta(days=3),
        actor=world["worker"],
        actor_username="gw_a1",
        action="update",
        changes={"phone": ["138****8000", "139****5678"], "move_in_date": [None, "2020-01-01"]},
    )
    profile = person_get(actor=actor(world["worker"]), person_id=head.id)
    [change] = profile["history"]
    assert change["actor"] == "gw_a1"
    assert [f["field"] for f in change["fields"]] == ["phone", "move_in_date"]
    assert [m["field"] for m in profile["moves"]] == ["move_in_date"]


def test_history_hides_changes_of_tags_the_actor_may_not_see(world):
    head = world["head"]
    now = timezone.now()
    for code, action in (("disability", "tag_add"), ("veteran", "tag_add")):
        RecordChange.objects.create(
            object_type="person",
            object_id=head.id,
            changed_at=now,
            actor_username="gw_a1",
            action=action,
            changes={"tag": [None, code]},
        )
    RecordChange.objects.create(
        object_type="person",
        object_id=head.id,
        changed_at=now,
        actor_username="system",
        action="tag_ended",
        changes={"tag:disability": ["2025-01-01", "2025-06-30"]},
    )
    history = person_get(actor=actor(world["worker"]), person_id=head.id)["history"]
    assert [f["new"] for change in history for f in change["fields"]] == ["退役军人"]
    assert "disability" not in str(history) and "残疾" not in str(history)

    tag = KeyPopulationTag.objects.get(code="disability")
    TagGrant.objects.create(user=world["worker"], tag=tag)
    history = person_get(actor=actor(world["worker"]), person_id=head.id)["history"]
    assert len(history) == 3
    assert tag.name in str(history)


# --- the list ---------------------------------------------------------------------------------


def ids(rows):
    return [row["id"] for row in rows]


def test_person_list_is_scoped(street, world):
    rows, _ = person_list(actor=actor(world["worker"]), filters={})
    assert {r["name"] for r in rows} == {"张伟", "李娜", "张小明", "王芳"}
    rows, _ = person_list(actor=actor(world["outsider"]), filters={})
    assert {r["name"] for r in rows} == {"张伟", "李娜", "张小明"}
    assert all(r["grid_code"] == street.grid_b1.code for r in rows)
    # Filtering by a grid out of scope finds nothing rather than failing.
    assert (
        person_list(actor=actor(world["outsider"]), filters={"grid": street.grid_a1.code})[0] == []
    )


def test_person_list_filters(street, world):
    me = actor(world["worker"])
    by = lambda **f: {r["name"] for r in person_list(actor=me, filters=f)[0]}  # noqa: E731
    assert by(grid=street.grid_a1.code) == {"张伟", "李娜", "张小明", "王芳"}
    assert by(building=str(world["building"].id)) == {"张伟", "李娜", "张小明", "王芳"}
    assert by(tag="veteran") == {"张伟"}
    assert by(residence_status="migrant") == {"王芳"}
    today = timezone.localdate()
    child_age = today.year - 2010 - ((today.month, today.day) < (9, 1))
    assert by(age_max=str(child_age)) == {"张小明"}
    assert by(age_min=str(child_age + 1), age_max="40") == {"王芳"}
    assert by(age_min=str(child_age), age_max=str(child_age)) == {"张小明"}


def test_person_list_sensitive_tag_without_grant_looks_unknown(world):
    me = actor(world["worker"])
    with pytest.raises(ValidationFailed) as sensitive:
        person_list(actor=me, filters={"tag": "disability"})
    with pytest.raises(ValidationFailed) as unknown:
        person_list(actor=me, filters={"tag": "no_such_tag"})
    assert sensitive.value.as_dict() == unknown.value.as_dict()
    TagGrant.objects.create(
        user=world["worker"], tag=KeyPopulationTag.objects.get(code="disability")
    )
    rows, _ = person_list(actor=actor(world["worker"]), filters={"tag": "disability"})
    assert [r["name"] for r in rows] == ["张伟"]


@pytest.mark.parametrize(
    "filters",
    [
        {"residence_status": "alien"},
        {"age_min": "x"},
        {"age_min": "50", "age_max": "40"},
        {"building": "-1"},
    ],
)
def test_person_list_rejects_bad_filters(world, filters):
    with pytest.raises(ValidationFailed) as error:
        person_list(actor=actor(world["worker"]), filters=filters)
    assert error.value.field in filters


def test_person_list_keyset_pages_by_id(street, world):
    me = actor(world["worker"])
    for index in range(5):
        make_person(f"赵{index}", grid=street.grid_a1)
    everyone, cursor = person_list(actor=me, filters={}, limit=100)
    assert cursor is None
    seen, after = [], None
    while True:
        rows, after = person_list(actor=me, filters={}, after=after, limit=2)
        seen += ids(rows)
        if after is None:
            break
        # The cursor is the last id, never a name.
        assert after == str(rows[-1]["id"])
    assert seen == ids(everyone) == sorted(ids(everyone))
    assert len(seen) == 9
    with pytest.raises(ValidationFailed):
        person_list(actor=me, filters={}, after="abc")


def test_person_list_query_count_is_constant(street, world, django_assert_num_queries):
    # The page and the page's tags; the actor's visible tags are read once per request, first.
    me = actor(world["worker"])
    visible_tags(me)
    with django_assert_num_queries(2):
        rows, _ = person_list(actor=me, filters={"tag": "veteran"})
    assert len(rows) == 1
    for index in range(30):
        person = make_person(f"钱{index}", grid=street.grid_a1)
        tag_person(person, "veteran")
    me = actor(world["worker"])
    visible_tags(me)
    with django_assert_num_queries(2):
        rows, _ = person_list(actor=me, filters={"tag": "veteran"})
    assert len(rows) == 31


def test_person_list_excludes_people_who_moved_out(street, world):
    Person.objects.filter(name="王芳").update(move_out_date=date(2025, 1, 1))
    rows, _ = person_list(actor=actor(world["worker"]), filters={})
    assert "王芳" not in {r["name"] for r in rows}


# --- the map ----------------------------------------------------------------------------------


def test_building_points_are_scoped_and_filtered(street, world):
    worker_points = building_points(actor=actor(world["worker"]))
    assert [f["id"] for f in worker_points["features"]] == [world["building"].id]
    feature = worker_points["features"][0]
    assert feature["geometry"]["type"] == "Point"
    lng, lat = feature["geometry"]["coordinates"]
    inside = building_points(
        actor=actor(world["worker"]), bbox=(lng - 0.001, lat - 0.001, lng + 0.001, lat + 0.001)
    )
    assert len(inside["features"]) == 1
    outside = building_points(actor=actor(world["worker"]), bbox=(0, 0, 1, 1))
    assert outside["features"] == []
    by_grid = building_points(actor=actor(world["worker"]), grid_code=street.grid_a1.code)
    assert len(by_grid["features"]) == 1
    with pytest.raises(NotFound):
        building_points(actor=actor(world["outsider"]), grid_code=street.grid_a1.code)
    with pytest.raises(ValidationFailed):
        building_points(actor=actor(world["worker"]), bbox=(2, 0, 1, 1))
