"""Open311 GeoReport v2 endpoints as plain Django views.

Not ninja: GeoReport has its own formats (every resource in .json and .xml), its own error body
([{"code": 404, "description": "…"}]) and form-encoded POSTs. Views parse, call one selector or
the intake service, and render through serializers.render, so JSON and XML come from one dict.
"""

import re
from datetime import datetime, time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wangge.cases.enums import FINAL_STATES, CaseSource, CaseState
from wangge.cases.models import Case, CaseCategory
from wangge.cases.services import case_report
from wangge.core.denials import denial_record
from wangge.core.errors import NotFound, PermissionDenied, WanggeError
from wangge.core.ratelimits import Refusal, limit_hit
from wangge.orgs.actors import actor_for

from .auth import open311_client
from .media import media_url
from .selectors import (
    category_is_public,
    open311_request,
    open311_requests,
    open311_service,
    open311_services,
)
from .serializers import render, render_error, unknown_format, wrong_method
from .tokens import open311_token

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-30T00:00:00+08:00"
STATUSES = {"open", "closed"}
FIRST_YEAR, LAST_YEAR = 1900, 9000


class BadRequest(Exception):
    """A 400 with the specification's error body; the message names the parameter."""


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, in the display time zone (Asia/Shanghai)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# --- discovery and services -------------------------------------------------------------------


def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    if (bad := unknown_format(fmt)) is not None:
        return bad
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"}))
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "WANGGE_OPEN311_CONTACT", "") or None,
        "key_service": _("Ask the street's command centre for an Open311 api_key."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base.rsplit("/", 1)[0] + "/",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt, root="discovery")


def service_dict(category: CaseCategory) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.parent.name + " / " + category.name
        if category.parent
        else category.name,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ",".join(filter(None, [category.name, category.default_department])),
        "group": category.parent.name if category.parent else None,
    }


def attribute_dict(attribute: dict, position: int) -> dict:
    """Stored attributes already have the Open311 shape; fill what an admin may have left out."""
    return {
        "variable": bool(attribute.get("variable", True)),
        "code": str(attribute["code"]),
        "datatype": attribute.get("datatype", "string"),
        "required": bool(attribute.get("required", False)),
        "datatype_description": attribute.get("datatype_description"),
        "order": attribute.get("order") or position,
        "description": attribute.get("description"),
        "values": [
            {"key": str(value["key"]), "name": str(value["name"])}
            for value in attribute.get("values") or []
        ],
    }


def services(request: HttpRequest, fmt: str) -> HttpResponse:
    if (bad := unknown_format(fmt)) is not None:
        return bad
    return render([service_dict(c) for c in open311_services()], fmt, root="services")


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if (bad := unknown_format(fmt)) is not None:
        return bad
    category = open311_service(code)
    if category is None:
        return render_error(404, _("service_code %(code)s not found.") % {"code": code}, fmt)
    data = {
        "service_code": category.code,
        "attributes": [
            attribute_dict(attribute, position)
            for position, attribute in enumerate(category.attributes, start=1)
        ],
    }
    return render(data, fmt, root="service_definition")


# --- requests ----------------------------------------------------------------------------------


def request_dict(request: HttpRequest, case: Case) -> dict:
    """The public part of a case. Social-governance cases (disputes, security tips, people in
    need) are about people, so their text and exact place stay inside the platform."""
    closed = case.state in FINAL_STATES
    public_place = category_is_public(case.category)
    updated = case.closed_at if closed and case.closed_at else case.updated_at
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": str(CaseState(case.state).label),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description or None if public_place else None,
        "agency_responsible": case.handler_unit.name if case.handler_unit else None,
        "service_notice": None,
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(case.due_at),
        "address": (case.address or None) if public_place else None,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat if public_place else None,
        "long": case.lng if public_place else None,
        "media_url": media_url(request, case),
    }


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def when(name: str, value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    # A "+08:00" offset sent unencoded in a query string arrives as " 08:00".
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
    moment: datetime | None
    try:
        # A bare date covers the whole day (parse_datetime would read it as midnight).
        day = parse_date(value) if len(value) == 10 else None
        if day is not None:
            moment = datetime.combine(day, time.max if end else time.min)
        else:
            moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(
            _("%(name)s: not a W3C date-time (e.g. 2026-11-30T08:00:00+08:00).") % {"name": name}
        )
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        # Far dates overflow once shifted by the time zone or the default 90 days.
        raise BadRequest(
            _("%(name)s: the year must lie between %(first)s and %(last)s.")
            % {"name": name, "first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _request_filters(params) -> dict:
    statuses = set(_split(params.get("status")))
    if statuses - STATUSES:
        raise BadRequest(_("status: use open, closed or both (comma separated)."))
    start = when("start_date", params.get("start_date"))
    end = when("end_date", params.get("end_date"), end=True)
    if start and end and start > end:
        raise BadRequest(_("start_date: must not be after end_date."))
    return {
        "numbers": _split(params.get("service_request_id")),
        "service_codes": _split(params.get("service_code")),
        "start": start,
        "end": end,
        "statuses": statuses or None,
    }


@csrf_exempt
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if (bad := unknown_format(fmt)) is not None:
        return bad
    if request.method == "POST":
        return request_create(request, fmt)
    if request.method not in ("GET", "HEAD"):
        return wrong_method(request, fmt)
    try:
        filters = _request_filters(request.GET)
    except BadRequest as exc:
        return render_error(400, str(exc), fmt)
    cases = open311_requests(**filters)
    return render([request_dict(request, c) for c in cases], fmt, root="service_requests")


def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    if (bad := unknown_format(fmt)) is not None:
        return bad
    case = open311_request(number)
    if case is None:
        return render_error(404, _("service_request_id %(id)s not found.") % {"id": number}, fmt)
    return render([request_dict(request, case)], fmt, root="service_requests")


# --- POST requests -----------------------------------------------------------------------------

ERROR_STATUS = {NotFound: 404, PermissionDenied: 403}


def _attributes(params) -> dict:
    """attribute[code]=value, and attribute[code][]=value for a multivaluelist."""
    values: dict = {}
    for key in params:
        if not (key.startswith("attribute[") and "]" in key):
            continue
        code = key[len("attribute[") : key.index("]")]
        if key.endswith("[]"):
            values[code] = params.getlist(key)
        else:
            values[code] = params.get(key)
    return values


def _coordinate(params, name: str, low: float, high: float) -> float | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise BadRequest(
            _("%(name)s: must be a number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high}
        )
    return value


def _title(category: CaseCategory, description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return (first_line or category.name)[:40]


def _too_many(refusal: Refusal, fmt: str) -> HttpResponse:
    response = render_error(429, _("Too many requests; try again later."), fmt)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    # Counted per address before the body is read, and per client once the key is known.
    if (refusal := limit_hit(request, scope="open311_post")) is not None:
        return _too_many(refusal, fmt)
    params = request.POST
    client = open311_client(params.get("api_key"))
    if client is None:
        denial_record(request=request, exc=PermissionDenied("api_key", code="open311_api_key"))
        return render_error(403, _("api_key: missing or not valid."), fmt)
    refusal = limit_hit(request, scope="open311_post", client=str(client.pk), by_address=False)
    if refusal is not None:
        return _too_many(refusal, fmt)
    request.user = client  # the audit rows of the intake and of any denial name the client
    try:
        code = params.get("service_code", "").strip()
        if not code:
            raise BadRequest(_("service_code: this parameter is required."))
        category = open311_service(code)
        if category is None:
            return render_error(404, _("service_code %(code)s not found.") % {"code": code}, fmt)
        lat = _coordinate(params, "lat", -90, 90)
        lng = _coordinate(params, "long", -180, 180)
        address = params.get("address_string", "").strip()
        if (lat is None) != (lng is None) or (lat is None and not address):
            raise BadRequest(_("lat and long, or address_string: a location is required."))
        description = params.get("description", "").strip()
        idempotency = request.headers.get("Idempotency-Key") or params.get("idempotency_key")
        if idempotency and len(idempotency) > 40:
            raise BadRequest(_("idempotency_key: at most 40 characters."))
        case = case_report(
            actor=actor_for(client),
            category_code=category.code,
            title=_title(category, description),
            description=description,
            lng=lng,
            lat=lat,
            address=address,
            source=CaseSource.OPEN311,
            attributes=_attributes(params),
            reporter_phone=params.get("phone", "").strip(),
            # Keys are unique across all cases: one client's key must not find another's case.
            idempotency_key=open311_token(client.pk, idempotency) if idempotency else None,
        )
    except BadRequest as exc:
        return render_error(400, str(exc), fmt)
    except WanggeError as exc:
        denial_record(request=request, exc=exc)
        status = next((s for kind, s in ERROR_STATUS.items() if isinstance(exc, kind)), 400)
        field = f"{exc.field}: " if exc.field and exc.field not in str(exc.message) else ""
        return render_error(status, field + str(exc.message), fmt)
    notice = None
    if case.due_at:
        notice = _("Expected to be handled by %(date)s.") % {
            "date": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
        }
    # The id is known at once; the token (with an idempotency key) resolves at GET tokens/.
    token = open311_token(client.pk, idempotency) if idempotency else None
    data = request_dict(request, case) | {
        "service_notice": notice,
        "account_id": None,
        "token": token,
    }
    return render([data], fmt, root="service_requests", status=201)
