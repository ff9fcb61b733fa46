"""Where the Open311 GeoReport v2 JSON Schemas are: open311-schemas/ beside this module (a copy
of the upstream files, see its README), or the folder named by WANGGE_OPEN311_SCHEMAS to check
against another copy."""

import os
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "open311-schemas"


def schemas_dir() -> Path:
    folder = Path(os.environ.get("WANGGE_OPEN311_SCHEMAS") or BUNDLED)
    if not (folder / "requests.json").exists():
        raise AssertionError(f"The Open311 JSON Schemas are not at {folder}.")
    return folder
