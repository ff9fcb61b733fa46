"""TOTP second factor on django-otp's TOTPDevice."""

import base64

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .models import User


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps (and pyotp-style tools) expect it."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def totp_device_create(*, actor, user: User, name: str = "default", confirmed: bool = True) -> str:
    """Give `user` a (new) TOTP device, replacing any other; returns its base32 secret."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=confirmed)
    audit_record(actor=actor, action="auth.totp_device_create", object_type="user", object_id=user.pk)
    return totp_secret_base32(device)
