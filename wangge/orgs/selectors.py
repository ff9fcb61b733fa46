"""Reads of org units for pages and the API. Each takes the actor and returns only its scope;
a unit out of scope is NotFound, exactly like one that does not exist."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from wangge.core.errors import NotFound
from wangge.core.revisions import DIRECTORY, RevisionCache
from wangge.core.scope import scope_q

from .codes import parent_code_of
from .enums import GRID_KINDS, OrgUnitKind, Role
from .grid_index import locate_point
from .models import OrgUnit, RoleAssignment
from .permissions import can_see, unit_not_found, visible_paths

MAP_KINDS = (OrgUnitKind.COMMUNITY, OrgUnitKind.SECTOR, *GRID_KINDS)


def _visible_units(actor):
    return OrgUnit.objects.filter(scope_q(visible_paths(actor)), is_active=True)


def org_tree(*, actor) -> list[dict]:
    """The actor's units as nested {code, name, kind, children}, from its top units down."""
    rows = list(_visible_units(actor).values_list("code", "name", "kind", "path", "sort_order"))
    # Parents before children; under one parent, departments after the areas.
    rows.sort(key=lambda r: (r[3].count("/"), r[2] == OrgUnitKind.DEPARTMENT, r[4], r[0]))
    nodes: dict[str, dict] = {}
    top: list[dict] = []
    for code, name, kind, path, _order in rows:
        node = {"code": code, "name": name, "kind": kind, "children": []}
        nodes[code] = node
        parent = nodes.get(parent_code_of(path) or "")
        (parent["children"] if parent is not None else top).append(node)
    return top


def org_unit_get(*, actor, code: str) -> OrgUnit:
    # get(), not first(): no ORDER BY to compile, and this is on the grid-locate hot path.
    try:
        unit = OrgUnit.objects.select_related("parent").get(code=code)
    except OrgUnit.DoesNotExist:
        raise unit_not_found(code) from None
    if not can_see(actor, unit.path):
        raise unit_not_found(code)
    return unit


# The register sits above orgs, so it installs its counts here at start-up
# (RegistryConfig.ready). Signature: (actor, codes) -> {code: counts}.
GRID_COUNTS_PROVIDER: Callable[[Any, list[str]], dict[str, dict]] | None = None


# Likewise the register names the counts the map may colour grids by, as the actor sees them.
GRID_METRICS_PROVIDER: Callable[[Any], list[dict]] | None = None


def grid_metrics(*, actor) -> list[dict]:
    """[{"key", "label"}] of the counts a grid can be coloured by; none without a register."""
    return GRID_METRICS_PROVIDER(actor) if GRID_METRICS_PROVIDER is not None else []


def grid_counts(*, actor, codes) -> dict[str, dict]:
    """Households, persons, party members and the key populations the actor may see, per grid."""
    codes = list(codes)
    if GRID_COUNTS_PROVIDER is not None:
        return GRID_COUNTS_PROVIDER(actor, codes)
    return {
        code: {"households": 0, "persons": 0, "party_members": 0, "key_populations": {}}
        for code in codes
    }


def _load_cards() -> dict[str, dict]:
    """Every active grid's card (without counts), in three queries: a city's 1,800 grids load
    in well under a second, and then a point lookup needs no query for the card itself."""
    units = list(
        OrgUnit.objects.filter(kind__in=GRID_KINDS, is_active=True)
        .select_related("parent__parent")
        .order_by()
    )
    workers: dict[int, list[dict]] = {}
    assignments = (
        RoleAssignment.objects.filter(
            org_unit__kind__in=GRID_KINDS,
            role__in=(Role.GRID_LEADER, Role.GRID_WORKER),
            user__is_active=True,
        )
        .order_by("role", "user__display_name", "user_id")
        .values_list(
            "org_unit_id", "role", "user__display_name", "user__username", "user__work_phone"
        )
    )
    for unit_id, role, display_name, username, phone in assignments:
        workers.setdefault(unit_id, []).append(
            {"name": display_name or username, "phone": phone, "role": role}
        )
    cards = {}
    for unit in units:
        community = unit.parent
        if community is not None and community.kind == OrgUnitKind.SECTOR:
            community = community.parent
        cards[unit.code] = {
            "path": unit.path,
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "institution": unit.institution,
            "version": unit.version,
            "community": {"code": community.code, "name": community.name} if community else None,
            "area_m2": unit.area_m2,
            "centroid": (
                [unit.centroid_lng, unit.centroid_lat] if unit.centroid_lng is not None else None
            ),
            "grid_workers": workers.get(unit.id, []),
            "boundary": unit.boundary,
        }
    return cards


# The parts of a grid card that change only with an org or staff write (revision "directory"),
# kept per process: the card is on the point-lookup hot path.
_cards: RevisionCache[dict[str, dict]] = RevisionCache(DIRECTORY, _load_cards)


def grid_counts_in(*, actor, parent_code: str | None = None) -> dict[str, dict]:
    """Counts of every active grid the actor sees (under `parent_code`), for map colouring."""
    units = _visible_units(actor).filter(kind__in=GRID_KINDS)
    if parent_code:
        parent = org_unit_get(actor=actor, code=parent_code)
        units = units.filter(path__startswith=parent.path)
    codes = list(units.order_by("code").values_list("code", flat=True))
    return grid_counts(actor=actor, codes=codes)


def grid_card(*, actor, code: str) -> dict:
    """What a grid's card shows: who serves it, how big it is, how many live there."""
    card = _cards.get().get(code)
    if card is None or not can_see(actor, card["path"]):
        raise unit_not_found(code)
    shown = {key: value for key, value in card.items() if key != "path"}
    shown["grid_workers"] = [dict(worker) for worker in card["grid_workers"]]
    shown["counts"] = grid_counts(actor=actor, codes=[code])[code]
    return shown


def grid_locate(*, actor, lat: float, lng: float) -> dict:
    """The card of the grid containing the point; NotFound if none, or if out of scope."""
    code = locate_point(lng, lat)
    if code is None:
        raise NotFound(_("No grid contains this point."), field="lat")
    try:
        return grid_card(actor=actor, code=code)
    except NotFound:
        raise NotFound(_("No grid contains this point."), field="lat") from None


def grids_geojson(*, actor, parent_code: str | None = None) -> dict:
    """Communities, sectors and grids with a boundary, as one FeatureCollection for the map."""
    units = _visible_units(actor).filter(kind__in=MAP_KINDS, boundary__isnull=False)
    if parent_code:
        parent = org_unit_get(actor=actor, code=parent_code)
        units = units.filter(path__startswith=parent.path).exclude(pk=parent.pk)
    rows = units.order_by("path").values_list("code", "name", "kind", "path", "area_m2", "boundary")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "geometry": boundary,
                "properties": {
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "parent_code": parent_code_of(path),
                    "area_m2": area,
                },
            }
            for code, name, kind, path, area, boundary in rows
        ],
    }
