"""Case pages for staff: the queues, one case (with a form per action the actor may take) and
the action posts. Each view parses, calls one selector or one service, renders.

A case out of the actor's scope is NotFound in the selector (the 404 page, audited by the error
middleware). A refused action re-renders the case page with the service's message beside the
field it names (422 invalid, 403 not allowed, 409 someone else changed it first); the service's
transaction rolled back, so nothing changed.
"""

from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.errors import Conflict, PermissionDenied, ValidationFailed
from wangge.core.scope import request_actor
from wangge.orgs.views.maps import tile_config

from .. import services
from ..enums import Card, CaseState
from ..models import Case
from ..routing import suggested_handler
from ..selectors import QUEUES, case_get, case_queue, dispatch_targets, handler_choices
from ..whistle import summonable
from .forms import ACTION_LABELS, DANGER_ACTIONS, ActionForm, note_required, show_refusal
from .report import report_page

PAGE_SIZE = 50
STATE_LABELS = dict(CaseState.choices)
QUEUE_LABELS = {
    "to_accept": gettext_lazy("To accept"),
    "to_dispatch": gettext_lazy("To dispatch"),
    "to_report_in": gettext_lazy("To report in"),
    "overdue": gettext_lazy("Overdue"),
    "to_verify": gettext_lazy("To verify"),
    "mine": gettext_lazy("Mine to handle"),
}
SERVICES = {
    "accept": services.case_accept,
    "reject": services.case_reject,
    "merge": services.case_merge,
    "escalate": services.case_escalate,
    "dispatch": services.case_dispatch,
    "start": services.case_start,
    "return": services.case_return,
    "pause": services.case_pause,
    "resume": services.case_resume,
    "handle": services.case_handle,
    "verify": services.case_verify,
    "rework": services.case_rework,
    "close": services.case_close,
    "rate": services.case_rate,
    "reopen": services.case_reopen,
    "whistle": services.case_whistle,
    "report_in": services.case_report_in,
    "add_part": services.case_add_part,
    "extension_request": services.case_extension_request,
    "extension_approve": services.case_extension_decide,
    "extension_reject": services.case_extension_decide,
}
# Units offered on the form: dispatch targets (departments and communities); a whistle takes
# the departments among them.
NEEDS_TARGETS = ("dispatch", "whistle")


def due_badge(case: Case, now) -> str:
    """ "red" or "yellow" for a carded case, "red" for a stage past its due time, else ""."""
    if case.card == Card.RED:
        return "red"
    if case.card == Card.YELLOW:
        return "yellow"
    if case.stage_due_at is not None and case.stage_due_at < now and case.paused_at is None:
        return "red"
    return ""


def _no_store(response: HttpResponse) -> HttpResponse:
    # Case pages carry residents' reports and addresses: never kept in a shared cache.
    response["Cache-Control"] = "no-store"
    return response


@staff_role_required()
@require_GET
def queue_page(request):
    actor = request_actor(request)
    queue = request.GET.get("queue") or QUEUES[0]
    after = request.GET.get("after") or None
    error = None
    try:
        after_id = int(after) if after is not None else None
    except ValueError:
        after_id, error = None, _("The page cursor “after” must be a case id (a whole number).")
    items, next_after = [], None
    if error is None:
        try:
            page = case_queue(actor=actor, queue=queue, after_id=after_id, limit=PAGE_SIZE)
            items, next_after = page.items, page.next_after
        except ValidationFailed as exc:
            error = str(exc.message)
    base = reverse("cases_queue")
    now = timezone.now()
    context = {
        "tabs": [
            {
                "key": key,
                "label": QUEUE_LABELS[key],
                "url": f"{base}?{urlencode({'queue': key})}",
                "current": key == queue,
            }
            for key in QUEUES
        ],
        "queue": queue,
        "rows": [{"case": case, "badge": due_badge(case, now)} for case in items],
        "error": error,
        "first_url": f"{base}?{urlencode({'queue': queue})}" if after else None,
        "next_url": (
            f"{base}?{urlencode({'queue': queue, 'after': next_after})}" if next_after else None
        ),
    }
    return _no_store(render(request, "cases/queue.html", context, status=422 if error else 200))


def _case_page(
    request, actor, number: str, *, failed: ActionForm | None = None, status: int = 200
) -> HttpResponse:
    detail = case_get(actor=actor, number=number)
    case = detail.case
    targets = (
        dispatch_targets(actor=actor, case=case)
        if any(action in detail.actions for action in NEEDS_TARGETS)
        else []
    )
    suggestion = suggested_handler(case, targets) if targets else None
    handlers = handler_choices(targets) if "dispatch" in detail.actions else []
    forms = []
    for action in detail.actions:
        form = (
            failed
            if failed is not None and failed.action == action
            else ActionForm(
                action=action,
                targets=summonable(case, targets) if action == "whistle" else targets,
                suggestion=suggestion,
                handlers=handlers,
                initial={"version": case.version},
            )
        )
        forms.append(
            {
                "action": action,
                "label": ACTION_LABELS.get(action, action),
                "form": form,
                "danger": action in DANGER_ACTIONS,
                "open": form is failed or not note_required(action),
            }
        )
    # A refusal for an action the case no longer offers (someone moved it first) shows on top.
    refusal = None
    if failed is not None and failed.action not in detail.actions:
        refusal = [str(error) for error in failed.errors.get("__all__", [])] or [
            str(error) for errors in failed.errors.values() for error in errors
        ]
    now = timezone.now()
    context = {
        "case": case,
        "report_ins": detail.report_ins,
        "extension_requests": detail.extension_requests,
        "timeline": [
            {
                "event": event,
                "label": ACTION_LABELS.get(event.action, event.action),
                "from_label": STATE_LABELS.get(event.from_state, event.from_state),
                "to_label": STATE_LABELS.get(event.to_state, event.to_state),
            }
            for event in detail.timeline
        ],
        "forms": forms,
        "refusal": refusal,
        "conflict": status == Conflict.status,
        "badge": due_badge(case, now),
        "point": (
            {"lng": case.lng, "lat": case.lat}
            if case.lng is not None and case.lat is not None
            else None
        ),
        "tile": tile_config(),
    }
    return _no_store(render(request, "cases/case.html", context, status=status))


@staff_role_required()
@require_GET
def case_page(request, number: str):
    return _case_page(request, request_actor(request), number)


@staff_role_required()
@require_POST
def case_act(request, number: str, action: str):
    actor = request_actor(request)
    if action not in SERVICES:
        raise Http404
    detail = case_get(actor=actor, number=number)  # out of scope: NotFound before anything
    targets = dispatch_targets(actor=actor, case=detail.case) if action in NEEDS_TARGETS else []
    if action == "whistle":
        targets = summonable(detail.case, targets)
    handlers = handler_choices(targets) if action == "dispatch" else []
    form = ActionForm(request.POST, action=action, targets=targets, handlers=handlers)
    if not form.is_valid():
        return _case_page(request, actor, number, failed=form, status=422)
    kwargs = _service_kwargs(actor, number, action, form.cleaned_data)
    try:
        SERVICES[action](**kwargs)
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        show_refusal(form, exc)
        return _case_page(request, actor, number, failed=form, status=exc.status)
    return redirect("cases_case", number)


def _service_kwargs(actor, number: str, action: str, data: dict) -> dict:
    kwargs: dict = {"actor": actor, "number": number}
    # Joining the work does not move the case, so it takes no version.
    if action not in ("report_in", "add_part"):
        kwargs["version"] = data["version"]
    if action == "rate":
        kwargs.update(rating=data["rating"], comment=data["note"])
    elif action == "extension_request":
        kwargs.update(days=data["days"], reason=data["note"])
    else:
        kwargs["note"] = data["note"]
    if action == "dispatch":
        kwargs.update(unit_code=data["unit_code"], assignee=data.get("assignee") or "")
    elif action == "whistle":
        kwargs.update(lead_unit_code=data["lead_unit_code"], unit_codes=data["unit_codes"])
    elif action == "merge":
        kwargs["into_number"] = data["into_number"].strip()
    elif action in ("extension_approve", "extension_reject"):
        kwargs["approve"] = action == "extension_approve"
    return kwargs


urlpatterns = [
    path("", queue_page, name="cases_queue"),
    path("report/", report_page, name="cases_report"),
    path("<str:number>/", case_page, name="cases_case"),
    path("<str:number>/act/<str:action>/", case_act, name="cases_act"),
]
