import pytest

from wangge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wangge.orgs.actors import actor_for
from wangge.orgs.models import OrgUnit, RoleAssignment
from wangge.orgs.role_services import role_assign, role_revoke
from wangge.orgs.services import grid_merge, grid_split
from wangge.orgs.tests.factories import admin_user, box, grid_worker, make_street, staff_user
from wangge.orgs.tests.helpers import audit_rows, boundaries_revision, snapshot

pytestmark = pytest.mark.django_db

NEW = "511402001001003"


def line(*points):
    return {"type": "LineString", "coordinates": [list(p) for p in points]}


# Cuts grid a1 (104.00-104.01 × 30.50-30.52) at 30.505: a quarter south, three quarters north.
CUT = line((103.999, 30.505), (104.011, 30.505))


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


def test_split_keeps_the_code_on_the_larger_part(street, admin):
    revision = boundaries_revision()
    original_area = 0.01 * 95_900 * 0.02 * 111_195
    kept, created = grid_split(
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        line=CUT,
        new_code=NEW,
        new_name="三苏第三网格",
    )
    assert kept.code == street.grid_a1.code and kept.version == 2
    assert created.code == NEW and created.version == 1
    assert created.parent_id == street.community_a.pk
    assert created.path == street.community_a.path + NEW + "/"
    assert kept.area_m2 == pytest.approx(original_area * 0.75, rel=0.01)
    assert created.area_m2 == pytest.approx(original_area * 0.25, rel=0.01)
    assert kept.centroid_lat > 30.505 > created.centroid_lat
    assert boundaries_revision() == revision + 1
    assert audit_rows("orgs.grid_split").get().detail["new_code"] == NEW


@pytest.mark.parametrize(
    "cut",
    [
        line((104.005, 30.49), (104.005, 30.51)),  # stops inside the grid
        line((104.02, 30.49), (104.02, 30.53)),  # misses it
        line((104.003, 30.49), (104.003, 30.53), (104.006, 30.53), (104.006, 30.49)),  # three parts
    ],
)
def test_a_line_that_does_not_cut_the_grid_in_two_is_refused(street, admin, cut):
    error = refused(
        ValidationFailed,
        grid_split,
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        line=cut,
        new_code=NEW,
        new_name="x",
    )
    assert error.code == "split_line_invalid"
    assert error.field == "line"


@pytest.mark.parametrize(
    ("new_code", "code"),
    [
        ("511402001002003", "code_format"),
        ("511402001001002", "duplicate_code"),
    ],
)
def test_split_checks_the_new_code(street, admin, new_code, code):
    error = refused(
        ValidationFailed,
        grid_split,
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        line=CUT,
        new_code=new_code,
        new_name="x",
    )
    assert error.code == code


def test_split_with_a_stale_version_is_a_conflict(street, admin):
    error = refused(
        Conflict,
        grid_split,
        actor=admin,
        code=street.grid_a1.code,
        version=7,
        line=CUT,
        new_code=NEW,
        new_name="x",
    )
    assert error.code == "version_conflict"


def test_a_grid_worker_cannot_split_their_grid(street):
    refused(
        PermissionDenied,
        grid_split,
        actor=actor_for(grid_worker(street)),
        code=street.grid_a1.code,
        version=1,
        line=CUT,
        new_code=NEW,
        new_name="x",
    )
    assert not OrgUnit.objects.filter(code=NEW).exists()
    assert audit_rows("orgs.grid_split", "denied").count() == 1


def test_merge_takes_the_union_and_deactivates_the_other(street, admin):
    worker = grid_worker(street, "gw_a2")
    RoleAssignment.objects.filter(user=worker).update(org_unit=street.grid_a2)
    merged = grid_merge(
        actor=admin,
        code=street.grid_a1.code,
        other_code=street.grid_a2.code,
        version=1,
        other_version=1,
    )
    assert merged.boundary["type"] == "Polygon"
    assert merged.area_m2 == pytest.approx(0.02 * 95_900 * 0.02 * 111_195, rel=0.01)
    other = OrgUnit.objects.get(code=street.grid_a2.code)
    assert not other.is_active and other.version == 2
    row = audit_rows("orgs.grid_merge").get()
    assert row.detail["other"] == street.grid_a2.code and row.detail["roles_left_on_other"] == 1
    assert not actor_for(worker).paths()  # an inactive grid grants nothing


def test_split_then_merge_restores_the_area(street, admin):
    kept, created = grid_split(
        actor=admin, code=street.grid_a1.code, version=1, line=CUT, new_code=NEW, new_name="x"
    )
    merged = grid_merge(
        actor=admin,
        code=kept.code,
        other_code=created.code,
        version=kept.version,
        other_version=created.version,
    )
    assert merged.area_m2 == pytest.approx(street.grid_a1.area_m2 or 2_132_700, rel=0.01)


def test_grids_that_do_not_touch_cannot_merge(street, admin):
    west, east = grid_split(
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        line=line((104.004, 30.49), (104.004, 30.53)),
        new_code=NEW,
        new_name="x",
    )
    assert west.centroid_lng > east.centroid_lng  # the larger (eastern) part kept the code
    error = refused(
        ValidationFailed,
        grid_merge,
        actor=admin,
        code=east.code,
        other_code=street.grid_a2.code,
        version=1,
        other_version=1,
    )
    assert error.code == "grids_not_adjacent"


def test_grids_of_different_communities_cannot_merge(street, admin):
    error = refused(
        ValidationFailed,
        grid_merge,
        actor=admin,
        code=street.grid_a2.code,
        other_code=street.grid_b1.code,
        version=1,
        other_version=1,
    )
    assert error.code == "grids_not_adjacent"


def test_merge_with_a_stale_other_version_is_a_conflict(street, admin):
    error = refused(
        Conflict,
        grid_merge,
        actor=admin,
        code=street.grid_a1.code,
        other_code=street.grid_a2.code,
        version=1,
        other_version=2,
    )
    assert error.field == "other_version"


def test_roles_are_assigned_and_revoked_by_admins_only(street, admin):
    user = staff_user("new_worker")
    assignment = role_assign(
        actor=admin, user=user, role="grid_worker", org_unit_code=street.grid_b1.code
    )
    assert (
        role_assign(actor=admin, user=user, role="grid_worker", org_unit_code=street.grid_b1.code)
        == assignment
    )
    assert actor_for(user).paths() == (street.grid_b1.path,)
    assert audit_rows("orgs.role_assign").count() == 1
    refused(
        PermissionDenied,
        role_revoke,
        actor=actor_for(user),
        user=user,
        role="grid_worker",
        org_unit_code=street.grid_b1.code,
    )
    assert role_revoke(
        actor=admin, user=user, role="grid_worker", org_unit_code=street.grid_b1.code
    )
    assert not actor_for(user).paths()
    assert audit_rows("orgs.role_revoke").count() == 1
    assert audit_rows("orgs.role_revoke", "denied").count() == 1


def test_a_community_admin_cannot_grant_roles_elsewhere(street):
    actor = actor_for(admin_user(street.community_a, "admin_a"))
    user = staff_user("someone")
    role_assign(actor=actor, user=user, role="grid_worker", org_unit_code=street.grid_a1.code)
    refused(
        NotFound,
        role_assign,
        actor=actor,
        user=user,
        role="admin",
        org_unit_code=street.street.code,
    )
    with pytest.raises(ValidationFailed) as caught:
        role_assign(actor=actor, user=user, role="emperor", org_unit_code=street.grid_a1.code)
    assert caught.value.code == "role_unknown"


def test_a_grid_of_two_polygons_is_not_split_into_its_islands(street, admin):
    islands = {
        "type": "MultiPolygon",
        "coordinates": [
            box(104.000, 30.50, 104.004, 30.52)["coordinates"],
            box(104.006, 30.50, 104.010, 30.52)["coordinates"],
        ],
    }
    OrgUnit.objects.filter(pk=street.grid_a1.pk).update(boundary=islands)
    error = refused(
        ValidationFailed,
        grid_split,
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        line=line((104.005, 30.49), (104.005, 30.53)),
        new_code=NEW,
        new_name="x",
    )
    assert error.code == "split_line_invalid"
