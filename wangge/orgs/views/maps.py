"""The org map (every staff role) and its editing mode, the grid editor (admins only).

Both pages embed the actor's units as GeoJSON (from grids_geojson) so the map draws at once and
without tiles; the editor then saves through the API and reloads the layer from it.
"""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wangge.core.decorators import staff_role_required
from wangge.core.scope import request_actor

from ..enums import OrgUnitKind, Role
from ..permissions import admin_paths
from ..selectors import grid_metrics, grids_geojson
from .overview import scope_overview

CODE_PLACEHOLDER = "__CODE__"


def tile_config() -> dict | None:
    """The tile layer from settings, or None: then the map is polygons on a plain background."""
    url = settings.WANGGE_TILE_URL
    if not url:
        return None
    return {
        "url": url.replace("{key}", settings.WANGGE_TILE_KEY),
        "attribution": settings.WANGGE_TILE_ATTRIBUTION,
        "subdomains": settings.WANGGE_TILE_SUBDOMAINS,
    }


def _api_urls() -> dict:
    root = reverse("api-v1:api-root")
    return {
        "geojson": f"{root}orgs/geojson",
        "card": f"{root}grids/{CODE_PLACEHOLDER}",
        "create": f"{root}orgs",
        "update": f"{root}orgs/{CODE_PLACEHOLDER}",
        "split": f"{root}grids/{CODE_PLACEHOLDER}/split",
        "merge": f"{root}grids/{CODE_PLACEHOLDER}/merge",
        "counts": f"{root}grids/counts",
    }


def _i18n() -> dict:
    return {
        "cardFailed": _("The grid card could not be loaded."),
        "saveFailed": _("Saving failed."),
        "saving": _("Saving…"),
        "loading": _("Loading…"),
        "noSelection": _("No grid selected: click a grid on the map or in the tree."),
        "drawHint": _("Click on the map to place the corners; click the first corner to finish."),
        "drawnHint": _("Drag the corners to adjust the shape, then save the new grid."),
        "editHint": _("Drag the corners to reshape the grid, then save the shape."),
        "splitHint": _(
            "Draw a line across the grid: click to add points, click the last point "
            "again to finish."
        ),
        "splitDrawnHint": _("Give the new part a code and a name, then save the split."),
        "mergeHint": _("Click the neighbouring grid to merge into the selected one."),
        "mergeReady": _("Merge %(other)s into the selected grid?"),
        "created": _("The new grid was saved."),
        "saved": _("The grid's shape was saved."),
        "split": _("The grid was split in two."),
        "merged": _("The grids were merged."),
        "otherUnit": _("Concerns: %(name)s (%(code)s), marked in red on the map."),
        "countsFailed": _("The counts could not be loaded."),
    }


def _parent_choices(actor, overview) -> list[dict]:
    """Communities and sectors the admin may add grids to, with the code prefix of their grids.

    The tree starts at the actor's own top units, so a unit is the admin's when it or one of its
    ancestors in the tree is a unit the admin role is bound to.
    """
    admin_codes = {path.rstrip("/").rsplit("/", 1)[-1] for path in admin_paths(actor)}
    choices = []
    for node in overview.communities():
        community = node.community() if node.kind == OrgUnitKind.SECTOR else node
        if not node.has_boundary or community is None:
            continue
        if admin_codes & set(_ancestry(node)) or "" in admin_codes:
            choices.append(
                {"code": node.code, "name": node.name, "kind": node.kind, "prefix": community.code}
            )
    return choices


def _ancestry(node) -> list[str]:
    codes = []
    while node is not None:
        codes.append(node.code)
        node = node.parent
    return codes


def _render_map(request, *, editable: bool):
    actor = request_actor(request)
    collection = grids_geojson(actor=actor)
    overview = scope_overview(actor, with_geometry=collection)
    focus = request.GET.get("focus", "")
    config = {
        "tile": tile_config(),
        "geojsonUrl": _api_urls()["geojson"],
        "cardUrl": reverse("orgs_grid_card", args=[CODE_PLACEHOLDER]),
        "api": _api_urls(),
        "editable": editable,
        "focus": focus if focus in overview.nodes else None,
        "i18n": _i18n(),
    }
    return render(
        request,
        "orgs/map.html",
        {
            "editable": editable,
            "can_edit": actor.has_role(Role.ADMIN),
            "tree": overview.roots,
            "parent_choices": _parent_choices(actor, overview) if editable else [],
            "map_config": config,
            "map_data": collection,
            # What the map can colour grids by (the register's counts the actor may see).
            "colour_metrics": [] if editable else grid_metrics(actor=actor),
            "tile": config["tile"],
        },
    )


@staff_role_required()
@require_GET
def map_page(request):
    return _render_map(request, editable=False)


@staff_role_required(Role.ADMIN)
@require_GET
def map_editor(request):
    return _render_map(request, editable=True)
