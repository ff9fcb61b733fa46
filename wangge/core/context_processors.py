from django.conf import settings
from django.utils import timezone

from .calendar import calendar_unconfirmed_year_warning
from .scope import request_actor


def wangge(request) -> dict:
    return {
        "WANGGE_TILE_URL": settings.WANGGE_TILE_URL,
        "calendar_warning": _calendar_warning(request),
    }


def _calendar_warning(request) -> str | None:
    """Admins see while this year's holidays, or from 1 November next year's, still have to be
    imported (until then deadlines in that year count weekends only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # The snapshot is cached per process: cheaper than the actor lookup, so it goes first.
    warning = calendar_unconfirmed_year_warning(timezone.localdate())
    if warning is None or not request_actor(request).has_role("admin"):
        return None
    return warning
