from django.conf import settings
from django.utils import timezone

from .calendar import WARNING_FROM_MONTH, calendar_missing_next_year_warning
from .scope import request_actor


def wangge(request) -> dict:
    return {
        "WANGGE_TILE_URL": settings.WANGGE_TILE_URL,
        "calendar_warning": _calendar_warning(request),
    }


def _calendar_warning(request) -> str | None:
    """Admins see, from 1 November, that next year's holidays still have to be imported."""
    today = timezone.localdate()
    # Check the month first: the rest of the year this costs nothing, not even the actor lookup.
    if today.month < WARNING_FROM_MONTH:
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if not request_actor(request).has_role("admin"):
        return None
    return calendar_missing_next_year_warning(today)
