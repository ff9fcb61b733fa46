"""Per-process caches of what every intake reads and what rarely changes: case categories, the
community and street above each grid, a street's department for a category.

They hang on the DIRECTORY revision (wangge.core.revisions): every write to org units, role
assignments, service hours and staff accounts bumps it, this process drops the caches at once
and the other processes within WANGGE_CACHE_RECHECK_SECONDS. Categories have no write service
(they come from migrations and the seeded catalogue), so a cached category is also reloaded
after CATEGORY_MAX_AGE seconds; a code not cached is always looked up in the database.

Cached model instances are shared by the requests of one process, so callers get copies.
"""

import copy
import time
from typing import NamedTuple

from wangge.core.revisions import DIRECTORY, RevisionCache
from wangge.orgs.codes import path_codes
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit

from .models import CaseCategory

CATEGORY_MAX_AGE = 60.0
# The grid boundary (a polygon) is large and intake never reads it.
UNIT_FIELDS = ("id", "code", "name", "kind", "parent_id", "path", "depth", "is_active")


class Place(NamedTuple):
    grid: OrgUnit
    community: OrgUnit | None
    street: OrgUnit | None


_categories: RevisionCache[dict[str, tuple[float, CaseCategory]]] = RevisionCache(DIRECTORY, dict)
_places: RevisionCache[dict[str, Place | None]] = RevisionCache(DIRECTORY, dict)
_departments: RevisionCache[dict[tuple[int, str], OrgUnit | None]] = RevisionCache(DIRECTORY, dict)


def _copy(unit: OrgUnit | None) -> OrgUnit | None:
    return copy.copy(unit) if unit is not None else None


def active_category(code: str) -> CaseCategory | None:
    """The active category with this code, or None."""
    cached = _categories.get()
    hit = cached.get(code)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CATEGORY_MAX_AGE:
        return copy.copy(hit[1])
    category = CaseCategory.objects.filter(code=code, is_active=True).first()
    if category is None:
        cached.pop(code, None)
        return None
    cached[code] = (now, category)
    return copy.copy(category)


def grid_place(code: str) -> Place | None:
    """The active grid with this code and the community and street above it, or None."""
    cached = _places.get()
    if code not in cached:
        grid = OrgUnit.objects.only(*UNIT_FIELDS).filter(code=code, is_active=True).first()
        place = None
        if grid is not None:
            codes = path_codes(grid.path)
            above = {
                unit.kind: unit
                for unit in OrgUnit.objects.only(*UNIT_FIELDS).filter(
                    code__in=codes, kind__in=(OrgUnitKind.COMMUNITY, OrgUnitKind.STREET)
                )
            }
            place = Place(grid, above.get(OrgUnitKind.COMMUNITY), above.get(OrgUnitKind.STREET))
        cached[code] = place
    place = cached[code]
    if place is None:
        return None
    return Place(copy.copy(place.grid), _copy(place.community), _copy(place.street))


def street_department(street: OrgUnit, name: str) -> OrgUnit | None:
    """The street's first active department (by code) whose name contains `name`."""
    cached = _departments.get()
    key = (street.pk, name)
    if key not in cached:
        cached[key] = (
            OrgUnit.objects.only(*UNIT_FIELDS)
            .filter(parent=street, kind=OrgUnitKind.DEPARTMENT, is_active=True, name__contains=name)
            .order_by("code")
            .first()
        )
    return _copy(cached[key])
