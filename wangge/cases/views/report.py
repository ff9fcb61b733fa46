"""The staff report form: a grid worker on site or a service window records a case."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from wangge.core.decorators import staff_role_required
from wangge.core.errors import PermissionDenied, ValidationFailed
from wangge.core.scope import request_actor
from wangge.orgs.enums import Role

from ..attachments import photos_stored
from ..enums import CaseSource
from ..services import case_report
from .forms import ReportForm, show_refusal


def source_for(actor) -> str:
    if actor.has_role(Role.GRID_WORKER, Role.GRID_LEADER):
        return CaseSource.GRID_WORKER
    return CaseSource.WINDOW


@staff_role_required()
@require_http_methods(["GET", "POST"])
def report_page(request):
    actor = request_actor(request)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                # The photos are stored first; a refused report deletes them again.
                with photos_stored(data.pop("photos")) as keys:
                    case = case_report(actor=actor, source=source_for(actor), photos=keys, **data)
                return redirect("cases_case", case.number)
            except (ValidationFailed, PermissionDenied) as exc:
                show_refusal(form, exc)
                status = exc.status
        else:
            status = 422
    else:
        form = ReportForm()
    response = render(request, "cases/report.html", {"form": form}, status=status)
    # A refused form comes back with what was typed (an address): never cache it.
    response["Cache-Control"] = "no-store"
    return response
