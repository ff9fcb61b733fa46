"""查询进度: anyone may follow a case by its number and sees its public part only.

The answer for an unknown number has the same shape as for a known one ("not found"), and
lookups are counted per client address (django-ratelimit on the shared cache, rate
`WANGGE_RATE_LIMITS["portal_follow"]`) so that walking through numbers is slow and cheap to
refuse.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wangge.core.ratelimits import limit_hit

from ..forms import FollowForm
from ..selectors import case_public_status
from .common import no_store, state_label, step_label, too_many


@require_GET
def follow_page(request):
    form = FollowForm(request.GET or None)
    context: dict = {"form": form, "status": None, "not_found": False, "limited": False}
    status_code = 200
    if form.is_bound and form.is_valid():
        refusal = limit_hit(request, scope="portal_follow")
        if refusal is not None:
            context["limited"] = True
            return too_many(render(request, "portal/follow.html", context, status=429), refusal)
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
