"""The audited reveal of one full value on a person's profile (htmx form, answered in place)."""

from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.errors import PermissionDenied, RateLimited, ValidationFailed
from wangge.core.scope import request_actor

from ..privacy import person_reveal


@staff_role_required()
@require_POST
def person_reveal_view(request, person_id: int):
    """POST only: the reason and the password travel in the body, never in a URL."""
    field = request.POST.get("field", "")
    context = {"person_id": person_id, "field": field}
    try:
        context["value"] = person_reveal(
            actor=request_actor(request),
            request=request,
            person_id=person_id,
            field=field,
            reason=request.POST.get("reason", ""),
            password=request.POST.get("password", ""),
            code=request.POST.get("code") or None,
        )
        status = 200
    except (ValidationFailed, PermissionDenied, RateLimited) as exc:
        # Answered inside the form (the attempt is already audited); NotFound still 404s.
        context["error"] = exc
        status = exc.status
    response = render(request, "registry/_reveal_result.html", context, status=status)
    response["Cache-Control"] = "no-store"  # a revealed value must not stay in any cache
    return response


urlpatterns: list[URLPattern] = [
    path("persons/<int:person_id>/reveal/", person_reveal_view, name="registry_person_reveal"),
]
