"""Test object graph for org units and staff: a small street with two communities and four grids.

Units are written directly (not through services) so that tests of the services start from a
known state; everything else in tests should go through services and selectors.
"""

from dataclasses import dataclass

from wangge.core.models import AccountKind, User
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.models import OrgUnit, RoleAssignment

PASSWORD = "Grid-Worker-2026"


def box(west: float, south: float, east: float, north: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


def org_unit(
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    boundary: dict | None = None,
    **extra,
) -> OrgUnit:
    path = (parent.path if parent else "/") + code + "/"
    return OrgUnit.objects.create(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        path=path,
        depth=(parent.depth + 1) if parent else 0,
        boundary=boundary,
        **extra,
    )


def staff_user(
    username: str,
    role: str | None = None,
    unit: OrgUnit | None = None,
    password: str = PASSWORD,
    **extra,
) -> User:
    user = User.objects.create_user(
        username=username, password=password, kind=AccountKind.STAFF, **extra
    )
    if role and unit:
        RoleAssignment.objects.create(user=user, role=role, org_unit=unit)
    return user


@dataclass
class Street:
    city: OrgUnit
    district: OrgUnit
    street: OrgUnit
    community_a: OrgUnit
    community_b: OrgUnit
    grid_a1: OrgUnit
    grid_a2: OrgUnit
    grid_b1: OrgUnit
    grid_b2: OrgUnit
    department: OrgUnit


def make_street() -> Street:
    """Two adjacent square communities (about 2 km × 2.2 km each), each split into two grids."""
    city = org_unit("511400000000", "眉山市", OrgUnitKind.CITY)
    district = org_unit("511402000000", "东坡区", OrgUnitKind.DISTRICT, city)
    street = org_unit(
        "511402001000", "通惠街道", OrgUnitKind.STREET, district, box(104.00, 30.50, 104.04, 30.52)
    )
    community_a = org_unit(
        "511402001001", "三苏社区", OrgUnitKind.COMMUNITY, street, box(104.00, 30.50, 104.02, 30.52)
    )
    community_b = org_unit(
        "511402001002", "湖滨社区", OrgUnitKind.COMMUNITY, street, box(104.02, 30.50, 104.04, 30.52)
    )
    grid_a1 = org_unit(
        "511402001001001",
        "三苏第一网格",
        OrgUnitKind.GRID,
        community_a,
        box(104.00, 30.50, 104.01, 30.52),
    )
    grid_a2 = org_unit(
        "511402001001002",
        "三苏第二网格",
        OrgUnitKind.GRID,
        community_a,
        box(104.01, 30.50, 104.02, 30.52),
    )
    grid_b1 = org_unit(
        "511402001002001",
        "湖滨第一网格",
        OrgUnitKind.GRID,
        community_b,
        box(104.02, 30.50, 104.03, 30.52),
    )
    grid_b2 = org_unit(
        "511402001002002",
        "湖滨第二网格",
        OrgUnitKind.GRID,
        community_b,
        box(104.03, 30.50, 104.04, 30.52),
    )
    department = org_unit("511402001000D01", "城管执法中队", OrgUnitKind.DEPARTMENT, street)
    return Street(
        city,
        district,
        street,
        community_a,
        community_b,
        grid_a1,
        grid_a2,
        grid_b1,
        grid_b2,
        department,
    )


def grid_worker(street: Street, username: str = "gw_a1") -> User:
    return staff_user(
        username, Role.GRID_WORKER, street.grid_a1, display_name="王小明", work_phone="13800138001"
    )


# --- added for the org services, import and index tests ------------------------------------------


def admin_user(unit: OrgUnit, username: str = "admin_street") -> User:
    return staff_user(username, Role.ADMIN, unit)


def feature(
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    geometry: dict | None = None,
    **properties,
) -> dict:
    """One feature of the org tree GeoJSON format (wangge/orgs/geojson_io.py)."""
    return {
        "type": "Feature",
        "id": code,
        "geometry": geometry,
        "properties": {
            "code": code,
            "name": name,
            "kind": kind,
            "parent_code": parent_code,
            "institution": "",
            "sort_order": 0,
            **properties,
        },
    }


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _strip(west: float, south: float, east: float, north: float, steps: int = 4) -> dict:
    """A rectangle with extra vertices on its long sides (neighbours share them exactly)."""
    lats = [south + (north - south) * k / steps for k in range(steps + 1)]
    ring = [[west, lat] for lat in lats] + [[east, lat] for lat in reversed(lats)] + [[west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def synthetic_collection(
    streets: int = 10, communities_per_street: int = 30, grids_per_community: int = 6
) -> dict:
    """city > district > streets > square communities (~1 km) > strip grids, tiling exactly."""
    size = 0.01
    features = [
        feature("510100000000", "成都市", OrgUnitKind.CITY),
        feature("510104000000", "锦江区", OrgUnitKind.DISTRICT, "510100000000"),
    ]
    for s in range(streets):
        street_code = f"510104{s + 1:03d}000"
        south = 30.50 + s * size
        features.append(
            feature(
                street_code,
                f"街道{s + 1}",
                OrgUnitKind.STREET,
                "510104000000",
                box(104.0, south, 104.0 + communities_per_street * size, south + size),
            )
        )
        for c in range(communities_per_street):
            community_code = f"{street_code[:9]}{c + 1:03d}"
            west = 104.0 + c * size
            features.append(
                feature(
                    community_code,
                    f"社区{s + 1}-{c + 1}",
                    OrgUnitKind.COMMUNITY,
                    street_code,
                    box(west, south, west + size, south + size),
                )
            )
            edges = [west + size * g / grids_per_community for g in range(grids_per_community)]
            edges.append(west + size)
            for g in range(grids_per_community):
                features.append(
                    feature(
                        f"{community_code}{g + 1:03d}",
                        f"网格{g + 1}",
                        OrgUnitKind.GRID,
                        community_code,
                        _strip(edges[g], south, edges[g + 1], south + size),
                    )
                )
    return collection(features)


def login_as(client, user) -> None:
    """Sign `user` in on a test client as the login pages would: with the TOTP step passed where
    the user's roles need it (admin, auditor), so the session counts as verified."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from wangge.core.scope import Actor
    from wangge.core.twofactor import totp_device_create, totp_required

    client.force_login(user)
    if totp_required(user):
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            totp_device_create(actor=Actor.system(), user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
