"""The synthetic city: structure, determinism, and an exact tiling at every level."""

import json
import re
import time
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from wangge.demo import names
from wangge.demo.generator import CENTRE, generate_city

GRID_KINDS = ("grid", "dedicated_grid")


@pytest.fixture(scope="module")
def demo():
    return generate_city()


@pytest.fixture(scope="module")
def big():
    started = time.perf_counter()
    collection = generate_city(scale=300, seed=7)
    return collection, time.perf_counter() - started


def kinds(collection) -> Counter:
    return Counter(feature["properties"]["kind"] for feature in collection["features"])


def geometries(collection) -> dict:
    return {
        feature["id"]: shape(feature["geometry"])
        for feature in collection["features"]
        if feature["geometry"]
    }


def children_of(collection) -> dict[str, list[str]]:
    found = defaultdict(list)
    for feature in collection["features"]:
        props = feature["properties"]
        if feature["geometry"] and props["parent_code"]:
            found[props["parent_code"]].append(props["code"])
    return found


def assert_exact_tiling(collection, parents=None) -> None:
    """Children cover their parent with no gap and no overlap (up to float area noise)."""
    geoms = geometries(collection)
    for parent, codes in children_of(collection).items():
        if parents is not None and parent not in parents:
            continue
        whole = geoms[parent]
        parts = np.array([geoms[code] for code in codes], dtype=object)
        union = shapely.union_all(parts)
        assert shapely.symmetric_difference(union, whole).area <= 1e-12 * whole.area, parent
        overlap = shapely.area(parts).sum() - union.area
        assert abs(overlap) <= 1e-12 * whole.area, parent
        if len(parts) > 1:  # and no pair overlaps at all, not just on balance
            tree = shapely.STRtree(parts)
            left, right = tree.query(parts, predicate="overlaps")
            assert not np.any(left != right), (parent, left, right)


def test_demo_street_has_the_promised_shape(demo):
    assert demo["type"] == "FeatureCollection"
    count = kinds(demo)
    assert (count["city"], count["district"], count["street"], count["community"]) == (1, 1, 1, 5)
    assert count["grid"] + count["dedicated_grid"] == 38
    assert count["dedicated_grid"] == 2
    assert count["department"] == len(names.DEPARTMENTS)
    per_community = Counter(
        f["properties"]["parent_code"]
        for f in demo["features"]
        if f["properties"]["kind"] in GRID_KINDS
    )
    assert all(6 <= n <= 9 for n in per_community.values())


def test_features_have_exactly_the_import_shape(demo):
    for feature in demo["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert feature["type"] == "Feature"
        props = feature["properties"]
        assert set(props) == {"code", "name", "kind", "parent_code", "institution", "sort_order"}
        assert feature["id"] == props["code"]
        assert props["name"].strip()
        if props["kind"] == "department":
            assert feature["geometry"] is None
        else:
            assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert json.loads(json.dumps(demo, ensure_ascii=False)) == demo


def test_codes_follow_the_division_code_rules(demo):
    by_code = {f["properties"]["code"]: f["properties"] for f in demo["features"]}
    assert len(by_code) == len(demo["features"])
    seen = set()
    for feature in demo["features"]:
        props = feature["properties"]
        code, parent = props["code"], props["parent_code"]
        assert parent is None or parent in seen, "parents come before their children"
        seen.add(code)
        if props["kind"] in GRID_KINDS:
            assert re.fullmatch(re.escape(parent) + r"\d{3}", code)
        elif props["kind"] == "department":
            assert re.fullmatch(re.escape(parent) + r"D\d{2}", code)
        else:
            assert re.fullmatch(r"\d{12}", code)
    assert by_code["511402001000"]["kind"] == "street"
    assert [c for c, p in by_code.items() if p["kind"] == "community"] == [
        f"511402001{n:03d}" for n in range(1, 6)
    ]
    assert by_code["511402001000D01"]["name"] == names.DEPARTMENTS[0]


def test_sort_order_counts_siblings_from_one(demo):
    siblings = defaultdict(list)
    for feature in demo["features"]:
        props = feature["properties"]
        siblings[props["parent_code"]].append(props["sort_order"])
    for orders in siblings.values():
        assert orders == list(range(1, len(orders) + 1))


def test_only_dedicated_grids_name_an_institution(demo):
    for feature in demo["features"]:
        props = feature["properties"]
        if props["kind"] == "dedicated_grid":
            assert props["institution"] and props["name"].startswith(props["institution"])
        else:
            assert props["institution"] == ""
    institutions = [
        f["properties"]["institution"]
        for f in demo["features"]
        if f["properties"]["kind"] == "dedicated_grid"
    ]
    assert any(i in names.SCHOOLS for i in institutions)
    assert any(i in names.HOSPITALS for i in institutions)


def test_grid_names_read_like_real_ones(demo):
    grid_names = [
        f["properties"]["name"] for f in demo["features"] if f["properties"]["kind"] == "grid"
    ]
    assert "三苏社区第一网格" in grid_names or any(n.endswith("第一网格") for n in grid_names)
    assert all(re.fullmatch(r".+社区第[一二三四五六七八九十]+网格", n) for n in grid_names)


def test_every_level_tiles_its_parent_exactly(demo):
    assert_exact_tiling(demo)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), scale=st.sampled_from([None, 12, 40]))
def test_any_seed_gives_an_exact_tiling_of_valid_polygons(seed, scale):
    collection = generate_city(seed=seed, scale=scale)
    assert_exact_tiling(collection)
    for code, geom in geometries(collection).items():
        assert geom.is_valid and geom.geom_type == "Polygon", code


def test_geometries_are_valid_single_polygons_near_meishan(demo):
    for code, geom in geometries(demo).items():
        assert geom.is_valid, code
        assert geom.geom_type == "Polygon", code
        assert geom.exterior.is_ccw, "GeoJSON (RFC 7946) wants counter-clockwise shells"
        assert geom.distance(shapely.Point(CENTRE)) < 0.05, code
    street = geometries(demo)["511402001000"]
    # Roughly 38 grids of a quarter square kilometre each: 9.5 km² at 30°N.
    km2 = street.area * 111.32 * 110.574 * np.cos(np.radians(CENTRE[1]))
    assert 7 < km2 < 12


def test_coordinates_lie_on_a_1e7_degree_grid(demo):
    for geom in geometries(demo).values():
        coords = shapely.get_coordinates(geom)
        assert np.allclose(coords * 1e7, np.round(coords * 1e7), atol=1e-6)


def test_same_seed_same_city_other_seed_other_city(demo):
    assert generate_city() == demo
    other = generate_city(seed=1)
    assert other != demo
    assert kinds(other) == kinds(demo)  # the demo's structure does not depend on the seed


def test_dedicated_grids_are_enclaves_inside_their_community(demo):
    geoms = geometries(demo)
    for feature in demo["features"]:
        props = feature["properties"]
        if props["kind"] == "dedicated_grid":
            community = geoms[props["parent_code"]]
            assert community.contains(geoms[props["code"]].buffer(-1e-6))
            # a school campus, not a neighbourhood: a few hectares
            assert geoms[props["code"]].area < 0.2 * community.area


def test_scaled_city_is_big_and_still_exact(big):
    collection, _seconds = big
    count = kinds(collection)
    assert count["community"] == 300
    assert 1_650 <= count["grid"] + count["dedicated_grid"] <= 1_950
    assert count["district"] >= 2 and count["street"] >= 20
    codes = [f["id"] for f in collection["features"]]
    assert len(set(codes)) == len(codes)
    street_codes = {f["id"] for f in collection["features"] if f["properties"]["kind"] == "street"}
    some_communities = [
        f["id"] for f in collection["features"] if f["properties"]["kind"] == "community"
    ][::25]
    assert_exact_tiling(collection, parents={"511400000000", *street_codes, *some_communities})


def test_names_are_unique_among_siblings(big):
    collection, _ = big
    seen: dict[str, set[str]] = defaultdict(set)
    for feature in collection["features"]:
        props = feature["properties"]
        assert props["name"] not in seen[props["parent_code"]], props
        seen[props["parent_code"]].add(props["name"])
        assert len(props["name"]) <= 64


def test_scale_must_be_positive():
    with pytest.raises(ValueError, match="scale"):
        generate_city(scale=0)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (38, "三十八"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (999, "九百九十九"),
    ],
)
def test_cn_number(n, text):
    assert names.cn_number(n) == text


def test_pick_unique_extends_a_short_pool():
    rng = np.random.default_rng(1)
    picked = names.pick_unique(rng, ["甲", "乙"], 5, "社区")
    assert len(set(picked)) == 5 and all(name.endswith("社区") for name in picked)
