"""Writes to org units and roles. Every service checks the actor, validates, audits and bumps the
"grid_boundaries" revision when a boundary changes (the point → grid index and map layers reload).

Permission: the system actor, or the admin role on an ancestor-or-self of the unit. A unit the
actor cannot see is NotFound, one it can see but not change is PermissionDenied (audited).
Editors send back the `version` they loaded; a stale one is a Conflict ("version_conflict").
"""

from collections.abc import Callable

import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import Polygon, shape
from shapely.ops import split, unary_union

from wangge.core.denials import denials_audited
from wangge.core.errors import Conflict, PermissionDenied, ValidationFailed
from wangge.core.revisions import revision_bump

from .codes import (
    code_error,
    community_code_for,
    kind_error,
    name_error,
    parent_kind_error,
    unit_path,
)
from .enums import GRID_KINDS, OrgUnitKind
from .geometry import (
    LocalProjection,
    geometry_fields,
    invalid,
    normalise,
    parse_boundary,
    parse_line,
    to_geojson,
)
from .importer import apply_plan, plan_import
from .models import OrgUnit, RoleAssignment
from .permissions import (
    audit_org,
    can_see,
    is_system,
    mark_denial,
    require_admin,
    unit_not_found,
)
from .rules import grid_placement_errors

GRID_BOUNDARIES = "grid_boundaries"

# Apps above orgs (the register) re-place their records when grid boundaries change. They add a
# callable at start-up; it runs inside the service's transaction with the path of the area whose
# grids changed, so a grid edit and the re-placement commit together or not at all.
BOUNDARY_CHANGE_HOOKS: list[Callable[[str], None]] = []


def _boundaries_changed(path: str) -> None:
    revision_bump(GRID_BOUNDARIES)
    for hook in BOUNDARY_CHANGE_HOOKS:
        hook(path)


def _area_path(unit: OrgUnit) -> str:
    """The community whose grids a change to this unit may move records between."""
    community = community_of(unit) if unit.kind in GRID_KINDS else None
    return (community or unit).path


# --- helpers -------------------------------------------------------------------------------------


def _stored_geom(unit: OrgUnit):
    return shape(unit.boundary) if unit.boundary else None


def community_of(unit: OrgUnit) -> OrgUnit | None:
    """The community a sector or grid belongs to (its parent, or its parent's parent)."""
    parent = unit.parent
    if parent is None:
        return None
    if parent.kind == OrgUnitKind.COMMUNITY:
        return parent
    if parent.kind == OrgUnitKind.SECTOR:
        return parent.parent
    return None


def _community_grids(community: OrgUnit, exclude: tuple[str, ...] = ()) -> dict:
    rows = (
        OrgUnit.objects.filter(
            path__startswith=community.path,
            kind__in=GRID_KINDS,
            is_active=True,
            boundary__isnull=False,
        )
        .exclude(code__in=exclude)
        .values_list("code", "boundary")
    )
    return {code: shape(boundary) for code, boundary in rows}


def _raise_first(errors: list) -> None:
    for error in errors:
        if error is not None:
            raise error


def _locked_unit(code: str) -> OrgUnit:
    unit = (
        # of=("self",): PostgreSQL cannot lock the nullable side of the parent join, nor need we.
        OrgUnit.objects.select_for_update(of=("self",))
        .select_related("parent__parent")
        .filter(code=code)
        .first()
    )
    if unit is None:
        raise unit_not_found(code)
    return unit


def _require_version(unit: OrgUnit, version: int, field: str = "version") -> None:
    if unit.version != version:
        raise Conflict(
            _(
                "%(code)s was changed by someone else (version %(current)d, you sent %(sent)d); "
                "reload and try again."
            )
            % {"code": unit.code, "current": unit.version, "sent": version},
            code="version_conflict",
            field=field,
            detail={"feature": unit.code, "current_version": unit.version},
        )


def require_active(unit: OrgUnit) -> None:
    if not unit.is_active:
        raise ValidationFailed(
            _("%(code)s is no longer active.") % {"code": unit.code},
            code="unit_inactive",
            field="code",
            detail={"feature": unit.code},
        )


def _require_grid(unit: OrgUnit) -> None:
    if unit.kind not in GRID_KINDS:
        raise ValidationFailed(
            _("%(code)s is not a grid.") % {"code": unit.code},
            code="not_a_grid",
            field="code",
            detail={"feature": unit.code},
        )


def _check_grid_place(
    unit_code: str, geom, community: OrgUnit | None, exclude: tuple[str, ...] = ()
) -> None:
    if community is None:
        return
    # Lock the community row: two admins drawing grids in one community at the same time are
    # checked one after the other (PostgreSQL), so neither misses the other's new grid.
    list(OrgUnit.objects.select_for_update().filter(pk=community.pk).values_list("pk", flat=True))
    grids = _community_grids(community, exclude=(unit_code, *exclude))
    grids[unit_code] = geom
    _raise_first(
        grid_placement_errors(
            community_code=community.code,
            community_geom=_stored_geom(community),
            grids=grids,
            check=[unit_code],
        )
    )


# --- org units -----------------------------------------------------------------------------------


@denials_audited("orgs.unit_create")
@transaction.atomic
def org_unit_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
    boundary: dict | None = None,
    institution: str = "",
    sort_order: int = 0,
) -> OrgUnit:
    parent = None
    if parent_code:
        parent = OrgUnit.objects.select_related("parent").filter(code=parent_code).first()
        if parent is None or not parent.is_active or not can_see(actor, parent.path):
            raise ValidationFailed(
                _("%(feature)s: parent %(parent)s does not exist.")
                % {"feature": code, "parent": parent_code},
                code="unknown_parent",
                field="parent_code",
                detail={"feature": code, "other": parent_code},
            )
        require_admin(actor, code=parent.code, path=parent.path)
    elif not is_system(actor):
        raise PermissionDenied(
            _("Only the system may create a top-level unit."), field="parent_code"
        )
    _raise_first([kind_error(code=code, kind=kind)])
    community_code = community_code_for(
        kind=kind,
        parent_kind=parent.kind if parent else None,
        parent_code=parent_code,
        grandparent_code=parent.parent.code if parent and parent.parent else None,
    )
    _raise_first(
        [
            name_error(code=code, name=name),
            name_error(code=code, name=institution, field="institution", required=False),
            parent_kind_error(code=code, kind=kind, parent_kind=parent.kind if parent else None),
            code_error(
                code=code, kind=kind, parent_code=parent_code, community_code=community_code
            ),
        ]
    )
    if OrgUnit.objects.filter(code=code).exists():
        raise ValidationFailed(
            _("%(feature)s: the code is already used by another unit.") % {"feature": code},
            code="duplicate_code",
            field="code",
            detail={"feature": code},
        )
    geom = parse_boundary(boundary, feature=code) if boundary is not None else None
    if geom is not None and kind in GRID_KINDS:
        community = OrgUnit.objects.filter(code=community_code).first()
        _check_grid_place(code, geom, community)
    unit = OrgUnit.objects.create(
        code=code,
        name=name.strip(),
        kind=kind,
        parent=parent,
        path=unit_path(parent.path if parent else None, code),
        depth=parent.depth + 1 if parent else 0,
        boundary=normalise(boundary) if geom is not None else None,
        institution=institution,
        sort_order=sort_order,
        **geometry_fields(geom),
    )
    audit_org(
        actor,
        "orgs.unit_create",
        code=code,
        path=unit.path,
        detail={"code": code, "kind": kind, "parent": parent_code, "area_m2": unit.area_m2},
    )
    if geom is not None:
        _boundaries_changed(_area_path(unit))
    return unit


@denials_audited("orgs.unit_update")
@transaction.atomic
def org_unit_update(
    *,
    actor,
    code: str,
    version: int,
    name: str | None = None,
    boundary: dict | None = None,
    institution: str | None = None,
) -> OrgUnit:
    """Change a unit's name, institution or boundary. `None` leaves a field as it is."""
    unit = _locked_unit(code)
    require_admin(actor, code=code, path=unit.path)
    require_active(unit)
    _require_version(unit, version)
    _raise_first(
        [
            name_error(code=code, name=name) if name is not None else None,
            name_error(code=code, name=institution, field="institution", required=False)
            if institution is not None
            else None,
        ]
    )
    changed: list[str] = []
    if name is not None and name.strip() != unit.name:
        unit.name = name.strip()
        changed.append("name")
    if institution is not None and institution != unit.institution:
        unit.institution = institution
        changed.append("institution")
    geom = parse_boundary(boundary, feature=code) if boundary is not None else None
    new_boundary = normalise(boundary) if geom is not None else None
    if geom is not None and new_boundary != unit.boundary:
        _check_boundary_change(unit, geom)
        unit.boundary = new_boundary
        for field, value in geometry_fields(geom).items():
            setattr(unit, field, value)
        changed += ["boundary", "area_m2", "centroid_lng", "centroid_lat"]
    if not changed:
        return unit
    unit.version += 1
    unit.save(update_fields=[*changed, "version", "updated_at"])
    audit_org(
        actor,
        "orgs.unit_update",
        code=code,
        path=unit.path,
        detail={"code": code, "kind": unit.kind, "fields": changed, "area_m2": unit.area_m2},
    )
    if "boundary" in changed:
        _boundaries_changed(_area_path(unit))
    return unit


def _check_boundary_change(unit: OrgUnit, geom) -> None:
    if unit.kind in GRID_KINDS:
        _check_grid_place(unit.code, geom, community_of(unit))
    elif unit.kind == OrgUnitKind.COMMUNITY:
        # A smaller community must still hold all of its grids.
        grids = _community_grids(unit)
        _raise_first(
            grid_placement_errors(
                community_code=unit.code,
                community_geom=geom,
                grids=grids,
                check=grids,
                overlaps=False,
            )
        )


# --- split and merge -----------------------------------------------------------------------------


@denials_audited("orgs.grid_split")
@transaction.atomic
def grid_split(
    *, actor, code: str, version: int, line: dict, new_code: str, new_name: str
) -> tuple[OrgUnit, OrgUnit]:
    """Cut a grid in two along `line`. The larger part keeps the code (and the grid's history:
    roles, cases, visits stay with it); the smaller part becomes the new grid `new_code`."""
    unit = _locked_unit(code)
    require_admin(actor, code=code, path=unit.path)
    require_active(unit)
    _require_grid(unit)
    _require_version(unit, version)
    parent, community = unit.parent, community_of(unit)
    assert parent is not None  # a grid always sits under a community or a sector
    _raise_first(
        [
            name_error(code=new_code, name=new_name),
            code_error(
                code=new_code,
                kind=unit.kind,
                parent_code=parent.code,
                community_code=community.code if community else None,
            ),
        ]
    )
    if OrgUnit.objects.filter(code=new_code).exists():
        raise ValidationFailed(
            _("%(feature)s: the code is already used by another unit.") % {"feature": new_code},
            code="duplicate_code",
            field="new_code",
            detail={"feature": new_code},
        )
    geom = _stored_geom(unit)
    cut = parse_line(line, feature=code)
    # A grid of several polygons is not split: its islands alone would make "two parts".
    pieces = split(geom, cut).geoms if isinstance(geom, Polygon) else []
    parts = [part for part in pieces if isinstance(part, Polygon)]
    if len(parts) != 2:
        raise invalid(
            "split_line_invalid",
            _("%(feature)s: the line must cut the grid into exactly two parts (it makes %(n)d).")
            % {"feature": code, "n": len(parts)},
            feature=code,
            field="line",
            parts=len(parts),
        )
    projection = LocalProjection.around(geom)
    kept, other = sorted(parts, key=lambda part: -projection.to_metric(part).area)
    unit.boundary = to_geojson(kept)
    for field, value in geometry_fields(kept).items():
        setattr(unit, field, value)
    unit.version += 1
    unit.save()
    created = OrgUnit.objects.create(
        code=new_code,
        name=new_name.strip(),
        kind=unit.kind,
        parent=parent,
        path=unit_path(parent.path, new_code),
        depth=unit.depth,
        boundary=to_geojson(other),
        institution=unit.institution,
        sort_order=unit.sort_order,
        **geometry_fields(other),
    )
    audit_org(
        actor,
        "orgs.grid_split",
        code=code,
        path=unit.path,
        detail={
            "code": code,
            "new_code": new_code,
            "area_m2": unit.area_m2,
            "new_area_m2": created.area_m2,
        },
    )
    _boundaries_changed(_area_path(unit))
    return unit, created


@denials_audited("orgs.grid_merge")
@transaction.atomic
def grid_merge(*, actor, code: str, other_code: str, version: int, other_version: int) -> OrgUnit:
    """Merge grid `other_code` into grid `code`, which keeps its code and takes the union.

    The other grid is deactivated, never deleted: cases, visits, assessments and role history
    keep pointing at it, and its code is never reused for a different area. Its role
    assignments stay on it (an inactive unit grants nothing); an admin assigns people to the
    merged grid explicitly, so nobody's access silently widens.
    """
    unit = _locked_unit(code)
    other = _locked_unit(other_code)
    require_admin(actor, code=code, path=unit.path)
    require_admin(actor, code=other_code, path=other.path)
    for each in (unit, other):
        require_active(each)
        _require_grid(each)
    _require_version(unit, version)
    _require_version(other, other_version, field="other_version")
    merged = _merged_polygon(unit, other)
    unit.boundary = to_geojson(merged)
    for field, value in geometry_fields(merged).items():
        setattr(unit, field, value)
    unit.version += 1
    unit.save()
    other.is_active = False
    other.version += 1
    other.save(update_fields=["is_active", "version", "updated_at"])
    audit_org(
        actor,
        "orgs.grid_merge",
        code=code,
        path=unit.path,
        detail={
            "code": code,
            "other": other_code,
            "area_m2": unit.area_m2,
            "roles_left_on_other": RoleAssignment.objects.filter(org_unit=other).count(),
        },
    )
    _boundaries_changed(_area_path(unit))
    return unit


def _merged_polygon(unit: OrgUnit, other: OrgUnit) -> Polygon:
    def refuse(reason: str) -> ValidationFailed:
        return invalid(
            "grids_not_adjacent",
            _("%(feature)s and %(other)s cannot be merged: %(reason)s.")
            % {"feature": unit.code, "other": other.code, "reason": reason},
            feature=unit.code,
            field="other_code",
            other=other.code,
        )

    if unit.parent_id != other.parent_id:
        raise refuse(_("they do not have the same parent"))
    a, b = _stored_geom(unit), _stored_geom(other)
    if a is None or b is None:
        raise refuse(_("a grid without a boundary cannot be merged"))
    projection = LocalProjection.around(a)
    a_m, b_m = projection.to_metric(a), projection.to_metric(b)
    # Borders drawn separately rarely share exact vertices: count what runs within 5 cm.
    shared = a_m.boundary.intersection(b_m.buffer(0.05)).length
    if shared <= 0.1:
        raise refuse(_("they do not share a border"))
    merged = unary_union([a, b])
    if not isinstance(merged, Polygon):
        # Snap the other grid's vertices onto this one (≈1 cm) to close hairline gaps.
        merged = unary_union([a, _snap(b, a)])
    if not isinstance(merged, Polygon):
        raise refuse(_("together they do not form a single polygon"))
    return merged


def _snap(geom, reference):
    return shapely.snap(geom, reference, tolerance=1e-7)


# --- import --------------------------------------------------------------------------------------


@denials_audited("orgs.tree_import")
@transaction.atomic
def org_tree_import(*, actor, feature_collection: dict) -> dict:
    """Upsert units by code from a FeatureCollection (see geojson_io), all or nothing.

    Everything is validated first; any error raises ValidationFailed with
    detail={"errors": [{feature, field, code, message, ...}]} and nothing is written. Importing
    the same file again changes nothing.
    """
    plan = plan_import(actor, feature_collection)
    if plan.errors:
        error = ValidationFailed(
            _("The import has %(n)d errors; nothing was imported.") % {"n": len(plan.errors)},
            code="import_invalid",
            field="features",
            detail={"errors": plan.errors},
        )
        denied = [e for e in plan.errors if e["code"] == "permission_denied"]
        if denied:
            mark_denial(error, code=denied[0]["feature"], path="")
        raise error
    summary = apply_plan(plan)
    if summary["created"] or summary["updated"]:
        audit_org(
            actor,
            "orgs.tree_import",
            code="",
            detail={
                **summary,
                "created_codes": plan.created_codes,
                "updated_codes": plan.updated_codes,
            },
        )
    if plan.boundaries_changed:
        _boundaries_changed("/")
    return summary
