"""Staff sign-in: password, lockout after five failures, admin unlock, TOTP and enrolment."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangge.core.accounts import lockout_clear, lockout_list
from wangge.core.errors import PermissionDenied
from wangge.core.models import AuditEvent, AuditResult, UserSession
from wangge.core.scope import Actor, actor_for_user
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import PASSWORD, grid_worker, staff_user

from .helpers import code_for, give_device, sign_in, wrong_code

pytestmark = pytest.mark.django_db


def fail(client, username, **extra):
    return client.post(
        reverse("login"), {"username": username, "password": "wrong-Password-1"}, **extra
    )


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- password step ------------------------------------------------------------------------------


def test_grid_worker_signs_in_with_password_only(client, street):
    worker = grid_worker(street)
    response = sign_in(client, worker)
    assert response.status_code == 302 and response.url == reverse("home")
    assert is_signed_in(client)
    assert UserSession.objects.filter(user=worker, session_key=client.session.session_key).exists()
    assert AuditEvent.objects.filter(action="auth.login", actor=worker).exists()


def test_next_is_followed_only_on_this_site(client, street):
    worker = grid_worker(street)
    response = client.post(
        reverse("login") + "?next=/account/password/",
        {"username": worker.username, "password": PASSWORD},
    )
    assert response.url == "/account/password/"
    client.post(reverse("logout"))
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": worker.username, "password": PASSWORD},
    )
    assert response.url == reverse("home")


def test_wrong_password_is_refused_and_audited(client, street):
    worker = grid_worker(street)
    response = fail(client, worker.username)
    assert response.status_code == 200
    assert "not correct" in response.content.decode() or "不正确" in response.content.decode()
    assert not is_signed_in(client)
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_username == worker.username and event.result == AuditResult.FAILED
    assert "wrong-Password-1" not in str(event.detail)


def test_resident_cannot_use_the_staff_form(client, db):
    from wangge.core.accounts import resident_register

    resident = resident_register(phone="13912345678", password=PASSWORD, display_name="李四")
    client.post(reverse("login"), {"username": resident.username, "password": PASSWORD})
    assert not is_signed_in(client)


def test_logout_needs_post(client, street):
    worker = grid_worker(street)
    sign_in(client, worker)
    assert client.get(reverse("logout")).status_code == 405
    assert is_signed_in(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and not is_signed_in(client)
    assert AuditEvent.objects.filter(action="auth.logout", actor=worker).exists()


# --- lockout ------------------------------------------------------------------------------------


def test_five_failures_lock_the_username_and_address_pair(client, street):
    worker = grid_worker(street)
    for _attempt in range(4):
        assert fail(client, worker.username).status_code == 200
    locked = fail(client, worker.username)
    assert locked.status_code == 429
    assert "core/locked_out.html" in [t.name for t in locked.templates]
    # The right password no longer opens the account from this address...
    response = sign_in(client, worker)
    assert response.status_code == 429 and not is_signed_in(client)
    assert AuditEvent.objects.filter(
        action="auth.locked_out", actor_username=worker.username, result=AuditResult.DENIED
    ).exists()
    # ...but it does from another address, and other users are not affected.
    other = client.__class__()
    assert sign_in(other, worker, REMOTE_ADDR="10.1.2.3").status_code == 302
    assert is_signed_in(other)
    colleague = staff_user("colleague", Role.GRID_WORKER, street.grid_a2)
    assert sign_in(client.__class__(), colleague).status_code == 302


def test_admin_lists_and_clears_a_lockout(client, street, admin, admin_device):
    worker = grid_worker(street)
    for _attempt in range(5):
        fail(client.__class__(), worker.username)
    admin_client = client.__class__()
    sign_in(admin_client, admin, device=admin_device)
    page = admin_client.get(reverse("lockouts"))
    assert page.status_code == 200 and worker.username in page.content.decode()

    response = admin_client.post(
        reverse("lockout_clear"), {"username": worker.username, "ip_address": "127.0.0.1"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=worker.username).exists()
    event = AuditEvent.objects.get(action="auth.lockout_clear")
    assert event.actor == admin and event.object_id == worker.username
    assert event.detail["failures"] == 5
    assert sign_in(client, worker).status_code == 302 and is_signed_in(client)


def test_non_admin_cannot_unlock_and_nothing_changes(client, street):
    worker = grid_worker(street)
    for _attempt in range(5):
        fail(client, worker.username)
    before = list(AccessAttempt.objects.values_list("pk", "failures_since_start"))
    leader = staff_user("leader", Role.GRID_LEADER, street.community_a)
    actor = actor_for_user(leader)
    with pytest.raises(PermissionDenied):
        lockout_clear(actor=actor, username=worker.username, ip_address="127.0.0.1")
    with pytest.raises(PermissionDenied):
        lockout_list(actor=actor)
    # Through the pages: the unlock URL is a 404 for a non-admin, and is audited as a denial.
    leader_client = client.__class__()
    sign_in(leader_client, leader)
    response = leader_client.post(
        reverse("lockout_clear"), {"username": worker.username, "ip_address": "127.0.0.1"}
    )
    assert response.status_code == 404
    assert leader_client.get(reverse("lockouts")).status_code == 404
    assert list(AccessAttempt.objects.values_list("pk", "failures_since_start")) == before
    assert not AuditEvent.objects.filter(action="auth.lockout_clear").exists()
    assert (
        AuditEvent.objects.filter(
            action="access.denied", actor=leader, result=AuditResult.DENIED
        ).count()
        == 2
    )


def test_lockout_clear_by_system_and_missing_pair(street):
    worker = grid_worker(street)
    AccessAttempt.objects.create(
        username=worker.username,
        ip_address="10.0.0.9",
        user_agent="x",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/",
    )
    assert [lock.username for lock in lockout_list(actor=Actor.system())] == [worker.username]
    from wangge.core.errors import NotFound

    with pytest.raises(NotFound):
        lockout_clear(actor=Actor.system(), username=worker.username, ip_address="10.0.0.8")
    assert lockout_clear(actor=Actor.system(), username=worker.username, ip_address="10.0.0.9")
    assert lockout_list(actor=Actor.system()) == []


# --- TOTP -----------------------------------------------------------------------------------------


def test_admin_gets_no_session_without_the_code(client, admin, admin_device):
    response = client.post(reverse("login"), {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("login_totp")
    assert not is_signed_in(client)
    # Pages that need a signed-in user still refuse.
    assert client.get(reverse("password_change")).status_code == 302
    assert client.get(reverse("users")).status_code == 302
    assert not UserSession.objects.filter(user=admin).exists()


def test_admin_signs_in_with_the_right_code(client, admin, admin_device):
    response = sign_in(client, admin, device=admin_device)
    assert response.status_code == 302 and response.url == reverse("home")
    assert is_signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == admin_device.persistent_id
    assert client.get(reverse("users")).status_code == 200


def test_wrong_code_is_refused_and_counts_towards_the_lockout(
    client, admin, admin_device, no_totp_throttle
):
    client.post(reverse("login"), {"username": admin.username, "password": PASSWORD})
    response = client.post(reverse("login_totp"), {"code": wrong_code(admin_device)})
    assert response.status_code == 200 and not is_signed_in(client)
    assert AuditEvent.objects.filter(
        action="auth.login_failed", actor_username=admin.username, detail__step="totp"
    ).exists()
    for _attempt in range(3):
        client.post(reverse("login_totp"), {"code": wrong_code(admin_device)})
    locked = client.post(reverse("login_totp"), {"code": wrong_code(admin_device)})
    assert locked.status_code == 429 and not is_signed_in(client)
    # Locked now: the pending step is gone, and the right password gets the locked page.
    assert client.post(reverse("login_totp"), {"code": code_for(admin_device)}).status_code == 302
    assert not is_signed_in(client)
    assert sign_in(client, admin).status_code == 429


def test_a_code_is_accepted_only_once(client, admin, admin_device):
    sign_in(client, admin, device=admin_device)
    second = client.__class__()
    second.post(reverse("login"), {"username": admin.username, "password": PASSWORD})
    response = second.post(reverse("login_totp"), {"code": code_for(admin_device)})
    assert response.status_code == 200 and not is_signed_in(second)


def test_pending_step_expires(client, admin, admin_device):
    client.post(reverse("login"), {"username": admin.username, "password": PASSWORD})
    session = client.session
    session["wangge_pending_login"]["at"] -= 3600
    session.save()
    response = client.post(reverse("login_totp"), {"code": code_for(admin_device)})
    assert response.status_code == 302 and response.url == reverse("login")
    assert not is_signed_in(client)


def test_user_with_own_device_is_asked_for_a_code(client, street):
    worker = grid_worker(street)
    device = give_device(worker)
    response = client.post(reverse("login"), {"username": worker.username, "password": PASSWORD})
    assert response.url == reverse("login_totp") and not is_signed_in(client)
    sign_in(client.__class__(), worker)  # password alone still stops at the code step
    response = client.post(reverse("login_totp"), {"code": code_for(device)})
    assert response.status_code == 302 and is_signed_in(client)


def test_auditor_without_device_must_enrol_before_anything(client, auditor, no_totp_throttle):
    response = client.post(reverse("login"), {"username": auditor.username, "password": PASSWORD})
    assert response.url == reverse("totp_enrol")
    assert not is_signed_in(client)
    assert client.get(reverse("login_totp")).url == reverse("totp_enrol")
    page = client.get(reverse("totp_enrol"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    device = TOTPDevice.objects.get(user=auditor, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert secret in body.replace(" ", "")
    # Reloading shows the same secret (the user may have scanned it already).
    assert client.get(reverse("totp_enrol")).context["secret"] == page.context["secret"]
    assert client.get(reverse("audit")).status_code == 302  # not signed in yet

    wrong = client.post(reverse("totp_enrol"), {"code": wrong_code(device)})
    assert wrong.status_code == 200 and not is_signed_in(client)
    response = client.post(reverse("totp_enrol"), {"code": code_for(device)})
    assert response.status_code == 302 and is_signed_in(client)
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(
        action="auth.totp_enrol", actor=auditor, result=AuditResult.OK
    ).exists()
    assert client.get(reverse("audit")).status_code == 200


def test_role_granted_after_sign_in_needs_the_code_for_admin_pages(client, street):
    worker = grid_worker(street)
    sign_in(client, worker)
    from wangge.orgs.models import RoleAssignment

    RoleAssignment.objects.create(user=worker, role=Role.ADMIN, org_unit=street.community_a)
    response = client.get(reverse("users"))
    assert response.status_code == 302 and response.url.startswith(reverse("login_totp"))
    # No device yet: the code step sends the user to enrol first, then back to the page.
    assert client.get(response.url).url == reverse("totp_enrol")
    client.get(reverse("totp_enrol"))
    device = TOTPDevice.objects.get(user=worker, confirmed=False)
    client.post(reverse("totp_enrol"), {"code": code_for(device)})
    assert client.get(reverse("users")).status_code == 200


def test_grid_worker_gets_404_on_admin_pages(client, street):
    worker = grid_worker(street)
    sign_in(client, worker)
    for name in ("users", "lockouts", "audit"):
        assert client.get(reverse(name)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(reverse("users"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- the scope hook -------------------------------------------------------------------------------


def test_actor_hook_resolves_roles_from_core(street, admin):
    actor = actor_for_user(admin)
    assert actor.has_role(Role.ADMIN) and actor.paths() == (street.street.path,)
    assert not actor_for_user(None).is_authenticated


def test_sign_in_pages_render(client, db):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="username"' in body and 'autocomplete="current-password"' in body
    assert reverse("resident_login") in body
    assert client.get(reverse("login_totp")).url == reverse("login")  # nothing pending
    assert client.get(reverse("totp_enrol")).url == reverse("login")
