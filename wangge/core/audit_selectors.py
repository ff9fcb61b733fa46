"""Reading the audit trail: auditors only, filtered, newest first, keyset-paginated.

Scope: an auditor sees the events whose org_path lies under one of the units where they hold
the auditor role, plus every event with an empty org_path. Empty means the event is not bound to
an org unit: sign-ins and failures, lockouts, denials, token and password events. Those are
about accounts, not places, so every auditor sees them. Events of units outside the auditor's
units stay hidden, like every other out-of-scope row.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import NotFound, ValidationFailed
from .models import AuditEvent, AuditResult
from .scope import Actor, scope_q

AUDITOR = "auditor"
MAX_LIMIT = 200
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# Apps that write codes into `detail` which not every auditor may read (registry: sensitive
# tags) install a redactor in their AppConfig.ready(): given the reader and the events shown,
# it replaces, in memory only, what that reader may not see. Core cannot know these codes.
AUDIT_DETAIL_REDACTORS: list[Callable[[Actor, list[AuditEvent]], None]] = []


@dataclass(frozen=True)
class AuditFilters:
    actor_username: str = ""
    action: str = ""  # exact, or a prefix ending in "." ("auth." matches every auth event)
    object_type: str = ""
    object_id: str = ""
    result: str = ""
    date_from: dt.date | None = None  # inclusive, in the site's time zone
    date_to: dt.date | None = None  # inclusive

    def used(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) not in ("", None)]


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_after: str | None  # pass back as `after` for the next (older) page


def audit_cursor(event: AuditEvent) -> str:
    """An opaque keyset position: microseconds since the epoch, and the id as tie-breaker."""
    micros = (event.occurred_at - EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{event.pk}"


def _parse_cursor(after: str) -> tuple[dt.datetime, int]:
    try:
        micros, pk = after.split(".", 1)
        return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed(
            _("This page link is not valid; start from the first page."), field="after"
        ) from exc


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_event_list(
    *, actor: Actor, filters: AuditFilters | None = None, after: str | None = None, limit: int = 50
) -> AuditPage:
    if not (actor.is_system or actor.has_role(AUDITOR)):
        raise NotFound(_("Page not found."))
    filters = filters or AuditFilters()
    query = AuditEvent.objects.all()
    if not actor.is_system:
        query = query.filter(Q(org_path="") | scope_q(actor.paths(AUDITOR), "org_path"))

    if filters.actor_username:
        query = query.filter(actor_username=filters.actor_username.strip())
    if filters.action:
        action = filters.action.strip()
        query = (
            query.filter(action__startswith=action)
            if action.endswith(".")
            else query.filter(action=action)
        )
    if filters.object_type:
        query = query.filter(object_type=filters.object_type.strip())
    if filters.object_id:
        query = query.filter(object_id=filters.object_id.strip())
    if filters.result:
        if filters.result not in AuditResult.values:
            raise ValidationFailed(_("Choose one of the listed results."), field="result")
        query = query.filter(result=filters.result)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationFailed(
            _("The start date must not be after the end date."), field="date_from"
        )
    if filters.date_from:
        query = query.filter(occurred_at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        query = query.filter(
            occurred_at__lt=_local_midnight(filters.date_to + dt.timedelta(days=1))
        )
    if after:
        at, pk = _parse_cursor(after)
        query = query.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, pk__lt=pk))

    limit = max(1, min(int(limit), MAX_LIMIT))
    rows = list(query.order_by("-occurred_at", "-pk")[: limit + 1])
    events = rows[:limit]
    for redact in AUDIT_DETAIL_REDACTORS:
        redact(actor, events)
    next_after = audit_cursor(events[-1]) if len(rows) > limit else None
    # Reading the trail is itself a sensitive read; record which filters were used, not values.
    if not actor.is_system:
        audit_record(
            actor=actor,
            action="audit.search",
            object_type="audit_event",
            detail={"filters": filters.used(), "page": bool(after)},
        )
    return AuditPage(events, next_after)
