import math

import pytest
from shapely.geometry import box as shapely_box

from wangge.core.errors import ValidationFailed
from wangge.orgs.geometry import (
    LocalProjection,
    area_m2,
    normalise,
    parse_boundary,
    parse_line,
    to_geojson,
)
from wangge.orgs.tests.factories import box


def refused(data) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_boundary(data, feature="511402001001001")
    assert caught.value.detail["feature"] == "511402001001001"
    assert caught.value.field == "boundary"
    assert "511402001001001" in str(caught.value.message)
    return caught.value


def test_a_square_parses_and_measures_its_area_in_square_metres():
    geom = parse_boundary(box(104.00, 30.50, 104.01, 30.52), feature="x")
    # Hand computation on a sphere of radius 6,371,008.8 m.
    metres_per_degree = math.radians(1) * 6_371_008.8
    expected = (0.01 * metres_per_degree * math.cos(math.radians(30.51))) * (
        0.02 * metres_per_degree
    )
    assert area_m2(geom) == pytest.approx(expected, rel=1e-4)
    assert 2_000_000 < area_m2(geom) < 2_300_000


def test_projection_round_trips():
    geom = shapely_box(104.0, 30.5, 104.01, 30.52)
    projection = LocalProjection.around(geom)
    back = projection.to_lnglat(projection.to_metric(geom))
    assert back.equals_exact(geom, 1e-9)


def test_multipolygon_is_accepted():
    data = {
        "type": "MultiPolygon",
        "coordinates": [box(0, 0, 1, 1)["coordinates"], box(2, 0, 3, 1)["coordinates"]],
    }
    assert parse_boundary(data, feature="x").geom_type == "MultiPolygon"


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"coordinates": []},
        {"type": "Polygon"},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, "a"], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, float("nan")], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, True], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[0, 0, 1, 1]]},
    ],
)
def test_malformed_geojson_is_refused(data):
    assert refused(data).code == "geojson_malformed"


@pytest.mark.parametrize("kind", ["Point", "LineString", "GeometryCollection", "polygon"])
def test_other_geometry_types_are_refused(kind):
    error = refused({"type": kind, "coordinates": [0, 0]})
    assert error.code == "geometry_type"
    assert kind in str(error.message)


def test_lat_lng_out_of_range_names_the_position():
    error = refused(
        {
            "type": "Polygon",
            "coordinates": [[[30.5, 104.0], [30.6, 104.0], [30.6, 104.1], [30.5, 104.0]]],
        }
    )
    assert error.code == "coordinates_out_of_range"
    assert error.detail["where"] == [30.5, 104.0]


def test_self_intersection_says_where():
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[104.0, 30.5], [104.02, 30.52], [104.02, 30.5], [104.0, 30.52], [104.0, 30.5]]
        ],
    }
    error = refused(bowtie)
    assert error.code == "self_intersection"
    assert error.detail["where"] == pytest.approx([104.01, 30.51])


def test_a_hole_outside_its_shell_is_an_invalid_geometry():
    data = {
        "type": "Polygon",
        "coordinates": [box(0, 0, 1, 1)["coordinates"][0], box(2, 2, 3, 3)["coordinates"][0]],
    }
    assert refused(data).code == "geometry_invalid"


def test_a_flat_ring_is_refused():
    flat = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}
    assert refused(flat).code in ("self_intersection", "geometry_invalid")


def test_normalised_geojson_round_trips_through_shapely():
    data = box(104, 30, 104.5, 30.5)
    assert normalise(data) == to_geojson(parse_boundary(data, feature="x"))


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"type": "Polygon", "coordinates": []},
        {"type": "LineString", "coordinates": [[0, 0]]},
        {"type": "LineString", "coordinates": [[0, 0], [0, 0]]},
        {"type": "LineString", "coordinates": [[0, 0], [0, 200]]},
    ],
)
def test_bad_split_lines_are_refused(data):
    with pytest.raises(ValidationFailed) as caught:
        parse_line(data, feature="g")
    assert caught.value.code == "split_line_invalid"
    assert caught.value.field == "line"
