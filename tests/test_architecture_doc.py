"""docs/architecture.md stays true: its file maps name every module of every app."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def modules_of(app: Path) -> set[str]:
    found = set()
    for path in app.rglob("*.py"):
        relative = path.relative_to(app)
        if {"tests", "migrations"} & set(relative.parts):
            continue
        if path.name == "apps.py" and len(relative.parts) == 1:
            continue
        if path.name == "__init__.py" and not path.read_text(encoding="utf-8").strip():
            continue
        found.add(relative.as_posix())
    return found


def mapped(app: str, text: str) -> set[str]:
    """The modules listed under "### `<app>`", up to the next heading."""
    match = re.search(rf"^### `{app}`\n(.*?)(?=^##)", text, re.S | re.M)
    assert match, f"docs/architecture.md has no file map for {app}"
    return set(re.findall(r"^- `([^`]+\.py)`", match.group(1), re.M))


def test_every_module_of_every_app_is_in_the_file_maps():
    text = DOC.read_text(encoding="utf-8")
    apps = sorted(p.name for p in (ROOT / "wangge").iterdir() if (p / "apps.py").exists())
    assert "cases" in apps and "registry" in apps
    for app in apps:
        missing = modules_of(ROOT / "wangge" / app) - mapped(app, text)
        assert not missing, f"{app}: add {sorted(missing)} to docs/architecture.md"


def test_the_file_maps_name_no_module_that_is_gone():
    text = DOC.read_text(encoding="utf-8")
    for app in ("core", "orgs", "registry", "cases", "notifications", "portal", "api", "demo"):
        gone = mapped(app, text) - modules_of(ROOT / "wangge" / app)
        assert not gone, f"{app}: {sorted(gone)} no longer exist"
