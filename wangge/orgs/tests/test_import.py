import copy
from typing import Any

import pytest

from wangge.core.errors import ValidationFailed
from wangge.orgs.actors import actor_for
from wangge.orgs.geojson_io import org_tree_export
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import system_actor
from wangge.orgs.services import org_tree_import
from wangge.orgs.tests.factories import (
    admin_user,
    box,
    collection,
    feature,
    make_street,
    synthetic_collection,
)
from wangge.orgs.tests.helpers import audit_rows, boundaries_revision, snapshot

pytestmark = pytest.mark.django_db

SYSTEM = system_actor()


def small_collection() -> dict:
    """One street, one community, two grids (synthetic_collection's codes and shapes)."""
    return synthetic_collection(streets=1, communities_per_street=1, grids_per_community=2)


def features_by_code(fc: dict) -> dict:
    return {f["properties"]["code"]: f for f in fc["features"]}


def import_errors(fc: dict, actor=SYSTEM) -> list[dict]:
    before = snapshot()
    revision = boundaries_revision()
    with pytest.raises(ValidationFailed) as caught:
        org_tree_import(actor=actor, feature_collection=fc)
    assert snapshot() == before
    assert boundaries_revision() == revision
    assert caught.value.code == "import_invalid"
    return caught.value.detail["errors"]


def test_import_creates_the_tree_with_paths_areas_and_centroids():
    revision = boundaries_revision()
    summary = org_tree_import(actor=SYSTEM, feature_collection=small_collection())
    assert summary == {"created": 6, "updated": 0, "unchanged": 0}
    grid = OrgUnit.objects.get(code="510104001001002")
    assert grid.path == "/510100000000/510104000000/510104001000/510104001001/510104001001002/"
    assert grid.depth == 4 and grid.parent is not None and grid.parent.code == "510104001001"
    assert grid.area_m2 == pytest.approx(0.005 * 95_900 * 0.01 * 111_195, rel=0.01)
    assert grid.centroid_lng == pytest.approx(104.0075)
    assert boundaries_revision() == revision + 1
    assert audit_rows("orgs.tree_import").get().detail["created"] == 6


def test_features_may_come_in_any_order():
    fc = small_collection()
    fc["features"].reverse()
    assert org_tree_import(actor=SYSTEM, feature_collection=fc)["created"] == 6


def test_reimporting_the_same_file_changes_nothing():
    fc = small_collection()
    org_tree_import(actor=SYSTEM, feature_collection=fc)
    before, revision = snapshot(), boundaries_revision()
    summary = org_tree_import(actor=SYSTEM, feature_collection=copy.deepcopy(fc))
    assert summary == {"created": 0, "updated": 0, "unchanged": 6}
    assert snapshot() == before and boundaries_revision() == revision
    assert audit_rows("orgs.tree_import").count() == 1


def test_an_export_reimports_unchanged():
    street = make_street()
    exported = org_tree_export(actor=SYSTEM)
    assert len(exported["features"]) == 10
    assert exported["features"][0]["properties"]["code"] == street.city.code
    summary = org_tree_import(actor=SYSTEM, feature_collection=exported)
    assert summary == {"created": 0, "updated": 0, "unchanged": 10}


def test_a_changed_name_and_boundary_are_updated():
    fc = small_collection()
    org_tree_import(actor=SYSTEM, feature_collection=fc)
    grids = features_by_code(fc)
    grids["510104001001001"]["properties"]["name"] = "改名网格"
    summary = org_tree_import(actor=SYSTEM, feature_collection=fc)
    assert summary == {"created": 0, "updated": 1, "unchanged": 5}
    unit = OrgUnit.objects.get(code="510104001001001")
    assert (unit.name, unit.version) == ("改名网格", 2)


def test_every_error_is_reported_naming_its_feature_and_nothing_is_written():
    fc = small_collection()
    by_code = features_by_code(fc)
    # A grid that sticks 0.002° east out of its community (over nothing else).
    by_code["510104001001002"]["geometry"] = box(104.005, 30.50, 104.012, 30.51)
    # A third grid over the first one.
    fc["features"].append(
        feature(
            "510104001001003",
            "重叠网格",
            "grid",
            "510104001001",
            box(104.000, 30.50, 104.002, 30.51),
        )
    )
    fc["features"].append(
        feature(
            "510104001001004",
            "自交网格",
            "grid",
            "510104001001",
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [104.0, 30.5],
                        [104.001, 30.501],
                        [104.001, 30.5],
                        [104.0, 30.501],
                        [104.0, 30.5],
                    ]
                ],
            },
        )
    )
    fc["features"].append(
        feature(
            "510104001001005",
            "坏数据",
            "grid",
            "510104001001",
            {"type": "Polygon", "coordinates": [[[104.0, 30.5]]]},
        )
    )
    fc["features"].append(feature("510104001002001", "孤儿网格", "grid", "510104001002"))
    fc["features"].append(feature("510104001001001", "重复", "grid", "510104001001"))
    fc["features"].append(feature("5101040010010", "短代码", "grid", "510104001001"))
    fc["features"].append(feature("510104001001S1", "片区", "sector", "510104001001"))
    fc["features"].append(feature("510104002000", "街道", "street", "510100000000"))
    errors = import_errors(fc)
    found = {(e["feature"], e["code"]) for e in errors}
    assert found == {
        ("510104001001002", "grid_outside_community"),
        ("510104001001001", "grid_overlap"),  # both are new: the lower code is named
        ("510104001001004", "self_intersection"),
        ("510104001001005", "geojson_malformed"),
        ("510104001002001", "unknown_parent"),
        ("510104001001001", "duplicate_code"),
        ("5101040010010", "code_format"),
        ("510104001001S1", "code_format"),
        ("510104002000", "parent_kind"),
    }
    assert OrgUnit.objects.count() == 0
    overlap = next(e for e in errors if e["code"] == "grid_overlap")
    assert overlap["other"] == "510104001001003"
    assert overlap["area_m2"] == pytest.approx(0.002 * 95_900 * 0.01 * 111_195, rel=0.01)
    outside = next(e for e in errors if e["code"] == "grid_outside_community")
    assert outside["area_m2"] == pytest.approx(0.002 * 95_900 * 0.01 * 111_195, rel=0.01)
    assert outside["where"][0] > 104.01
    for error in errors:
        assert error["feature"] in error["message"] and error["field"]


def test_a_broken_file_is_one_clear_error():
    assert import_errors({"type": "Feature"})[0]["code"] == "geojson_malformed"
    not_a_feature: Any = "not a feature"
    errors = import_errors(collection([not_a_feature, {"type": "Feature", "properties": {}}]))
    assert [e["code"] for e in errors] == ["geojson_malformed", "required"]
    assert [e["feature"] for e in errors] == ["#1", "#2"]


def test_a_new_grid_may_not_overlap_a_stored_one():
    street = make_street()
    errors = import_errors(
        collection(
            [
                feature(
                    "511402001001003",
                    "新网格",
                    "grid",
                    street.community_a.code,
                    box(104.005, 30.50, 104.006, 30.51),
                ),
            ]
        )
    )
    assert errors[0]["code"] == "grid_overlap" and errors[0]["other"] == street.grid_a1.code


def test_the_import_cannot_move_or_retype_a_unit():
    street = make_street()
    moved = feature(
        street.grid_a1.code, "x", "grid", street.community_b.code, street.grid_a1.boundary
    )
    retyped = feature(street.community_b.code, "x", "street", street.street.code)
    codes = {(e["feature"], e["code"]) for e in import_errors(collection([moved, retyped]))}
    assert codes == {
        (street.grid_a1.code, "parent_change"),
        (street.community_b.code, "kind_change"),
    }


def test_an_admin_imports_only_inside_their_scope_and_denials_are_audited():
    street = make_street()
    actor = actor_for(admin_user(street.community_a, "admin_a"))
    mine = feature(
        street.grid_a1.code, "改名", "grid", street.community_a.code, street.grid_a1.boundary
    )
    theirs = feature(
        street.grid_b1.code, "改名", "grid", street.community_b.code, street.grid_b1.boundary
    )
    errors = import_errors(collection([mine, theirs]), actor=actor)
    assert [(e["feature"], e["code"]) for e in errors] == [
        (street.grid_b1.code, "permission_denied")
    ]
    assert audit_rows("orgs.tree_import", "denied").count() == 1
    assert org_tree_import(actor=actor, feature_collection=collection([mine]))["updated"] == 1


def test_300_communities_and_1800_grids_import_and_reimport_unchanged():
    fc = synthetic_collection()
    summary = org_tree_import(actor=SYSTEM, feature_collection=fc)
    assert summary["created"] == 2 + 10 + 300 + 1800
    assert org_tree_import(actor=SYSTEM, feature_collection=fc)["unchanged"] == 2112
