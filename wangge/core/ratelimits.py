"""Rate limits, counted in the shared cache by django-ratelimit: anonymous and resident writes
per address and phone, and services limited per user (exports).

One call counts one hit against every key it is given (the client's address, a hash of a phone
number, an API client) and answers how long to wait when any of them is over its rate. The counts
live in Django's default cache (Redis or the database table, see settings), so a limit holds
across every process and host that share it. Rates are settings (`WANGGE_RATE_LIMITS`), each
overridable from the environment.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from .clients import client_address
from .crypto import blind_index, normalize_phone
from .errors import RateLimited


@dataclass(frozen=True)
class Refusal:
    """Over the limit: wait `retry_after` seconds (the end of the window that refused)."""

    group: str
    retry_after: int


def rate_of(name: str) -> str | None:
    """The configured rate ("10/m", "60/10m") of a limit; None switches the limit off."""
    return settings.WANGGE_RATE_LIMITS.get(name) or None


def phone_key(phone: str) -> str:
    """A stand-in for a phone number in cache keys: keyed by the blind-index secret and kept
    apart from the stored phone index, so neither the number nor its register index appears."""
    return blind_index(normalize_phone(phone), purpose="ratelimit")


def _count(request, group: str, value: str, rate: str | None = None) -> Refusal | None:
    """One hit of `value` in `group` at `rate` (default: the group's configured rate)."""
    rate = rate or rate_of(group)
    if rate is None:
        return None
    usage = get_usage(
        request, group=group, key=lambda _group, _request: value, rate=rate, increment=True
    )
    if usage is None or not usage["should_limit"]:
        return None
    return Refusal(group=group, retry_after=max(1, int(usage["time_left"])))


def actor_phone_key(actor) -> str:
    """A signed-in resident's phone as a rate-limit key: their stored blind index (a keyed hash;
    the number is never decrypted for this). Empty for anyone else."""
    user = getattr(actor, "user", None)
    if not getattr(actor, "is_resident", False) or user is None:
        return ""
    return str(getattr(user, "phone_index", "") or "")


def limit_hit(
    request, *, scope: str, phone: str = "", client: str = "", by_address: bool = True
) -> Refusal | None:
    """Count one write in `scope` (e.g. "portal_report") per address, per phone and per client.

    `phone` is a keyed hash (`phone_key(...)` or `actor_phone_key(actor)`), never the number.
    Settings name the rates `<scope>` (per address), `<scope>_phone` and `<scope>_client`.
    Every key is counted even when an earlier one already refuses, so a flood spread over
    addresses still runs into the phone's limit. `by_address=False` counts only the others (for
    a second call once the client is known).
    """
    refusals = [_count(request, scope, client_address(request))] if by_address else []
    if phone:
        refusals.append(_count(request, f"{scope}_phone", phone))
    if client:
        refusals.append(_count(request, f"{scope}_client", client))
    found = [refusal for refusal in refusals if refusal is not None]
    return max(found, key=lambda refusal: refusal.retry_after) if found else None


def require_within_limit(
    request, *, scope: str, phone: str = "", client: str = "", by_address: bool = True
) -> None:
    """limit_hit() for code that answers errors by raising (the API): RateLimited when over."""
    refusal = limit_hit(request, scope=scope, phone=phone, client=client, by_address=by_address)
    if refusal is not None:
        raise RateLimited(
            _("Too many requests; try again in %(seconds)s seconds.")
            % {"seconds": refusal.retry_after},
            retry_after=refusal.retry_after,
        )


def user_rate_limit(*, group: str, user_id, rate: str, message: str | None = None) -> None:
    """Count one use of `group` by the user; RateLimited once more than `rate` (e.g. "5/h").

    For services (called from pages, the API and commands alike): the key is the user's id, so
    one limit holds whichever door the call came through."""
    refusal = _count(None, group, str(user_id), rate)
    if refusal is not None:
        raise RateLimited(
            message or _("Too many requests of this kind; try again later."),
            retry_after=refusal.retry_after,
        )
