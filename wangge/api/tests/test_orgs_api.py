"""The orgs endpoints, through the page session (client.force_login)."""

import json

import pytest

from wangge.core.models import AuditEvent
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.tests.factories import (
    admin_user,
    box,
    grid_worker,
    login_as,
    make_street,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    from wangge.orgs.grid_index import grid_index_reset

    grid_index_reset()
    yield
    grid_index_reset()


@pytest.fixture
def street():
    return make_street()


@pytest.fixture
def admin_client(client, street):
    login_as(client, admin_user(street.street))
    return client


@pytest.fixture
def worker_client(client, street):
    client.force_login(grid_worker(street))
    return client


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message"]
    if field is not None:
        assert body["field"] == field
    return body


def test_endpoints_need_authentication(client, street):
    assert client.get("/api/v1/orgs/tree").status_code == 401
    assert client.get(f"/api/v1/grids/{street.grid_a1.code}").status_code == 401


def test_tree_is_the_workers_scope(worker_client, street):
    response = worker_client.get("/api/v1/orgs/tree")
    assert response.status_code == 200
    assert response.json() == [
        {"code": street.grid_a1.code, "name": street.grid_a1.name, "kind": "grid", "children": []}
    ]


def test_grid_card_and_another_communitys_grid_is_404(worker_client, street):
    card = worker_client.get(f"/api/v1/grids/{street.grid_a1.code}")
    assert card.status_code == 200
    body = card.json()
    assert body["community"]["code"] == street.community_a.code
    assert body["grid_workers"][0]["phone"] == "13800138001"
    assert body["counts"]["households"] == 0
    for code in (street.grid_b1.code, street.grid_a2.code, "511402001009009"):
        assert_error(worker_client.get(f"/api/v1/grids/{code}"), 404, "not_found")


def test_locate(worker_client, street):
    found = worker_client.get("/api/v1/grids/locate", {"lat": "30.51", "lng": "104.005"})
    assert found.status_code == 200 and found.json()["code"] == street.grid_a1.code
    assert_error(
        worker_client.get("/api/v1/grids/locate", {"lat": "30.51", "lng": "104.035"}),
        404,
        "not_found",
    )
    assert_error(
        worker_client.get("/api/v1/grids/locate", {"lat": "104.0", "lng": "30.51"}),
        422,
        "validation_error",
        "lat",
    )
    assert_error(
        worker_client.get("/api/v1/grids/locate", {"lng": "104.0"}), 422, "validation_error", "lat"
    )


def test_geojson_layer(client, street):
    client.force_login(staff_user("cs", Role.COMMUNITY_STAFF, street.community_a))
    layer = client.get("/api/v1/orgs/geojson").json()
    assert layer["type"] == "FeatureCollection"
    assert [f["id"] for f in layer["features"]] == [
        street.community_a.code,
        street.grid_a1.code,
        street.grid_a2.code,
    ]
    only = client.get("/api/v1/orgs/geojson", {"parent": street.community_a.code}).json()
    assert len(only["features"]) == 2
    assert_error(
        client.get("/api/v1/orgs/geojson", {"parent": street.community_b.code}), 404, "not_found"
    )


def test_admin_creates_and_updates_a_unit(admin_client, street):
    created = send(
        admin_client,
        "post",
        "/api/v1/orgs",
        {
            "code": "511402001001S01",
            "name": "东片区",
            "kind": "sector",
            "parent_code": street.community_a.code,
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["path"].endswith("/511402001001S01/")
    assert admin_client.get("/api/v1/orgs/511402001001S01").json()["version"] == 1
    patched = send(
        admin_client,
        "patch",
        f"/api/v1/orgs/{street.grid_a1.code}",
        {"version": 1, "name": "新名字", "boundary": box(104.0, 30.5, 104.01, 30.51)},
    )
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert body["version"] == 2 and body["name"] == "新名字" and body["area_m2"] > 1_000_000
    stale = send(
        admin_client,
        "patch",
        f"/api/v1/orgs/{street.grid_a1.code}",
        {"version": 1, "name": "again"},
    )
    assert_error(stale, 409, "version_conflict", "version")


def test_bad_input_is_422_naming_the_field(admin_client, street):
    missing = send(admin_client, "post", "/api/v1/orgs", {"name": "x", "kind": "grid"})
    assert_error(missing, 422, "validation_error", "payload.code")
    bad_kind = send(
        admin_client,
        "post",
        "/api/v1/orgs",
        {
            "code": "511402001001009",
            "name": "x",
            "kind": "village",
            "parent_code": street.community_a.code,
        },
    )
    assert_error(bad_kind, 422, "validation_error", "payload.kind")
    overlap = send(
        admin_client,
        "patch",
        f"/api/v1/orgs/{street.grid_a1.code}",
        {"version": 1, "boundary": box(104.0, 30.5, 104.015, 30.52)},
    )
    body = assert_error(overlap, 422, "grid_overlap", "boundary")
    assert body["detail"]["other"] == street.grid_a2.code
    assert body["detail"]["area_m2"] > 0 and len(body["detail"]["where"]) == 2


def test_split_and_merge(admin_client, street):
    cut = {"type": "LineString", "coordinates": [[103.99, 30.505], [104.02, 30.505]]}
    split = send(
        admin_client,
        "post",
        f"/api/v1/grids/{street.grid_a1.code}/split",
        {"version": 1, "line": cut, "new_code": "511402001001003", "new_name": "三苏第三网格"},
    )
    assert split.status_code == 200, split.content
    assert split.json()["kept"]["version"] == 2
    assert split.json()["created"]["code"] == "511402001001003"
    merged = send(
        admin_client,
        "post",
        f"/api/v1/grids/{street.grid_a1.code}/merge",
        {"version": 2, "other_code": "511402001001003", "other_version": 1},
    )
    assert merged.status_code == 200, merged.content
    assert not OrgUnit.objects.get(code="511402001001003").is_active
    bad = send(
        admin_client,
        "post",
        f"/api/v1/grids/{street.grid_a1.code}/split",
        {
            "version": 3,
            "line": {"type": "Point", "coordinates": [0, 0]},
            "new_code": "511402001001004",
            "new_name": "x",
        },
    )
    assert_error(bad, 422, "split_line_invalid", "line")


@pytest.mark.parametrize("who", ["worker", "staff"])
def test_non_admins_cannot_write(client, street, who):
    user = (
        grid_worker(street)
        if who == "worker"
        else staff_user("cs", Role.COMMUNITY_STAFF, street.community_a)
    )
    client.force_login(user)
    before = list(OrgUnit.objects.values_list("code", "name", "version", "boundary"))
    patched = send(
        client, "patch", f"/api/v1/orgs/{street.grid_a1.code}", {"version": 1, "name": "篡改"}
    )
    assert_error(patched, 403, "permission_denied")
    hidden = send(
        client, "patch", f"/api/v1/orgs/{street.grid_b1.code}", {"version": 1, "name": "篡改"}
    )
    assert_error(hidden, 404, "not_found")
    merged = send(
        client,
        "post",
        f"/api/v1/grids/{street.grid_a1.code}/merge",
        {"version": 1, "other_code": street.grid_a2.code, "other_version": 1},
    )
    assert merged.status_code in (403, 404)
    assert list(OrgUnit.objects.values_list("code", "name", "version", "boundary")) == before
    # Each refusal is recorded once, by the service under its own action; the API layer sees it
    # was already audited and does not write a second access.denied row.
    denials = AuditEvent.objects.filter(actor=user, result="denied").order_by("pk")
    assert [(d.action, d.object_id) for d in denials] == [
        ("orgs.unit_update", street.grid_a1.code),
        ("orgs.unit_update", street.grid_b1.code),
        ("orgs.grid_merge", street.grid_a1.code),
    ]


def test_coverage_endpoint(admin_client, street):
    response = admin_client.get("/api/v1/orgs/coverage")
    assert response.status_code == 200
    assert [r["community"] for r in response.json()] == [
        street.community_a.code,
        street.community_b.code,
    ]


def test_the_openapi_schema_describes_the_orgs_endpoints(worker_client):
    schema = worker_client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/orgs/tree",
        "/api/v1/grids/locate",
        "/api/v1/grids/{code}",
        "/api/v1/orgs/{code}",
        "/api/v1/grids/{code}/split",
    ):
        assert path in schema["paths"], path
    assert "TreeNode" in schema["components"]["schemas"]
