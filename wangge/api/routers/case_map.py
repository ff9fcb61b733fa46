"""The case map layer: the caller's cases as compact GeoJSON points, or counts per grid when
more than the cap match (see wangge.cases.map_selectors). Scope and filters as on /cases/map/.

Mounted at /case-map rather than under /cases/, where GET /cases/{number} would take "map" for a
case number.
"""

from typing import Any, Literal

from ninja import Query, Router, Schema

from wangge.cases.enums import CaseSource
from wangge.cases.map_selectors import case_map, clean_filters
from wangge.orgs.actors import request_actor

from .orgs import ErrorOut

router = Router(tags=["cases"])


class CaseMapQuery(Schema):
    state_group: Literal["open", "overdue", "to_verify", "closed", "all"] = "open"
    card: Literal["any", "carded", "yellow", "red"] = "any"
    category_class: str = ""
    source: CaseSource | Literal[""] = ""
    period: Literal["", "7", "30", "90", "365"] = ""
    place: str = ""


class CaseMapOut(Schema):
    mode: Literal["points", "grids"]
    total: int
    limit: int
    categories: dict[str, str]
    features: list[dict[str, Any]]


@router.get("/case-map", response={200: CaseMapOut, 404: ErrorOut, 422: ErrorOut})
def case_map_layer(request, query: Query[CaseMapQuery]):
    """Points (number, state, card, category, due) or, past the cap, counts per grid."""
    filters = clean_filters(query.model_dump())
    return case_map(actor=request_actor(request), filters=filters)
