import math

import pytest

from wangge.core.errors import NotFound
from wangge.orgs.actors import actor_for
from wangge.orgs.coverage import coverage_report
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import system_actor
from wangge.orgs.tests.factories import box, make_street, staff_user

pytestmark = pytest.mark.django_db

METRES_PER_DEGREE = math.radians(1) * 6_371_008.8


def rectangle_m2(d_lng: float, d_lat: float, lat0: float = 30.51) -> float:
    """Hand computation in the community's equirectangular frame (centred on its centroid)."""
    return d_lng * METRES_PER_DEGREE * math.cos(math.radians(lat0)) * d_lat * METRES_PER_DEGREE


def set_boundary(unit, boundary):
    # Written directly: the services would refuse the overlap we need.
    OrgUnit.objects.filter(pk=unit.pk).update(boundary=boundary)


def test_a_fully_covered_street_has_no_findings():
    make_street()
    report = coverage_report(actor=system_actor())
    assert [(r["community"], r["gaps"], r["overlaps"]) for r in report] == [
        ("511402001001", [], []),
        ("511402001002", [], []),
    ]


def test_a_gap_and_an_overlap_are_found_with_their_areas():
    street = make_street()
    set_boundary(street.grid_a2, box(104.01, 30.50, 104.02, 30.515))  # leaves 0.01° × 0.005°
    set_boundary(street.grid_b1, box(104.02, 30.50, 104.032, 30.52))  # covers 0.002° × 0.02° of b2
    report = {r["community"]: r for r in coverage_report(actor=system_actor())}
    [gap] = report[street.community_a.code]["gaps"]
    assert gap["area_m2"] == pytest.approx(rectangle_m2(0.01, 0.005), abs=0.1)
    assert 104.01 < gap["where"][0] < 104.02 and 30.515 < gap["where"][1] < 30.52
    assert gap["geometry"]["type"] == "Polygon"
    assert report[street.community_a.code]["overlaps"] == []
    [overlap] = report[street.community_b.code]["overlaps"]
    assert overlap["grids"] == [street.grid_b1.code, street.grid_b2.code]
    assert overlap["area_m2"] == pytest.approx(rectangle_m2(0.002, 0.02), abs=0.1)
    assert 104.03 < overlap["where"][0] < 104.032
    assert report[street.community_b.code]["gaps"] == []


def test_slivers_thinner_than_the_tolerance_are_not_gaps():
    street = make_street()
    half_metre = 0.5 / METRES_PER_DEGREE
    set_boundary(street.grid_a2, box(104.01, 30.50, 104.02, 30.52 - half_metre))
    [report] = coverage_report(actor=system_actor(), community_code=street.community_a.code)
    assert report["gaps"] == []


def test_coverage_follows_the_actors_scope():
    street = make_street()
    actor = actor_for(staff_user("cs", Role.COMMUNITY_STAFF, street.community_b))
    assert [r["community"] for r in coverage_report(actor=actor)] == [street.community_b.code]
    with pytest.raises(NotFound):
        coverage_report(actor=actor, community_code=street.community_a.code)
