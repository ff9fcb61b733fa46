"""Transfer requests (人员转入): asking for one, the admins' list with approve and reject, and
the requester's own list. The ID number travels in POST bodies only, never in a URL."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.errors import Conflict, ValidationFailed
from wangge.core.scope import request_actor

from .. import forms
from ..transfers import (
    person_transfer_decide,
    person_transfer_list,
    person_transfer_mine,
    person_transfer_request,
)


@staff_role_required()
@require_http_methods(["GET", "POST"])
def transfer_request_view(request):
    actor = request_actor(request)
    status = 200
    if request.method == "POST":
        form = forms.TransferRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                person_transfer_request(
                    actor=actor,
                    id_number=data["id_number"],
                    reason=data["reason"],
                    household_id=data["household"],
                    grid_code=data["grid"] or None,
                    relationship=data["relationship"],
                )
            except (ValidationFailed, Conflict) as exc:
                forms.show_refusal(form, exc)
                status = exc.status
            else:
                messages.success(
                    request, _("Your transfer request is sent to the register administrator.")
                )
                return redirect("registry_transfers_mine")
        else:
            status = 422
    else:
        form = forms.TransferRequestForm(
            initial={"household": request.GET.get("household"), "grid": request.GET.get("grid")}
        )
    response = render(request, "registry/transfer_request.html", {"form": form}, status=status)
    response["Cache-Control"] = "no-store"  # the typed ID number may come back in the form
    return response


@staff_role_required("admin")
def transfers_view(request):
    show_all = request.GET.get("all") == "1"
    rows = person_transfer_list(actor=request_actor(request), pending_only=not show_all)
    return render(request, "registry/transfers.html", {"transfers": rows, "show_all": show_all})


@staff_role_required("admin")
@require_POST
def transfer_decide_view(request, transfer_id: int):
    form = forms.TransferDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("registry_transfers")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        person_transfer_decide(
            actor=request_actor(request),
            transfer_id=transfer_id,
            approve=approve,
            note=form.cleaned_data["note"],
        )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The person has moved; the requester is told.")
            if approve
            else _("The request is rejected; the requester is told."),
        )
    return redirect("registry_transfers")


@staff_role_required()
def transfers_mine_view(request):
    rows = person_transfer_mine(actor=request_actor(request))
    return render(request, "registry/transfers_mine.html", {"transfers": rows})


urlpatterns: list[URLPattern] = [
    path("transfers/", transfers_view, name="registry_transfers"),
    path("transfers/new/", transfer_request_view, name="registry_transfer_request"),
    path("transfers/mine/", transfers_mine_view, name="registry_transfers_mine"),
    path(
        "transfers/<int:transfer_id>/decide/",
        transfer_decide_view,
        name="registry_transfer_decide",
    ),
]
