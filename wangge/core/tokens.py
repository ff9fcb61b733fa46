"""API bearer tokens: issued once, stored as a SHA-256, revocable, expiring."""

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import NotFound
from .models import ApiToken, User
from .revisions import API_TOKENS, revision_bump


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_token() -> str:
    """'wg_' and 43 URL-safe characters (32 random bytes)."""
    return "wg_" + secrets.token_urlsafe(32)


@transaction.atomic
def api_token_issue(*, user: User, raw: str | None = None) -> tuple[str, ApiToken]:
    """Create a token for a user who has just proved who they are; returns the raw token once.

    `raw` is for the demo only: its Open311 client's key is derived from the demo seed, so that a
    second `make demo` can print it again although only its hash is stored.
    """
    raw = raw or new_raw_token()
    token = ApiToken.objects.create(
        user=user,
        key_hash=_hash(raw),
        prefix=raw[3:11],
        expires_at=timezone.now() + settings.WANGGE_API_TOKEN_TTL,
    )
    audit_record(actor=user, action="auth.token_issue", object_type="api_token", object_id=token.pk)
    return raw, token


def api_token_stored(raw: str) -> ApiToken | None:
    """The row of a raw token, live or not, without marking it used (unlike api_token_user)."""
    return ApiToken.objects.filter(key_hash=_hash(raw)).first()


def api_token_user(raw: str) -> User | None:
    """The active user behind a live token, or None. Marks it used (at most once a minute)."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def api_token_revoke(*, actor, raw: str) -> None:
    """Revoke the acting user's own token (the one the request was made with)."""
    user = getattr(actor, "user", actor)
    token = (
        ApiToken.objects.select_for_update()
        .filter(key_hash=_hash(raw), user=user, revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise NotFound(_("Token not found."), detail={"object_type": "api_token"})
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    revision_bump(API_TOKENS)  # the API's token cache: at once here, within seconds elsewhere
    audit_record(
        actor=user, action="auth.token_revoke", object_type="api_token", object_id=token.pk
    )


def api_tokens_revoke_for_user(*, user: User) -> int:
    """Revoke every live token of a user (the caller audits why); returns how many."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        revision_bump(API_TOKENS)
    return revoked
