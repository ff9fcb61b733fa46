"""Load the synthetic city into the database through the org services, with its staff.

`demo_load` imports the generated FeatureCollection with org_tree_import, creates (or refreshes)
the staff accounts, binds their roles with role_assign and gives admin and auditor a TOTP device.
`demo_accounts` rebuilds the account list of a loaded database without writing anything, which
is what a second run of the demo command prints. `demo_reset` removes the demo city again.
The demo's Open311 client (`open311_client_ensure`) is an account with an API token, no role.
"""

import base64
import hashlib
import hmac
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangge.core.accounts import resident_register
from wangge.core.audit import audit_record
from wangge.core.crypto import phone_index
from wangge.core.errors import PermissionDenied
from wangge.core.models import AccountKind, ApiToken, AuditEvent, User
from wangge.core.revisions import DIRECTORY, revision_bump
from wangge.core.tokens import api_token_issue, api_token_stored, api_tokens_revoke_for_user
from wangge.core.twofactor import totp_device_create, totp_secret_base32
from wangge.orgs.models import OrgUnit, RoleAssignment
from wangge.orgs.permissions import SYSTEM_USERNAME, is_system
from wangge.orgs.role_services import role_assign
from wangge.orgs.services import GRID_BOUNDARIES, org_tree_import

from .case_history import case_history_reset
from .generator import DEFAULT_SEED, generate_city
from .names import CITY
from .register import register_load
from .register_writer import register_reset
from .staff import GRID_WORKER_PREFIX, TOTP_ROLES, StaffAccount, password_for, staff_plan

LOAD_ACTION = "demo.load"
RESET_ACTION = "demo.reset"
OPEN311_USERNAME = "demo_open311"
RESIDENT_ROLE = "resident"  # not an org role: a resident account signs in by phone
RESIDENT_PHONE = "13800138000"
RESIDENT_NAME = "王阿姨"
OPEN311_ROLE = "open311_client"  # not an org role: an Open311 client needs only a staff token


@dataclass
class DemoState:
    """What a loaded demo was built from, read back from its audit row."""

    seed: int
    scale: int | None


def demo_state() -> DemoState | None:
    """The seed and scale of the demo in this database, or None when it is not loaded.

    Two indexed queries, so that a second `wangge_demo` returns at once.
    """
    if not OrgUnit.objects.filter(code=CITY[0]).exists():
        return None
    event = (
        AuditEvent.objects.filter(action__in=(LOAD_ACTION, RESET_ACTION))
        .order_by("-occurred_at", "-pk")
        .first()
    )
    if event is None or event.action != LOAD_ACTION:
        return None
    return DemoState(
        seed=int(event.detail.get("seed", DEFAULT_SEED)), scale=event.detail.get("scale")
    )


def require_system(actor) -> None:
    """Only the platform itself (the management command) loads or wipes the demo city."""
    if not is_system(actor):
        raise PermissionDenied(_("Only the system may load or reset the demo."))


@transaction.atomic
def demo_load(*, actor, seed: int = DEFAULT_SEED, scale: int | None = None) -> list[dict]:
    """Import the city and its staff; returns the account records (see StaffAccount.as_record)."""
    require_system(actor)
    collection = generate_city(seed=seed, scale=scale)
    summary = org_tree_import(actor=actor, feature_collection=collection)
    accounts = staff_plan(collection, seed=seed)
    users = staff_ensure(accounts)
    for account in accounts:
        role_assign(
            actor=actor,
            user=users[account.username],
            role=account.role,
            org_unit_code=account.org_unit_code,
        )
    secrets = {
        account.username: totp_device_create(actor=actor, user=users[account.username])
        for account in accounts
        if account.role in TOTP_ROLES and account.featured
    }
    register = register_load(actor=actor, collection=collection, seed=seed)
    client = open311_client_ensure(actor=actor, seed=seed)
    resident = resident_ensure(actor=actor, seed=seed)
    audit_record(
        actor=actor,
        action=LOAD_ACTION,
        object_type="demo",
        object_id=CITY[0],
        org_path=f"/{CITY[0]}/",
        username=SYSTEM_USERNAME if is_system(actor) else "",
        detail={
            "seed": seed,
            "scale": scale,
            "units": summary.get("created", 0),
            "accounts": len(accounts),
            "households": register["households"],
            "persons": register["persons"],
        },
    )
    records = [account.as_record(secrets.get(account.username)) for account in accounts]
    return [*records, client, resident]


def demo_accounts(*, seed: int, scale: int | None) -> list[dict]:
    """The account records of a loaded demo, TOTP secrets read from the devices (no writes)."""
    accounts = staff_plan(generate_city(seed=seed, scale=scale), seed=seed)
    totp_usernames = [a.username for a in accounts if a.role in TOTP_ROLES and a.featured]
    secrets = {
        device.user.username: totp_secret_base32(device)
        for device in TOTPDevice.objects.filter(user__username__in=totp_usernames).select_related(
            "user"
        )
    }
    records = [account.as_record(secrets.get(account.username)) for account in accounts]
    return [*records, open311_record(seed), resident_record(seed)]


def open311_demo_key(seed: int) -> str:
    """The demo client's api_key, in api_token_issue's format ('wg_' + 43 URL-safe characters).

    The same seed gives the same key, so a second run prints it again although only its hash is
    stored. Unlike the passwords it is keyed with SECRET_KEY: the README's seed does not give it
    away, yet `make demo` on one installation always prints the same key.
    """
    message = f"wangge.demo.open311_client:{seed}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return "wg_" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def open311_record(seed: int) -> dict:
    return {"role": OPEN311_ROLE, "username": OPEN311_USERNAME, "api_key": open311_demo_key(seed)}


@transaction.atomic
def open311_client_ensure(*, actor, seed: int) -> dict:
    """Create the demo's Open311 client and its key; returns its account record.

    Writes nothing when the client is active and its key live (a second run). A database loaded
    before the client existed gets it; an expired or revoked key is issued again (its row goes:
    the hash is unique), and any other key of the client (from another seed) is revoked.
    """
    require_system(actor)
    raw = open311_demo_key(seed)
    user = User.objects.filter(username=OPEN311_USERNAME).first()
    if user is None:
        user = User(
            username=OPEN311_USERNAME, kind=AccountKind.STAFF, display_name="Open311 demo client"
        )
        user.set_unusable_password()  # a client signs nothing in: it only sends its api_key
        user.save()
    elif not user.is_active or user.kind != AccountKind.STAFF:
        user.is_active, user.kind = True, AccountKind.STAFF  # disabled by demo_reset
        user.save(update_fields=["is_active", "kind"])
    token = api_token_stored(raw)
    live = token is not None and token.revoked_at is None and token.expires_at > timezone.now()
    if live and token is not None and token.user_id == user.pk:
        return open311_record(seed)
    if token is not None:
        token.delete()
    api_tokens_revoke_for_user(user=user)
    api_token_issue(user=user, raw=raw)
    return open311_record(seed)


def resident_record(seed: int) -> dict:
    """The demo resident: signs in on /resident/login/ by phone, reports in the portal."""
    return {
        "role": RESIDENT_ROLE,
        "phone": RESIDENT_PHONE,
        "password": password_for(seed, "resident"),
        "display_name": RESIDENT_NAME,
    }


def resident_ensure(*, actor, seed: int) -> dict:
    """Create the demo resident once; a load with another seed gives it that seed's password."""
    require_system(actor)
    record = resident_record(seed)
    user = User.objects.filter(phone_index=phone_index(RESIDENT_PHONE)).first()
    if user is None:
        resident_register(
            phone=RESIDENT_PHONE, password=record["password"], display_name=RESIDENT_NAME
        )
    elif not user.check_password(record["password"]):
        user.set_password(record["password"])
        user.save(update_fields=["password"])
    return record


def staff_ensure(accounts: list[StaffAccount]) -> dict[str, User]:
    """Create the staff users, or refresh those left by an earlier load; username → user.

    A user kept by demo_reset (the audit trail points at it) is refreshed and enabled again.
    Each distinct password is hashed once, in threads:
    PBKDF2 releases the GIL, and it is by far the slowest part of loading.
    """
    for account in accounts:
        validate_password(
            account.password, User(username=account.username, first_name=account.display_name)
        )
    distinct = sorted({account.password for account in accounts})
    with ThreadPoolExecutor(max_workers=max(1, min(len(distinct), os.cpu_count() or 1))) as pool:
        hashes = dict(zip(distinct, pool.map(make_password, distinct), strict=True))
    existing = {
        user.username: user
        for user in User.objects.filter(username__in=[a.username for a in accounts])
    }
    fresh, changed = [], []
    for account in accounts:
        values = {
            "password": hashes[account.password],
            "display_name": account.display_name,
            "work_phone": account.work_phone,
            "kind": AccountKind.STAFF,
            "is_active": True,
        }
        user = existing.get(account.username)
        if user is None:
            fresh.append(User(username=account.username, **values))
            continue
        for field, value in values.items():
            setattr(user, field, value)
        changed.append(user)
    User.objects.bulk_create(fresh, batch_size=500)
    User.objects.bulk_update(
        changed, ["password", "display_name", "work_phone", "kind", "is_active"], batch_size=500
    )
    return {
        user.username: user
        for user in User.objects.filter(username__in=[a.username for a in accounts])
    }


def demo_users():
    """The accounts the demo creates: demo_<role> and gw<grid code>."""
    return User.objects.filter(
        Q(username__startswith="demo_") | Q(username__regex=rf"^{GRID_WORKER_PREFIX}[0-9]{{15}}$")
    )


@transaction.atomic
def demo_reset(*, actor) -> int:
    """Delete the demo city (the 眉山市 tree) and its staff; returns the number of units deleted.

    A demo user that the audit trail points at (someone signed in as them) cannot be deleted,
    since the trail is append-only: it is disabled instead, and the next load refreshes it.
    Anything else that refers to a demo unit (cases, visits…) makes the reset fail whole.
    """
    require_system(actor)
    case_history_reset(f"/{CITY[0]}/")  # timelines hold their actors, cases their units (PROTECT)
    users = demo_users()
    in_trail = set(AuditEvent.objects.filter(actor__in=users).values_list("actor_id", flat=True))
    users.filter(pk__in=in_trail).update(is_active=False)
    RoleAssignment.objects.filter(user__in=users).delete()
    TOTPDevice.objects.filter(user__in=users).delete()
    ApiToken.objects.filter(user__in=users).delete()  # the Open311 client's key dies with the city
    users.exclude(pk__in=in_trail).delete()
    register_reset(f"/{CITY[0]}/")  # register rows hold their grid (PROTECT)
    units = OrgUnit.objects.filter(path__startswith=f"/{CITY[0]}/")
    RoleAssignment.objects.filter(org_unit__in=units).delete()
    deleted = 0
    # Children first: the parent link is PROTECT.
    for depth in sorted(set(units.values_list("depth", flat=True)), reverse=True):
        _total, rows = units.filter(depth=depth).delete()
        deleted += rows.get(OrgUnit._meta.label, 0)
    audit_record(
        actor=actor,
        action=RESET_ACTION,
        object_type="demo",
        object_id=CITY[0],
        org_path=f"/{CITY[0]}/",
        username=SYSTEM_USERNAME if is_system(actor) else "",
        detail={"units": deleted},
    )
    revision_bump(GRID_BOUNDARIES)
    revision_bump(DIRECTORY)
    return deleted
