"""The command-centre case map (/cases/map/): the actor's cases coloured by state over the grids.

The page embeds the grid polygons and the first layer (both from selectors, so the map draws with
no further request and no tiles), and a GET form of filters: without JavaScript submitting it
reloads the page; with it, case_map.js fetches the layer from the API and keeps the URL in step.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from wangge.core.decorators import staff_role_required
from wangge.core.errors import NotFound, ValidationFailed
from wangge.core.scope import request_actor
from wangge.orgs.selectors import grids_geojson
from wangge.orgs.views.maps import tile_config

from ..enums import CaseSource, CaseState
from ..map_selectors import MAX_POINTS, MapFilters, case_map, class_choices, clean_filters

NUMBER_PLACEHOLDER = "__NUMBER__"
STATE_GROUP_LABELS = (
    ("open", gettext_lazy("Open")),
    ("overdue", gettext_lazy("Overdue")),
    ("to_verify", gettext_lazy("To verify")),
    ("closed", pgettext_lazy("case state group", "Closed")),
    ("all", gettext_lazy("All")),
)
CARD_LABELS = (
    ("any", gettext_lazy("Any")),
    ("carded", gettext_lazy("Yellow or red card")),
    ("yellow", gettext_lazy("Yellow card")),
    ("red", gettext_lazy("Red card")),
)
PERIOD_LABELS = (
    ("", gettext_lazy("Any time")),
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
    ("365", gettext_lazy("Last 365 days")),
)
# Marker colours by state: one hue per stage of the loop, grey for the finished ones.
STATE_COLOURS: dict[str, str] = {
    CaseState.REPORTED: "#d97706",
    CaseState.ACCEPTED: "#ca8a04",
    CaseState.DISPATCHED: "#2563eb",
    CaseState.IN_PROGRESS: "#1d4ed8",
    CaseState.PAUSED: "#64748b",
    CaseState.HANDLED: "#7c3aed",
    CaseState.VERIFIED: "#9333ea",
    CaseState.CLOSED: "#15803d",
    CaseState.RATED: "#166534",
    CaseState.REJECTED: "#9ca3af",
    CaseState.MERGED: "#9ca3af",
}


def _i18n() -> dict:
    return {
        "category": _("Category"),
        "state": _("State"),
        "due": _("This stage is due"),
        "open": _("Open the case"),
        "cases": _("cases"),
        "red": _("Red card"),
        "yellow": _("Yellow card"),
        "shown": _("%(count)s cases shown."),
        "none": _("No cases match these filters."),
        "tooMany": _(
            "More than %(limit)s cases match: counts per grid are shown. Narrow the filters to "
            "see the cases."
        ),
        "failed": _("The cases could not be loaded."),
        "loading": _("Loading…"),
    }


def _place_choices(collection: dict) -> list[dict]:
    return [
        {
            "code": f["properties"]["code"],
            "name": f["properties"]["name"],
            "kind": f["properties"]["kind"],
        }
        for f in collection["features"]
        if f["properties"]["kind"] in ("community", "sector", "grid", "dedicated_grid")
    ]


@staff_role_required()
@require_GET
def case_map_page(request) -> HttpResponse:
    actor = request_actor(request)
    error = None
    try:
        filters = clean_filters(request.GET)
        layer = case_map(actor=actor, filters=filters)
    except (ValidationFailed, NotFound) as exc:
        error = str(exc.message)
        filters = MapFilters()
        layer = case_map(actor=actor, filters=filters)
    collection = grids_geojson(actor=actor)
    states = [
        {"key": state, "label": str(label), "colour": STATE_COLOURS[state]}
        for state, label in CaseState.choices
    ]
    config = {
        "tile": tile_config(),
        "layerUrl": reverse("api-v1:api-root") + "case-map",
        "caseUrl": reverse("cases_case", args=[NUMBER_PLACEHOLDER]),
        "placeholder": NUMBER_PLACEHOLDER,
        "states": {row["key"]: row for row in states},
        "i18n": _i18n(),
    }
    context = {
        "filters": filters,
        "error": error,
        "layer": layer,
        "grids": collection,
        "config": config,
        "states": states,
        "state_groups": STATE_GROUP_LABELS,
        "cards": CARD_LABELS,
        "classes": class_choices(),
        "sources": CaseSource.choices,
        "periods": PERIOD_LABELS,
        "places": _place_choices(collection),
        "limit": MAX_POINTS,
        "tile": config["tile"],
    }
    response = render(request, "cases/map.html", context, status=422 if error else 200)
    response["Cache-Control"] = "no-store"
    return response
