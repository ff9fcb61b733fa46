"""Lockout hardening: the cool-off ends a lockout, only the (username, address) pair is locked,
and axes keeps no phone number, password or code from the sign-in forms."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.urls import reverse

from wangge.core.accounts import lockout_list, resident_register
from wangge.core.forms import CodeForm, LoginForm, ResidentLoginForm
from wangge.core.scope import Actor
from wangge.orgs.tests.factories import PASSWORD, grid_worker

from .helpers import sign_in

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WRONG = "wrong-Password-1"


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_five_times(client, username: str, address: str) -> None:
    for _attempt in range(5):
        last = client.post(
            reverse("login"), {"username": username, "password": WRONG}, REMOTE_ADDR=address
        )
    assert last.status_code == 429


def test_the_cool_off_ends_a_lockout(client, street, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    worker = grid_worker(street)
    with time_machine.travel(START, tick=False) as clock:
        fail_five_times(client, worker.username, "10.0.0.1")
        page = sign_in(client, worker, REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 429 and not is_signed_in(client)
        assert "15 minutes after the last failed attempt" in page.content.decode()
        assert [lock.locked_until for lock in lockout_list(actor=Actor.system())] == [
            START + timedelta(minutes=15)
        ]
        clock.shift(timedelta(minutes=14))
        assert sign_in(client, worker, REMOTE_ADDR="10.0.0.1").status_code == 429
        # A refused attempt during the lock restarts the cool-off (axes' default), so wait
        # the whole cool-off after it.
        clock.shift(timedelta(minutes=15, seconds=1))
        assert lockout_list(actor=Actor.system()) == []
        response = sign_in(client, worker, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 302 and is_signed_in(client)


def test_locking_a_user_from_one_address_leaves_other_addresses_open(client, street):
    worker = grid_worker(street)
    fail_five_times(client, worker.username, "10.0.0.1")
    assert sign_in(client, worker, REMOTE_ADDR="10.0.0.1").status_code == 429
    elsewhere = client.__class__()
    assert sign_in(elsewhere, worker, REMOTE_ADDR="10.0.0.2").status_code == 302
    assert is_signed_in(elsewhere)
    locked = [(lock.username, lock.ip_address) for lock in lockout_list(actor=Actor.system())]
    assert locked == [(worker.username, "10.0.0.1")]


def test_axes_keeps_no_phone_or_password_of_a_resident_sign_in(client, settings):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    resident_register(phone="13912345678", password=PASSWORD, display_name="李四")
    for phone in ("13912345678", "139 1234 5678", "13700000000"):
        response = client.post(reverse("resident_login"), {"phone": phone, "password": WRONG})
        assert response.status_code == 200 and not is_signed_in(client)
    attempts = list(AccessAttempt.objects.values())
    logs = list(AccessFailureLog.objects.values())
    assert attempts and logs  # the failures were recorded...
    stored = repr(attempts) + repr(logs)
    # ...but neither the numbers tried (in any spelling) nor the password.
    for secret in ("13912345678", "1391234", "5678", "13700000000", WRONG):
        assert secret not in stored
    assert "phone=****" in attempts[0]["post_data"]  # the field name stays, the value does not


@pytest.mark.parametrize("form_class", [LoginForm, ResidentLoginForm, CodeForm])
def test_every_field_of_a_sign_in_form_is_masked_in_axes_records(form_class):
    # A new field on a sign-in form must be added to AXES_SENSITIVE_PARAMETERS first.
    fields = set(form_class.base_fields) | {"csrfmiddlewaretoken", "next"}
    assert fields <= set(settings.AXES_SENSITIVE_PARAMETERS)
