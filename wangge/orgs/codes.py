"""Org unit codes, parent kinds and paths: the rules every create, update and import obeys.

- city, district, street, community: a 12-digit division code;
- grid and dedicated grid: the community's code + 3 digits (a grid under a sector still uses its
  community's code, so the grid code says which community it belongs to);
- sector: the community's code + "S" + 2 digits;
- department: the parent's code + "D" + 2 digits.
"""

import re

from django.utils.translation import gettext as _

from wangge.core.errors import ValidationFailed

from .enums import ALLOWED_PARENT_KINDS, GRID_KINDS, OrgUnitKind

DIVISION_CODE = re.compile(r"\d{12}")
ADMIN_KINDS = (OrgUnitKind.CITY, OrgUnitKind.DISTRICT, OrgUnitKind.STREET, OrgUnitKind.COMMUNITY)


def unit_path(parent_path: str | None, code: str) -> str:
    return (parent_path or "/") + code + "/"


def path_codes(path: str) -> list[str]:
    """The codes on a materialised path, from the top (`/a/b/c/` → `[a, b, c]`)."""
    return [part for part in (path or "").split("/") if part]


def parent_code_of(path: str) -> str | None:
    """The parent's code, read from a materialised path (`/a/b/c/` → `b`)."""
    parts = path.strip("/").split("/")
    return parts[-2] if len(parts) > 1 else None


def code_pattern(kind: str, *, parent_code: str | None, community_code: str | None) -> str | None:
    """The regular expression a code of `kind` must match, or None when it cannot be known."""
    if kind in ADMIN_KINDS:
        return r"\d{12}"
    if kind in GRID_KINDS:
        return re.escape(community_code) + r"\d{3}" if community_code else None
    if kind == OrgUnitKind.SECTOR:
        return re.escape(community_code) + r"S\d{2}" if community_code else None
    if kind == OrgUnitKind.DEPARTMENT:
        return re.escape(parent_code) + r"D\d{2}" if parent_code else None
    return None


def _rule_text(kind: str) -> str:
    return {
        "grid": _("the community's 12-digit code followed by 3 digits"),
        "sector": _("the community's 12-digit code followed by S and 2 digits"),
        "department": _("the parent's code followed by D and 2 digits"),
    }.get("grid" if kind in GRID_KINDS else kind, _("12 digits"))


def code_error(
    *, code: str, kind: str, parent_code: str | None, community_code: str | None
) -> ValidationFailed | None:
    """Why `code` is not a valid code for a unit of `kind` at this place, or None."""
    pattern = code_pattern(kind, parent_code=parent_code, community_code=community_code)
    if pattern is None or re.fullmatch(pattern, code or ""):
        return None
    return ValidationFailed(
        _("%(feature)s: a %(kind)s code must be %(rule)s.")
        % {"feature": code, "kind": OrgUnitKind(kind).label, "rule": _rule_text(kind)},
        code="code_format",
        field="code",
        detail={"feature": code},
    )


def kind_error(*, code: str, kind: str) -> ValidationFailed | None:
    if kind in OrgUnitKind.values:
        return None
    return ValidationFailed(
        _("%(feature)s: kind must be one of %(kinds)s.")
        % {"feature": code, "kinds": ", ".join(OrgUnitKind.values)},
        code="kind_unknown",
        field="kind",
        detail={"feature": code},
    )


def parent_kind_error(*, code: str, kind: str, parent_kind: str | None) -> ValidationFailed | None:
    """Whether a unit of `kind` may sit under a parent of `parent_kind` (None = at the top)."""
    allowed = ALLOWED_PARENT_KINDS.get(kind, ())
    if (parent_kind is None and not allowed) or parent_kind in allowed:
        return None
    if not allowed:
        message = _("%(feature)s: a %(kind)s sits at the top and has no parent.")
    else:
        message = _("%(feature)s: a %(kind)s must sit under a %(allowed)s.")
    return ValidationFailed(
        message
        % {
            "feature": code,
            "kind": OrgUnitKind(kind).label,
            "allowed": " / ".join(str(OrgUnitKind(k).label) for k in allowed),
        },
        code="parent_kind",
        field="parent_code",
        detail={"feature": code, "parent_kind": parent_kind},
    )


def name_error(
    *, code: str, name, field: str = "name", max_length: int = 64, required: bool = True
) -> ValidationFailed | None:
    if not isinstance(name, str) or (required and not name.strip()):
        return ValidationFailed(
            _("%(feature)s: %(field)s is required.") % {"feature": code, "field": field},
            code="required",
            field=field,
            detail={"feature": code},
        )
    if len(name) > max_length:
        return ValidationFailed(
            _("%(feature)s: %(field)s may have at most %(n)d characters.")
            % {"feature": code, "field": field, "n": max_length},
            code="too_long",
            field=field,
            detail={"feature": code},
        )
    return None


def community_code_for(
    *, kind: str, parent_kind: str | None, parent_code: str | None, grandparent_code: str | None
) -> str | None:
    """The community a sector, grid or dedicated grid belongs to (its parent or grandparent)."""
    if parent_kind == OrgUnitKind.COMMUNITY:
        return parent_code
    if parent_kind == OrgUnitKind.SECTOR:
        return grandparent_code
    return None
