"""The reporter's own actions on a closed case: rate it (five levels) and reopen it."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.denials import denials_audited
from wangge.core.errors import PermissionDenied, ValidationFailed

from .deadlines import restage
from .enums import CaseState, Rating
from .events import clean_attachments, clean_note, record_event
from .models import Case
from .permissions import audit_case, denial, is_reporter, require_visible
from .rows import invalid_transition, locked_case, require_version


def reopen_days() -> int:
    return int(getattr(settings, "WANGGE_CASE_REOPEN_DAYS", 7))


def _reporter_case(actor, number: str, version: int | None) -> Case:
    case = locked_case(number)
    require_visible(actor, case)
    if not is_reporter(actor, case):
        raise denial(
            PermissionDenied(
                _("Only the person who reported case %(number)s may do this.") % {"number": number},
                field="number",
            ),
            case,
        )
    require_version(case, version)
    return case


def _reopen(case: Case, now) -> None:
    case.state = CaseState.IN_PROGRESS
    case.reopens += 1
    case.closed_at = None
    # Back to its last handler (the unit still holding it), with a fresh handling period.
    restage(case, now, reset_due=True)


@denials_audited("cases.case_rate")
@transaction.atomic
def case_rate(
    *, actor, number: str, rating: int, comment: str = "", version: int | None = None
) -> Case:
    """The reporter rates a closed case in five levels; 不满意 or worse reopens it, once."""
    case = _reporter_case(actor, number, version)
    if case.state != CaseState.CLOSED:
        raise invalid_transition(case, "rate")
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in Rating.values:
        raise ValidationFailed(
            _("A rating is a whole number from 1 (very dissatisfied) to 5 (very satisfied)."),
            code="invalid",
            field="rating",
        )
    note = clean_note(comment, required=False)
    now = timezone.now()
    from_state = case.state
    case.rating = rating
    reopened = rating <= Rating.DISSATISFIED and case.reopens == 0
    if reopened:
        _reopen(case, now)
    else:
        case.state = CaseState.RATED
    case.version += 1
    case.save()
    detail = {"rating": rating, "reopened": reopened}
    record_event(
        case,
        actor,
        "rate",
        at=now,
        from_state=from_state,
        to_state=case.state,
        note=note,
        detail=detail,
        hide_actor=case.anonymous,
    )
    audit_case(
        actor,
        "cases.case_rate",
        number=case.number,
        path=case.path,
        detail={"from": from_state, "to": case.state, **detail},
    )
    return case


@denials_audited("cases.case_reopen")
@transaction.atomic
def case_reopen(
    *,
    actor,
    number: str,
    version: int | None = None,
    note: str = "",
    attachments: Iterable[str] = (),
) -> Case:
    """The reporter reopens a closed (or rated) case within WANGGE_CASE_REOPEN_DAYS days."""
    case = _reporter_case(actor, number, version)
    if case.state not in (CaseState.CLOSED, CaseState.RATED):
        raise invalid_transition(case, "reopen")
    now = timezone.now()
    days = reopen_days()
    if case.closed_at is None or now - case.closed_at > timedelta(days=days):
        raise ValidationFailed(
            _("A case may be reopened only within %(days)s days of its closure.") % {"days": days},
            code="reopen_expired",
            field="number",
        )
    clean = clean_note(note, required=True)
    files = clean_attachments(attachments)
    from_state = case.state
    _reopen(case, now)
    case.version += 1
    case.save()
    record_event(
        case,
        actor,
        "reopen",
        at=now,
        from_state=from_state,
        to_state=case.state,
        note=clean,
        attachments=files,
        detail={"reopens": case.reopens},
        hide_actor=case.anonymous,
    )
    audit_case(
        actor,
        "cases.case_reopen",
        number=case.number,
        path=case.path,
        detail={"from": from_state, "to": case.state, "reopens": case.reopens},
    )
    return case
