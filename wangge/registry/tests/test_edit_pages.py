"""Register edit pages through Django's test client: each form's happy path, refusals beside
their field with nothing written, optimistic locking, who may write (clerk 403, other
community 404, links hidden), sensitive tags and CSRF."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wangge.core.crypto import decrypt
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user
from wangge.registry.identity import ID_AAD, PHONE_AAD
from wangge.registry.models import (
    Building,
    Dwelling,
    Household,
    KeyPopulationTag,
    Person,
    PersonTag,
    RecordChange,
    TagGrant,
)
from wangge.registry.tests.factories import (
    make_household_with_members,
    tag_person,
    valid_id_number,
)

pytestmark = pytest.mark.django_db

BAD_ID_NUMBER = "511402198005170010"  # wrong check character


@pytest.fixture
def world(street):
    household = make_household_with_members(street.grid_a1)
    return {
        "household": household,
        "building": Building.objects.get(dwellings__households=household),
        "dwelling": Dwelling.objects.get(households=household),
        "head": Person.objects.get(household=household, name="张伟"),
        "worker": grid_worker(street),
        "clerk": staff_user("clerk", Role.CLERK, street.street),
        "outsider": staff_user("gw_b1", Role.GRID_WORKER, street.grid_b1),
    }


def person_snapshot(person_id: int) -> tuple:
    person = Person.objects.get(pk=person_id)
    return (
        person.version,
        person.name,
        person.ethnicity,
        person.employer,
        bytes(person.id_number_encrypted or b""),
        bytes(person.phone_encrypted or b""),
        person.move_out_date,
        person.household_id,
        PersonTag.objects.filter(person_id=person_id).count(),
        RecordChange.objects.count(),
    )


def register_counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Household.objects.count(),
        Dwelling.objects.count(),
        PersonTag.objects.count(),
        RecordChange.objects.count(),
    )


def edit_form(person: Person, **changes) -> dict:
    form = {
        "version": person.version,
        "name": person.name,
        "id_number": "",
        "phone": "",
        "registered_address": "",
        "ethnicity": person.ethnicity,
        "residence_status": person.residence_status,
        "employer": person.employer,
    }
    return {**form, **changes}


# --- edit a person ----------------------------------------------------------------------------


def test_person_edit_form_never_prefills_identifiers(client, world):
    head = world["head"]
    client.force_login(world["worker"])
    response = client.get(reverse("registry_person_edit", args=[head.id]))
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    full_id = decrypt(bytes(head.id_number_encrypted), aad=ID_AAD)
    assert full_id not in page and "13800138000" not in page
    assert "138****8000" in page  # the masked phone is the hint beside the empty field
    assert f'name="version" value="{head.version}"' in page
    assert 'name="name" value="张伟"' in page


def test_person_edit_saves_and_keeps_empty_identifiers(client, world):
    head = world["head"]
    id_before = bytes(head.id_number_encrypted)
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_edit", args=[head.id]),
        edit_form(head, name="张伟强", employer="眉山中学", phone="13912345678", party_member="on"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("registry_person", args=[head.id])
    head.refresh_from_db()
    assert (head.name, head.employer, head.party_member) == ("张伟强", "眉山中学", True)
    assert head.version == 2
    assert decrypt(bytes(head.phone_encrypted), aad=PHONE_AAD) == "13912345678"
    assert bytes(head.id_number_encrypted) == id_before  # left empty: kept


def test_person_edit_corrects_the_id_number_when_typed_in_full(client, world):
    head = world["head"]
    new_number = valid_id_number(date(1980, 5, 17))
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_edit", args=[head.id]), edit_form(head, id_number=new_number)
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert decrypt(bytes(head.id_number_encrypted), aad=ID_AAD) == new_number


def test_bad_id_number_is_shown_on_its_field_and_nothing_is_written(client, world, english):
    head = world["head"]
    before = person_snapshot(head.id)
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_edit", args=[head.id]),
        edit_form(head, id_number=BAD_ID_NUMBER, name="改名"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == ["id_number"]
    assert "ID number" in errors["id_number"][0]
    page = response.content.decode()
    assert 'value="改名"' in page  # the user's input stays
    assert "138****8000" in page  # the masked hint survives a refusal
    assert person_snapshot(head.id) == before


def test_stale_version_shows_the_conflict_and_keeps_the_input(client, world, english):
    head = world["head"]
    Person.objects.filter(pk=head.id).update(version=head.version + 1)  # someone else saved
    before = person_snapshot(head.id)
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_edit", args=[head.id]),
        edit_form(head, employer="新单位"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this record" in page
    assert 'value="新单位"' in page
    assert response.context["conflict"]
    assert person_snapshot(head.id) == before


# --- add a person to a household --------------------------------------------------------------


def test_add_person_with_an_id_number_takes_birth_date_and_gender_from_it(client, world):
    household = world["household"]
    number = valid_id_number(date(1950, 2, 3), female=True)
    client.force_login(world["worker"])
    url = reverse("registry_household_person_add", args=[household.id])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "王秀英",
            "id_number": number,
            "phone": "13712345678",
            "relationship": "parent",
            "residence_status": "registered",
            "move_in_date": "2020-01-01",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="王秀英")
    assert response["Location"] == reverse("registry_person", args=[person.id])
    assert (person.birth_date, person.gender) == (date(1950, 2, 3), "female")
    assert person.household_id == household.id and person.relationship == "parent"


def test_add_person_without_an_id_number_needs_birth_date(client, world, english):
    household = world["household"]
    before = register_counts()
    client.force_login(world["worker"])
    url = reverse("registry_household_person_add", args=[household.id])
    response = client.post(url, {"name": "无证人", "gender": "male"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["birth_date"]
    assert register_counts() == before
    response = client.post(url, {"name": "无证人", "gender": "male", "birth_date": "1990-04-01"})
    assert response.status_code == 302
    assert Person.objects.get(name="无证人").birth_date == date(1990, 4, 1)


def test_add_person_with_a_bad_id_number_writes_nothing(client, world):
    before = register_counts()
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_household_person_add", args=[world["household"].id]),
        {"name": "错号", "id_number": BAD_ID_NUMBER},
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["id_number"]
    assert register_counts() == before


# --- move out ---------------------------------------------------------------------------------


def test_move_out_defaults_to_today_and_records_it(client, world):
    head = world["head"]
    client.force_login(world["worker"])
    url = reverse("registry_person_move_out", args=[head.id])
    form = client.get(url).context["form"]
    default = form.initial["move_out_date"]
    assert default == timezone.localdate().isoformat()
    response = client.post(
        url, {"version": head.version, "move_out_date": default, "note": "搬往成都"}
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.move_out_date == timezone.localdate() and head.household_id is None
    assert head.version == 2
    household_page = client.get(reverse("registry_household", args=[world["household"].id]))
    assert "张伟" not in household_page.content.decode()


def test_move_out_in_the_future_is_refused_beside_the_date(client, world):
    head = world["head"]
    before = person_snapshot(head.id)
    client.force_login(world["worker"])
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("registry_person_move_out", args=[head.id]),
        {"version": head.version, "move_out_date": future},
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["move_out_date"]
    assert person_snapshot(head.id) == before


def test_move_out_with_a_stale_version_is_a_conflict(client, world):
    head = world["head"]
    Person.objects.filter(pk=head.id).update(version=head.version + 1)
    before = person_snapshot(head.id)
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_move_out", args=[head.id]),
        {"version": head.version, "move_out_date": "2026-01-15"},
    )
    assert response.status_code == 409
    assert person_snapshot(head.id) == before


# --- key-population tags ----------------------------------------------------------------------


def test_tag_page_hides_sensitive_and_derived_tags_without_a_grant(client, world):
    client.force_login(world["worker"])
    response = client.get(reverse("registry_person_tag_add", args=[world["head"].id]))
    addable = {tag["code"] for tag in response.context["addable"]}
    assert "veteran" in addable
    assert not addable & {"disability", "community_corrections", "minimum_living_allowance"}
    assert not addable & {"empty_nest_elder", "migrant"}  # derived: kept by the register
    page = response.content.decode()
    assert 'data-tag="disability"' not in page and "残疾人" not in page


def test_tag_add_with_a_grant_shows_the_grade_for_disability_only(client, world):
    worker = world["worker"]
    TagGrant.objects.create(user=worker, tag=KeyPopulationTag.objects.get(code="disability"))
    client.force_login(worker)
    url = reverse("registry_person_tag_add", args=[world["head"].id])
    page = client.get(url).content.decode()
    assert 'id="id_add_disability_grade"' in page
    assert 'id="id_add_veteran_grade"' not in page
    response = client.post(url, {"tag": "disability", "valid_from": "2025-03-01", "grade": "2"})
    assert response.status_code == 302
    row = PersonTag.objects.get(person=world["head"], tag__code="disability")
    assert (row.grade, row.valid_from) == (2, date(2025, 3, 1))


def test_tag_add_of_a_sensitive_tag_without_a_grant_is_refused(client, world):
    before = person_snapshot(world["head"].id)
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_tag_add", args=[world["head"].id]),
        {"tag": "community_corrections", "valid_from": "2025-03-01"},
    )
    assert response.status_code == 422
    assert "community_corrections" not in [t["code"] for t in response.context["addable"]]
    assert person_snapshot(world["head"].id) == before


def test_tag_add_and_end(client, world):
    head = world["head"]
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_tag_add", args=[head.id]),
        {"tag": "veteran", "valid_from": "2025-03-01"},
    )
    assert response.status_code == 302
    page = client.get(reverse("registry_person_tag_add", args=[head.id]))
    assert [t["code"] for t in page.context["open_tags"]] == ["veteran"]
    response = client.post(
        reverse("registry_person_tag_end", args=[head.id]),
        {"tag": "veteran", "valid_to": "2026-01-01"},
    )
    assert response.status_code == 302
    assert PersonTag.objects.get(person=head, tag__code="veteran").valid_to == date(2026, 1, 1)


def test_tag_end_before_its_start_is_refused_on_valid_to(client, world):
    head = world["head"]
    tag_person(head, "veteran", since=date(2025, 1, 1))
    before = person_snapshot(head.id)
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_person_tag_end", args=[head.id]),
        {"tag": "veteran", "valid_to": "2024-01-01"},
    )
    assert response.status_code == 422
    assert list(response.context["failed"].errors) == ["valid_to"]
    assert person_snapshot(head.id) == before
    assert reverse("registry_person_tag_end", args=[head.id]).endswith("/tags/end/")


# --- places -----------------------------------------------------------------------------------


def test_dwelling_and_household_add(client, world):
    building = world["building"]
    client.force_login(world["worker"])
    url = reverse("registry_dwelling_add", args=[building.id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"number": "2-502", "floor": "5", "use": "rented"})
    assert response.status_code == 302
    dwelling = Dwelling.objects.get(building=building, number="2-502")
    assert (dwelling.floor, dwelling.use) == (5, "rented")
    url = reverse("registry_household_add", args=[building.id, dwelling.id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"number": "H-2-502"})
    household = Household.objects.get(number="H-2-502")
    assert response["Location"] == reverse("registry_household", args=[household.id])
    assert household.dwelling_id == dwelling.id


def test_duplicate_dwelling_and_household_numbers_are_refused_on_number(client, world):
    building, dwelling = world["building"], world["dwelling"]
    before = register_counts()
    client.force_login(world["worker"])
    response = client.post(
        reverse("registry_dwelling_add", args=[building.id]), {"number": "1-301"}
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["number"]
    response = client.post(
        reverse("registry_household_add", args=[building.id, dwelling.id]),
        {"number": world["household"].number},
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["number"]
    assert register_counts() == before


# --- who may write ----------------------------------------------------------------------------


def write_posts(world) -> list[tuple[str, dict]]:
    head, building, dwelling = world["head"], world["building"], world["dwelling"]
    return [
        (reverse("registry_person_edit", args=[head.id]), edit_form(head, name="篡改")),
        (
            reverse("registry_household_person_add", args=[world["household"].id]),
            {"name": "某人", "gender": "male", "birth_date": "1990-01-01"},
        ),
        (
            reverse("registry_person_move_out", args=[head.id]),
            {"version": head.version, "move_out_date": "2026-01-01"},
        ),
        (
            reverse("registry_person_tag_add", args=[head.id]),
            {"tag": "veteran", "valid_from": "2025-01-01"},
        ),
        (
            reverse("registry_person_tag_end", args=[head.id]),
            {"tag": "veteran", "valid_to": "2026-01-01"},
        ),
        (reverse("registry_dwelling_add", args=[building.id]), {"number": "9-901"}),
        (
            reverse("registry_household_add", args=[building.id, dwelling.id]),
            {"number": "H-new"},
        ),
    ]


@pytest.mark.parametrize("who,status", [("clerk", 403), ("outsider", 404)])
def test_readers_and_other_communities_change_nothing(client, world, who, status):
    tag_person(world["head"], "veteran")
    before = (register_counts(), person_snapshot(world["head"].id))
    client.force_login(world[who])
    for url, data in write_posts(world):
        assert client.post(url, data).status_code == status, url
        if not url.endswith("/end/"):
            assert client.get(url).status_code == status, url
    assert (register_counts(), person_snapshot(world["head"].id)) == before


def test_edit_links_only_for_those_who_may_write(client, world):
    head, household, building = world["head"], world["household"], world["building"]
    pages = [
        (
            reverse("registry_person", args=[head.id]),
            reverse("registry_person_edit", args=[head.id]),
        ),
        (
            reverse("registry_household", args=[household.id]),
            reverse("registry_household_person_add", args=[household.id]),
        ),
        (
            reverse("registry_building", args=[building.id]),
            reverse("registry_dwelling_add", args=[building.id]),
        ),
    ]
    client.force_login(world["worker"])
    for page, link in pages:
        assert link in client.get(page).content.decode()
    client.force_login(world["clerk"])
    for page, link in pages:
        response = client.get(page)
        assert response.status_code == 200
        assert link not in response.content.decode()


def test_csrf_is_enforced(world):
    head = world["head"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["worker"])
    before = person_snapshot(head.id)
    url = reverse("registry_person_edit", args=[head.id])
    assert client.post(url, edit_form(head, name="无令牌")).status_code == 403
    assert person_snapshot(head.id) == before
    token = client.get(url).context["csrf_token"]
    data = {**edit_form(head, name="有令牌"), "csrfmiddlewaretoken": str(token)}
    assert client.post(url, data).status_code == 302
