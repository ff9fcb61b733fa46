"""API authentication: a bearer token (clients, mobile) or the page session (htmx, same origin).

A bearer token is resolved to its user and scope Actor (role grants) once and then kept per
process for at most TOKEN_CACHE_SECONDS, so that a busy client costs no token or role query per
request. What ends a cached entry:
- revoking a token (api_token_revoke, api_tokens_revoke_for_user, user_disable) bumps the
  API_TOKENS revision: the cache is dropped at once in the revoking process and within
  WANGGE_CACHE_RECHECK_SECONDS (2 s by default) in every other worker;
- a change of roles, org units or accounts bumps DIRECTORY: the actor is resolved again, as
  quickly;
- the token's own expiry, to the second;
- anything else (a row edited outside the services) after TOKEN_CACHE_SECONDS at the latest.
"""

import copy
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from wangge.core.revisions import API_TOKENS, DIRECTORY, RevisionCache
from wangge.core.scope import Actor
from wangge.core.tokens import api_token_stored, api_token_user
from wangge.core.twofactor import totp_required
from wangge.orgs.actors import actor_for

TOKEN_CACHE_SECONDS = 30.0
MAX_CACHED_TOKENS = 10_000


@dataclass(frozen=True)
class _Entry:
    actor: Actor
    expires_at: datetime
    cached_at: float
    directory: object


# Emptied whenever a token is revoked anywhere.
_tokens: RevisionCache[dict[str, _Entry]] = RevisionCache(API_TOKENS, dict)
# A new object whenever the directory changes: entries made under an older one are stale.
_directory: RevisionCache[object] = RevisionCache(DIRECTORY, object)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _resolve(raw: str, directory: object) -> _Entry | None:
    user = api_token_user(raw)  # checks revocation, expiry and the account; marks the token used
    if user is None:
        return None
    stored = api_token_stored(raw)
    if stored is None:
        return None
    return _Entry(actor_for(user), stored.expires_at, time.monotonic(), directory)


def token_actor(raw: str) -> Actor | None:
    """The actor behind a live bearer token, or None; served from the cache while it holds."""
    tokens = _tokens.get()
    directory = _directory.get()
    key = _digest(raw)
    entry = tokens.get(key)
    fresh = (
        entry is not None
        and entry.directory is directory
        and time.monotonic() - entry.cached_at < TOKEN_CACHE_SECONDS
        and timezone.now() < entry.expires_at
    )
    if not fresh:
        entry = _resolve(raw, directory)
        if entry is None:
            tokens.pop(key, None)
            return None
        if len(tokens) >= MAX_CACHED_TOKENS:
            tokens.clear()
        tokens[key] = entry
    assert entry is not None
    # Each request gets its own user object: code down the line may set attributes on it.
    cached = entry.actor
    user = copy.copy(cached.user)
    return Actor(user=user, grants=cached.grants, is_resident=cached.is_resident)


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        actor = token_actor(token)
        if actor is None or actor.user is None:
            return None
        user = actor.user
        # A token is issued only after the password and, where the role needs it, the TOTP code
        # were checked, so its bearer counts as verified for django-otp's is_verified().
        user.is_verified = lambda: True  # type: ignore[attr-defined]
        request.user = user
        # orgs.actors.request_actor keeps an actor whose user is the request's user.
        request._cached_actor = actor
        return user


class StaffSession(SessionAuth):
    """Session auth (with Django's CSRF check on unsafe methods).

    A session whose user needs two factors counts only once the TOTP step was passed, so that a
    role granted after sign-in cannot be used through the API without the code.
    """

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user and totp_required(user) and not request.user.is_verified():
            return None
        return user


API_AUTH = [BearerToken(), StaffSession()]
