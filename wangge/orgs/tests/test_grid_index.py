import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.orgs.actors import actor_for
from wangge.orgs.grid_index import (
    GridIndex,
    grid_index,
    locate_point,
    locate_point_naive,
    locate_points,
)
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import system_actor
from wangge.orgs.services import grid_merge, org_tree_import, org_unit_update
from wangge.orgs.tests.factories import admin_user, box, make_street, synthetic_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    return make_street()


def test_a_point_is_located_in_its_grid(street):
    assert locate_point(104.005, 30.51) == street.grid_a1.code
    assert locate_point(104.035, 30.51) == street.grid_b2.code
    assert locate_point(104.05, 30.51) is None
    assert locate_point(104.005, 30.53) is None


def test_a_point_on_a_shared_border_goes_to_the_lowest_code(street):
    assert locate_point(104.01, 30.51) == street.grid_a1.code
    assert locate_point(104.02, 30.51) == street.grid_a2.code
    codes = locate_points(np.array([104.01, 104.02, 104.03]), np.array([30.51, 30.51, 30.51]))
    assert list(codes) == [street.grid_a1.code, street.grid_a2.code, street.grid_b1.code]


def test_the_index_is_rebuilt_after_a_boundary_change(street):
    actor = actor_for(admin_user(street.street))
    assert locate_point(104.005, 30.515) == street.grid_a1.code
    org_unit_update(
        actor=actor, code=street.grid_a1.code, version=1, boundary=box(104.00, 30.50, 104.01, 30.51)
    )
    assert locate_point(104.005, 30.515) is None
    assert locate_point(104.005, 30.505) == street.grid_a1.code


def test_a_merged_away_grid_leaves_the_index(street):
    actor = actor_for(admin_user(street.street))
    grid_merge(
        actor=actor,
        code=street.grid_a1.code,
        other_code=street.grid_a2.code,
        version=1,
        other_version=1,
    )
    assert street.grid_a2.code not in set(grid_index().codes)
    assert locate_point(104.015, 30.51) == street.grid_a1.code


def test_rows_changed_behind_the_services_are_noticed(street):
    assert locate_point(104.005, 30.51) == street.grid_a1.code
    OrgUnit.objects.filter(pk=street.grid_a1.pk).update(is_active=False)
    assert locate_point(104.005, 30.51) is None


def test_nan_and_far_away_points_find_no_grid(street):
    codes = locate_points(
        np.array([np.nan, 0.0, 104.005, np.inf]), np.array([30.51, 0.0, np.nan, 30.51])
    )
    assert list(codes) == [None, None, None, None]
    assert locate_points(np.array([]), np.array([])).shape == (0,)


def test_vectorised_equals_naive_on_random_points():
    org_tree_import(
        actor=system_actor(),
        feature_collection=synthetic_collection(
            streets=3, communities_per_street=4, grids_per_community=5
        ),
    )
    index = grid_index()
    rng = np.random.default_rng(20260101)
    west, south, east, north = 103.99, 30.49, 104.05, 30.54
    lngs = rng.uniform(west, east, 3000)
    lats = rng.uniform(south, north, 3000)
    # Points exactly on shared borders and vertices as well.
    edges = np.unique(np.concatenate([g.exterior.xy[0] for g in index.geoms]))
    lngs[:300] = rng.choice(edges, 300)
    lats[300:400] = 30.51
    found = locate_points(lngs, lats)
    naive = [index.locate_point_naive(x, y) for x, y in zip(lngs, lats, strict=True)]
    assert list(found) == naive
    assert [index.locate_point(x, y) for x, y in zip(lngs, lats, strict=True)] == naive
    assert [locate_point_naive(x, y) for x, y in zip(lngs[:20], lats[:20], strict=True)] == naive[
        :20
    ]
    assert 0.3 < np.mean(found != None) < 1  # noqa: E711


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(
        st.tuples(st.floats(103.99, 104.05), st.floats(30.49, 30.53)), min_size=1, max_size=50
    )
)
def test_vectorised_equals_naive_property(points):
    index = _small_index()
    lngs, lats = np.array(points).T
    assert list(index.locate_points(lngs, lats)) == [
        index.locate_point_naive(x, y) for x, y in points
    ]


_INDEX = {}


def _small_index() -> GridIndex:
    """An index built straight from the synthetic features (no database needed per example)."""
    if "index" not in _INDEX:
        features = synthetic_collection(streets=2, communities_per_street=3, grids_per_community=4)[
            "features"
        ]
        rows = [(f["id"], "", f["geometry"]) for f in features if f["properties"]["kind"] == "grid"]
        _INDEX["index"] = GridIndex.build(rows)
    return _INDEX["index"]


def test_locate_points_finds_every_point_over_1800_grids():
    """Every point of a tiled city lies in a grid (speed is measured in bench/, not here)."""
    org_tree_import(actor=system_actor(), feature_collection=synthetic_collection())
    index = grid_index()
    assert len(index) == 1800
    rng = np.random.default_rng(7)
    lngs, lats = rng.uniform(104.0, 104.3, 200_000), rng.uniform(30.5, 30.6, 200_000)
    found = index.locate_indices(lngs, lats)
    assert (found >= 0).all()
