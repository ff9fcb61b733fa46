"""FixMyStreet's `servicerequestupdates` extension to GeoReport v2: a client follows its requests.

GET servicerequestupdates.{json,xml}?start_date=…&end_date=… lists one update per transition of
any case. An update carries the state only (the FixMyStreet status and the Chinese label), never
the event's note or attachments: those are written by staff for staff and may name people.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from wangge.cases.enums import FINAL_STATES, CaseState
from wangge.cases.models import CaseEvent

from .selectors import open311_updates
from .serializers import render, render_error, unknown_format
from .views import BadRequest, iso, when

# Our states → FixMyStreet's update statuses.
FMS_STATUS: dict[str, str] = {
    CaseState.REPORTED: "OPEN",
    CaseState.ACCEPTED: "INVESTIGATING",
    CaseState.REJECTED: "NO_FURTHER_ACTION",
    CaseState.MERGED: "DUPLICATE",
    CaseState.DISPATCHED: "ACTION_SCHEDULED",
    CaseState.IN_PROGRESS: "IN_PROGRESS",
    CaseState.PAUSED: "IN_PROGRESS",
    CaseState.HANDLED: "IN_PROGRESS",
    CaseState.VERIFIED: "FIXED",
    CaseState.CLOSED: "FIXED",
    CaseState.RATED: "FIXED",
}


def update_dict(event: CaseEvent) -> dict:
    return {
        "update_id": str(event.pk),
        "service_request_id": event.case.number,
        "status": FMS_STATUS.get(event.to_state, "OPEN"),
        "updated_datetime": iso(event.at),
        "description": str(CaseState(event.to_state).label)
        if event.to_state in CaseState.values
        else None,
        "media_url": None,
        # Not in FixMyStreet's list: the plain open/closed of GeoReport, for simple clients.
        "request_status": "closed" if event.to_state in FINAL_STATES else "open",
    }


def service_request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    if (bad := unknown_format(fmt)) is not None:
        return bad
    try:
        start = when("start_date", request.GET.get("start_date"))
        end = when("end_date", request.GET.get("end_date"), end=True)
        if start and end and start > end:
            raise BadRequest(_("start_date: must not be after end_date."))
    except BadRequest as exc:
        return render_error(400, str(exc), fmt)
    updates = [update_dict(e) for e in open311_updates(start=start, end=end)]
    return render(updates, fmt, root="service_request_updates")
