"""我的事件: a signed-in resident's own cases, in full, with rating and reopening.

Only residents: anyone else signing in here is sent to the resident sign-in, and a case that is
not theirs is NotFound (the selector's rule), exactly like a missing number.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wangge.cases.attachments import photos_stored
from wangge.cases.reporter_actions import reopen_days
from wangge.cases.selectors import case_get
from wangge.cases.services import case_rate, case_reopen
from wangge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wangge.core.ratelimits import actor_phone_key, limit_hit
from wangge.core.scope import request_actor

from ..forms import RateForm, ReopenForm
from ..selectors import my_cases
from .common import no_store, state_label, step_label, too_many

# The timeline rows whose note a reporter should read: the reasons and the results.
NOTES_SHOWN = frozenset({"reject", "merge", "handle", "close", "rate", "reopen", "return"})


def resident_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        actor = request_actor(request)
        if not actor.is_resident:
            if request.user.is_authenticated:
                raise NotFound(_("Page not found."))
            return redirect_to_login(request.get_full_path(), reverse("resident_login"))
        return view(request, *args, **kwargs)

    return wrapped


@resident_required
@require_GET
def mine_page(request):
    actor = request_actor(request)
    rows = [
        {"case": case, "state_label": state_label(case.state)} for case in my_cases(actor=actor)
    ]
    return no_store(render(request, "portal/mine.html", {"rows": rows}))


def _case_page(
    request, number: str, *, rate_form=None, reopen_form=None, status: int = 200, notice=None
):
    detail = case_get(actor=request_actor(request), number=number)
    case = detail.case
    initial = {"version": case.version}
    context = {
        "case": case,
        "state_label": state_label(case.state),
        "steps": [
            {
                "label": step_label(event.action),
                "at": event.at,
                "note": event.note if event.action in NOTES_SHOWN else "",
                "photos": event.attachments if event.action != "report" else [],
            }
            for event in detail.timeline
        ],
        "rate_form": (rate_form or RateForm(initial=initial)) if "rate" in detail.actions else None,
        "reopen_form": (
            (reopen_form or ReopenForm(initial=initial)) if "reopen" in detail.actions else None
        ),
        "reopen_days": reopen_days(),
        "refusal": notice,
    }
    for form in (rate_form, reopen_form):
        if (
            form is not None
            and form.errors
            and form not in (context["rate_form"], context["reopen_form"])
        ):
            # The case moved on (someone else closed or reopened it first): say so on top.
            context["refusal"] = " ".join(
                str(error) for errors in form.errors.values() for error in errors
            )
    return no_store(render(request, "portal/my_case.html", context, status=status))


@resident_required
@require_GET
def my_case_page(request, number: str):
    return _case_page(request, number)


def _limited(request, actor, number: str):
    """A resident's writes are rate-limited per address and per phone (a 429 with the page)."""
    refusal = limit_hit(request, scope="resident_write", phone=actor_phone_key(actor))
    if refusal is None:
        return None
    notice = _("Too many changes from here. Please try again later.")
    return too_many(_case_page(request, number, notice=notice), refusal)


def _refuse(form, exc) -> None:
    field = exc.field if exc.field in form.fields and exc.field != "version" else None
    form.add_error(field, str(exc.message))


@resident_required
@require_POST
def rate_case(request, number: str):
    actor = request_actor(request)
    case_get(actor=actor, number=number)  # not theirs: NotFound before anything
    if (refused := _limited(request, actor, number)) is not None:
        return refused
    form = RateForm(request.POST)
    if not form.is_valid():
        return _case_page(request, number, rate_form=form, status=422)
    data = form.cleaned_data
    try:
        case_rate(
            actor=actor,
            number=number,
            rating=data["rating"],
            comment=data["comment"],
            version=data["version"],
        )
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        _refuse(form, exc)
        return _case_page(request, number, rate_form=form, status=exc.status)
    return redirect("portal_my_case", number)


@resident_required
@require_POST
def reopen_case(request, number: str):
    actor = request_actor(request)
    case_get(actor=actor, number=number)
    if (refused := _limited(request, actor, number)) is not None:
        return refused
    form = ReopenForm(request.POST, request.FILES)
    if not form.is_valid():
        return _case_page(request, number, reopen_form=form, status=422)
    data = form.cleaned_data
    try:
        with photos_stored(data["photos"]) as keys:
            case_reopen(
                actor=actor,
                number=number,
                note=data["note"],
                attachments=keys,
                version=data["version"],
            )
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        _refuse(form, exc)
        return _case_page(request, number, reopen_form=form, status=exc.status)
    return redirect("portal_my_case", number)
