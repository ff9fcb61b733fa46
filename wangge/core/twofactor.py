"""TOTP second factor on django-otp's TOTPDevice.

Who needs it: staff holding a role in settings.WANGGE_TOTP_REQUIRED_ROLES (admin, auditor), and
anyone who has confirmed a device of their own. A user who needs it but has no confirmed device
must enrol (scan the QR code, confirm one code) before any session is opened for them.
"""

import base64
import re
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .models import AccountKind, AuditResult, User
from .scope import actor_for_user

CODE_RE = re.compile(r"^\d{6}$")


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps (and pyotp-style tools) expect it."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_device_for(user: User) -> TOTPDevice | None:
    """The user's confirmed device, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def totp_role_required(user: User) -> bool:
    """Whether the user's roles make a second factor mandatory."""
    if user.kind != AccountKind.STAFF:
        return False
    required = set(settings.WANGGE_TOTP_REQUIRED_ROLES)
    return bool(actor_for_user(user).roles & required)


def totp_required(user: User) -> bool:
    """Whether signing in needs a code: a mandatory role, or a device the user chose to confirm."""
    return totp_role_required(user) or totp_device_for(user) is not None


def normalize_code(code: str | None) -> str:
    return re.sub(r"\s", "", code or "")


def _check_code(device: TOTPDevice, code: str | None) -> bool:
    code = normalize_code(code)
    if not CODE_RE.match(code):
        # Still counted by django-otp's throttle, like any wrong code.
        device.throttle_increment(commit=True)
        return False
    return device.verify_token(code)


@transaction.atomic
def totp_verify(*, user: User, code: str | None) -> TOTPDevice | None:
    """The confirmed device the code matches, or None. A code is accepted only once."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=True)
        .order_by("-pk")
        .first()
    )
    if device is None or not _check_code(device, code):
        return None
    return device


@transaction.atomic
def totp_device_create(*, actor, user: User, name: str = "default", confirmed: bool = True) -> str:
    """Give `user` a (new) TOTP device, replacing any other; returns its base32 secret."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=confirmed)
    audit_record(
        actor=actor, action="auth.totp_device_create", object_type="user", object_id=user.pk
    )
    return totp_secret_base32(device)


@transaction.atomic
def totp_enrol_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device the user is enrolling, created on first call and kept until confirmed.

    Keeping it means reloading the enrolment page shows the same QR code the user may have
    scanned already.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    return device


@transaction.atomic
def totp_enrol_confirm(*, user: User, code: str | None) -> TOTPDevice | None:
    """Confirm the pending device with a first code; it then replaces any older device."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        return None
    if not _check_code(device, code):
        audit_record(
            actor=user,
            action="auth.totp_enrol",
            object_type="user",
            object_id=user.pk,
            result=AuditResult.FAILED,
        )
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    audit_record(actor=user, action="auth.totp_enrol", object_type="user", object_id=user.pk)
    return device


def totp_otpauth_url(device: TOTPDevice) -> str:
    """The otpauth:// URL authenticator apps read from the QR code."""
    issuer = settings.WANGGE_TOTP_ISSUER.replace(":", "")
    label = f"{issuer}:{device.user.get_username()}"
    params = urlencode(
        {
            "secret": totp_secret_base32(device),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{quote(label)}?{params}"


def totp_qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code as inline SVG (no image request, nothing cached elsewhere)."""
    return segno.make(totp_otpauth_url(device), error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title="TOTP"
    )


def totp_secret_grouped(device: TOTPDevice) -> str:
    """The secret in groups of four, easier to type by hand."""
    secret = totp_secret_base32(device)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
