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
        "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
    }


def org_unit(code: str, name: str, kind: str, parent: OrgUnit | None = None,
             boundary: dict | None = None, **extra) -> OrgUnit:
    path = (parent.path if parent else "/") + code + "/"
    return OrgUnit.objects.create(
        code=code, name=name, kind=kind, parent=parent, path=path,
        depth=(parent.depth + 1) if parent else 0, boundary=boundary, **extra,
    )


def staff_user(username: str, role: str | None = None, unit: OrgUnit | None = None,
               password: str = PASSWORD, **extra) -> User:
    user = User.objects.create_user(username=username, password=password,
                                    kind=AccountKind.STAFF, **extra)
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
    street = org_unit("511402001000", "通惠街道", OrgUnitKind.STREET, district,
                      box(104.00, 30.50, 104.04, 30.52))
    community_a = org_unit("511402001001", "三苏社区", OrgUnitKind.COMMUNITY, street,
                           box(104.00, 30.50, 104.02, 30.52))
    community_b = org_unit("511402001002", "湖滨社区", OrgUnitKind.COMMUNITY, street,
                           box(104.02, 30.50, 104.04, 30.52))
    grid_a1 = org_unit("511402001001001", "三苏第一网格", OrgUnitKind.GRID, community_a,
                       box(104.00, 30.50, 104.01, 30.52))
    grid_a2 = org_unit("511402001001002", "三苏第二网格", OrgUnitKind.GRID, community_a,
                       box(104.01, 30.50, 104.02, 30.52))
    grid_b1 = org_unit("511402001002001", "湖滨第一网格", OrgUnitKind.GRID, community_b,
                       box(104.02, 30.50, 104.03, 30.52))
    grid_b2 = org_unit("511402001002002", "湖滨第二网格", OrgUnitKind.GRID, community_b,
                       box(104.03, 30.50, 104.04, 30.52))
    department = org_unit("511402001000D01", "城管执法中队", OrgUnitKind.DEPARTMENT, street)
    return Street(city, district, street, community_a, community_b,
                  grid_a1, grid_a2, grid_b1, grid_b2, department)


def grid_worker(street: Street, username: str = "gw_a1") -> User:
    return staff_user(username, Role.GRID_WORKER, street.grid_a1, display_name="王小明",
                      work_phone="13800138001")
