"""Where the Open311 GeoReport v2 JSON Schemas are: ../shared/open311-schemas beside the project
(as on the machines that build it), or the folder named by WANGGE_OPEN311_SCHEMAS."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def schemas_dir() -> Path:
    folder = Path(
        os.environ.get("WANGGE_OPEN311_SCHEMAS") or ROOT.parent / "shared" / "open311-schemas"
    )
    if not (folder / "requests.json").exists():
        raise AssertionError(
            f"The Open311 JSON Schemas are not at {folder}: put the shared open311-schemas "
            "folder beside the project, or set WANGGE_OPEN311_SCHEMAS."
        )
    return folder
