"""API sign-in: token issue (with axes lockout and TOTP), revoke, /auth/me, audited denials."""

import json

import pytest
from axes.models import AccessAttempt
from django.test import Client

from wangge.core.models import ApiToken, AuditEvent, AuditResult
from wangge.core.tests.helpers import code_for, give_device, wrong_code
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import PASSWORD, grid_worker, make_street, staff_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token"


@pytest.fixture
def street():
    return make_street()


@pytest.fixture
def no_totp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def post_token(client, body, **extra):
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_issue_use_and_revoke_a_token(client, street):
    worker = grid_worker(street)
    response = post_token(client, {"username": worker.username, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("wg_") and body["expires_at"]
    assert ApiToken.objects.get(user=worker).key_hash != body["token"]

    anonymous = Client()
    me = anonymous.get("/api/v1/auth/me", **bearer(body["token"]))
    assert me.status_code == 200
    assert me.json() == {
        "username": "gw_a1",
        "display_name": "王小明",
        "kind": "staff",
        "roles": [
            {
                "role": "grid_worker",
                "org_unit_code": street.grid_a1.code,
                "org_unit_name": street.grid_a1.name,
            }
        ],
    }
    revoked = anonymous.delete(URL, **bearer(body["token"]))
    assert revoked.status_code == 204
    assert ApiToken.objects.get(user=worker).revoked_at is not None
    assert AuditEvent.objects.filter(action="auth.token_revoke", actor=worker).exists()
    again = anonymous.get("/api/v1/auth/me", **bearer(body["token"]))
    assert again.status_code == 401 and again.json()["code"] == "not_authenticated"


def test_me_with_the_page_session(client, street):
    worker = grid_worker(street)
    client.force_login(worker)
    assert client.get("/api/v1/auth/me").json()["username"] == worker.username


def test_me_and_revoke_need_authentication(client, db):
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.delete(URL).status_code == 401


def test_wrong_password(client, street):
    worker = grid_worker(street)
    response = post_token(client, {"username": worker.username, "password": "nope"})
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": response.json()["message"],
        "field": "password",
    }
    assert not ApiToken.objects.exists()


def test_missing_field_is_a_422_naming_it(client, db):
    response = post_token(client, {"username": "x"})
    # The body parameter is named "payload", so the field path ends with the field's name.
    assert response.status_code == 422 and response.json()["field"].endswith("password")


def test_lockout_counts_api_failures(client, street):
    worker = grid_worker(street)
    for _attempt in range(4):
        assert (
            post_token(client, {"username": worker.username, "password": "nope"}).status_code == 401
        )
    locked = post_token(client, {"username": worker.username, "password": "nope"})
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert locked["Content-Type"].startswith("application/json")
    right = post_token(client, {"username": worker.username, "password": PASSWORD})
    assert right.status_code == 429 and right.json()["code"] == "locked_out"
    assert not ApiToken.objects.exists()
    # Another address is not locked.
    elsewhere = post_token(
        client, {"username": worker.username, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert elsewhere.status_code == 200


def test_success_resets_earlier_failures(client, street):
    worker = grid_worker(street)
    post_token(client, {"username": worker.username, "password": "nope"})
    assert AccessAttempt.objects.filter(username=worker.username).exists()
    assert (
        post_token(client, {"username": worker.username, "password": PASSWORD}).status_code == 200
    )
    assert not AccessAttempt.objects.filter(username=worker.username).exists()


def test_admin_needs_a_totp_code(client, street, no_totp_throttle):
    admin = staff_user("admin_api", Role.ADMIN, street.street)
    credentials = {"username": admin.username, "password": PASSWORD}
    no_device = post_token(client, credentials)
    assert no_device.status_code == 401 and no_device.json()["code"] == "totp_required"

    device = give_device(admin)
    missing = post_token(client, credentials)
    assert missing.status_code == 401 and missing.json()["code"] == "totp_required"
    assert missing.json()["field"] == "totp_code"
    wrong = post_token(client, {**credentials, "totp_code": wrong_code(device)})
    assert wrong.status_code == 401 and wrong.json()["code"] == "totp_invalid"
    assert not ApiToken.objects.exists()
    right = post_token(client, {**credentials, "totp_code": code_for(device)})
    assert right.status_code == 200
    assert ApiToken.objects.filter(user=admin).count() == 1


def test_wrong_codes_lock_the_account(client, street, no_totp_throttle):
    admin = staff_user("admin_api", Role.ADMIN, street.street)
    device = give_device(admin)
    credentials = {"username": admin.username, "password": PASSWORD}
    for _attempt in range(4):
        response = post_token(client, {**credentials, "totp_code": wrong_code(device)})
        assert response.json()["code"] == "totp_invalid"
    locked = post_token(client, {**credentials, "totp_code": wrong_code(device)})
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    after = post_token(client, {**credentials, "totp_code": code_for(device)})
    assert after.status_code == 429
    assert not ApiToken.objects.exists()


def test_api_denials_are_audited(rf, street):
    """NotFound and PermissionDenied raised to the API land in the trail as access.denied."""
    from wangge.api.v1 import on_wangge_error
    from wangge.core.errors import Conflict, NotFound, PermissionDenied

    worker = grid_worker(street)
    request = rf.get("/api/v1/anything")
    request.user = worker
    response = on_wangge_error(
        request, NotFound("x", detail={"object_type": "case", "object_id": "SJ1"})
    )
    assert response.status_code == 404
    assert json.loads(response.content) == {
        "code": "not_found",
        "message": "x",
        "field": None,
        "detail": {"object_type": "case", "object_id": "SJ1"},
    }
    on_wangge_error(request, PermissionDenied("no"))
    on_wangge_error(request, Conflict("changed"))  # not a denial: not recorded
    denials = AuditEvent.objects.filter(action="access.denied").order_by("pk")
    assert [(d.object_type, d.object_id, d.result, d.actor_id) for d in denials] == [
        ("case", "SJ1", AuditResult.DENIED, worker.pk),
        ("", "", AuditResult.DENIED, worker.pk),
    ]
