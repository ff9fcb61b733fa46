"""我要爆料(随手拍): snap a problem, pick what it is, pin the place, send.

A signed-in resident reports as themselves (and may hide their name where the category allows
it); a visitor without an account may report only in categories that allow anonymous reports
and then follows the case by its number. A refused report re-renders the form with the service's
message beside the field and what was typed kept; the photos stored for it are deleted again.
"""

import uuid

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wangge.cases.attachments import max_report_bytes, photos_delete, photos_stored
from wangge.cases.enums import CaseSource
from wangge.cases.services import case_report
from wangge.core.errors import Conflict, PermissionDenied, ValidationFailed
from wangge.core.ratelimits import actor_phone_key, limit_hit
from wangge.core.scope import request_actor
from wangge.orgs.views.maps import tile_config

from ..forms import SnapReportForm, attribute_name, posted_attributes
from ..selectors import report_area, report_categories
from .common import no_store, too_many

SESSION_REPORTED = "portal_reported_number"
PLACE_FIELDS = ("lng", "lat")
# Room for the form's text fields beside the photos.
FORM_OVERHEAD_BYTES = 1024 * 1024
FORM_FIELDS = ("category_code", "description", "photos", "address", "anonymous")


def _submission(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) == 32 and all(char in "0123456789abcdef" for char in value):
        return value
    return uuid.uuid4().hex


def _question(category, spec: dict, posted, errors: dict) -> dict:
    code = str(spec.get("code", ""))
    name = attribute_name(category.code, code)
    datatype = spec.get("datatype", "string")
    if posted is not None:
        chosen = posted.getlist(name) if datatype == "multivaluelist" else [posted.get(name, "")]
    else:
        chosen = []
    return {
        "name": name,
        "label": spec.get("description") or code,
        "hint": spec.get("datatype_description") or "",
        "required": bool(spec.get("required")),
        "datatype": datatype,
        "options": [
            {"key": str(item.get("key")), "name": item.get("name") or item.get("key")}
            for item in spec.get("values") or []
        ],
        "chosen": [str(value) for value in chosen],
        "value": chosen[0] if chosen else "",
        "error": errors.get(f"attributes.{code}", ""),
    }


def _groups_for_page(groups, posted, attribute_errors: dict) -> list[dict]:
    return [
        {
            "name": group.name,
            "categories": [
                {
                    "code": category.code,
                    "name": category.name,
                    "anonymous_allowed": category.anonymous_allowed,
                    "questions": [
                        _question(category, spec, posted, attribute_errors)
                        for spec in category.attributes or []
                    ],
                }
                for category in group.categories
            ],
        }
        for group in groups
    ]


def _render(
    request, form, groups, *, signed_in, submission, errors=None, status=200, read_post=True
):
    errors = errors or {}
    posted = request.POST if request.method == "POST" and read_post else None
    context = {
        "form": form,
        "groups": _groups_for_page(groups, posted, errors),
        "selected": form["category_code"].value() or "",
        "signed_in": signed_in,
        "submission": submission,
        "place_error": errors.get("place", ""),
        "photos_again": bool(posted is not None and request.FILES.getlist("photos")),
        "area": report_area(),
        "tile": tile_config(),
        "login_url": f"{reverse('resident_login')}?next={reverse('portal_report')}",
    }
    return no_store(render(request, "portal/report.html", context, status=status))


def _show(form, errors: dict, exc) -> None:
    field = exc.field or ""
    message = str(exc.message)
    if field in PLACE_FIELDS:
        errors["place"] = message
    elif field.startswith("attributes."):
        # The service names the attribute by its code; beside the question plain words do.
        required = exc.code == "required"
        errors[field] = _("Please answer this question.") if required else message
    elif field in FORM_FIELDS:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


def _content_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _empty_form() -> SnapReportForm:
    """An empty form that can carry an error: the refusal comes before the post is read."""
    form = SnapReportForm()
    form.full_clean()  # an unbound form: no errors, nothing cleaned
    form.cleaned_data = {}
    return form


def _refused_before_reading(request, actor, groups, signed_in):
    """Counted and size-checked before the body is parsed or any photo decoded: a flood or an
    oversized post costs one cache hit, not a decode."""
    form = _empty_form()
    submission = _submission(None)
    refusal = limit_hit(request, scope="portal_report", phone=actor_phone_key(actor))
    if refusal is not None:
        form.add_error(None, _("Too many reports from here. Please try again later."))
        page = _render(
            request, form, groups, signed_in=signed_in, submission=submission, read_post=False
        )
        return too_many(page, refusal)
    if _content_length(request) > max_report_bytes() + FORM_OVERHEAD_BYTES:
        form.add_error(
            "photos",
            _("The photos together are larger than %(mb)s MB.")
            % {"mb": max_report_bytes() // (1024 * 1024)},
        )
        return _render(
            request,
            form,
            groups,
            signed_in=signed_in,
            submission=submission,
            status=413,
            read_post=False,
        )
    return None


@require_http_methods(["GET", "POST"])
def report_page(request):
    actor = request_actor(request)
    signed_in = bool(actor.is_resident)
    groups = report_categories(anonymous_only=not signed_in)
    if request.method != "POST":
        form = SnapReportForm(initial={"category_code": request.GET.get("category", "")})
        return _render(request, form, groups, signed_in=signed_in, submission=_submission(None))
    refused = _refused_before_reading(request, actor, groups, signed_in)
    if refused is not None:
        return refused
    form = SnapReportForm(request.POST, request.FILES)
    submission = _submission(request.POST.get("submission"))
    errors: dict = {}
    if form.is_valid():
        data = form.cleaned_data
        category = next(
            (
                item
                for group in groups
                for item in group.categories
                if item.code == data["category_code"]
            ),
            None,
        )
        if category is None:
            form.add_error("category_code", _("Choose what the problem is from the list."))
        elif data["lng"] is None or data["lat"] is None:
            errors["place"] = _("Tap the map where the problem is, or use your location.")
        else:
            try:
                with photos_stored(data["photos"]) as keys:
                    case = case_report(
                        actor=actor,
                        source=CaseSource.RESIDENT,
                        category_code=category.code,
                        title=category.name,
                        description=data["description"],
                        lng=data["lng"],
                        lat=data["lat"],
                        address=data["address"],
                        photos=keys,
                        attributes=posted_attributes(request.POST, category),
                        # Without an account the only way is anonymous (where allowed).
                        anonymous=data["anonymous"] if signed_in else True,
                        idempotency_key=f"portal-{submission}",
                    )
                if list(case.photos) != keys:
                    # A second tap on "send" replayed the first report: drop the extra copies.
                    photos_delete(keys)
            except (ValidationFailed, PermissionDenied, Conflict) as exc:
                _show(form, errors, exc)
            else:
                request.session[SESSION_REPORTED] = case.number
                return redirect("portal_reported")
    return _render(
        request, form, groups, signed_in=signed_in, submission=submission, errors=errors, status=422
    )


@require_GET
def reported_page(request):
    """The number, big, once the report is in (kept in the session, not in the URL)."""
    number = request.session.get(SESSION_REPORTED)
    if not number:
        return redirect("portal_home")
    follow_url = f"{reverse('portal_follow')}?number={number}"
    return no_store(
        render(
            request,
            "portal/reported.html",
            {
                "number": number,
                "follow_url": follow_url,
                "signed_in": request_actor(request).is_resident,
            },
        )
    )
