"""Per-user rate limits for services, on django-ratelimit and the shared cache.

django-ratelimit's decorators need a view; services (called from pages, the API and commands)
use its `get_usage` with the user's id as the key, so one limit holds whichever door the call
came through and across every process sharing the cache.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from .errors import RateLimited


def user_rate_limit(*, group: str, user_id, rate: str, message: str | None = None) -> None:
    """Count one use of `group` by the user; RateLimited once more than `rate` (e.g. "5/h")."""
    usage = get_usage(
        None, group=group, key=lambda _group, _request: str(user_id), rate=rate, increment=True
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimited(
            message or _("Too many requests of this kind; try again later."),
            retry_after=usage["time_left"] if usage["time_left"] > 0 else 60,
        )
