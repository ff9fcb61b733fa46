"""The portal's front door: three big buttons."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from wangge.core.scope import request_actor

from ..forms import FollowForm


@require_GET
def home_page(request):
    actor = request_actor(request)
    return render(
        request, "portal/home.html", {"signed_in": actor.is_resident, "follow_form": FollowForm()}
    )
