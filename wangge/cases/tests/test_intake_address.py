"""Address-only intake: an address with no coordinates is matched to a building of the register."""

import json

import pytest
from django.test import Client

from wangge.cases.intake import case_report
from wangge.cases.models import Case, CaseEvent
from wangge.core.errors import ValidationFailed
from wangge.core.models import AuditEvent
from wangge.core.tokens import api_token_issue
from wangge.registry.address_match import building_match_address, normalize_address
from wangge.registry.tests.factories import make_building, make_compound

from .factories import category, crew

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    team = crew()
    category()
    return team


def by_address(reporter, address: str, **extra) -> Case:
    return case_report(
        actor=reporter,
        category_code="T0101",
        title="路灯不亮",
        address=address,
        source=extra.pop("source", "grid_worker"),
        **extra,
    )


def refused(reporter, address: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        by_address(reporter, address)
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="cases.case_report").exists()
    return caught.value


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("东坡大道１２号幸福小区３栋", "东坡大道12号幸福小区3栋"),  # full-width digits
        ("东坡大道 12 号 幸福小区 3 栋", "东坡大道12号幸福小区3栋"),  # spaces
        ("幸福小区3幢", "幸福小区3栋"),
        ("幸福小区3号楼", "幸福小区3栋"),
        ("幸福小区3#2单元", "幸福小区3栋2单元"),
        ("ＡＢＣ大厦　5栋", "abc大厦5栋"),  # full-width letters and space, folded
    ],
)
def test_both_sides_normalise_to_the_same_text(typed, stored):
    assert normalize_address(typed) == normalize_address(stored)


def test_different_buildings_stay_different():
    assert normalize_address("幸福小区3栋") != normalize_address("幸福小区13栋")
    assert normalize_address("幸福小区3栋") != normalize_address("幸福小区3单元")


def test_an_exact_address_takes_the_buildings_point_and_grid(c):
    grid = c.street.grid_a1
    building = make_building(grid, "3栋", compound=make_compound(grid))
    case = by_address(c.grid_worker, "东坡大道１２号 幸福小区３幢")
    assert (case.lng, case.lat) == (building.lng, building.lat)
    assert case.grid == grid
    assert case.handler_unit == c.street.community_a
    assert case.address == "东坡大道１２号 幸福小区３幢"  # the reporter's words are kept


def test_a_fragment_naming_one_building_is_enough(c):
    grid = c.street.grid_a1
    compound = make_compound(grid)
    building = make_building(grid, "3栋", compound=compound)
    make_building(grid, "4栋", compound=compound)
    case = by_address(c.grid_worker, "幸福小区3栋")
    assert (case.lng, case.lat) == (building.lng, building.lat)


def test_an_address_that_says_more_than_the_building_matches_the_longest(c):
    grid = c.street.grid_a1
    compound = make_compound(grid)
    make_building(grid, "3栋", compound=compound)
    building = make_building(grid, "13栋", compound=compound, lng=104.006, lat=30.511)
    case = by_address(c.grid_worker, "东坡大道12号幸福小区13栋2单元门口")
    assert (case.lng, case.lat) == (building.lng, building.lat)


def test_several_buildings_are_ambiguous_and_listed(c, english):
    grid = c.street.grid_a1
    compound = make_compound(grid)
    for number in range(1, 8):
        make_building(grid, f"{number}栋", compound=compound)
    error = refused(c.grid_worker, "幸福小区")
    assert (error.code, error.field) == ("address_ambiguous", "address")
    assert "several buildings" in str(error.message)
    candidates = error.detail["candidates"]
    assert len(candidates) == 5
    assert candidates[0] == "东坡大道12号幸福小区1栋"


def test_an_unknown_address_is_refused_on_the_address_field(c, english):
    make_building(c.street.grid_a1, "3栋", compound=make_compound(c.street.grid_a1))
    error = refused(c.grid_worker, "人民路8号")
    assert (error.code, error.field) == ("address_not_found", "address")
    assert "no building you can see" in str(error.message)
    assert error.detail == {"candidates": []}


def test_a_building_the_actor_cannot_see_is_not_matched_nor_listed(c):
    """The grid worker of a1 cannot see community b's buildings: no match, no candidate."""
    grid = c.street.grid_b1
    make_building(grid, "9栋", compound=make_compound(grid, "湖滨花园"))
    error = refused(c.grid_worker, "湖滨花园9栋")
    assert error.code == "address_not_found"
    assert error.detail == {"candidates": []}
    # The street's command centre sees it.
    found = building_match_address(actor=c.command, text="湖滨花园9栋")
    assert found.building is not None and found.building.grid_code == grid.code


def test_a_building_without_a_point_is_not_matched(c):
    make_building(c.street.grid_a1, "3栋", lng=None, lat=None)
    assert refused(c.grid_worker, "东坡大道12号3栋").code == "address_not_found"


def test_coordinates_win_over_the_address(c):
    grid = c.street.grid_b1
    make_building(grid, "9栋", compound=make_compound(grid, "湖滨花园"))
    case = case_report(
        actor=c.grid_worker,
        category_code="T0101",
        title="路灯不亮",
        lng=104.005,
        lat=30.51,
        address="湖滨花园9栋",
        source="grid_worker",
    )
    assert case.grid == c.street.grid_a1


def test_no_address_and_no_coordinates_still_asks_for_the_place(c):
    with pytest.raises(ValidationFailed) as caught:
        by_address(c.grid_worker, "")
    assert (caught.value.code, caught.value.field) == ("required", "lng")


def test_the_api_takes_an_address_and_answers_candidates(c):
    grid = c.street.grid_a1
    compound = make_compound(grid)
    building = make_building(grid, "3栋", compound=compound)
    make_building(grid, "4栋", compound=compound)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=c.grid_worker.user)[0]}")
    body = {"category": "T0101", "title": "路灯不亮", "source": "grid_worker"}

    made = client.post(
        "/api/v1/cases", json.dumps(body | {"address": "幸福小区3栋"}), "application/json"
    )
    assert made.status_code == 201, made.content
    assert (made.json()["lng"], made.json()["lat"]) == (building.lng, building.lat)

    ambiguous = client.post(
        "/api/v1/cases", json.dumps(body | {"address": "幸福小区"}), "application/json"
    )
    assert ambiguous.status_code == 422
    error = ambiguous.json()
    assert (error["code"], error["field"]) == ("address_ambiguous", "address")
    assert sorted(error["detail"]["candidates"]) == [
        "东坡大道12号幸福小区3栋",
        "东坡大道12号幸福小区4栋",
    ]
    assert Case.objects.count() == 1
