"""Plan and apply an org tree import (the FeatureCollection format of geojson_io).

`plan_import` reads every feature, checks every rule against the state the import would produce
(the database overlaid with the file) and collects ALL errors, each naming its feature; it writes
nothing. `apply_plan` then writes the plan with bulk_create (one batch per tree level, parents
first) and bulk_update. Both run inside services.org_tree_import's transaction.

Overlaps are checked per community with an STRtree, and only for communities the file changes,
so 300 communities / 1,800 grids validate in about a second and re-importing the same file is
cheap and changes nothing.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from wangge.core.errors import ValidationFailed
from wangge.core.scope import scope_q

from .codes import (
    code_error,
    community_code_for,
    kind_error,
    name_error,
    parent_kind_error,
    unit_path,
)
from .enums import GRID_KINDS, OrgUnitKind
from .geometry import geometry_fields, normalise, parse_boundary
from .models import OrgUnit
from .permissions import can_admin
from .rules import grid_placement_errors

UPDATE_FIELDS = [
    "name",
    "kind",
    "institution",
    "sort_order",
    "boundary",
    "area_m2",
    "centroid_lng",
    "centroid_lat",
    "is_active",
    "version",
    "updated_at",
]


@dataclass
class Row:
    """One feature of the file, read and normalised."""

    label: str
    code: str
    name: str
    kind: str
    parent_code: str | None
    institution: str
    sort_order: int
    boundary: dict | None
    geom: object | None
    broken: bool = False  # the boundary failed, so geometric checks skip this row
    path: str = ""
    community_code: str | None = None


@dataclass
class ImportPlan:
    existing: dict[str, OrgUnit]
    creates: list[Row] = field(default_factory=list)
    updates: list[tuple[OrgUnit, Row]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    boundaries_changed: bool = False

    @property
    def created_codes(self) -> list[str]:
        return [row.code for row in self.creates]

    @property
    def updated_codes(self) -> list[str]:
        return [unit.code for unit, _row in self.updates]


class _Errors(list):
    def add(self, error: ValidationFailed | None, feature: str | None = None) -> None:
        if error is None:
            return
        item = {
            "feature": error.detail.get("feature", feature),
            "field": error.field,
            "code": error.code,
            "message": str(error.message),
        }
        item.update(
            {key: error.detail[key] for key in ("other", "area_m2", "where") if key in error.detail}
        )
        self.append(item)


def _error(code: str, message: str, *, feature: str | None, field: str, **detail):
    return ValidationFailed(message, code=code, field=field, detail={"feature": feature, **detail})


# --- reading -------------------------------------------------------------------------------------


def _read_features(collection, errors: _Errors) -> list[Row]:
    if (
        not isinstance(collection, dict)
        or collection.get("type") != "FeatureCollection"
        or not isinstance(collection.get("features"), list)
    ):
        errors.add(
            _error(
                "geojson_malformed",
                _("The file must be a GeoJSON FeatureCollection with a list of features."),
                feature=None,
                field="features",
            )
        )
        return []
    rows: list[Row] = []
    seen: dict[str, str] = {}
    for index, feature in enumerate(collection["features"]):
        row = _read_feature(index, feature, errors)
        if row is None:
            continue
        if row.code in seen:
            errors.add(
                _error(
                    "duplicate_code",
                    _("%(feature)s: the code appears twice in the file (%(a)s and %(b)s).")
                    % {"feature": row.code, "a": seen[row.code], "b": row.label},
                    feature=row.code,
                    field="code",
                )
            )
            continue
        seen[row.code] = row.label
        rows.append(row)
    return rows


def _read_feature(index: int, feature, errors: _Errors) -> Row | None:
    label = f"#{index + 1}"
    props = feature.get("properties") if isinstance(feature, dict) else None
    if (
        not isinstance(feature, dict)
        or feature.get("type") != "Feature"
        or not isinstance(props, dict)
    ):
        errors.add(
            _error(
                "geojson_malformed",
                _("%(feature)s: not a GeoJSON Feature with properties.") % {"feature": label},
                feature=label,
                field="features",
            )
        )
        return None
    code = props.get("code") or feature.get("id")
    if not isinstance(code, str) or not code.strip():
        errors.add(
            _error(
                "required",
                _("%(feature)s: properties.code is required.") % {"feature": label},
                feature=label,
                field="code",
            )
        )
        return None
    code = code.strip()
    kind = str(props.get("kind") or "")
    if kind_error(code=code, kind=kind):
        errors.add(kind_error(code=code, kind=kind))
        return None
    parent_code = props.get("parent_code") or None
    institution = props.get("institution") or ""
    sort_order = props.get("sort_order", 0) or 0
    name = props.get("name")
    errors.add(name_error(code=code, name=name))
    errors.add(name_error(code=code, name=institution, field="institution", required=False))
    if parent_code is not None and not isinstance(parent_code, str):
        errors.add(
            _error(
                "invalid",
                _("%(feature)s: parent_code must be a code or null.") % {"feature": code},
                feature=code,
                field="parent_code",
            )
        )
    if not isinstance(sort_order, int) or isinstance(sort_order, bool):
        errors.add(
            _error(
                "invalid",
                _("%(feature)s: sort_order must be a whole number.") % {"feature": code},
                feature=code,
                field="sort_order",
            )
        )
    geometry, geom, broken = feature.get("geometry"), None, False
    if geometry is not None:
        try:
            geom = parse_boundary(geometry, feature=code)
        except ValidationFailed as exc:
            errors.add(exc)
            broken = True
    # A row with a bad field stays in, so that its children are still checked against it.
    return Row(
        label=label,
        code=code,
        name=name.strip() if isinstance(name, str) else "",
        kind=kind,
        parent_code=parent_code if isinstance(parent_code, str) else None,
        institution=institution if isinstance(institution, str) else "",
        sort_order=sort_order if isinstance(sort_order, int) else 0,
        boundary=normalise(geometry) if geom is not None else None,
        geom=geom,
        broken=broken,
    )


# --- planning ------------------------------------------------------------------------------------


class _State:
    """The tree as it would be after the import: file rows over active database units."""

    def __init__(self, rows: list[Row], existing: dict[str, OrgUnit]) -> None:
        self.rows = {row.code: row for row in rows}
        self.existing = existing

    def known(self, code: str | None) -> bool:
        return code in self.rows or (code in self.existing and self.existing[code].is_active)

    def kind(self, code: str | None) -> str | None:
        if code is None or not self.known(code):
            return None
        return self.rows[code].kind if code in self.rows else self.existing[code].kind

    def parent(self, code: str | None) -> str | None:
        if code is None:
            return None
        if code in self.rows:
            return self.rows[code].parent_code
        unit = self.existing.get(code)
        return unit.parent.code if unit is not None and unit.parent is not None else None

    def path(self, code: str, seen: frozenset = frozenset()) -> str | None:
        if code in self.existing:
            return self.existing[code].path
        if code not in self.rows or code in seen:
            return None
        parent = self.rows[code].parent_code
        if parent is None:
            return unit_path(None, code)
        parent_path = self.path(parent, seen | {code}) if self.known(parent) else None
        return unit_path(parent_path, code) if parent_path else None


def plan_import(actor, collection) -> ImportPlan:
    errors = _Errors()
    rows = _read_features(collection, errors)
    wanted = {row.code for row in rows} | {row.parent_code for row in rows if row.parent_code}
    existing = {
        unit.code: unit for unit in OrgUnit.objects.filter(code__in=wanted).select_related("parent")
    }
    plan = ImportPlan(existing=existing)
    state = _State(rows, existing)
    for row in rows:
        _check_row(actor, row, state, errors)
    if not errors:
        _classify(rows, plan)
    _check_places(rows, plan, state, errors)
    plan.errors = list(errors)
    return plan


def _check_row(actor, row: Row, state: _State, errors: _Errors) -> None:
    if row.parent_code is not None and not state.known(row.parent_code):
        errors.add(
            _error(
                "unknown_parent",
                _("%(feature)s: parent %(other)s is neither in the file nor an existing unit.")
                % {"feature": row.code, "other": row.parent_code},
                feature=row.code,
                field="parent_code",
                other=row.parent_code,
            )
        )
        return
    unit = state.existing.get(row.code)
    if unit is not None:
        current_parent = unit.parent.code if unit.parent is not None else None
        if current_parent != row.parent_code:
            errors.add(
                _error(
                    "parent_change",
                    _(
                        "%(feature)s: the import cannot move a unit "
                        "(parent is %(current)s, the file says %(other)s)."
                    )
                    % {"feature": row.code, "current": current_parent, "other": row.parent_code},
                    feature=row.code,
                    field="parent_code",
                    other=row.parent_code,
                )
            )
            return
        if unit.kind != row.kind and not (unit.kind in GRID_KINDS and row.kind in GRID_KINDS):
            errors.add(
                _error(
                    "kind_change",
                    _("%(feature)s: the import cannot change a %(old)s into a %(new)s.")
                    % {"feature": row.code, "old": unit.kind, "new": row.kind},
                    feature=row.code,
                    field="kind",
                )
            )
            return
    parent_kind = state.kind(row.parent_code)
    errors.add(parent_kind_error(code=row.code, kind=row.kind, parent_kind=parent_kind))
    row.community_code = community_code_for(
        kind=row.kind,
        parent_kind=parent_kind,
        parent_code=row.parent_code,
        grandparent_code=state.parent(row.parent_code),
    )
    errors.add(
        code_error(
            code=row.code,
            kind=row.kind,
            parent_code=row.parent_code,
            community_code=row.community_code,
        )
    )
    row.path = state.path(row.code) or ""
    if row.path and not can_admin(actor, row.path):
        errors.add(
            _error(
                "permission_denied",
                _("%(feature)s: you are not an admin of this unit or of a unit above it.")
                % {"feature": row.code},
                feature=row.code,
                field="code",
            )
        )


def _classify(rows: list[Row], plan: ImportPlan) -> None:
    for row in rows:
        unit = plan.existing.get(row.code)
        if unit is None:
            plan.creates.append(row)
            plan.boundaries_changed |= row.boundary is not None
        elif _differs(unit, row):
            plan.updates.append((unit, row))
            plan.boundaries_changed |= unit.boundary != row.boundary or not unit.is_active
        else:
            plan.unchanged += 1
    plan.creates.sort(key=lambda row: (row.path.count("/"), row.path))


def _differs(unit: OrgUnit, row: Row) -> bool:
    return (
        unit.name,
        unit.kind,
        unit.institution,
        unit.sort_order,
        unit.boundary,
        unit.is_active,
    ) != (row.name, row.kind, row.institution, row.sort_order, row.boundary, True)


def _check_places(rows: list[Row], plan: ImportPlan, state: _State, errors: _Errors) -> None:
    """Grids inside their community and not overlapping, for every community the file touches."""
    moved_grids: dict[str, set[str]] = defaultdict(set)
    file_grids: dict[str, dict[str, object]] = defaultdict(dict)
    reshaped: set[str] = set()
    for row in rows:
        unit = plan.existing.get(row.code)
        changed = unit is None or unit.boundary != row.boundary or not unit.is_active
        if row.kind in GRID_KINDS and row.community_code:
            if row.geom is not None:
                file_grids[row.community_code][row.code] = row.geom
            if changed and not row.broken:
                moved_grids[row.community_code].add(row.code)
        elif row.kind == OrgUnitKind.COMMUNITY and changed and row.geom is not None:
            reshaped.add(row.code)
    communities = set(moved_grids) | reshaped
    db_grids = _database_grids(communities, plan.existing, exclude=state.rows)
    for community in sorted(communities):
        community_row = state.rows.get(community)
        if community_row is not None and community_row.broken:
            continue
        geom = (
            community_row.geom
            if community_row is not None
            else _shape_of(plan.existing.get(community))
        )
        grids = {**db_grids.get(community, {}), **file_grids.get(community, {})}
        for error in grid_placement_errors(
            community_code=community,
            community_geom=geom,
            grids=grids,
            check=moved_grids.get(community, ()),
        ):
            errors.add(error)
        if community in reshaped:
            unchanged = set(grids) - moved_grids.get(community, set())
            for error in grid_placement_errors(
                community_code=community,
                community_geom=geom,
                grids=grids,
                check=unchanged,
                overlaps=False,
            ):
                errors.add(error)


def _shape_of(unit: OrgUnit | None):
    return shape(unit.boundary) if unit is not None and unit.boundary else None


def _database_grids(
    communities: set[str], existing: dict[str, OrgUnit], exclude: dict
) -> dict[str, dict[str, object]]:
    """Active grids already stored under the given communities, minus those the file redefines."""
    paths = [existing[code].path for code in communities if code in existing]
    found: dict[str, dict[str, object]] = defaultdict(dict)
    if not paths:
        return found
    rows = OrgUnit.objects.filter(
        scope_q(paths), kind__in=GRID_KINDS, is_active=True, boundary__isnull=False
    ).values_list("code", "boundary")
    for code, boundary in rows:
        if code not in exclude:
            # A grid code starts with its community's 12-digit code.
            found[code[:12]][code] = shape(boundary)
    return found


# --- applying ------------------------------------------------------------------------------------


def apply_plan(plan: ImportPlan) -> dict:
    units = dict(plan.existing)
    levels: dict[int, list[Row]] = defaultdict(list)
    for row in plan.creates:
        levels[row.path.count("/")].append(row)
    for level in sorted(levels):
        batch = [
            OrgUnit(
                code=row.code,
                name=row.name,
                kind=row.kind,
                parent=units.get(row.parent_code) if row.parent_code else None,
                path=row.path,
                depth=row.path.count("/") - 2,
                boundary=row.boundary,
                institution=row.institution,
                sort_order=row.sort_order,
                **geometry_fields(row.geom),
            )
            for row in levels[level]
        ]
        OrgUnit.objects.bulk_create(batch, batch_size=500)
        if any(unit.pk is None for unit in batch):  # databases that return no ids
            batch = list(OrgUnit.objects.filter(code__in=[unit.code for unit in batch]))
        units.update({unit.code: unit for unit in batch})
    now = timezone.now()
    changed = []
    for unit, row in plan.updates:
        unit.name, unit.kind, unit.institution = row.name, row.kind, row.institution
        unit.sort_order, unit.is_active = row.sort_order, True
        if unit.boundary != row.boundary:
            unit.boundary = row.boundary
            for name, value in geometry_fields(row.geom).items():
                setattr(unit, name, value)
        unit.version += 1
        unit.updated_at = now
        changed.append(unit)
    OrgUnit.objects.bulk_update(changed, UPDATE_FIELDS, batch_size=500)
    return {"created": len(plan.creates), "updated": len(plan.updates), "unchanged": plan.unchanged}
