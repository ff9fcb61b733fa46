from datetime import date

import pytest

from wangge.core.crypto import decrypt
from wangge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user
from wangge.registry.identity import ID_AAD, id_number_index
from wangge.registry.models import KeyPopulationTag, Person, PersonTag, RecordChange, TagGrant
from wangge.registry.services import (
    person_create,
    person_household_set,
    person_move_out,
    person_tag_add,
    person_tag_end,
    person_update,
)
from wangge.registry.tests.factories import (
    make_building,
    make_dwelling,
    make_household,
    make_household_with_members,
    make_person,
    valid_id_number,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Person.objects.order_by("id").values_list("id", "name", "version", "household_id")),
        list(PersonTag.objects.values_list("id", "valid_to")),
        RecordChange.objects.count(),
    )


@pytest.fixture
def worker(street):
    return actor_for(grid_worker(street))


@pytest.fixture
def household(street):
    return make_household(make_dwelling(make_building(street.grid_a1)))


def test_a_person_added_to_a_household_is_placed_encrypted_and_recorded(worker, household):
    number = valid_id_number(date(1990, 2, 3), female=True)
    person = person_create(
        actor=worker,
        data={"name": "王芳", "id_number": number, "phone": "13912345678", "relationship": "head"},
        household_id=household.id,
    )
    person.refresh_from_db()
    assert (person.grid_id, person.path) == (household.grid_id, household.path)
    assert (person.birth_date, person.gender) == (date(1990, 2, 3), "female")
    assert decrypt(person.id_number_encrypted or b"", aad=ID_AAD) == number
    assert person.id_number_index == id_number_index(number)
    assert (person.name_initials, person.given_name) == ("wf", "芳")
    history = RecordChange.objects.get(object_type="person", object_id=person.id)
    assert history.action == "create"
    assert number not in str(history.changes) and "13912345678" not in str(history.changes)
    assert history.changes["id_number"][1].endswith(number[-4:])
    audit = AuditEvent.objects.get(action="registry.person_create")
    assert "王芳" not in str(audit.detail) and number not in str(audit.detail)


def wrong_check_character(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def test_bad_input_names_the_field_and_writes_nothing(worker, household, english):
    before = snapshot()
    cases: list[tuple[dict, str]] = [
        ({"name": ""}, "name"),
        ({"name": "甲", "id_number": wrong_check_character(valid_id_number())}, "id_number"),
        ({"name": "甲", "id_number": valid_id_number(), "gender": "female"}, "gender"),
        ({"name": "甲", "id_number": valid_id_number(), "phone": "12345"}, "phone"),
        ({"name": "甲", "birth_date": "2001-02-30", "gender": "male"}, "birth_date"),
        ({"name": "甲", "gender": "male"}, "birth_date"),
        ({"name": "甲", "id_number": valid_id_number(), "salary": 1}, "salary"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            person_create(actor=worker, data=data, household_id=household.id)
        assert caught.value.field == field, data
    assert snapshot() == before


def test_the_same_id_number_twice_is_a_duplicate(worker, household):
    number = valid_id_number()
    person_create(actor=worker, data={"name": "甲", "id_number": number}, household_id=household.id)
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        person_create(
            actor=worker, data={"name": "乙", "id_number": number}, grid_code="511402001001001"
        )
    assert (caught.value.code, caught.value.field) == ("duplicate", "id_number")
    assert snapshot() == before


def test_a_worker_of_another_community_cannot_write_and_nothing_changes(street):
    household = make_household_with_members(street.grid_b1)
    person = household.members.get(name="张伟")
    outsider = actor_for(grid_worker(street))  # grid a1
    before = snapshot()
    with pytest.raises(NotFound):
        person_update(actor=outsider, person_id=person.id, version=1, data={"name": "改名"})
    with pytest.raises(NotFound):
        person_create(
            actor=outsider,
            data={"name": "甲", "id_number": valid_id_number()},
            household_id=household.id,
        )
    assert snapshot() == before


def test_a_role_that_reads_but_does_not_keep_the_register_is_refused(street):
    household = make_household_with_members(street.grid_a1)
    person = household.members.get(name="张伟")
    clerk = actor_for(staff_user("clerk", Role.CLERK, street.street))
    before = snapshot()
    with pytest.raises(PermissionDenied):
        person_update(actor=clerk, person_id=person.id, version=1, data={"employer": "x"})
    assert snapshot() == before


def test_update_keeps_masked_history_and_refuses_a_stale_version(worker, street):
    person = make_person("张伟", grid=street.grid_a1, phone="13800138000")
    person_update(
        actor=worker, person_id=person.id, version=1, data={"name": "张卫", "phone": "13911112222"}
    )
    person.refresh_from_db()
    assert (person.name, person.name_pinyin, person.version) == ("张卫", "zhangwei", 2)
    change = RecordChange.objects.get(object_id=person.id, action="update")
    assert change.changes["name"] == ["张伟", "张卫"]
    assert change.changes["phone"] == ["138****8000", "139****2222"]
    before = snapshot()
    with pytest.raises(Conflict):
        person_update(actor=worker, person_id=person.id, version=1, data={"name": "张三"})
    assert snapshot() == before


def test_move_out_and_into_another_household(worker, street):
    household = make_household_with_members(street.grid_a1)
    child = household.members.get(name="张小明")
    person_move_out(actor=worker, person_id=child.id, version=1, moved_out_on=date(2026, 3, 1))
    child.refresh_from_db()
    assert (child.household_id, child.move_out_date) == (None, date(2026, 3, 1))
    assert household.dwelling is not None
    other = make_household(make_dwelling(household.dwelling.building, "2-402"))
    person_household_set(
        actor=worker, person_id=child.id, version=2, household_id=other.id, relationship="head"
    )
    child.refresh_from_db()
    assert (child.household_id, child.relationship, child.move_out_date) == (other.id, "head", None)


def test_sensitive_tag_needs_a_grant_and_otherwise_does_not_exist(worker, street):
    person = make_person("赵六", grid=street.grid_a1)
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        person_tag_add(
            actor=worker,
            person_id=person.id,
            tag_code="disability",
            valid_from=date(2026, 1, 1),
            grade=2,
        )
    assert caught.value.code == "unknown_tag"
    with pytest.raises(ValidationFailed) as unknown:
        person_tag_add(
            actor=worker, person_id=person.id, tag_code="no_such_tag", valid_from=date(2026, 1, 1)
        )
    assert str(unknown.value.message).replace("no_such_tag", "disability") == str(
        caught.value.message
    )
    assert snapshot() == before
    TagGrant.objects.create(user=worker.user, tag=KeyPopulationTag.objects.get(code="disability"))
    granted = actor_for(worker.user)
    row = person_tag_add(
        actor=granted,
        person_id=person.id,
        tag_code="disability",
        valid_from=date(2026, 1, 1),
        grade=2,
    )
    assert row.grade == 2
    person_tag_end(
        actor=granted, person_id=person.id, tag_code="disability", valid_to=date(2026, 6, 30)
    )
    row.refresh_from_db()
    assert row.valid_to == date(2026, 6, 30)


def test_derived_tags_cannot_be_set_by_hand(worker, street):
    person = make_person("钱七", grid=street.grid_a1)
    with pytest.raises(ValidationFailed) as caught:
        person_tag_add(
            actor=worker,
            person_id=person.id,
            tag_code="elder_living_alone",
            valid_from=date(2026, 1, 1),
        )
    assert caught.value.code == "derived_tag"


def test_when_the_spouse_moves_out_the_elder_is_tagged_living_alone_at_once(worker, street):
    household = make_household(make_dwelling(make_building(street.grid_a1), "5-501"))
    elder = make_person("孙秀英", household=household, birth_date=date(1950, 1, 1), female=True)
    spouse = make_person(
        "周建国", household=household, birth_date=date(1949, 5, 5), relationship="spouse"
    )

    def current(person):
        return set(
            PersonTag.objects.filter(person=person, valid_to__isnull=True).values_list(
                "tag__code", flat=True
            )
        )

    person_move_out(actor=worker, person_id=spouse.id, version=1, moved_out_on=date(2026, 6, 1))
    assert "elder_living_alone" in current(elder)
    assert "empty_nest_elder" not in current(elder)
