"""The sponsor units' weekly issue lists (the seeds' cycle: generated on Thursday, answered by
Friday, exportable to xlsx).

Generation (`wangge_sponsor_issue_lists`, run every Thursday; running it again the same week
adds only cases that opened since) takes every open case whose place lies in a compound with a
sponsor unit (registry.nearby) and lists it for that unit. Staff of the sponsor unit answer each
item; the street's command centre sees every list under it.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.audit import audit_record
from wangge.core.calendar import LOCAL_TZ, CalendarNotCovered, add_working_days
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.scope import path_in_scope
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import is_system, visible_paths
from wangge.registry.nearby import compounds_near_points

from .deadlines import end_of_service_day, schedule_for
from .enums import FINAL_STATES
from .events import clean_note
from .joint_models import SponsorIssueItem, SponsorIssueList
from .models import Case
from .permissions import transition_paths
from .transitions import TRANSITIONS

OBJECT_TYPE = "cases.sponsor_issue_list"


def week_of(day: date) -> date:
    """The Thursday of the ISO week `day` falls in."""
    return day - timedelta(days=day.isoweekday() - 4)


def _answer_due(thursday: date, unit: OrgUnit) -> datetime | None:
    schedule = schedule_for(unit)
    try:
        return end_of_service_day(add_working_days(thursday, 1), schedule)
    except CalendarNotCovered:
        return None


@transaction.atomic
def sponsor_issue_lists_generate(*, actor=None, today: date | None = None) -> dict[str, int]:
    """Lists for the week of `today` (Thursday's); returns counts. Idempotent within a week."""
    now = timezone.now()
    thursday = week_of(today or now.astimezone(LOCAL_TZ).date())
    open_cases = list(
        Case.objects.exclude(state__in=FINAL_STATES).values_list("pk", "grid_id", "lng", "lat")
    )
    near = compounds_near_points(open_cases)
    by_unit: dict[int, list[int]] = {}
    for case_id, compound in near.items():
        if compound.sponsor_unit_id is not None:
            by_unit.setdefault(compound.sponsor_unit_id, []).append(case_id)
    units = OrgUnit.objects.in_bulk(list(by_unit))
    counts = {"lists": 0, "items": 0}
    for unit_id, case_ids in sorted(by_unit.items()):
        unit = units[unit_id]
        issue_list, created = SponsorIssueList.objects.get_or_create(
            sponsor_unit=unit,
            week_of=thursday,
            defaults={"generated_at": now, "answer_due_at": _answer_due(thursday, unit)},
        )
        counts["lists"] += int(created)
        known = set(issue_list.items.values_list("case_id", flat=True))
        new = [SponsorIssueItem(issue_list=issue_list, case_id=pk) for pk in case_ids]
        new = [item for item in new if item.case_id not in known]
        SponsorIssueItem.objects.bulk_create(new)
        counts["items"] += len(new)
    if counts["items"]:
        audit_record(
            actor=actor,
            action="cases.sponsor_issue_lists_generate",
            object_type=OBJECT_TYPE,
            object_id=str(thursday),
            username="system" if actor is None or is_system(actor) else "",
            detail=dict(counts),
        )
    return counts


def sponsor_issue_answer(*, actor, item_id: int, answer: str) -> SponsorIssueItem:
    """Staff of the sponsor unit answer one item of their list. The checks run before the
    write transaction, so a refusal's audit row is not rolled back with it."""
    item = (
        SponsorIssueItem.objects.select_related("issue_list__sponsor_unit")
        .filter(pk=item_id)
        .first()
    )
    unit = item.issue_list.sponsor_unit if item is not None else None
    if item is None or unit is None or not path_in_scope(unit.path, visible_paths(actor)):
        raise NotFound(_("Issue %(id)s not found.") % {"id": item_id}, field="item_id")
    if not path_in_scope(unit.path, transition_paths(actor, TRANSITIONS["handle"])):
        audit_record(
            actor=actor,
            action="cases.sponsor_issue_answer",
            object_type=OBJECT_TYPE,
            object_id=str(item.issue_list_id),
            org_path=unit.path,
            result="denied",
            detail={"reason": "permission_denied"},
        )
        raise PermissionDenied(
            _("Only staff of %(unit)s answer its issue list.") % {"unit": unit.name},
            field="item_id",
        )
    try:
        clean = clean_note(answer, required=True)
    except ValidationFailed as exc:
        exc.field = "answer"
        raise
    with transaction.atomic():
        item = SponsorIssueItem.objects.select_for_update().select_related("case").get(pk=item_id)
        item.answer = clean
        item.answered_at = timezone.now()
        item.answered_by = getattr(actor, "user", None)
        item.save(update_fields=["answer", "answered_at", "answered_by"])
        audit_record(
            actor=actor,
            action="cases.sponsor_issue_answer",
            object_type=OBJECT_TYPE,
            object_id=str(item.issue_list_id),
            org_path=unit.path,
            detail={"case": item.case.number},
        )
    return item
