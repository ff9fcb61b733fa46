import pytest

from wangge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import system_actor
from wangge.orgs.services import org_unit_create, org_unit_update
from wangge.orgs.tests.factories import admin_user, box, grid_worker, make_street, staff_user
from wangge.orgs.tests.helpers import audit_rows, boundaries_revision, snapshot

pytestmark = pytest.mark.django_db

# About 0.5 m and 2 m of longitude at latitude 30.51.
HALF_METRE = 0.5 / 95_900
TWO_METRES = 2 / 95_900


@pytest.fixture
def street():
    return make_street()


@pytest.fixture
def admin(street):
    return actor_for(admin_user(street.street))


def refused(error_type, func, **kwargs):
    before = snapshot()
    with pytest.raises(error_type) as caught:
        func(**kwargs)
    assert snapshot() == before
    return caught.value


# --- create --------------------------------------------------------------------------------------


def test_admin_creates_a_sector_and_a_grid_under_it(street, admin):
    revision = boundaries_revision()
    # Make room: shrink grid a2 to its western half.
    org_unit_update(
        actor=admin,
        code=street.grid_a2.code,
        version=1,
        boundary=box(104.01, 30.50, 104.015, 30.52),
    )
    sector = org_unit_create(
        actor=admin,
        code="511402001001S01",
        name="东片区",
        kind=OrgUnitKind.SECTOR,
        parent_code=street.community_a.code,
    )
    grid = org_unit_create(
        actor=admin,
        code="511402001001003",
        name="三苏第三网格",
        kind=OrgUnitKind.GRID,
        parent_code=sector.code,
        boundary=box(104.015, 30.50, 104.02, 30.52),
        sort_order=3,
    )
    assert grid.path == street.community_a.path + "511402001001S01/511402001001003/"
    assert grid.depth == sector.depth + 1 == street.community_a.depth + 2
    assert grid.version == 1
    assert 1_000_000 < grid.area_m2 < 1_100_000
    assert (grid.centroid_lng, grid.centroid_lat) == pytest.approx((104.0175, 30.51))
    assert boundaries_revision() == revision + 2
    row = audit_rows("orgs.unit_create").get(object_id=grid.code)
    assert row.detail["area_m2"] == grid.area_m2 and row.org_path == grid.path


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"code": "51140200100"}, "code_format", "code"),
        ({"code": "511402001002009"}, "code_format", "code"),
        ({"code": "511402001001001"}, "duplicate_code", "code"),
        ({"parent_code": "511402001009"}, "unknown_parent", "parent_code"),
        ({"parent_code": "511402001000", "code": "511402001000009"}, "parent_kind", "parent_code"),
        ({"kind": "village"}, "kind_unknown", "kind"),
        ({"name": "  "}, "required", "name"),
        ({"boundary": {"type": "Point", "coordinates": [104, 30.5]}}, "geometry_type", "boundary"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(street, admin, changes, code, field):
    kwargs = {
        "actor": admin,
        "code": "511402001001009",
        "name": "新网格",
        "kind": "grid",
        "parent_code": street.community_a.code,
        **changes,
    }
    error = refused(ValidationFailed, org_unit_create, **kwargs)
    assert (error.code, error.field) == (code, field)


def test_a_grid_outside_its_community_is_refused_with_area_and_place(street, admin):
    # 0.001° × 0.02° east of community A, i.e. inside community B.
    error = refused(
        ValidationFailed,
        org_unit_create,
        actor=admin,
        code="511402001001009",
        name="越界网格",
        kind="grid",
        parent_code=street.community_a.code,
        boundary=box(104.019, 30.50, 104.021, 30.52),
    )
    assert error.code == "grid_outside_community"
    assert error.detail["feature"] == "511402001001009"
    assert error.detail["other"] == street.community_a.code
    assert error.detail["area_m2"] == pytest.approx(0.001 * 95_900 * 0.02 * 111_195, rel=0.01)
    assert 104.02 < error.detail["where"][0] < 104.021


def test_a_grid_may_stick_out_by_less_than_the_tolerance(street, admin):
    org_unit_update(
        actor=admin,
        code=street.grid_a2.code,
        version=1,
        boundary=box(104.01 + HALF_METRE, 30.50, 104.02 + HALF_METRE, 30.52),
    )
    with pytest.raises(ValidationFailed) as caught:
        org_unit_update(
            actor=admin,
            code=street.grid_a2.code,
            version=2,
            boundary=box(104.01 + HALF_METRE, 30.50, 104.02 + TWO_METRES, 30.52),
        )
    assert caught.value.code == "grid_outside_community"


def test_overlapping_grids_are_refused_naming_the_other_grid(street, admin):
    error = refused(
        ValidationFailed,
        org_unit_update,
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        boundary=box(104.00, 30.50, 104.012, 30.52),
    )
    assert error.code == "grid_overlap"
    assert error.detail["feature"] == street.grid_a1.code
    assert error.detail["other"] == street.grid_a2.code
    assert error.detail["area_m2"] == pytest.approx(0.002 * 95_900 * 0.02 * 111_195, rel=0.01)
    assert 104.01 < error.detail["where"][0] < 104.012
    assert street.grid_a2.code in str(error.message)


def test_a_self_intersecting_boundary_is_refused(street, admin):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[104.0, 30.5], [104.01, 30.52], [104.01, 30.5], [104.0, 30.52], [104.0, 30.5]]
        ],
    }
    error = refused(
        ValidationFailed,
        org_unit_update,
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        boundary=bowtie,
    )
    assert error.code == "self_intersection"
    assert error.detail["where"] == pytest.approx([104.005, 30.51])


def test_only_the_system_creates_a_top_level_unit(street, admin):
    refused(
        PermissionDenied,
        org_unit_create,
        actor=admin,
        code="510100000000",
        name="成都市",
        kind="city",
        parent_code=None,
    )
    unit = org_unit_create(
        actor=system_actor(), code="510100000000", name="成都市", kind="city", parent_code=None
    )
    assert unit.path == "/510100000000/" and unit.depth == 0
    assert audit_rows("orgs.unit_create").get(object_id=unit.code).actor_username == "system"


# --- update --------------------------------------------------------------------------------------


def test_update_changes_name_and_boundary_and_bumps_version(street, admin):
    revision = boundaries_revision()
    unit = org_unit_update(
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        name="新名字",
        boundary=box(104.00, 30.50, 104.01, 30.51),
    )
    assert unit.version == 2
    unit.refresh_from_db()
    assert unit.name == "新名字"
    assert unit.boundary == box(104.00, 30.50, 104.01, 30.51)
    assert unit.area_m2 == pytest.approx(0.01 * 95_900 * 0.01 * 111_195, rel=0.01)
    assert boundaries_revision() == revision + 1
    assert audit_rows("orgs.unit_update").get().detail["fields"][:2] == ["name", "boundary"]


def test_an_update_that_changes_nothing_writes_nothing(street, admin):
    unit = org_unit_update(
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        name=street.grid_a1.name,
        boundary=street.grid_a1.boundary,
    )
    assert unit.version == 1
    assert not audit_rows("orgs.unit_update").exists()


def test_a_stale_version_is_a_conflict(street, admin):
    org_unit_update(actor=admin, code=street.grid_a1.code, version=1, name="第一次")
    error = refused(
        Conflict, org_unit_update, actor=admin, code=street.grid_a1.code, version=1, name="第二次"
    )
    assert error.code == "version_conflict"
    assert error.detail["current_version"] == 2
    assert OrgUnit.objects.get(code=street.grid_a1.code).name == "第一次"


def test_shrinking_a_community_must_keep_its_grids_inside(street, admin):
    error = refused(
        ValidationFailed,
        org_unit_update,
        actor=admin,
        code=street.community_a.code,
        version=1,
        boundary=box(104.00, 30.50, 104.015, 30.52),
    )
    assert error.code == "grid_outside_community"
    assert error.detail["feature"] == street.grid_a2.code


# --- who may write -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["grid_worker", "community_staff", "community_admin_of_b"])
def test_non_admins_cannot_edit_and_the_denial_is_audited(street, who):
    user = {
        "grid_worker": lambda: grid_worker(street),
        "community_staff": lambda: staff_user("cs", Role.COMMUNITY_STAFF, street.community_a),
        "community_admin_of_b": lambda: admin_user(street.community_b, "admin_b"),
    }[who]()
    expected = NotFound if who == "community_admin_of_b" else PermissionDenied
    error = refused(
        expected,
        org_unit_update,
        actor=actor_for(user),
        code=street.grid_a1.code,
        version=1,
        name="篡改",
    )
    assert error.detail == {"object_type": "orgs.orgunit", "object_id": street.grid_a1.code}
    row = audit_rows("orgs.unit_update", "denied").get()
    assert row.actor_id == user.pk and row.object_id == street.grid_a1.code
    assert not audit_rows("orgs.unit_update").exists()


def test_a_unit_out_of_scope_looks_like_one_that_does_not_exist(street):
    actor = actor_for(admin_user(street.community_b, "admin_b"))
    hidden = refused(
        NotFound, org_unit_update, actor=actor, code=street.grid_a1.code, version=1, name="x"
    )
    missing = refused(
        NotFound, org_unit_update, actor=actor, code="511402001001999", version=1, name="x"
    )
    assert hidden.code == missing.code == "not_found"


def test_a_community_admin_cannot_create_outside_the_community(street):
    actor = actor_for(admin_user(street.community_b, "admin_b"))
    error = refused(
        ValidationFailed,
        org_unit_create,
        actor=actor,
        code="511402001001009",
        name="x",
        kind="grid",
        parent_code=street.community_a.code,
    )
    assert error.code == "unknown_parent"


@pytest.mark.parametrize("boundary", [{"type": "Polygon"}, {"coordinates": [1]}, "box", []])
def test_a_malformed_boundary_is_a_validation_error(street, admin, boundary):
    error = refused(
        ValidationFailed,
        org_unit_update,
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        boundary=boundary,
    )
    assert (error.code, error.field) == ("geojson_malformed", "boundary")
