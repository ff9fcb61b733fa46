"""Accounts: signing in (checked against django-axes), residents, passwords, disabling, lockouts.

Roles live in orgs, which core may not import. Two hooks, both installed by OrgsConfig.ready():
scope.ACTOR_RESOLVER (a user's grants) and STAFF_DIRECTORY below (staff in a set of paths).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .crypto import decrypt, encrypt, is_mobile_phone, normalize_phone, phone_index
from .errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from .models import AccountKind, AuditResult, User, UserSession
from .revisions import DIRECTORY, revision_bump
from .scope import Actor, actor_for_user, path_in_scope
from .tokens import api_tokens_revoke_for_user

PHONE_AAD = "core.user.phone"
ADMIN = "admin"


# --- signing in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialCheck:
    """The outcome of checking a password: a user, or why not (`locked` wins over `invalid`)."""

    user: User | None = None
    locked: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


def _authenticate(request, *, username: str, password: str) -> CredentialCheck:
    # Passing the request lets axes count failures per (username, address) and refuse locked pairs.
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        return CredentialCheck(locked=True)
    return CredentialCheck(user=user)


def credentials_check(request, *, username: str, password: str) -> CredentialCheck:
    """Check a staff username and password. Residents do not sign in this way."""
    result = _authenticate(request, username=username, password=password)
    if result.user is not None and result.user.kind != AccountKind.STAFF:
        return CredentialCheck()
    return result


def resident_credentials_check(request, *, phone: str, password: str) -> CredentialCheck:
    """Check a resident's phone and password.

    An unknown phone still goes through authenticate() under a stand-in username derived from
    its blind index, so that guessing passwords for unregistered numbers is throttled as well and
    answers no faster than for registered ones.
    """
    index = phone_index(phone) if normalize_phone(phone) else ""
    user = (
        User.objects.filter(phone_index=index, kind=AccountKind.RESIDENT).first() if index else None
    )
    username = user.get_username() if user else f"phone:{index[:16]}"
    return _authenticate(request, username=username, password=password)


def login_locked(request, *, username: str) -> bool:
    """Whether axes currently refuses this username from this request's address."""
    return AxesProxyHandler.is_locked(request, {"username": username})


def login_failure_record(request, *, username: str, step: str) -> bool:
    """Count a failed second step like a wrong password; returns True if the pair is now locked.

    Without this, a stolen password would leave the 6-digit code open to guessing.
    """
    user_login_failed.send(
        sender=__name__, credentials={"username": username, "step": step}, request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def login_success_reset(request, *, username: str) -> None:
    """Forget failures after a full sign-in that did not go through django.contrib.auth.login."""
    if settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.update_request(request)
        axes_reset(ip=request.axes_ip_address, username=username)


def active_user(user_id) -> User | None:
    """The active account with this id (the sign-in flow's own lookup, not a listing)."""
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_session_track(request) -> None:
    """Remember the request's (possibly new) session key for the signed-in user.

    Signing in records it through the user_logged_in signal; call this after anything that
    rotates the key without signing in again (update_session_auth_hash on password change).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


# --- residents ----------------------------------------------------------------------------------


@transaction.atomic
def resident_register(*, phone: str, password: str, display_name: str) -> User:
    """Create a resident account that signs in by phone. The phone is stored encrypted."""
    normalized = normalize_phone(phone or "")
    if not is_mobile_phone(normalized):
        raise ValidationFailed(_("Enter an 11-digit mobile phone number."), field="phone")
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed(_("Enter the name to show on your account."), field="display_name")
    if len(display_name) > 64:
        raise ValidationFailed(_("The name may have at most 64 characters."), field="display_name")
    index = phone_index(normalized)
    taken = _("This phone number is already registered. Sign in instead.")
    if User.objects.filter(phone_index=index).exists():
        raise ValidationFailed(taken, code="phone_taken", field="phone")
    # The username is never shown or typed by a resident; it must not carry the phone number.
    user = User(
        username=f"r_{secrets.token_hex(8)}",
        kind=AccountKind.RESIDENT,
        display_name=display_name,
        phone_index=index,
        phone_encrypted=encrypt(normalized, aad=PHONE_AAD),
    )
    _validate_new_password(password, user, field="password")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # registered concurrently
        raise ValidationFailed(taken, code="phone_taken", field="phone") from exc
    audit_record(actor=user, action="user.register", object_type="user", object_id=user.pk)
    return user


def resident_phone(user: User) -> str:
    """The resident's phone in clear, for the resident themself; show others mask_phone() of it."""
    if not user.phone_encrypted:
        return ""
    return decrypt(user.phone_encrypted, aad=PHONE_AAD)


# --- passwords ----------------------------------------------------------------------------------


def _validate_new_password(password: str, user: User, *, field: str) -> None:
    try:
        validate_password(password or "", user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages),
            code="password_rejected",
            field=field,
            detail={"rules": sorted({e.code for e in exc.error_list if e.code})},
        ) from exc


def _user_of(actor) -> User:
    user = getattr(actor, "user", actor)
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Sign in first."), code="not_authenticated")
    return user


@transaction.atomic
def user_password_change(*, actor, old_password: str, new_password: str) -> User:
    """Change the acting user's own password after checking the current one and the rules.

    Other sessions of the user end by themselves: Django ties a session to the password hash.
    """
    user = _user_of(actor)
    if not user.check_password(old_password or ""):
        audit_record(
            actor=user,
            action="auth.password_change",
            object_type="user",
            object_id=user.pk,
            result=AuditResult.FAILED,
            detail={"reason": "old_password"},
        )
        raise ValidationFailed(_("Your current password is not correct."), field="old_password")
    if old_password == new_password:
        raise ValidationFailed(
            _("Choose a password different from the current one."),
            code="password_unchanged",
            field="new_password",
        )
    _validate_new_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="auth.password_change", object_type="user", object_id=user.pk)
    return user


# --- staff directory and disabling --------------------------------------------------------------


@dataclass(frozen=True)
class RoleGrant:
    role: str
    role_label: str
    org_unit_code: str
    org_unit_name: str
    path: str


@dataclass(frozen=True)
class StaffEntry:
    user: User
    grants: tuple[RoleGrant, ...]


# Installed by orgs: (paths, limit) -> staff holding a role under any of the paths, with those
# roles only (a role elsewhere is none of this admin's business).
STAFF_DIRECTORY: Callable[[tuple[str, ...], int], list[StaffEntry]] | None = None
STAFF_LIST_LIMIT = 500


def _admin_paths(actor: Actor) -> tuple[str, ...]:
    return ("/",) if actor.is_system else actor.paths(ADMIN)


def staff_list(*, actor: Actor, limit: int = STAFF_LIST_LIMIT) -> list[StaffEntry]:
    """Staff with a role in the admin's units, for the users page (at most `limit` users)."""
    if not (actor.is_system or actor.has_role(ADMIN)):
        raise NotFound(_("Page not found."))
    if STAFF_DIRECTORY is None:
        return []
    return STAFF_DIRECTORY(_admin_paths(actor), limit)


def _disable_path(actor: Actor, target: User) -> str:
    """The target's unit path through which the actor may disable them; NotFound otherwise."""
    if actor.is_system:
        return ""
    admin_paths = actor.paths(ADMIN)
    if admin_paths:
        for path in actor_for_user(target).paths():
            if path_in_scope(path, admin_paths):
                return path
    raise NotFound(_("User not found."), detail={"object_type": "user", "object_id": target.pk})


@transaction.atomic
def user_disable(*, actor: Actor, user_id: int, reason: str) -> User:
    """Disable an account and end everything it has open: sessions and API tokens.

    Allowed to the system, and to an admin of a unit (or an ancestor of a unit) where the user
    holds a role. Residents and staff without roles can be disabled only by the system.
    """
    target = User.objects.select_for_update().filter(pk=user_id).first()
    if target is None:
        raise NotFound(_("User not found."), detail={"object_type": "user", "object_id": user_id})
    org_path = _disable_path(actor, target)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for disabling the account."), field="reason")
    if len(reason) > 200:
        raise ValidationFailed(_("The reason may have at most 200 characters."), field="reason")
    if actor.user is not None and getattr(actor.user, "pk", None) == target.pk:
        raise ValidationFailed(
            _("You cannot disable your own account."), code="self_disable", field="user_id"
        )
    if not target.is_active:
        raise Conflict(_("This account is already disabled."), code="already_disabled")
    target.is_active = False
    revision_bump(DIRECTORY)  # grid cards list active workers only
    target.save(update_fields=["is_active"])
    sessions = _sessions_end(target)
    tokens = api_tokens_revoke_for_user(user=target)
    audit_record(
        actor=actor,
        action="user.disable",
        object_type="user",
        object_id=target.pk,
        org_path=org_path,
        detail={"reason": reason, "sessions_ended": sessions, "tokens_revoked": tokens},
    )
    return target


def _sessions_end(user: User) -> int:
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store_class().delete(key)
    UserSession.objects.filter(user=user).delete()
    return len(keys)


# --- lockouts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    username: str
    ip_address: str | None
    failures: int
    last_failure_at: datetime
    # When the cool-off lets the pair try again by itself (None: only an admin unlocks it).
    locked_until: datetime | None = None


def _require_admin(actor: Actor) -> None:
    if not (actor.is_system or actor.has_role(ADMIN)):
        raise PermissionDenied(_("Only an admin may do this."), code="admin_only")


def lockout_list(*, actor: Actor) -> list[Lockout]:
    """Username and address pairs that axes currently refuses, latest failure first.

    Lockouts are not bound to org units (the username may not even exist), so every admin sees
    them all; the list holds login names and addresses, no personal data beyond that.
    """
    _require_admin(actor)
    limit = get_failure_limit(None, None)
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.all()
    if cool_off is not None:
        # Attempts older than the cool-off no longer count (axes ignores them too).
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    rows = (
        attempts.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_failure_at=Max("attempt_time"))
        .filter(failures__gte=limit)
        .order_by("-last_failure_at", "username")
    )
    return [
        Lockout(
            row["username"] or "",
            row["ip_address"],
            row["failures"],
            row["last_failure_at"],
            row["last_failure_at"] + cool_off if cool_off is not None else None,
        )
        for row in rows
    ]


@transaction.atomic
def lockout_clear(*, actor: Actor, username: str, ip_address: str | None) -> int:
    """Unlock one (username, address) pair; returns how many attempt rows were removed."""
    _require_admin(actor)
    username = (username or "").strip()
    if not username:
        raise ValidationFailed(_("Give the username to unlock."), field="username")
    attempts = AccessAttempt.objects.filter(username=username, ip_address=ip_address or None)
    if not attempts.exists():
        raise NotFound(
            _("There is no lockout for this username and address."),
            detail={"object_type": "lockout"},
        )
    failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
    if ip_address:
        removed = axes_reset(ip=ip_address, username=username)
    else:
        # axes' reset treats a missing address as "any address"; unlock only the pair shown.
        removed, _ignored = attempts.delete()
    audit_record(
        actor=actor,
        action="auth.lockout_clear",
        object_type="login",
        object_id=username[:64],
        detail={"ip_address": ip_address, "failures": failures, "rows": removed},
    )
    return removed
