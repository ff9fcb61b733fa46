"""Fresh authentication: the password again (and the TOTP code when enrolled) before a sensitive
act such as revealing a full ID number or exporting a person's data.

`reauthenticate()` checks the password through django.contrib.auth.authenticate with the
request, so django-axes counts a wrong password toward the lockout exactly as at sign-in, and
refuses while the (username, address) pair is locked; a wrong TOTP code counts too. On success
it remembers, in the shared cache, that *this credential* (the session, or the bearer token the
request was made with) authenticated afresh at this time; `require_fresh_authentication()`
accepts it for WANGGE_REVEAL_FRESH_SECONDS. Keying by credential means another session or
token of the same user is not made fresh by it.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from .accounts import credentials_check, login_failure_record, login_locked, login_success_reset
from .audit import audit_record
from .errors import PermissionDenied, RateLimited, ValidationFailed
from .models import AuditResult
from .twofactor import totp_device_for, totp_required, totp_verify

CACHE_PREFIX = "wangge:reauth:"
STEP = "reauth"


def fresh_seconds() -> int:
    return int(settings.WANGGE_REVEAL_FRESH_SECONDS)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def credential_key(request) -> str:
    """Which credential the request was made with: its bearer token, else its session."""
    if request is None:
        return ""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + _digest(token.strip())
    session = getattr(request, "session", None)
    if session is None:
        return ""
    if session.session_key is None:
        session.save()
    return "session:" + _digest(session.session_key)


def _cooloff_seconds() -> int:
    cooloff = settings.AXES_COOLOFF_TIME
    return int(cooloff.total_seconds()) if cooloff else 3600


def _locked_error(request) -> RateLimited:
    # AxesMiddleware would otherwise swap the answer for its lockout page.
    request.axes_locked_out = False
    return RateLimited(
        _(
            "This account is locked after too many failed attempts. Wait for the cool-off to end, "
            "or ask an admin to unlock it."
        ),
        code="locked_out",
        field="password",
        retry_after=_cooloff_seconds(),
    )


def _audit(user, result: str, detail: dict) -> None:
    audit_record(
        actor=user,
        action="auth.reauthenticate",
        object_type="user",
        object_id=user.pk,
        result=result,
        detail=detail,
    )


def reauthenticate(*, user, request, password: str, code: str | None = None) -> float:
    """Check the password (and TOTP code when enrolled) again; returns the time recorded.

    Raises ValidationFailed naming `password` or `code`, or RateLimited (`locked_out`) while
    django-axes locks the user out. Every outcome is audited (never the password or code).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Sign in first."), code="not_authenticated")
    username = user.get_username()
    if login_locked(request, username=username):
        _audit(user, AuditResult.DENIED, {"refused": "locked_out"})
        raise _locked_error(request)
    if not password:
        raise ValidationFailed(
            _("Enter your password again to continue."), code="required", field="password"
        )
    checked = credentials_check(request, username=username, password=password)
    if checked.locked:
        _audit(user, AuditResult.DENIED, {"refused": "locked_out"})
        raise _locked_error(request)
    if checked.user is None or checked.user.pk != user.pk:
        _audit(user, AuditResult.FAILED, {"refused": "password"})
        raise ValidationFailed(
            _("The password is not correct."), code="reauthentication_failed", field="password"
        )
    if totp_required(user):
        if totp_device_for(user) is None:
            raise ValidationFailed(
                _("Set up your authenticator first (sign in on the web once)."),
                code="totp_enrolment_required",
                field="code",
            )
        if not code:
            raise ValidationFailed(
                _("Enter the 6-digit code from your authenticator app."),
                code="totp_required",
                field="code",
            )
        if totp_verify(user=user, code=code) is None:
            _audit(user, AuditResult.FAILED, {"refused": "code"})
            if login_failure_record(request, username=username, step=STEP):
                raise _locked_error(request)
            raise ValidationFailed(
                _("The code is not correct or was used already."),
                code="reauthentication_failed",
                field="code",
            )
    login_success_reset(request, username=username)
    now = time.time()
    key = credential_key(request)
    if key:
        cache.set(CACHE_PREFIX + key, now, timeout=fresh_seconds())
    _audit(user, AuditResult.OK, {"two_factor": totp_required(user)})
    return now


def fresh_authentication_age(request) -> float | None:
    """Seconds since this request's credential last re-authenticated, or None."""
    key = credential_key(request)
    if not key:
        return None
    at = cache.get(CACHE_PREFIX + key)
    if at is None:
        return None
    return max(0.0, time.time() - float(at))


def has_fresh_authentication(request) -> bool:
    age = fresh_authentication_age(request)
    return age is not None and age <= fresh_seconds()


def require_fresh_authentication(request) -> None:
    """PermissionDenied (`reauthentication_required`) unless re-authenticated recently."""
    if not has_fresh_authentication(request):
        raise PermissionDenied(
            _(
                "Confirm your password (and authenticator code) again: this needs a sign-in "
                "from the last %(minutes)d minutes."
            )
            % {"minutes": max(1, fresh_seconds() // 60)},
            code="reauthentication_required",
            field="password",
        )
