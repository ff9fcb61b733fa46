"""查询进度: anyone may follow a case by its number and sees its public part only.

The answer for an unknown number has the same shape as for a known one ("not found"), and
lookups are counted per address so that walking through numbers is slow and cheap to refuse.
"""

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..forms import FollowForm
from ..selectors import case_public_status
from .common import no_store, state_label, step_label

WINDOW_SECONDS = 600


def lookups_per_window() -> int:
    return int(getattr(settings, "WANGGE_PORTAL_FOLLOW_LIMIT", 60))


def _over_limit(request) -> bool:
    """A fixed window per client address in the cache (no personal data kept: the key is only
    the address, and it expires with the window)."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    key = f"portal:follow:{address}"
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count > lookups_per_window()


@require_GET
def follow_page(request):
    form = FollowForm(request.GET or None)
    context: dict = {"form": form, "status": None, "not_found": False, "limited": False}
    status_code = 200
    if form.is_bound and form.is_valid():
        if _over_limit(request):
            context["limited"] = True
            status_code = 429
        else:
            found = case_public_status(number=form.cleaned_data["number"])
            if found is None:
                context["not_found"] = True
                status_code = 404
            else:
                context["status"] = {
                    "case": found,
                    "state_label": state_label(found.state),
                    "steps": [
                        {"label": step_label(step.action), "at": step.at} for step in found.steps
                    ],
                }
    elif form.is_bound:
        status_code = 422
    if context["not_found"]:
        context["message"] = _(
            "No case with this number was found. Check the number and try again."
        )
    return no_store(render(request, "portal/follow.html", context, status=status_code))
