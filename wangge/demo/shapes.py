"""Plausible polygons for the synthetic city, built so that every level tiles its parent exactly.

Cells are first drawn in local metres (x east, y north of the centre): an irregular outline,
split top-down into Voronoi cells of relaxed seed points. Floating-point clipping leaves
hair-width gaps and overlaps between neighbours, so the leaves are then rebuilt as one planar
arrangement in degrees: every leaf outline is noded with snap rounding on a 1e-7° grid (about
1 cm), polygonized, and each face is given back to the leaf that contains it. A parent is the
union of its leaves, so children tile parents with no gap and no overlap at every level.
"""

import math

import numpy as np
import shapely
from shapely import Polygon

GRID_SIZE = 1e-7  # degrees; coordinates of every output polygon lie on this grid
METRES_PER_DEG_LAT = 110_574.0
METRES_PER_DEG_LNG_EQUATOR = 111_320.0


def outline(rng: np.random.Generator, radius: float, vertices: int = 96) -> Polygon:
    """A star-shaped blob of about `radius` metres: a few low harmonics plus a little jitter."""
    angles = np.linspace(0.0, 2 * math.pi, vertices, endpoint=False)
    wobble = np.ones_like(angles)
    for harmonic in range(2, 6):
        amplitude = rng.uniform(0.02, 0.12) / harmonic * 2
        wobble += amplitude * np.sin(harmonic * angles + rng.uniform(0, 2 * math.pi))
    wobble += rng.normal(0.0, 0.012, size=angles.size)
    r = radius * np.clip(wobble, 0.6, 1.4)
    return Polygon(np.column_stack([r * np.cos(angles), r * np.sin(angles)]))


def sample_inside(rng: np.random.Generator, polygon: Polygon, count: int) -> np.ndarray:
    """`count` uniform random points inside `polygon` (vectorised rejection sampling)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found = np.empty((0, 2))
    while len(found) < count:
        batch = max(4 * count, 16)
        xs = rng.uniform(minx, maxx, batch)
        ys = rng.uniform(miny, maxy, batch)
        keep = shapely.contains_xy(polygon, xs, ys)
        found = np.vstack([found, np.column_stack([xs[keep], ys[keep]])])
    return found[:count]


def voronoi_cells(points: np.ndarray, polygon: Polygon) -> np.ndarray:
    """Voronoi cells of `points`, in input order, clipped to `polygon`."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=polygon, ordered=True)
    return shapely.intersection(shapely.get_parts(diagram), polygon)


def split(
    rng: np.random.Generator, polygon: Polygon, count: int, relax_steps: int = 3
) -> list[Polygon]:
    """Cut `polygon` into `count` single-part cells of similar size (relaxed Voronoi)."""
    if count == 1:
        return [polygon]
    points = sample_inside(rng, polygon, count)
    for _ in range(relax_steps):
        # Lloyd relaxation: move each seed to its cell's centre, which evens out cell sizes.
        cells = voronoi_cells(points, polygon)
        centres = shapely.point_on_surface(cells)
        inside = shapely.contains(cells, shapely.centroid(cells))
        centres = np.where(inside, shapely.centroid(cells), centres)
        points = shapely.get_coordinates(centres)
    return single_parts(list(voronoi_cells(points, polygon)))


def single_parts(cells: list) -> list[Polygon]:
    """Give each stray piece of a multi-part cell to the neighbour it shares most border with.

    A Voronoi cell clipped to a non-convex outline can fall apart; a unit in two pieces would look
    wrong on the map, and moving the piece keeps the cells a tiling of the same polygon.
    """
    cells = list(cells)
    for index, cell in enumerate(cells):
        if cell.geom_type == "Polygon":
            continue
        parts = sorted(shapely.get_parts(cell), key=lambda part: part.area, reverse=True)
        cells[index] = parts[0]
        for piece in parts[1:]:
            border = piece.exterior.buffer(0.01)
            shared = [
                (shapely.length(shapely.intersection(other.boundary, border)), other_index)
                for other_index, other in enumerate(cells)
                if other_index != index
            ]
            _, target = max(shared)
            cells[target] = shapely.union(cells[target], piece)
    for index, cell in enumerate(cells):
        if cell.geom_type != "Polygon":  # a receiving cell still in pieces: keep its biggest part
            cells[index] = max(shapely.get_parts(cell), key=lambda part: part.area)
    return cells


def campus(rng: np.random.Generator, polygon: Polygon) -> Polygon | None:
    """A small rotated rectangle (a school or hospital site) well inside `polygon`, or None."""
    inner = polygon.buffer(-220.0)
    if inner.is_empty or inner.area < 1.0:
        return None
    ((cx, cy),) = sample_inside(rng, inner, 1)
    half_w, half_h = rng.uniform(110, 170), rng.uniform(80, 120)
    angle = rng.uniform(0, math.pi)
    corners = np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]])
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    site = Polygon(corners @ rotation.T + [cx, cy])
    return site if polygon.contains(site) else None


def to_degrees(geometries, lng0: float, lat0: float):
    """Local metres around (lng0, lat0) → lng/lat (equirectangular: fine at city size)."""
    per_lng = METRES_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat0))

    def convert(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [lng0 + coords[:, 0] / per_lng, lat0 + coords[:, 1] / METRES_PER_DEG_LAT]
        )

    return shapely.transform(geometries, convert)


def exact_tiling(leaves: np.ndarray) -> np.ndarray:
    """Rebuild nearly-tiling leaf polygons (degrees) as an exact tiling on the GRID_SIZE grid."""
    lines = shapely.union_all(shapely.boundary(leaves), grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.area(faces) > 0]
    probes = shapely.point_on_surface(faces)
    tree = shapely.STRtree(leaves)
    owner = np.full(len(faces), -1)
    face_idx, leaf_idx = tree.query(probes, predicate="within")
    owner[face_idx] = leaf_idx
    lost = np.flatnonzero(owner < 0)
    if lost.size:  # a sliver that snapping moved outside every float leaf: nearest one takes it
        owner[lost] = tree.query_nearest(probes[lost], all_matches=False)[1]
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(len(leaves) + 1))
    rebuilt = np.empty(len(leaves), dtype=object)
    for leaf in range(len(leaves)):
        group = faces[order[starts[leaf] : starts[leaf + 1]]]
        if not len(group):
            raise ValueError(f"leaf {leaf} lost all its area when snapped to the grid")
        rebuilt[leaf] = shapely.union_all(group, grid_size=GRID_SIZE)
    return rebuilt


def union_exact(parts) -> Polygon:
    return shapely.union_all(np.asarray(parts, dtype=object), grid_size=GRID_SIZE)


def tidy(geometry):
    """Round to the grid's decimals (short JSON) and orient rings as GeoJSON wants (RFC 7946)."""
    rounded = shapely.transform(geometry, lambda coords: np.round(coords, 7))
    return shapely.orient_polygons(rounded, exterior_cw=False)
