"""Point → grid: the vectorised index and the API lookup, on a generated city of ~1,800 grids.

(a) `locate_points` on 1,000,000 random points over the city (points/s, target ≥ 1,000,000);
    baseline: the naive loop over every polygon (`locate_point_naive`) on a sample, as points/s.
    The sample's answers must equal the vectorised ones, or the run fails.
(b) GET /api/v1/grids/locate?lat=&lng= with a bearer token, median and p95 of the time spent
    in Django per request (target median < 2 ms); baseline: GET /api/v1/auth/me, the cheapest
    authenticated endpoint through the same middleware and auth.

BENCH_SCALE=small uses 30 communities, 100,000 points and 300 requests.
"""

import time

import numpy as np
from common import best_seconds, django_database, median, percentile, record, sized

SEED = 20261122


def main() -> None:
    with django_database():
        grid_count, bounds = load_city()
        size = f"{grid_count} grids"
        bench_vectorised(bounds, size)
        bench_api(bounds, size)


def load_city() -> tuple[int, tuple]:
    from wangge.core.scope import Actor
    from wangge.demo.generator import generate_city
    from wangge.orgs.grid_index import grid_index, grid_index_reset
    from wangge.orgs.services import org_tree_import

    communities = sized(small=30, full=300)
    started = time.perf_counter()
    collection = generate_city(seed=SEED, scale=communities)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    summary = org_tree_import(actor=Actor.system(), feature_collection=collection)
    imported = time.perf_counter() - started
    grid_index_reset()
    started = time.perf_counter()
    index = grid_index()
    built = time.perf_counter() - started
    print(
        f"city: {communities} communities, {len(index)} grids, {len(collection['features'])} "
        f"units; generated in {generated:.2f} s, imported in {imported:.2f} s "
        f"({summary.get('created')} created), index built in {built:.2f} s"
    )
    all_bounds = np.array([geom.bounds for geom in index.geoms])
    bounds = (
        all_bounds[:, 0].min(),
        all_bounds[:, 1].min(),
        all_bounds[:, 2].max(),
        all_bounds[:, 3].max(),
    )
    return len(index), bounds


def random_points(rng: np.random.Generator, bounds: tuple, count: int):
    west, south, east, north = bounds
    return rng.uniform(west, east, count), rng.uniform(south, north, count)


def bench_vectorised(bounds: tuple, size: str) -> None:
    from wangge.orgs.grid_index import locate_point_naive, locate_points

    rng = np.random.default_rng(SEED)
    count = sized(small=100_000, full=1_000_000)
    lngs, lats = random_points(rng, bounds, count)
    locate_points(lngs[:1000], lats[:1000])  # warm: the index is loaded and prepared
    seconds = best_seconds(lambda: locate_points(lngs, lats))
    found = locate_points(lngs, lats)
    hit_rate = float(np.mean(found != None))  # noqa: E711 (element-wise on an object array)

    sample = sized(small=200, full=2_000)
    started = time.perf_counter()
    naive = [locate_point_naive(x, y) for x, y in zip(lngs[:sample], lats[:sample], strict=True)]
    naive_seconds = time.perf_counter() - started
    mismatches = int(np.sum(np.array(naive, dtype=object) != found[:sample]))
    if mismatches:
        raise SystemExit(f"locate_points disagrees with the naive loop on {mismatches} points")

    record(
        "grid_locate_points",
        f"{count:,} points, {size}",
        count / seconds,
        "points/s",
        sample / naive_seconds,
        1_000_000,
        hit_rate=round(hit_rate, 3),
        baseline_sample=sample,
    )


def bench_api(bounds: tuple, size: str) -> None:
    from django.test import Client

    from wangge.core.models import AccountKind, User
    from wangge.core.scope import Actor
    from wangge.core.tokens import api_token_issue
    from wangge.demo.names import CITY
    from wangge.orgs.grid_index import locate_points
    from wangge.orgs.role_services import role_assign

    user = User.objects.create_user(username="bench_admin", kind=AccountKind.STAFF)
    role_assign(actor=Actor.system(), user=user, role="admin", org_unit_code=CITY[0])
    raw, _token = api_token_issue(user=user)
    client = Client(headers={"authorization": f"Bearer {raw}"})

    # Points that fall in a grid: a lookup answered with a grid card, the case that matters.
    rng = np.random.default_rng(SEED + 1)
    lngs, lats = random_points(rng, bounds, 20_000)
    inside = np.flatnonzero(locate_points(lngs, lats) != None)  # noqa: E711
    requests = sized(small=300, full=2_000)
    points = [(float(lngs[i]), float(lats[i])) for i in inside[:requests]]

    def locate(point):
        return client.get(
            "/api/v1/grids/locate", {"lng": f"{point[0]:.7f}", "lat": f"{point[1]:.7f}"}
        )

    def me(_point):
        return client.get("/api/v1/auth/me")

    locate_ms = timed_requests(locate, points)
    me_ms = timed_requests(me, points)
    record(
        "grid_locate_api",
        f"{len(points):,} requests, {size}",
        median(locate_ms),
        "ms",
        median(me_ms),
        2.0,
        p95_ms=round(percentile(locate_ms, 0.95), 3),
        baseline_p95_ms=round(percentile(me_ms, 0.95), 3),
        baseline_endpoint="/api/v1/auth/me",
        database_queries=queries_per_request(locate, points[0]),
    )


def timed_requests(call, points) -> list[float]:
    """Server milliseconds per request (the Server-Timing header that core's middleware adds:
    Django's whole handling, without the test client's own overhead), after a warm-up; every
    answer must be a 200."""
    for point in points[:50]:
        response = call(point)
        if response.status_code != 200:
            raise SystemExit(f"warm-up request failed: {response.status_code} {response.content!r}")
    times = []
    for point in points:
        response = call(point)
        if response.status_code != 200:
            raise SystemExit(f"request failed: {response.status_code} {response.content!r}")
        times.append(float(response["Server-Timing"].split("dur=")[1]))
    return times


def queries_per_request(call, point) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call(point)
    return len(captured)


if __name__ == "__main__":
    main()
