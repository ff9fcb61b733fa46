"""Helpers for account tests: TOTP codes (pyotp is not installed) and a full staff sign-in."""

from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangge.core.twofactor import totp_device_create
from wangge.orgs.tests.factories import PASSWORD


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    device.refresh_from_db()
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + offset_steps,
    )
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    # Differs from the codes of the current step and both neighbours the device tolerates.
    taken = {code_for(device, offset_steps=n) for n in (-1, 0, 1)}
    value = int(code_for(device))
    while f"{value:06d}" in taken:
        value = (value + 1) % 1_000_000
    return f"{value:06d}"


def give_device(user) -> TOTPDevice:
    totp_device_create(actor=None, user=user)
    return TOTPDevice.objects.get(user=user, confirmed=True)


def sign_in(client, user, *, password: str = PASSWORD, device: TOTPDevice | None = None, **extra):
    """Sign in through the pages (password, then the code when a device is given)."""
    response = client.post(
        reverse("login"), {"username": user.username, "password": password}, **extra
    )
    if device is not None:
        assert response.status_code == 302
        assert response.url == reverse("login_totp")
        response = client.post(reverse("login_totp"), {"code": code_for(device)}, **extra)
    return response
