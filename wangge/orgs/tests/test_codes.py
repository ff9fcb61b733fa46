import pytest
from hypothesis import given
from hypothesis import strategies as st

from wangge.orgs.codes import (
    code_error,
    community_code_for,
    parent_code_of,
    parent_kind_error,
    unit_path,
)
from wangge.orgs.enums import OrgUnitKind

COMMUNITY = "511402001001"


def ok(code, kind, parent_code=COMMUNITY, community_code=COMMUNITY):
    return (
        code_error(code=code, kind=kind, parent_code=parent_code, community_code=community_code)
        is None
    )


@pytest.mark.parametrize("kind", ["city", "district", "street", "community"])
def test_administrative_codes_have_12_digits(kind):
    assert ok("511402001001", kind)
    assert not ok("51140200100", kind)
    assert not ok("5114020010011", kind)
    assert not ok("51140200100A", kind)


@pytest.mark.parametrize("kind", ["grid", "dedicated_grid"])
def test_grid_codes_are_the_community_code_plus_3_digits(kind):
    assert ok(COMMUNITY + "007", kind)
    assert not ok("511402001002007", kind)  # another community's prefix
    assert not ok(COMMUNITY + "07", kind)
    assert not ok(COMMUNITY + "0007", kind)


def test_a_grid_under_a_sector_still_uses_the_community_code():
    sector = COMMUNITY + "S01"
    community = community_code_for(
        kind="grid", parent_kind="sector", parent_code=sector, grandparent_code=COMMUNITY
    )
    assert community == COMMUNITY
    assert ok(COMMUNITY + "001", "grid", parent_code=sector, community_code=community)
    assert not ok(sector + "001", "grid", parent_code=sector, community_code=community)


def test_sector_and_department_codes():
    assert ok(COMMUNITY + "S01", "sector")
    assert not ok(COMMUNITY + "S1", "sector")
    assert not ok(COMMUNITY + "D01", "sector")
    assert ok("511402001000D01", "department", parent_code="511402001000")
    assert not ok("511402001001D01", "department", parent_code="511402001000")


def test_error_names_feature_field_and_rule(english):
    error = code_error(code="123", kind="grid", parent_code=COMMUNITY, community_code=COMMUNITY)
    assert error is not None
    assert error.code == "code_format"
    assert error.field == "code"
    assert error.detail == {"feature": "123"}
    assert "3 digits" in str(error.message)


@pytest.mark.parametrize(
    ("kind", "parent_kind", "allowed"),
    [
        ("city", None, True),
        ("city", "city", False),
        ("district", "city", True),
        ("street", None, False),
        ("community", "street", True),
        ("community", "district", False),
        ("grid", "community", True),
        ("grid", "sector", True),
        ("grid", "street", False),
        ("dedicated_grid", "sector", True),
        ("sector", "community", True),
        ("department", "street", True),
        ("department", "grid", False),
    ],
)
def test_parent_kinds(kind, parent_kind, allowed):
    error = parent_kind_error(code="x", kind=kind, parent_kind=parent_kind)
    assert (error is None) == allowed
    if error:
        assert error.code == "parent_kind"
        assert error.field == "parent_code"


def test_path_is_parent_path_plus_code():
    assert unit_path(None, "511400000000") == "/511400000000/"
    assert unit_path("/511400000000/", "511402000000") == "/511400000000/511402000000/"
    assert parent_code_of("/511400000000/511402000000/") == "511400000000"
    assert parent_code_of("/511400000000/") is None


@given(
    prefix=st.from_regex(r"\d{12}", fullmatch=True),
    suffix=st.from_regex(r"\d{3}", fullmatch=True),
    other=st.from_regex(r"\d{12}", fullmatch=True),
)
def test_grid_code_rule_holds_for_any_community(prefix, suffix, other):
    assert ok(prefix + suffix, OrgUnitKind.GRID, community_code=prefix)
    assert ok(prefix + suffix, OrgUnitKind.GRID, community_code=other) == (other == prefix)
