"""The demo register: size and proportions of the plan, valid identifiers, places in their grids,
determinism, and the load through the demo command."""

import json
from collections import Counter
from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db.models import F

from wangge.core.crypto import decrypt
from wangge.demo.generator import generate_city
from wangge.demo.people import credit_code, credit_code_valid
from wangge.demo.register import plan_register
from wangge.orgs.grid_index import grid_index_reset, locate_points
from wangge.orgs.models import OrgUnit
from wangge.registry.identity import ID_AAD, id_birth_date, id_gender, id_number_problem
from wangge.registry.models import (
    Building,
    Compound,
    Dwelling,
    GridCount,
    Household,
    Organisation,
    Person,
    PersonTag,
    TagGrant,
)

TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def plan():
    return plan_register(generate_city(), seed=20261122, today=TODAY)


def share(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def test_the_street_has_about_ten_thousand_households_and_thirty_thousand_persons(plan):
    assert 9_500 <= len(plan.households) <= 10_500
    assert 27_000 <= len(plan.persons) <= 33_000
    sizes = Counter(Counter(p["household"] for p in plan.persons).values())
    assert set(sizes) == {1, 2, 3, 4, 5, 6}
    assert sizes[3] > sizes[5] > sizes[6]


def test_ages_residence_and_party_membership_are_plausible(plan):
    ages = np.array([p["age"] for p in plan.persons])
    assert 0.17 <= np.mean(ages >= 60) <= 0.23
    assert 0.10 <= np.mean(ages < 18) <= 0.30
    assert ages.max() <= 95
    status = Counter(p["residence_status"] for p in plan.persons)
    assert 0.12 <= status["migrant"] / len(plan.persons) <= 0.18
    assert status["away_registered"] and status["foreign"]
    assert 0.07 <= share(p["party_member"] for p in plan.persons) <= 0.09
    adults = [p for p in plan.persons if p["age"] >= 18]
    assert share(bool(p["phone"]) for p in adults) >= 0.8
    assert all(not p["party_member"] for p in plan.persons if p["age"] < 18)


def test_dwellings_are_mostly_lived_in_with_rentals_vacancies_and_shops(plan):
    uses = Counter(d["use"] for d in plan.dwellings)
    total = len(plan.dwellings)
    assert 0.12 <= uses["rented"] / total <= 0.18
    assert 0.03 <= uses["vacant"] / total <= 0.07
    assert 0 < uses["commercial"] / total <= 0.05
    rented = [d for d in plan.dwellings if d["use"] == "rented"]
    assert all("landlord" in d and d["lease_start"] < d["lease_end"] for d in rented)
    assert sum("steward" in b for b in plan.buildings) >= 0.95 * len(plan.buildings)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("disability", 0.02),
        ("minimum_living_allowance", 0.015),
        ("extreme_hardship", 0.002),
        ("community_corrections", 0.0005),
        ("released_prisoner", 0.001),
        ("key_youth", 0.001),
        ("veteran", 0.015),
    ],
)
def test_key_populations_come_in_realistic_proportions(plan, code, expected):
    holders = [t for t in plan.tags if t["code"] == code]
    assert expected * 0.8 <= len(holders) / len(plan.persons) <= expected * 1.2
    assert len({t["person"] for t in holders}) == len(holders)
    assert all(t["valid_from"] < TODAY for t in holders)
    if code == "disability":
        assert {t["grade"] for t in holders} == {1, 2, 3, 4}
    if code == "key_youth":
        assert all(12 <= plan.persons[t["person"]]["age"] <= 25 for t in holders)


def test_id_numbers_are_valid_unique_and_agree_with_birth_gender_and_region(plan):
    numbers = [p["id_number"] for p in plan.persons if p["id_number"]]
    assert len(numbers) == len(set(numbers))
    for p in plan.persons:
        if p["residence_status"] == "foreign":
            assert p["id_number"] == ""
            continue
        number = p["id_number"]
        assert id_number_problem(number) is None, number
        assert id_birth_date(number) == p["birth_date"]
        assert id_gender(number) == p["gender"]
        if p["residence_status"] == "registered":
            assert number.startswith("511402")  # the demo street's district
        if p["residence_status"] == "migrant":
            assert not number.startswith("5114")


def test_names_are_chinese_and_not_all_alike(plan):
    names = [p["name"] for p in plan.persons if p["residence_status"] != "foreign"]
    assert all(2 <= len(name) <= 4 and "\u4e00" <= name[0] <= "\u9fff" for name in names)
    surnames = Counter(name[0] for name in names)
    assert surnames.most_common(1)[0][0] in "王李张"
    assert len(set(names)) > len(names) * 0.1


def test_organisations_of_every_kind_with_valid_credit_codes(plan):
    kinds = Counter(o["kind"] for o in plan.organisations)
    assert {"shop", "enterprise", "social_organisation", "resident_organisation"} <= set(kinds)
    registrations = {
        o.get("registration") for o in plan.organisations if o["kind"] == "social_organisation"
    }
    assert registrations == {"registered", "filed"}
    rng = np.random.default_rng(1)
    assert all(
        credit_code_valid(credit_code(rng, "511402", registrar="9", kind="1")) for _ in range(50)
    )


def test_the_plan_is_deterministic_by_seed():
    city = generate_city()
    first = plan_register(city, seed=7, today=TODAY, street_households=400)
    again = plan_register(city, seed=7, today=TODAY, street_households=400)
    other = plan_register(city, seed=8, today=TODAY, street_households=400)
    assert first == again
    assert [p["id_number"] for p in first.persons] != [p["id_number"] for p in other.persons]


# --- loaded through the demo command (small: see conftest) ---------------------------------------


@pytest.fixture
def loaded(db, tmp_path):
    grid_index_reset()
    call_command("wangge_demo", "--accounts-file", str(tmp_path / "a.json"), stdout=StringIO())
    yield json.loads((tmp_path / "a.json").read_text())
    grid_index_reset()


def test_the_demo_command_loads_the_register(loaded):
    assert 250 <= Household.objects.count() <= 350
    assert Person.objects.count() >= 2 * Household.objects.count()
    assert (
        Compound.objects.filter(sponsor_unit__kind="department").count() == Compound.objects.count()
    )
    assert Organisation.objects.exists() and PersonTag.objects.exists()
    assert Dwelling.objects.filter(use="rented", landlord__isnull=False).exists()
    assert Building.objects.filter(steward__isnull=False).exists()
    # the derived tags and the rollup were built
    assert PersonTag.objects.filter(tag__code="migrant").exists()
    active = Person.objects.filter(archived_at__isnull=True, move_out_date__isnull=True).count()
    assert sum(GridCount.objects.filter(metric="persons").values_list("value", flat=True)) == active


def test_every_place_and_person_lies_in_the_grid_that_contains_its_building(loaded):
    buildings = list(Building.objects.values_list("id", "lng", "lat", "grid__code", "path"))
    codes = locate_points([b[1] for b in buildings], [b[2] for b in buildings])
    assert [b[3] for b in buildings] == list(codes)
    grid_of = {b[0]: b[3] for b in buildings}
    for building_id, grid_code, path in Person.objects.values_list(
        "household__dwelling__building_id", "grid__code", "path"
    ):
        assert grid_code == grid_of[building_id]
        assert path.endswith(f"/{grid_code}/")
    assert not Household.objects.exclude(grid=F("dwelling__grid")).exists()


def test_identifiers_are_stored_encrypted_and_valid(loaded):
    for person in Person.objects.exclude(id_number_encrypted=None)[:200]:
        number = decrypt(bytes(person.id_number_encrypted or b""), aad=ID_AAD)
        assert id_number_problem(number) is None
        assert id_birth_date(number) == person.birth_date
        assert id_gender(number) == person.gender
        assert person.name not in number


def test_community_staff_may_see_the_sensitive_tags(loaded):
    grants = set(TagGrant.objects.values_list("user__username", "tag__code"))
    assert {user for user, _code in grants} == {"demo_community_staff"}
    assert {code for _user, code in grants} >= {"disability", "community_corrections"}


def test_the_second_run_writes_nothing_and_reset_removes_the_register(loaded, tmp_path):
    before = (Person.objects.count(), PersonTag.objects.count(), GridCount.objects.count())
    call_command("wangge_demo", "--accounts-file", str(tmp_path / "b.json"), stdout=StringIO())
    assert (Person.objects.count(), PersonTag.objects.count(), GridCount.objects.count()) == before
    persons = sorted(Person.objects.values_list("name", "birth_date"))
    call_command(
        "wangge_demo", "--reset", "--accounts-file", str(tmp_path / "c.json"), stdout=StringIO()
    )
    # the same seed loads the same register again
    assert sorted(Person.objects.values_list("name", "birth_date")) == persons
    assert OrgUnit.objects.filter(kind="grid").exists()
