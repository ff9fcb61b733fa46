"""Cases: intake with an idempotency key, the case with its timeline and the actions the caller
may take, the queues, and one endpoint per transition with optimistic locking (`version`).

Out of scope is 404; a stale `version` is 409 `version_conflict`; an action the case's state
does not allow is 422 `invalid_transition`; a role that may not act is 403.
"""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from wangge.cases import selectors, services
from wangge.cases.enums import CaseSource
from wangge.core.errors import NotFound
from wangge.core.inputs import DB_INT_MAX
from wangge.core.ratelimits import actor_phone_key, require_within_limit
from wangge.orgs.actors import request_actor

from .orgs import ErrorOut

router = Router(tags=["cases"])
ERRORS = {404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class CaseIn(Schema):
    category: str = Field(..., description="case category code")
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str = Field("", max_length=160)
    source: CaseSource = CaseSource.API
    attributes: dict[str, Any] = {}
    anonymous: bool = False
    reporter_phone: str = Field("", max_length=20)
    hotline_number: str = Field("", max_length=32)
    resolve_on_spot: bool = False
    idempotency_key: str | None = Field(
        None, max_length=64, description="the same key twice makes one case (or send the header)"
    )


class EventOut(Schema):
    at: datetime
    action: str
    from_state: str
    to_state: str
    actor_name: str
    note: str
    detail: dict[str, Any]


class CaseOut(Schema):
    number: str
    category: str
    category_name: str
    source: str
    state: str
    title: str
    description: str
    address: str
    lng: float | None
    lat: float | None
    grid: str | None
    handler_unit: str | None
    assignee: str | None
    reported_at: datetime
    stage_due_at: datetime | None
    due_at: datetime | None
    calendar_warning: bool
    card: str
    reworks: int
    reopens: int
    rating: int | None
    version: int


class CaseDetailOut(CaseOut):
    timeline: list[EventOut]
    actions: list[str]


class CasePageOut(Schema):
    results: list[CaseOut]
    next: int | None = None


class TransitionIn(Schema):
    version: int = Field(..., ge=1)
    note: str = Field("", max_length=2000)
    unit_code: str | None = Field(None, description="dispatch: the department or community")
    assignee: str | None = Field(
        None, description="dispatch: a handler's username (their B post while on leave)"
    )
    into_number: str | None = Field(None, description="merge: the case it duplicates")
    lead_unit_code: str | None = Field(None, description="whistle: the lead department")
    unit_codes: list[str] = Field([], description="whistle: the other summoned departments")
    days: int | None = Field(None, description="extension_request: working days asked for")


class JoinIn(Schema):
    note: str = Field("", max_length=2000)
    unit_code: str | None = Field(
        None, description="the summoned department, when the caller works for several"
    )


class RateIn(Schema):
    rating: int = Field(..., ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    comment: str = Field("", max_length=500)


def case_out(case) -> dict:
    return {
        "number": case.number,
        "category": case.category.code,
        "category_name": case.category.name,
        "source": case.source,
        "state": case.state,
        "title": case.title,
        "description": case.description,
        "address": case.address,
        "lng": case.lng,
        "lat": case.lat,
        "grid": case.grid.code if case.grid_id else None,
        "handler_unit": case.handler_unit.code if case.handler_unit_id else None,
        "assignee": case.assignee.username if case.assignee_id else None,
        "reported_at": case.reported_at,
        "stage_due_at": case.stage_due_at,
        "due_at": case.due_at,
        "calendar_warning": case.calendar_warning,
        "card": case.card,
        "reworks": case.reworks,
        "reopens": case.reopens,
        "rating": case.rating,
        "version": case.version,
    }


def _limit_residents(request, actor, scope: str) -> None:
    """Residents' writes (the mobile app) count per address and per phone; staff's do not."""
    if getattr(actor, "is_resident", False):
        require_within_limit(request, scope=scope, phone=actor_phone_key(actor))


@router.post("/cases", response={201: CaseOut, **WRITE_ERRORS})
def case_report(request, payload: CaseIn):
    """Report a case. An `Idempotency-Key` header (or field) makes a retry return the same case."""
    key = request.headers.get("Idempotency-Key") or payload.idempotency_key
    actor = request_actor(request)
    _limit_residents(request, actor, "api_report")
    case = services.case_report(
        actor=actor,
        category_code=payload.category,
        title=payload.title,
        description=payload.description,
        lng=payload.lng,
        lat=payload.lat,
        address=payload.address,
        source=payload.source,
        attributes=payload.attributes,
        anonymous=payload.anonymous,
        reporter_phone=payload.reporter_phone,
        hotline_number=payload.hotline_number,
        idempotency_key=key,
        resolve_on_spot=payload.resolve_on_spot,
    )
    return 201, case_out(case)


@router.get("/cases", response={200: CasePageOut, **ERRORS})
def case_queue(
    request,
    queue: str = "mine",
    after: int | None = Query(None, ge=1, le=DB_INT_MAX),
    limit: int = Query(50, ge=1, le=200),
):
    """A work queue: to_accept, to_dispatch, overdue, to_verify or mine."""
    page = selectors.case_queue(
        actor=request_actor(request), queue=queue, after_id=after, limit=limit
    )
    return {"results": [case_out(case) for case in page.items], "next": page.next_after}


@router.get("/cases/{number}", response={200: CaseDetailOut, **ERRORS})
def case_get(request, number: str):
    detail = selectors.case_get(actor=request_actor(request), number=number)
    return {
        **case_out(detail.case),
        "timeline": [
            {
                "at": event.at,
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "actor_name": event.actor_name,
                "note": event.note,
                "detail": event.detail,
            }
            for event in detail.timeline
        ],
        "actions": detail.actions,
    }


# Declared before /cases/{number}/{action}, which would otherwise take "rate" for an action.
@router.post("/cases/{number}/rate", response={200: CaseOut, **WRITE_ERRORS})
def case_rate(request, number: str, payload: RateIn):
    """The reporter rates a closed case; 不满意 or worse reopens it once."""
    actor = request_actor(request)
    _limit_residents(request, actor, "resident_write")
    case = services.case_rate(
        actor=actor,
        number=number,
        rating=payload.rating,
        comment=payload.comment,
    )
    return case_out(case)


@router.post("/cases/{number}/report_in", response={200: CaseOut, **WRITE_ERRORS})
def case_report_in(request, number: str, payload: JoinIn):
    """A department summoned by a whistle reports in (late after its due time)."""
    actor = request_actor(request)
    row = services.case_report_in(
        actor=actor, number=number, unit_code=payload.unit_code, note=payload.note
    )
    return case_out(row.case)


@router.post("/cases/{number}/add_part", response={200: CaseOut, **WRITE_ERRORS})
def case_add_part(request, number: str, payload: JoinIn):
    """A summoned department that reported in records its part of the joint work."""
    actor = request_actor(request)
    row = services.case_add_part(
        actor=actor, number=number, unit_code=payload.unit_code, note=payload.note
    )
    return case_out(row.case)


SIMPLE_ACTIONS = {
    "accept": services.case_accept,
    "reject": services.case_reject,
    "escalate": services.case_escalate,
    "start": services.case_start,
    "return": services.case_return,
    "pause": services.case_pause,
    "resume": services.case_resume,
    "handle": services.case_handle,
    "verify": services.case_verify,
    "rework": services.case_rework,
    "close": services.case_close,
}


@router.post("/cases/{number}/{action}", response={200: CaseOut, **WRITE_ERRORS})
def case_transition(request, number: str, action: str, payload: TransitionIn):
    """One step of the loop: accept, reject, merge, escalate, dispatch, whistle, start, return,
    pause, resume, handle, verify, rework, close, extension_request (days, the reason in `note`),
    extension_approve or extension_reject (a unit above the handler)."""
    actor = request_actor(request)
    common = {"actor": actor, "number": number, "version": payload.version, "note": payload.note}
    if action == "dispatch":
        case = services.case_dispatch(
            **common, unit_code=payload.unit_code or "", assignee=payload.assignee or ""
        )
    elif action == "merge":
        case = services.case_merge(**common, into_number=payload.into_number or "")
    elif action == "whistle":
        case = services.case_whistle(
            **common, lead_unit_code=payload.lead_unit_code or "", unit_codes=payload.unit_codes
        )
    elif action == "extension_request":
        services.case_extension_request(
            actor=actor,
            number=number,
            version=payload.version,
            days=payload.days,
            reason=payload.note,
        )
        case = selectors.case_get(actor=actor, number=number).case
    elif action in ("extension_approve", "extension_reject"):
        case = services.case_extension_decide(**common, approve=action == "extension_approve")
    elif action in SIMPLE_ACTIONS:
        case = SIMPLE_ACTIONS[action](**common)
    else:
        raise NotFound(_("Unknown action %(action)s.") % {"action": action}, field="action")
    return case_out(case)
