"""The demo register: compounds, buildings, dwellings, households, persons, organisations and
key populations for the demo street (about 10,000 households and 30,000 persons), or for a
scaled city at the same density per grid.

`plan_register()` is pure: the same city, seed and day give the same register, and nothing is
written. `register_load()` writes it: places get their grid from their point through the grid
index (points are drawn inside each grid's polygon), persons from their building. Rows are
written with bulk_create in large batches rather than through the one-record services: the demo
is the system actor seeding an empty street, where per-record services (history rows, audit rows,
permission checks per person) would cost minutes and record nothing anyone needs. The derived
tags and the grid counts are then computed by the same functions the nightly job runs.

Size: settings.WANGGE_DEMO_HOUSEHOLDS households in the demo street (default 10,000; the demo
tests set it small); a scaled city gets as many per grid.
"""

from datetime import date

import numpy as np
import shapely
from shapely.geometry import shape

from . import people
from .register_households import plan_households, plan_key_populations, plan_organisations
from .register_plan import (
    COMMERCIAL_GROUND_FLOOR,
    COMPOUND_SUFFIXES,
    COMPOUND_WORDS,
    DEDICATED_WEIGHT,
    DEFAULT_HOUSEHOLDS,
    DEMO_GRID_WEIGHT,
    DWELLING_USE_P,
    PROPERTY_COMPANIES,
    RegisterPlan,
)
from .register_writer import write_plan


def grids_of(collection: dict) -> list[dict]:
    """The grids of a generated city with their polygon, community name and street code."""
    by_code = {f["properties"]["code"]: f["properties"] for f in collection["features"]}
    grids = []
    for feature in collection["features"]:
        props = feature["properties"]
        if props["kind"] not in ("grid", "dedicated_grid") or feature["geometry"] is None:
            continue
        community = by_code[props["parent_code"]]
        grids.append(
            {
                "code": props["code"],
                "kind": props["kind"],
                "institution": props.get("institution", ""),
                "community": community["name"],
                "community_code": community["code"],
                "street_code": community["parent_code"],
                "polygon": shape(feature["geometry"]),
            }
        )
    return sorted(grids, key=lambda g: g["code"])


def households_per_grid(grids: list[dict], street_households: int) -> list[int]:
    weights = np.array([DEDICATED_WEIGHT if g["kind"] == "dedicated_grid" else 1.0 for g in grids])
    per_weight = street_households / DEMO_GRID_WEIGHT
    return [round(float(w) * per_weight) for w in weights]


def points_inside(rng: np.random.Generator, polygon, count: int) -> np.ndarray:
    """`count` random (lng, lat) points strictly inside the polygon (rejection sampling)."""
    west, south, east, north = polygon.bounds
    inner = polygon.buffer(-(east - west) * 0.01) if polygon.area else polygon
    inner = inner if not inner.is_empty else polygon
    found = np.empty((0, 2))
    while len(found) < count:
        xs = rng.uniform(west, east, count * 2 + 8)
        ys = rng.uniform(south, north, count * 2 + 8)
        keep = shapely.contains_xy(inner, xs, ys)
        found = np.vstack([found, np.column_stack([xs[keep], ys[keep]])])
    return found[:count]


def plan_register(
    collection: dict, *, seed: int, today: date, street_households: int = DEFAULT_HOUSEHOLDS
) -> RegisterPlan:
    """The whole register of a generated city (see the module docstring)."""

    rng = np.random.default_rng([seed, 3])
    plan = RegisterPlan()
    grids = grids_of(collection)
    used_ids: set[str] = set()
    for grid, wanted in zip(grids, households_per_grid(grids, street_households), strict=True):
        first_dwelling = len(plan.dwellings)
        plan_places(rng, plan, grid, wanted)
        plan_households(rng, plan, grid, first_dwelling, today, used_ids)
    plan_key_populations(rng, plan, today)
    plan_organisations(rng, plan, grids, today)
    return plan


def plan_places(rng: np.random.Generator, plan: RegisterPlan, grid: dict, households: int) -> None:
    """Compounds of buildings of dwellings in one grid, enough to house `households`."""
    if households <= 0:
        return
    uses = list(DWELLING_USE_P)
    use_p = np.array(list(DWELLING_USE_P.values()))
    occupied = 0
    first_building = len(plan.buildings)
    names_here: set[str] = set()
    while occupied < households:
        compound_index = len(plan.compounds)
        word = people.ROADS[int(rng.integers(len(people.ROADS)))]
        name = (
            COMPOUND_WORDS[int(rng.integers(len(COMPOUND_WORDS)))]
            + COMPOUND_SUFFIXES[int(rng.integers(len(COMPOUND_SUFFIXES)))]
        )
        if name in names_here:
            name = f"{name}{'二期' if name + '二期' not in names_here else compound_index}"
        names_here.add(name)
        plan.compounds.append(
            {
                "name": name,
                "address": f"{word}{int(rng.integers(1, 400))}号",
                "property_company": PROPERTY_COMPANIES[int(rng.integers(len(PROPERTY_COMPANIES)))],
                "sponsor": int(rng.integers(9)),
                "grid": grid["code"],
            }
        )
        high_rise = rng.random() < 0.4
        for number in range(1, int(rng.integers(3, 11)) + 1):
            if occupied >= households:
                break
            floors = int(rng.integers(11, 19)) if high_rise else int(rng.integers(5, 8))
            entrances = int(rng.integers(1, 3)) if high_rise else int(rng.integers(2, 4))
            per_floor = 4 if high_rise else 2
            building_index = len(plan.buildings)
            compound = plan.compounds[compound_index]
            plan.buildings.append(
                {
                    "compound": compound_index,
                    "name": f"{number}栋",
                    "address": f"{compound['address']}{compound['name']}{number}栋",
                    "floors": floors,
                    "entrances": entrances,
                    "grid": grid["code"],
                }
            )
            doors = [
                (entrance, floor, door)
                for entrance in range(1, entrances + 1)
                for floor in range(1, floors + 1)
                for door in range(1, per_floor + 1)
            ]
            for entrance, floor, door in doors:
                if occupied >= households:
                    break
                use = uses[int(rng.choice(len(uses), p=use_p))]
                # Shops open on the ground floor of the street side.
                if floor == 1 and door == 1 and rng.random() < COMMERCIAL_GROUND_FLOOR:
                    use = "commercial"
                plan.dwellings.append(
                    {
                        "building": building_index,
                        "entrance": entrance,
                        "floor": floor,
                        "number": f"{entrance}-{floor}{door:02d}",
                        "use": use,
                        "area_m2": round(float(rng.normal(92 if high_rise else 75, 18)), 1),
                    }
                )
                if use in ("owner_occupied", "rented"):
                    occupied += 1
    points = points_inside(rng, grid["polygon"], len(plan.buildings) - first_building)
    for building, (lng, lat) in zip(plan.buildings[first_building:], points, strict=True):
        building["lng"], building["lat"] = round(float(lng), 7), round(float(lat), 7)
    for building in plan.buildings[first_building:]:
        compound = plan.compounds[building["compound"]]
        if "lng" not in compound:  # a compound is marked where its first building stands
            compound["lng"], compound["lat"] = building["lng"], building["lat"]


# --- writing ------------------------------------------------------------------------------------


def street_households() -> int:
    from django.conf import settings

    return int(getattr(settings, "WANGGE_DEMO_HOUSEHOLDS", DEFAULT_HOUSEHOLDS))


def register_load(*, actor, collection: dict, seed: int, today: date | None = None) -> dict:
    """Write the planned register into a database that holds the generated city; returns counts.

    Called by demo_load inside its transaction (so the system actor is already checked).
    """
    from django.utils import timezone

    today = today or timezone.localdate()
    plan = plan_register(collection, seed=seed, today=today, street_households=street_households())
    return write_plan(actor=actor, plan=plan, today=today)
