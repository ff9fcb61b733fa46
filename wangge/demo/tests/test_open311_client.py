"""The demo's Open311 client: its api_key is printed, written to the accounts file, and works."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from shapely.geometry import shape

from wangge.cases.enums import CaseSource
from wangge.cases.models import Case
from wangge.core.errors import PermissionDenied
from wangge.core.models import AccountKind, ApiToken, AuditEvent, User
from wangge.core.scope import Actor
from wangge.demo.generator import DEFAULT_SEED
from wangge.demo.loader import open311_client_ensure, open311_demo_key
from wangge.orgs.models import OrgUnit, RoleAssignment

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.json"


def run(tmp_path, *args) -> tuple[str, list[dict]]:
    out = StringIO()
    path = tmp_path / "demo-accounts.json"
    call_command("wangge_demo", "--accounts-file", str(path), *args, stdout=out)
    return out.getvalue(), json.loads(path.read_text(encoding="utf-8"))


def client_record(records: list[dict]) -> dict:
    [record] = [r for r in records if r["role"] == "open311_client"]
    return record


def tokens() -> list[tuple]:
    return list(
        ApiToken.objects.order_by("pk").values_list(
            "pk", "user__username", "key_hash", "expires_at", "revoked_at"
        )
    )


def snapshot() -> tuple:
    return (
        tokens(),
        User.objects.count(),
        AuditEvent.objects.count(),
        list(User.objects.filter(username="demo_open311").values_list("is_active", "password")),
    )


def grid_point() -> tuple[OrgUnit, float, float]:
    grid = OrgUnit.objects.filter(kind="grid").order_by("code").first()
    assert grid is not None
    point = shape(grid.boundary).representative_point()
    return grid, point.x, point.y


def streetlight(api_key: str, lng: float, lat: float) -> dict:
    return {
        "api_key": api_key,
        "service_code": "0101",  # 路灯, a leaf category with one required attribute
        "lat": str(lat),
        "long": str(lng),
        "description": "Street light out at the corner",
        "attribute[fully_dark]": "yes",
    }


def test_the_accounts_file_holds_the_client_and_its_key(tmp_path, english):
    output, records = run(tmp_path)
    record = client_record(records)
    assert set(record) == {"role", "username", "api_key"}
    assert record["username"] == "demo_open311"
    key = record["api_key"]
    assert key.startswith("wg_") and len(key) == 46  # api_token_issue's format
    assert key == open311_demo_key(DEFAULT_SEED)
    [line] = [line for line in output.splitlines() if key in line]
    assert "Open311 client" in line and "demo_open311" in line
    user = User.objects.get(username="demo_open311")
    assert user.kind == AccountKind.STAFF and user.is_active
    assert not user.has_usable_password()  # a client sends its key; it signs nothing in
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    # The other records keep their shape.
    staff = [r for r in records if r["role"] not in ("open311_client", "resident")]
    assert all({"role", "username", "password", "org_unit_code"} <= set(r) for r in staff)


def test_the_key_reports_a_case_through_open311(tmp_path, client):
    _output, records = run(tmp_path)
    key = client_record(records)["api_key"]
    grid, lng, lat = grid_point()
    before = Case.objects.count()
    response = client.post(URL, streetlight(key, lng, lat))
    assert response.status_code == 201, response.content
    [answer] = response.json()
    case = Case.objects.get(number=answer["service_request_id"])
    assert Case.objects.count() == before + 1
    assert case.source == CaseSource.OPEN311 and case.grid_id == grid.pk
    assert case.reporter == User.objects.get(username="demo_open311")
    assert case.attributes == {"fully_dark": "yes"}


def test_a_wrong_key_reports_nothing(tmp_path, client):
    _output, records = run(tmp_path)
    key = client_record(records)["api_key"]
    _grid, lng, lat = grid_point()
    before = Case.objects.count()
    response = client.post(URL, streetlight(key[:-1] + ("A" if key[-1] != "A" else "B"), lng, lat))
    assert response.status_code == 403
    assert Case.objects.count() == before


def test_second_run_prints_the_same_key_and_changes_nothing(tmp_path):
    first_output, first = run(tmp_path)
    key = client_record(first)["api_key"]
    before = snapshot()
    second_output, second = run(tmp_path)
    assert snapshot() == before
    assert client_record(second)["api_key"] == key
    assert key in first_output and key in second_output


def test_second_run_issues_an_expired_key_again(tmp_path, client):
    _output, first = run(tmp_path)
    key = client_record(first)["api_key"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    _grid, lng, lat = grid_point()
    assert client.post(URL, streetlight(key, lng, lat)).status_code == 403
    _output, second = run(tmp_path)
    assert client_record(second)["api_key"] == key
    assert ApiToken.objects.filter(user__username="demo_open311").count() == 1
    assert client.post(URL, streetlight(key, lng, lat)).status_code == 201
    before = snapshot()
    run(tmp_path)
    assert snapshot() == before


def test_reset_keeps_the_key_working(tmp_path, client):
    _output, first = run(tmp_path)
    key = client_record(first)["api_key"]
    _output, again = run(tmp_path, "--reset")
    assert client_record(again)["api_key"] == key  # same seed, same key
    assert User.objects.filter(username="demo_open311").count() == 1
    assert ApiToken.objects.filter(user__username="demo_open311").count() == 1
    _grid, lng, lat = grid_point()
    assert client.post(URL, streetlight(key, lng, lat)).status_code == 201


def test_reset_with_another_seed_retires_the_old_key(tmp_path, client):
    _output, first = run(tmp_path)
    old = client_record(first)["api_key"]
    _output, second = run(tmp_path, "--reset", "--seed", "5")
    new = client_record(second)["api_key"]
    assert new != old
    _grid, lng, lat = grid_point()
    before = Case.objects.count()
    assert client.post(URL, streetlight(old, lng, lat)).status_code == 403
    assert Case.objects.count() == before
    assert client.post(URL, streetlight(new, lng, lat)).status_code == 201


def test_only_the_system_may_create_the_client(tmp_path):
    run(tmp_path)
    ApiToken.objects.all().delete()
    admin = User.objects.get(username="demo_admin")
    actor = Actor(user=admin, grants=(("admin", "/511400000000/"),))
    before = snapshot()
    with pytest.raises(PermissionDenied):
        open311_client_ensure(actor=actor, seed=DEFAULT_SEED)
    assert snapshot() == before
