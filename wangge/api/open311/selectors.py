"""Reads behind the public Open311 endpoints: the service catalogue and the public part of cases.

GeoReport v2 lets anyone list services and follow requests without a key, so these selectors
take no actor: their scope is "the public part of every public case", and the views only ever
render the fields that `views.request_dict` lets out (never the reporter, their phone or name).

Cases of sensitive categories (social governance: disputes, security tips, people in need) are
about people and are not public at all: `public_cases()` leaves them out of the queryset every
read starts from, so no filter, number, token, date range or validation path can reach one.
"""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from wangge.cases.enums import FINAL_STATES, CategoryKind
from wangge.cases.models import Case, CaseCategory, CaseEvent
from wangge.cases.selectors import leaf_categories

# The specification's defaults: the last 90 days, at most 1,000 requests per answer.
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


def open311_services() -> QuerySet[CaseCategory]:
    """The services: the categories a case may be reported against."""
    return leaf_categories()


def open311_service(code: str) -> CaseCategory | None:
    return open311_services().filter(code=code).first()


# The one rule of what Open311 may show: the category kinds whose cases are public.
SENSITIVE_KINDS = (CategoryKind.SOCIAL,)


def category_is_public(category: CaseCategory) -> bool:
    return category.kind not in SENSITIVE_KINDS


def public_case_q(prefix: str = "") -> Q:
    return ~Q(**{f"{prefix}category__kind__in": SENSITIVE_KINDS})


def _cases() -> QuerySet[Case]:
    return Case.objects.filter(public_case_q()).select_related("category", "handler_unit")


def open311_request(number: str) -> Case | None:
    return _cases().filter(number=number).first()


def open311_token_case(stored_key: str) -> Case | None:
    """The case an Open311 POST made with this stored idempotency key (see tokens.py)."""
    return (
        Case.objects.filter(public_case_q(), idempotency_key=stored_key)
        .only("id", "number")
        .first()
    )


def open311_requests(
    *,
    numbers: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: set[str] | None = None,
) -> list[Case]:
    """Newest first, at most MAX_REQUESTS. Given numbers, the other filters are ignored (spec)."""
    cases = _cases()
    if numbers:
        return list(cases.filter(number__in=numbers[:MAX_REQUESTS]).order_by("-reported_at"))
    if start is None and end is None:
        start = timezone.now() - timedelta(days=DEFAULT_DAYS)
    elif start is None and end is not None:
        start = end - timedelta(days=DEFAULT_DAYS)
    cases = cases.filter(reported_at__gte=start)
    if end is not None:
        cases = cases.filter(reported_at__lte=end)
    if service_codes:
        cases = cases.filter(category__code__in=service_codes)
    if statuses == {"open"}:
        cases = cases.exclude(state__in=FINAL_STATES)
    elif statuses == {"closed"}:
        cases = cases.filter(state__in=FINAL_STATES)
    return list(cases.order_by("-reported_at", "-id")[:MAX_REQUESTS])


def open311_updates(*, start: datetime | None, end: datetime | None) -> list[CaseEvent]:
    """Transitions (not notes) in the period, oldest first, at most MAX_REQUESTS."""
    if start is None:
        start = (end or timezone.now()) - timedelta(days=DEFAULT_DAYS)
    events = CaseEvent.objects.filter(public_case_q("case__"), at__gte=start).exclude(to_state="")
    if end is not None:
        events = events.filter(at__lte=end)
    return list(
        events.select_related("case")
        .only("id", "at", "to_state", "case__number")
        .order_by("at", "id")[:MAX_REQUESTS]
    )
