"""`manage.py wangge_demo`: loads through the services, is idempotent, writes the accounts file."""

import json
import os
import stat
from collections import Counter
from io import StringIO

import pytest
import shapely
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice
from shapely.geometry import shape

from wangge.core.errors import PermissionDenied
from wangge.core.models import AuditEvent, User
from wangge.core.scope import Actor
from wangge.core.twofactor import totp_secret_base32
from wangge.demo.generator import generate_city
from wangge.demo.loader import demo_load, demo_reset
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit, RoleAssignment

pytestmark = pytest.mark.django_db


def run(tmp_path, *args) -> tuple[str, list[dict]]:
    out = StringIO()
    path = tmp_path / "demo-accounts.json"
    call_command("wangge_demo", "--accounts-file", str(path), *args, stdout=out)
    return out.getvalue(), json.loads(path.read_text(encoding="utf-8"))


def snapshot() -> tuple:
    return (
        OrgUnit.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
        TOTPDevice.objects.count(),
    )


def test_loads_the_demo_street(tmp_path, english):
    output, _records = run(tmp_path)
    kinds = Counter(OrgUnit.objects.values_list("kind", flat=True))
    assert (kinds["city"], kinds["district"], kinds["street"], kinds["community"]) == (1, 1, 1, 5)
    assert kinds["grid"] + kinds["dedicated_grid"] == 38
    assert kinds["department"] == 9
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    assert "demo_admin" in output and "Loaded" in output


def test_stored_boundaries_are_the_generated_ones(tmp_path, english):
    run(tmp_path)
    generated = {f["id"]: f["geometry"] for f in generate_city()["features"]}
    stored = dict(OrgUnit.objects.values_list("code", "boundary"))
    assert set(stored) == set(generated)
    for code, geometry in generated.items():
        if geometry is None:
            assert stored[code] is None
        else:
            assert shape(stored[code]).equals_exact(shape(geometry), 0)
    # the stored areas add up too: grids tile their community
    for community in OrgUnit.objects.filter(kind="community"):
        grid_area = sum(
            area or 0.0
            for area in OrgUnit.objects.filter(parent=community).values_list("area_m2", flat=True)
        )
        assert grid_area == pytest.approx(community.area_m2, rel=1e-4)


def test_every_grid_has_a_named_grid_worker_with_a_phone(tmp_path, english):
    run(tmp_path)
    grids = OrgUnit.objects.filter(kind__in=("grid", "dedicated_grid"))
    for grid in grids:
        workers = [
            a.user
            for a in RoleAssignment.objects.filter(
                org_unit=grid, role="grid_worker"
            ).select_related("user")
        ]
        assert len(workers) == 1, grid.code
        worker = workers[0]
        assert worker.display_name and "\u4e00" <= worker.display_name[0] <= "\u9fff"
        assert worker.work_phone.isdigit() and len(worker.work_phone) == 11


def test_accounts_file_lists_every_role_with_working_credentials(tmp_path, english):
    _output, records = run(tmp_path)
    # The Open311 client (test_open311_client) has an api_key, no password or role; the
    # resident signs in by phone.
    staff = [r for r in records if r["role"] not in ("open311_client", "resident")]
    (resident,) = [r for r in records if r["role"] == "resident"]
    client = Client()
    assert (
        client.post(
            "/resident/login/", {"phone": resident["phone"], "password": resident["password"]}
        ).status_code
        == 302
    )
    featured = [r for r in staff if r["username"].startswith("demo_")]
    assert sorted(r["role"] for r in featured) == sorted(Role.values)
    assert len(staff) == len(featured) + 37  # and a worker for each of the other grids
    mode = stat.S_IMODE(os.stat(tmp_path / "demo-accounts.json").st_mode)
    assert mode == 0o600, "the file holds passwords"
    for record in staff:
        user = User.objects.get(username=record["username"])
        assert user.check_password(record["password"])
        validate_password(record["password"], user)
        assert RoleAssignment.objects.filter(
            user=user, role=record["role"], org_unit__code=record["org_unit_code"]
        ).exists()
    by_role = {r["role"]: r for r in featured}
    assert (
        OrgUnit.objects.get(code=by_role["department_staff"]["org_unit_code"]).kind == "department"
    )
    assert OrgUnit.objects.get(code=by_role["community_staff"]["org_unit_code"]).kind == "community"
    assert OrgUnit.objects.get(code=by_role["clerk"]["org_unit_code"]).kind == "street"
    for role in ("admin", "auditor"):
        device = TOTPDevice.objects.get(user__username=f"demo_{role}")
        assert by_role[role]["totp_secret"] == totp_secret_base32(device)
    assert all("totp_secret" not in r for r in records if r["role"] not in ("admin", "auditor"))


def test_second_run_changes_nothing_and_is_quick(tmp_path, english):
    _output, first = run(tmp_path)
    before = snapshot()
    # Quick means it reads, not rebuilds: a handful of queries, whatever the street's size.
    with CaptureQueriesContext(connection) as queries:
        output, second = run(tmp_path)
    assert len(queries) < 40, len(queries)
    assert snapshot() == before
    assert second == first  # same passwords, same TOTP secrets
    assert "already loaded" in output


def test_another_seed_on_a_loaded_database_only_warns(tmp_path, english):
    _output, first = run(tmp_path)
    before = snapshot()
    output, second = run(tmp_path, "--seed", "5")
    assert "--reset" in output
    assert snapshot() == before and second == first


def test_reset_loads_again_without_duplicating_users(tmp_path, english):
    _output, first = run(tmp_path)
    users = User.objects.count()
    output, second = run(tmp_path, "--reset", "--seed", "5")
    assert "Loaded" in output
    assert OrgUnit.objects.count() == 1 + 1 + 1 + 5 + 38 + 9
    assert User.objects.count() == users  # the old accounts went with the old city
    assert [r.get("username") for r in second][:11] == [r.get("username") for r in first][:11]
    grid_codes = set(
        OrgUnit.objects.filter(kind__in=("grid", "dedicated_grid")).values_list("code", flat=True)
    )
    assert {r["org_unit_code"] for r in second if r["role"] == "grid_worker"} == grid_codes
    assert second[0]["password"] != first[0]["password"]  # another seed, other passwords
    admin = next(r for r in second if r["role"] == "admin")
    assert User.objects.get(username="demo_admin").check_password(admin["password"])
    assert TOTPDevice.objects.filter(user__username="demo_admin").count() == 1


def test_reset_keeps_a_user_the_audit_trail_points_at(tmp_path, english):
    _output, _first = run(tmp_path)
    admin = User.objects.get(username="demo_admin")
    AuditEvent.objects.create(occurred_at=admin.date_joined, actor=admin, action="auth.login")
    out = StringIO()
    call_command("wangge_demo", "--reset", "--accounts-file", str(tmp_path / "a.json"), stdout=out)
    admin.refresh_from_db()
    assert admin.is_active
    assert admin.check_password(json.loads((tmp_path / "a.json").read_text())[9]["password"])
    assert User.objects.filter(username="demo_admin").count() == 1


def test_scaled_city_loads_several_streets(tmp_path, english):
    _output, records = run(tmp_path, "--scale", "25")
    kinds = Counter(OrgUnit.objects.values_list("kind", flat=True))
    assert kinds["community"] == 25 and kinds["street"] >= 2
    grids = kinds["grid"] + kinds["dedicated_grid"]
    assert RoleAssignment.objects.filter(role="grid_worker").count() == grids
    # and the Open311 client and the resident
    assert len(records) == len(Role.values) + grids - 1 + 2


def test_only_the_system_may_load_or_reset(tmp_path, english):
    run(tmp_path)
    admin = User.objects.get(username="demo_admin")
    actor = Actor(user=admin, grants=(("admin", "/511400000000/"),))
    before = snapshot()
    with pytest.raises(PermissionDenied):
        demo_reset(actor=actor)
    with pytest.raises(PermissionDenied):
        demo_load(actor=actor, seed=3)
    assert snapshot() == before


def test_refuses_to_load_over_a_city_it_did_not_load(tmp_path, english):
    from django.core.management.base import CommandError

    from wangge.orgs.tests.factories import make_street

    make_street()  # the factories' own 眉山市 tree
    before = snapshot()
    with pytest.raises(CommandError, match="--reset"):
        run(tmp_path)
    assert snapshot() == before
    output, _records = run(tmp_path, "--reset")
    assert "Loaded" in output
    assert OrgUnit.objects.filter(kind="community").count() == 5


def test_bad_scale_is_refused(tmp_path, english):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="scale"):
        run(tmp_path, "--scale", "0")
    assert OrgUnit.objects.count() == 0


def test_the_load_is_audited_with_its_seed(tmp_path, english):
    run(tmp_path, "--seed", "11")
    event = AuditEvent.objects.get(action="demo.load")
    assert event.detail["seed"] == 11 and event.detail["scale"] is None
    assert event.actor_username == "system"
    assert AuditEvent.objects.filter(action="orgs.tree_import").exists()


def test_grids_of_the_loaded_street_do_not_overlap(tmp_path, english):
    run(tmp_path)
    rows = OrgUnit.objects.filter(kind__in=("grid", "dedicated_grid")).values_list(
        "boundary", flat=True
    )
    geoms = [shape(boundary) for boundary in rows]
    union = shapely.union_all(geoms)
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-12)
    street = shape(OrgUnit.objects.get(kind="street").boundary)
    assert shapely.symmetric_difference(union, street).area <= 1e-12 * street.area
