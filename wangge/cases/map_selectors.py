"""The command-centre case map: the actor's cases as compact GeoJSON points, or counts per grid.

Scope is the queues' (permissions.case_scope_q): a case's place under the actor's units, the unit
holding it (a department sees what is routed to it) or the actor's own report. Filters narrow it
further; each runs on an indexed column (state, path, category, reported_at). Past `MAX_POINTS`
matching cases the map shows one count per grid (one grouped query) instead of points, so a city
never sends a browser a million markers.

Point properties are what the case page shows staff (number, category, state, card, due date):
no title, address, description or reporter, so the payload holds no personal data.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound, ValidationFailed
from wangge.orgs.enums import GRID_KINDS, OrgUnitKind
from wangge.orgs.selectors import org_unit_get

from .enums import FINAL_STATES, Card, CaseSource, CaseState
from .models import Case, CaseCategory
from .permissions import case_scope_q

MAX_POINTS = 5_000
OPEN_STATES = tuple(state for state in CaseState.values if state not in FINAL_STATES)
STATE_GROUPS = ("open", "overdue", "to_verify", "closed", "all")
CARDS = ("any", "carded", Card.YELLOW.value, Card.RED.value)
# Reported within the last N days; "" for any time.
PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}
PLACE_KINDS = (OrgUnitKind.STREET, OrgUnitKind.COMMUNITY, OrgUnitKind.SECTOR, *GRID_KINDS)


@dataclass(frozen=True)
class MapFilters:
    state_group: str = "open"
    card: str = "any"
    category_class: str = ""  # a class code ("11") or a leaf code ("1101")
    source: str = ""
    period: str = ""
    place: str = ""  # the code of a street, community, sector or grid in scope


def _invalid(field: str, value: str, choices) -> ValidationFailed:
    return ValidationFailed(
        _("Unknown %(field)s %(value)s; choose one of %(choices)s.")
        % {"field": field, "value": value, "choices": ", ".join(str(c) for c in choices)},
        code="invalid",
        field=field,
    )


def clean_filters(raw) -> MapFilters:
    """Filters from a query dict (page or API); unknown values are refused by field."""

    def get(key: str, default: str = "") -> str:
        value = raw.get(key)
        return str(value).strip() if value not in (None, "") else default

    filters = MapFilters(
        state_group=get("state_group", "open"),
        card=get("card", "any"),
        category_class=get("category_class"),
        source=get("source"),
        period=get("period"),
        place=get("place"),
    )
    if filters.state_group not in STATE_GROUPS:
        raise _invalid("state_group", filters.state_group, STATE_GROUPS)
    if filters.card not in CARDS:
        raise _invalid("card", filters.card, CARDS)
    if filters.source and filters.source not in CaseSource.values:
        raise _invalid("source", filters.source, CaseSource.values)
    if filters.period and filters.period not in PERIODS:
        raise _invalid("period", filters.period, PERIODS)
    if filters.category_class and not (
        filters.category_class.isdigit() and len(filters.category_class) <= 16
    ):
        raise _invalid("category_class", filters.category_class, class_choices_codes())
    return filters


def class_choices() -> list[tuple[str, str]]:
    """The top classes of the category tree, (code, name), for the filter."""
    return list(
        CaseCategory.objects.filter(parent__isnull=True, is_active=True)
        .order_by("sort_order", "code")
        .values_list("code", "name")
    )


def class_choices_codes() -> list[str]:
    return [code for code, _name in class_choices()]


def _state_q(group: str, now: datetime) -> Q:
    if group == "open":
        return Q(state__in=OPEN_STATES)
    if group == "overdue":
        return Q(state__in=OPEN_STATES) & ~Q(state=CaseState.PAUSED) & Q(stage_due_at__lt=now)
    if group == "to_verify":
        return Q(state__in=(CaseState.HANDLED, CaseState.VERIFIED))
    if group == "closed":
        return Q(state__in=(CaseState.CLOSED, CaseState.RATED))
    return Q()


def map_cases(*, actor, filters: MapFilters, now: datetime | None = None) -> QuerySet[Case]:
    """The actor's cases that match the filters and have a place on the map."""
    now = now or timezone.now()
    rows = Case.objects.filter(
        case_scope_q(actor),
        _state_q(filters.state_group, now),
        lng__isnull=False,
        lat__isnull=False,
    )
    if filters.card == "carded":
        rows = rows.exclude(card=Card.NONE)
    elif filters.card in (Card.YELLOW, Card.RED):
        rows = rows.filter(card=filters.card)
    if filters.category_class:
        rows = rows.filter(
            Q(category__code=filters.category_class)
            | Q(category__parent__code=filters.category_class)
        )
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.period:
        rows = rows.filter(reported_at__gte=now - timedelta(days=PERIODS[filters.period]))
    if filters.place:
        unit = org_unit_get(actor=actor, code=filters.place)  # out of scope: NotFound
        if unit.kind not in PLACE_KINDS:
            raise NotFound(
                _("No street, community or grid %(code)s in your area.") % {"code": unit.code},
                field="place",
            )
        rows = rows.filter(path__startswith=unit.path)
    return rows


def case_map(
    *, actor, filters: MapFilters, now: datetime | None = None, limit: int = MAX_POINTS
) -> dict:
    """{"mode": "points"|"grids", "total", "features", "categories", "limit"}.

    Points: a FeatureCollection's features with properties number, state, card, category
    (code), due (the stage's due time, ISO). Grids (over `limit`): one feature per grid at its
    centroid with the count of matching cases and of red and yellow cards. Two or three queries
    whatever the number of cases.
    """
    rows = map_cases(actor=actor, filters=filters, now=now)
    points = list(
        rows.order_by("-reported_at", "-id").values_list(
            "number", "state", "card", "category__code", "stage_due_at", "lng", "lat"
        )[: limit + 1]
    )
    if len(points) <= limit:
        codes = sorted({row[3] for row in points})
        return {
            "mode": "points",
            "total": len(points),
            "limit": limit,
            "categories": dict(
                CaseCategory.objects.filter(code__in=codes).values_list("code", "name")
            ),
            "features": [
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(lng or 0.0, 6), round(lat or 0.0, 6)],
                    },
                    "properties": {
                        "number": number,
                        "state": state,
                        "card": card,
                        "category": category,
                        "due": due.isoformat() if due is not None else None,
                    },
                }
                for number, state, card, category, due, lng, lat in points
            ],
        }
    groups = list(
        rows.values("grid__code", "grid__name", "grid__centroid_lng", "grid__centroid_lat")
        .annotate(
            n=Count("id"),
            # Where a grid has no stored centroid, the middle of its cases stands in.
            mid_lng=Avg("lng"),
            mid_lat=Avg("lat"),
            red=Count("id", filter=Q(card=Card.RED)),
            yellow=Count("id", filter=Q(card=Card.YELLOW)),
        )
        .order_by("grid__code")
    )
    return {
        "mode": "grids",
        "total": sum(group["n"] for group in groups),
        "limit": limit,
        "categories": {},
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(group["grid__centroid_lng"] or group["mid_lng"], 6),
                        round(group["grid__centroid_lat"] or group["mid_lat"], 6),
                    ],
                },
                "properties": {
                    "grid": group["grid__code"] or "",
                    "name": group["grid__name"] or "",
                    "count": group["n"],
                    "red": group["red"],
                    "yellow": group["yellow"],
                },
            }
            for group in groups
        ],
    }
