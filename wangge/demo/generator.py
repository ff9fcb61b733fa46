"""The synthetic city: a seeded, deterministic GeoJSON FeatureCollection ready for org_tree_import.

`generate_city()` is pure: the same seed and scale give the same features, and nothing is written.
Without `scale` it builds the demo street (one city > one district > one street with its
departments > 5 communities > 38 grids, two of them dedicated grids for a school and a hospital)
around Meishan's Dongpo district. With `scale=N` it builds N communities spread over several
districts and streets (about 6 grids each) for benchmarks.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from . import names, shapes

DEFAULT_SEED = 20261122
CENTRE = (103.8310, 30.0480)  # lng, lat: central Dongpo district, Meishan
GRID_AREA_M2 = 250_000  # a city grid: ~300 households on about a quarter of a square kilometre
DEMO_GRID_COUNTS = (8, 7, 9, 6, 8)  # 38 grids over the demo street's 5 communities
COMMUNITIES_PER_STREET = 10
STREETS_PER_DISTRICT = 6


@dataclass
class Unit:
    code: str
    name: str
    kind: str
    parent_code: str | None
    sort_order: int = 1
    institution: str = ""
    children: list["Unit"] = field(default_factory=list)
    geometry: object = None  # shapely geometry in metres while planning, degrees once built

    def add(self, child: "Unit") -> "Unit":
        child.sort_order = len(self.children) + 1
        self.children.append(child)
        return child


def generate_city(*, seed: int = DEFAULT_SEED, scale: int | None = None) -> dict:
    """The demo street (scale None) or a city of `scale` communities, as a FeatureCollection."""
    if scale is not None and scale < 1:
        raise ValueError("scale must be a positive number of communities")
    rng = np.random.default_rng(seed)
    city = plan_demo(rng) if scale is None else plan_scaled(rng, scale)
    draw(rng, city)
    build_geometry(city)
    return feature_collection(city)


# --- the tree of units -----------------------------------------------------------------------


def plan_demo(rng: np.random.Generator) -> Unit:
    city = Unit(names.CITY[0], names.CITY[1], "city", None)
    prefix, district_name = names.DISTRICTS[0]
    district = city.add(Unit(prefix + "000000", district_name, "district", city.code))
    street = district.add(Unit(prefix + "001000", names.DEMO_STREET, "street", district.code))
    counts = [int(n) for n in rng.permutation(DEMO_GRID_COUNTS)]
    # The school and the hospital sit in the two communities with most grids (the biggest).
    by_size = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    institutions = {
        by_size[0]: names.SCHOOLS[int(rng.integers(len(names.SCHOOLS)))],
        by_size[1]: names.HOSPITALS[int(rng.integers(len(names.HOSPITALS)))],
    }
    fill_street(street, names.DEMO_COMMUNITIES, counts, institutions)
    return city


def plan_scaled(rng: np.random.Generator, communities: int) -> Unit:
    city = Unit(names.CITY[0], names.CITY[1], "city", None)
    street_count = max(1, round(communities / COMMUNITIES_PER_STREET))
    district_count = math.ceil(street_count / STREETS_PER_DISTRICT)
    per_street = spread(rng, communities, street_count)
    per_district = spread(rng, street_count, district_count)
    street_names = iter(names.pick_unique(rng, names.STREET_WORDS, street_count, "街道"))
    next_street = 0
    for prefix, district_name in names.district_names(district_count):
        district = city.add(Unit(prefix + "000000", district_name, "district", city.code))
        for number in range(1, per_district.pop(0) + 1):
            code = f"{prefix}{number:03d}000"
            street = district.add(Unit(code, next(street_names), "street", district.code))
            count = per_street[next_street]
            next_street += 1
            community_names = names.pick_unique(rng, names.COMMUNITY_WORDS, count, "社区")
            grid_counts = [int(n) for n in rng.integers(5, 8, size=count)]
            institutions = {}
            for index in np.flatnonzero(rng.random(count) < 0.2):
                pool = names.SCHOOLS if rng.random() < 0.6 else names.HOSPITALS
                institutions[int(index)] = pool[int(rng.integers(len(pool)))]
            fill_street(street, community_names, grid_counts, institutions)
    return city


def spread(rng: np.random.Generator, total: int, buckets: int) -> list[int]:
    """`total` split into `buckets` near-equal positive counts, the remainder placed at random."""
    base, extra = divmod(total, buckets)
    counts = [base] * buckets
    for index in rng.choice(buckets, size=extra, replace=False):
        counts[int(index)] += 1
    return counts


def fill_street(
    street: Unit, community_names: list[str], grid_counts: list[int], institutions: dict[int, str]
) -> None:
    for index, (name, grids) in enumerate(zip(community_names, grid_counts, strict=True)):
        code = f"{street.code[:9]}{index + 1:03d}"
        community = street.add(Unit(code, name, "community", street.code))
        institution = institutions.get(index)
        regular = grids - 1 if institution else grids
        for ordinal in range(1, regular + 1):
            community.add(
                Unit(f"{code}{ordinal:03d}", names.grid_name(name, ordinal), "grid", code)
            )
        if institution:
            community.add(
                Unit(
                    f"{code}{grids:03d}",
                    names.dedicated_grid_name(institution),
                    "dedicated_grid",
                    code,
                    institution=institution,
                )
            )
    for number, department in enumerate(names.DEPARTMENTS, start=1):
        street.add(Unit(f"{street.code}D{number:02d}", department, "department", street.code))


def walk(unit: Unit):
    yield unit
    for child in unit.children:
        yield from walk(child)


def areal(unit: Unit) -> list[Unit]:
    """Children that have an area (departments have none)."""
    return [child for child in unit.children if child.kind != "department"]


# --- geometry --------------------------------------------------------------------------------


def draw(rng: np.random.Generator, city: Unit) -> None:
    """Give every unit a polygon in local metres, top-down, each level cut from its parent."""
    grid_count = sum(1 for unit in walk(city) if unit.kind in ("grid", "dedicated_grid"))
    radius = math.sqrt(grid_count * GRID_AREA_M2 / math.pi)
    city.geometry = shapes.outline(rng, radius)
    pending = [city]
    while pending:
        parent = pending.pop(0)
        children = areal(parent)
        if not children:
            continue
        if parent.kind == "community":
            draw_grids(rng, parent, children)
            continue
        for child, cell in zip(
            children, shapes.split(rng, parent.geometry, len(children)), strict=True
        ):
            child.geometry = cell
            pending.append(child)


def draw_grids(rng: np.random.Generator, community: Unit, grids: list[Unit]) -> None:
    dedicated = [grid for grid in grids if grid.kind == "dedicated_grid"]
    regular = [grid for grid in grids if grid.kind == "grid"]
    rest = community.geometry
    if dedicated:
        site = shapes.campus(rng, community.geometry)
        if site is None:  # the community is too small for a campus: the site becomes a grid
            dedicated[0].kind, dedicated[0].institution = "grid", ""
            dedicated[0].name = names.grid_name(community.name, len(grids))
            regular.append(dedicated[0])
        else:
            dedicated[0].geometry = site
            rest = shapely.difference(community.geometry, site)
    for grid, cell in zip(regular, shapes.split(rng, rest, len(regular)), strict=True):
        grid.geometry = cell


def build_geometry(city: Unit) -> None:
    """Snap the leaves into an exact tiling in degrees, then make every parent their union."""
    leaves = [unit for unit in walk(city) if unit.geometry is not None and not areal(unit)]
    in_degrees = shapes.to_degrees(
        np.array([leaf.geometry for leaf in leaves], dtype=object), *CENTRE
    )
    for leaf, geometry in zip(leaves, shapes.exact_tiling(in_degrees), strict=True):
        leaf.geometry = geometry

    def merge(unit: Unit) -> None:
        children = areal(unit)
        if children:
            for child in children:
                merge(child)
            unit.geometry = shapes.union_exact([child.geometry for child in children])

    merge(city)


# --- output ----------------------------------------------------------------------------------


def feature_collection(city: Unit) -> dict:
    features = []
    for unit in walk(city):
        geometry = None
        if unit.geometry is not None:
            geometry = shapely.geometry.mapping(shapes.tidy(unit.geometry))
            geometry = {"type": geometry["type"], "coordinates": as_lists(geometry["coordinates"])}
        features.append(
            {
                "type": "Feature",
                "id": unit.code,
                "geometry": geometry,
                "properties": {
                    "code": unit.code,
                    "name": unit.name,
                    "kind": unit.kind,
                    "parent_code": unit.parent_code,
                    "institution": unit.institution,
                    "sort_order": unit.sort_order,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def as_lists(value):
    """GeoJSON as plain lists (mapping() gives tuples), so it compares equal after JSON."""
    if isinstance(value, tuple | list):
        return [as_lists(item) for item in value]
    return value
