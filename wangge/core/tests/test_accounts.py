"""Residents, passwords, sessions (idle, absolute lifetime) and disabling users."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from wangge.core.accounts import (
    resident_phone,
    resident_register,
    staff_list,
    user_disable,
    user_password_change,
)
from wangge.core.crypto import phone_index
from wangge.core.errors import Conflict, NotFound, ValidationFailed
from wangge.core.middleware import SESSION_STARTED_KEY
from wangge.core.models import AccountKind, ApiToken, AuditEvent, User, UserSession
from wangge.core.passwords import CharacterClassValidator
from wangge.core.scope import Actor, actor_for_user
from wangge.core.tokens import api_token_issue, api_token_user
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import PASSWORD, grid_worker, staff_user

from .helpers import sign_in

pytestmark = pytest.mark.django_db


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- residents --------------------------------------------------------------------------------


def test_resident_registers_with_an_encrypted_phone():
    resident = resident_register(phone="+86 139-1234-5678", password=PASSWORD, display_name="李四")
    resident.refresh_from_db()
    assert resident.kind == AccountKind.RESIDENT
    assert resident.phone_index == phone_index("13912345678")
    assert resident.phone_encrypted is not None
    assert b"13912345678" not in bytes(resident.phone_encrypted)
    assert "13912345678" not in resident.username
    assert resident_phone(resident) == "13912345678"
    assert AuditEvent.objects.filter(action="user.register", actor=resident).exists()


@pytest.mark.parametrize(
    ("phone", "password", "name", "field"),
    [
        ("1391234567", PASSWORD, "李四", "phone"),
        ("23912345678", PASSWORD, "李四", "phone"),
        ("13912345678", PASSWORD, "  ", "display_name"),
        ("13912345678", "short", "李四", "password"),
        ("13912345678", "alllowercaseletters", "李四", "password"),
    ],
)
def test_resident_registration_names_the_bad_field(phone, password, name, field):
    with pytest.raises(ValidationFailed) as caught:
        resident_register(phone=phone, password=password, display_name=name)
    assert caught.value.field == field
    assert not User.objects.filter(kind=AccountKind.RESIDENT).exists()


def test_a_phone_registers_once():
    resident_register(phone="13912345678", password=PASSWORD, display_name="李四")
    with pytest.raises(ValidationFailed) as caught:
        resident_register(phone="139 1234 5678", password=PASSWORD, display_name="王五")
    assert caught.value.code == "phone_taken"
    assert User.objects.filter(kind=AccountKind.RESIDENT).count() == 1


def test_resident_signs_in_by_phone(client):
    resident = resident_register(phone="13912345678", password=PASSWORD, display_name="李四")
    page = client.get(reverse("resident_login"))
    assert page.status_code == 200
    response = client.post(
        reverse("resident_login"), {"phone": "139 1234 5678", "password": PASSWORD}
    )
    assert response.status_code == 302 and is_signed_in(client)
    assert client.session["_auth_user_id"] == str(resident.pk)


def test_resident_wrong_password_and_unknown_phone_are_counted(client):
    resident_register(phone="13912345678", password=PASSWORD, display_name="李四")
    response = client.post(
        reverse("resident_login"), {"phone": "13912345678", "password": "Wrong-password-1"}
    )
    assert response.status_code == 200 and not is_signed_in(client)
    for _attempt in range(5):
        last = client.post(
            reverse("resident_login"), {"phone": "13700000000", "password": "Wrong-password-1"}
        )
    assert last.status_code == 429  # unknown numbers lock too, so guessing is throttled
    failures = AuditEvent.objects.filter(action="auth.login_failed")
    assert failures.count() == 6
    assert not any("13700000000" in event.actor_username for event in failures)


# --- passwords --------------------------------------------------------------------------------


def test_character_class_validator():
    validator = CharacterClassValidator(min_classes=3)
    validator.validate("Abcdefgh12")
    validator.validate("abcdefgh1!")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        validator.validate("abcdefgh12")
    assert caught.value.code == "password_too_simple"
    assert CharacterClassValidator.classes_in("aA1!") == 4
    assert CharacterClassValidator.classes_in("") == 0


@pytest.mark.parametrize(
    ("new", "rule"),
    [
        ("Short1!", "password_too_short"),
        ("lowercase-only-words", "password_too_simple"),
        ("Password123", "password_too_common"),
    ],
)
def test_password_change_applies_the_settings_validators(street, new, rule):
    worker = grid_worker(street)
    with pytest.raises(ValidationFailed) as caught:
        user_password_change(actor=actor_for_user(worker), old_password=PASSWORD, new_password=new)
    assert caught.value.field == "new_password" and rule in caught.value.detail["rules"]
    worker.refresh_from_db()
    assert worker.check_password(PASSWORD)


def test_password_change_needs_the_current_password(street):
    worker = grid_worker(street)
    with pytest.raises(ValidationFailed) as caught:
        user_password_change(
            actor=actor_for_user(worker), old_password="nope", new_password="New-Passw0rd-2026"
        )
    assert caught.value.field == "old_password"
    worker.refresh_from_db()
    assert worker.check_password(PASSWORD)


def test_password_change_page_keeps_this_session_and_ends_the_others(client, street):
    worker = grid_worker(street)
    other = client.__class__()
    sign_in(client, worker)
    sign_in(other, worker)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and page.context["password_rules"]
    bad = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password": "simple", "new_password_again": "simple"},
    )
    assert bad.status_code == 200 and bad.context["form"].errors["new_password"]
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "New-Passw0rd-2026",
            "new_password_again": "New-Passw0rd-2026",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("password_change")).status_code == 200
    assert other.get(reverse("password_change")).status_code == 302  # signed out by the change
    assert UserSession.objects.filter(session_key=client.session.session_key).exists()
    assert AuditEvent.objects.filter(action="auth.password_change", actor=worker).exists()


# --- sessions ---------------------------------------------------------------------------------


def test_absolute_lifetime_ends_an_active_session(client, street, settings):
    worker = grid_worker(street)
    sign_in(client, worker)
    assert client.get(reverse("password_change")).status_code == 200
    started = client.session[SESSION_STARTED_KEY]
    assert abs(started - time.time()) < 60  # stamped at sign-in
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - settings.SESSION_ABSOLUTE_LIFETIME - 1
    session.save()
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not is_signed_in(client)


def test_a_session_inside_its_lifetime_lives_on(client, street, settings):
    worker = grid_worker(street)
    sign_in(client, worker)
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - settings.SESSION_ABSOLUTE_LIFETIME + 60
    session.save()
    assert client.get(reverse("password_change")).status_code == 200


def test_idle_timeout_rolls_with_each_request(client, street, settings):
    worker = grid_worker(street)
    sign_in(client, worker)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=5)
    )
    assert client.get(reverse("password_change")).status_code == 200
    expires = Session.objects.get(session_key=key).expire_date
    assert (expires - timezone.now()).total_seconds() > settings.SESSION_IDLE_TIMEOUT - 60
    # Idle past the timeout: the server-side session is gone.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(reverse("password_change")).status_code == 302


# --- disabling --------------------------------------------------------------------------------


def test_disable_ends_sessions_and_tokens(client, street, admin):
    worker = grid_worker(street)
    sign_in(client, worker)
    second = client.__class__()
    sign_in(second, worker)
    raw, _token = api_token_issue(user=worker)
    assert client.get(reverse("password_change")).status_code == 200
    assert UserSession.objects.filter(user=worker).count() == 2

    user_disable(actor=actor_for_user(admin), user_id=worker.pk, reason="left the job")

    worker.refresh_from_db()
    assert not worker.is_active
    assert client.get(reverse("password_change")).status_code == 302
    assert second.get(reverse("password_change")).status_code == 302
    assert not UserSession.objects.filter(user=worker).exists()
    assert api_token_user(raw) is None
    assert ApiToken.objects.get(user=worker).revoked_at is not None
    event = AuditEvent.objects.get(action="user.disable")
    assert event.actor == admin and event.object_id == str(worker.pk)
    assert event.org_path == street.grid_a1.path
    assert event.detail["sessions_ended"] == 2 and event.detail["tokens_revoked"] == 1
    with pytest.raises(NotFound):  # an inactive user holds no roles any more
        user_disable(actor=actor_for_user(admin), user_id=worker.pk, reason="again")
    with pytest.raises(Conflict):
        user_disable(actor=Actor.system(), user_id=worker.pk, reason="again")


def test_disable_outside_scope_or_without_admin_role_changes_nothing(client, street):
    worker = grid_worker(street)  # grid a1, in community A
    sign_in(client, worker)
    admin_b = staff_user("admin_b", Role.ADMIN, street.community_b)
    leader_a = staff_user("leader_a", Role.GRID_LEADER, street.community_a)
    for actor in (actor_for_user(admin_b), actor_for_user(leader_a)):
        with pytest.raises(NotFound):
            user_disable(actor=actor, user_id=worker.pk, reason="no")
    with pytest.raises(NotFound):
        user_disable(actor=actor_for_user(admin_b), user_id=999_999, reason="no")
    worker.refresh_from_db()
    assert worker.is_active
    assert client.get(reverse("password_change")).status_code == 200
    assert not AuditEvent.objects.filter(action="user.disable").exists()


def test_disable_rules(street, admin):
    worker = grid_worker(street)
    actor = actor_for_user(admin)
    with pytest.raises(ValidationFailed) as caught:
        user_disable(actor=actor, user_id=worker.pk, reason="  ")
    assert caught.value.field == "reason"
    with pytest.raises(ValidationFailed) as caught:
        user_disable(actor=actor, user_id=admin.pk, reason="mistake")
    assert caught.value.code == "self_disable"
    worker.refresh_from_db()
    admin.refresh_from_db()
    assert worker.is_active and admin.is_active


def test_users_page_lists_scope_and_disables(client, street, admin, admin_device):
    worker = grid_worker(street)
    outsider_unit = street.city
    staff_user("city_clerk", Role.CLERK, outsider_unit)
    sign_in(client, admin, device=admin_device)
    page = client.get(reverse("users"))
    body = page.content.decode()
    assert page.status_code == 200
    assert worker.username in body and "city_clerk" not in body
    assert [entry.user.username for entry in page.context["entries"]] == ["admin_street", "gw_a1"]
    response = client.post(reverse("user_disable", args=[worker.pk]), {"reason": "left"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert not worker.is_active


def test_users_page_disable_out_of_scope_is_404_and_audited(client, street, admin, admin_device):
    city_clerk = staff_user("city_clerk", Role.CLERK, street.city)
    sign_in(client, admin, device=admin_device)
    response = client.post(reverse("user_disable", args=[city_clerk.pk]), {"reason": "x"})
    assert response.status_code == 404
    city_clerk.refresh_from_db()
    assert city_clerk.is_active
    denial = AuditEvent.objects.get(action="access.denied")
    assert denial.actor == admin and denial.object_type == "user"
    assert denial.object_id == str(city_clerk.pk)


def test_staff_list_needs_admin(street):
    with pytest.raises(NotFound):
        staff_list(actor=actor_for_user(grid_worker(street)))
    assert {entry.user.username for entry in staff_list(actor=Actor.system())} == {"gw_a1"}
