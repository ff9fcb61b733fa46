import base64
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from wangge.core.crypto import decrypt, key_version_of
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.orgs.actors import actor_for
from wangge.orgs.permissions import system_actor
from wangge.orgs.tests.factories import PASSWORD, grid_worker
from wangge.registry.identity import ID_AAD, PHONE_AAD
from wangge.registry.models import Person, RecordChange
from wangge.registry.privacy import person_reveal, persons_retention_sweep, register_reencrypt
from wangge.registry.tests.factories import make_person

pytestmark = pytest.mark.django_db

KEY_1 = "ZV1tZFEfhh3AhbL33g42nrNjLimd9bAZWmjJU6gqBIM="
KEY_2 = base64.b64encode(b"\x07" * 32).decode()


def allow_reveal(user):
    user.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    return actor_for(type(user).objects.get(pk=user.pk))  # permissions are cached per instance


def page_request(actor):
    """A signed-in page request with a session, as the reveal form sends it."""
    request = RequestFactory().post("/")
    SessionMiddleware(lambda _request: HttpResponse()).process_request(request)
    request.user = actor.user
    return request


def reveals(result):
    return AuditEvent.objects.filter(action="registry.person_reveal", result=result).count()


def test_reveal_needs_permission_reason_and_password_and_every_attempt_is_audited(street):
    person = make_person("张伟", grid=street.grid_a1, phone="13800138000")
    worker = actor_for(grid_worker(street))
    with pytest.raises(PermissionDenied):
        person_reveal(
            actor=worker,
            request=page_request(worker),
            person_id=person.id,
            field="phone",
            reason="回访核实",
            password=PASSWORD,
        )
    assert reveals("denied") == 1
    allowed = allow_reveal(worker.user)
    with pytest.raises(ValidationFailed) as no_reason:
        person_reveal(
            actor=allowed,
            request=page_request(allowed),
            person_id=person.id,
            field="phone",
            reason="",
            password=PASSWORD,
        )
    assert no_reason.value.field == "reason"
    with pytest.raises(ValidationFailed) as bad_password:
        person_reveal(
            actor=allowed,
            request=page_request(allowed),
            person_id=person.id,
            field="phone",
            reason="回访核实",
            password="wrong",
        )
    assert bad_password.value.field == "password"
    assert reveals("failed") == 2
    value = person_reveal(
        actor=allowed,
        request=page_request(allowed),
        person_id=person.id,
        field="phone",
        reason="回访核实",
        password=PASSWORD,
    )
    assert value == "13800138000"
    row = AuditEvent.objects.get(action="registry.person_reveal", result="ok")
    assert row.detail == {"field": "phone", "reason": "回访核实"}
    assert "13800138000" not in str(AuditEvent.objects.values_list("detail", flat=True))


def test_reveal_out_of_scope_is_not_found(street):
    person = make_person("李四", grid=street.grid_b1, phone="13800138000")
    allowed = allow_reveal(grid_worker(street))
    with pytest.raises(NotFound):
        person_reveal(
            actor=allowed,
            request=page_request(allowed),
            person_id=person.id,
            field="phone",
            reason="回访核实",
            password=PASSWORD,
        )


def test_retention_archives_and_erases_only_those_long_gone(street, settings):
    settings.WANGGE_RETENTION_YEARS = 5
    gone = make_person(
        "王五", grid=street.grid_a1, phone="13800138000", move_out_date=date(2019, 1, 1)
    )
    recent = make_person("赵六", grid=street.grid_a1, move_out_date=date(2024, 1, 1))
    staying = make_person("钱七", grid=street.grid_a1)
    with pytest.raises(PermissionDenied):
        persons_retention_sweep(actor=actor_for(grid_worker(street)), today=date(2026, 11, 30))
    assert Person.objects.filter(archived_at__isnull=False).count() == 0
    assert persons_retention_sweep(actor=system_actor(), today=date(2026, 11, 30)) == 1
    assert persons_retention_sweep(actor=system_actor(), today=date(2026, 11, 30)) == 0
    gone.refresh_from_db()
    assert gone.archived_at is not None
    assert (gone.id_number_encrypted, gone.id_number_index, gone.phone_encrypted) == (None,) * 3
    assert gone.phone_index == gone.id_tail_index == ""
    assert RecordChange.objects.filter(object_id=gone.id, action="archive").exists()
    for other in (recent, staying):
        other.refresh_from_db()
        assert other.archived_at is None and other.id_number_encrypted is not None


def test_reencrypt_moves_every_value_to_the_current_key(street, settings):
    person = make_person("孙八", grid=street.grid_a1, phone="13800138000")
    number = decrypt(person.id_number_encrypted or b"", aad=ID_AAD)
    settings.WANGGE_FIELD_KEYS = {"1": KEY_1, "2": KEY_2}
    settings.WANGGE_FIELD_KEY_VERSION = 2
    with pytest.raises(PermissionDenied):
        register_reencrypt(actor=actor_for(grid_worker(street)))
    assert register_reencrypt(actor=system_actor()) == 2
    assert register_reencrypt(actor=system_actor()) == 0
    person.refresh_from_db()
    assert key_version_of(person.id_number_encrypted or b"") == 2
    settings.WANGGE_FIELD_KEYS = {"2": KEY_2}
    assert decrypt(person.id_number_encrypted or b"", aad=ID_AAD) == number
    assert decrypt(person.phone_encrypted or b"", aad=PHONE_AAD) == "13800138000"


def test_reveal_page_answers_in_place_and_only_in_scope(client, street):
    from wangge.orgs.tests.factories import login_as

    mine = make_person("张伟", grid=street.grid_a1, phone="13800138000")
    theirs = make_person("李四", grid=street.grid_b1, phone="13900139000")
    user = grid_worker(street)
    login_as(client, user)
    body = {"field": "phone", "reason": "回访核实", "password": PASSWORD}
    profile = client.get(f"/register/persons/{mine.id}/")
    assert f"/register/persons/{mine.id}/reveal/" not in profile.content.decode()
    refused = client.post(f"/register/persons/{mine.id}/reveal/", body)
    assert refused.status_code == 403 and "13800138000" not in refused.content.decode()
    allow_reveal(user)
    profile = client.get(f"/register/persons/{mine.id}/")
    assert f"/register/persons/{mine.id}/reveal/" in profile.content.decode()
    wrong = client.post(f"/register/persons/{mine.id}/reveal/", {**body, "password": "x"})
    assert wrong.status_code == 422 and "13800138000" not in wrong.content.decode()
    shown = client.post(f"/register/persons/{mine.id}/reveal/", body)
    assert shown.status_code == 200 and "13800138000" in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert client.post(f"/register/persons/{theirs.id}/reveal/", body).status_code == 404


def test_the_reveal_page_asks_for_the_totp_code_when_enrolled(client, street, settings):
    from wangge.core.tests.helpers import code_for, give_device
    from wangge.orgs.tests.factories import login_as

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    person = make_person("张伟", grid=street.grid_a1, phone="13800138000")
    user = grid_worker(street)
    allow_reveal(user)
    device = give_device(user)
    login_as(client, user)
    body = {"field": "phone", "reason": "回访核实", "password": PASSWORD}
    profile = client.get(f"/register/persons/{person.id}/").content.decode()
    assert 'name="code"' in profile
    asked = client.post(f"/register/persons/{person.id}/reveal/", body)
    assert asked.status_code == 422 and "13800138000" not in asked.content.decode()
    assert AuditEvent.objects.get(action="registry.person_reveal").detail["refused"] == (
        "totp_required"
    )
    shown = client.post(
        f"/register/persons/{person.id}/reveal/", {**body, "code": code_for(device)}
    )
    assert shown.status_code == 200 and "13800138000" in shown.content.decode()
