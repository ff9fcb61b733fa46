"""The org tree as GeoJSON: the one format for import, export and the demo generator.

    {"type": "FeatureCollection", "features": [
      {"type": "Feature", "id": "<code>", "geometry": <Polygon | MultiPolygon | null>,
       "properties": {"code", "name", "kind", "parent_code", "institution", "sort_order"}}]}

Coordinates are [lng, lat] (WGS-84). Features may come in any order; export writes parents first.
Import upserts by code and the file is the truth for the units it lists: a null geometry clears
a stored boundary. Units the file does not list are left alone (an import never deletes).
Importing is services.org_tree_import (validation and planning live in importer.py).
"""

import json
from pathlib import Path

from wangge.core.scope import scope_q

from .codes import parent_code_of
from .models import OrgUnit
from .permissions import visible_paths
from .selectors import org_unit_get


def unit_feature(unit: OrgUnit) -> dict:
    return {
        "type": "Feature",
        "id": unit.code,
        "geometry": unit.boundary,
        "properties": {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent_code": parent_code_of(unit.path),
            "institution": unit.institution,
            "sort_order": unit.sort_order,
        },
    }


def org_tree_export(*, actor, root_code: str | None = None) -> dict:
    """Active units in the actor's scope (or under `root_code`), parents before children."""
    units = OrgUnit.objects.filter(is_active=True)
    if root_code:
        root = org_unit_get(actor=actor, code=root_code)
        units = units.filter(path__startswith=root.path)
    else:
        units = units.filter(scope_q(visible_paths(actor)))
    return {
        "type": "FeatureCollection",
        "features": [unit_feature(unit) for unit in units.order_by("depth", "path")],
    }


def read_feature_collection(path: str | Path) -> dict:
    """A FeatureCollection from a file (UTF-8, optionally with a BOM)."""
    return json.loads(Path(path).read_text(encoding="utf-8-sig"))


def write_feature_collection(collection: dict, path: str | Path | None = None) -> str:
    """Compact UTF-8 JSON (Chinese names unescaped), one feature per line for readable diffs."""
    features = ",\n".join(
        json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        for feature in collection["features"]
    )
    text = '{"type":"FeatureCollection","features":[\n' + features + "\n]}\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
