"""Test objects for the case loop: categories (written directly) and the people who work cases.

The street is wangge.orgs.tests.factories.make_street(): two communities (三苏, 湖滨) of two grids
each and one street department (城管执法中队). Points: POINT_A1 lies in grid a1 (community a),
POINT_B1 in grid b1 (community b).
"""

from dataclasses import dataclass
from datetime import datetime

from wangge.cases import services
from wangge.cases.enums import CategoryKind, HandlingLevel
from wangge.cases.intake import case_report
from wangge.cases.models import Case, CaseCategory
from wangge.core.models import AccountKind, User
from wangge.core.scope import Actor
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.tests.factories import Street, make_street, org_unit, staff_user

POINT_A1 = (104.005, 30.51)
POINT_A1_NEAR = (104.0052, 30.5101)  # ~22 m from POINT_A1
POINT_B1 = (104.025, 30.51)
POINT_OUTSIDE = (105.0, 31.0)


def category(code: str = "T0101", name: str = "路灯损坏", **extra) -> CaseCategory:
    defaults = {
        "kind": CategoryKind.COMPONENT,
        "handling_level": HandlingLevel.COMMUNITY,
        "accept_hours": 4,
        "dispatch_hours": 4,
        "handle_days": 3,
    }
    defaults.update(extra)
    return CaseCategory.objects.create(code=code, name=name, **defaults)


def resident(username: str = "resident1") -> User:
    return User.objects.create_user(
        username=username, password="Resident-2026", kind=AccountKind.RESIDENT
    )


def actor(user: User) -> Actor:
    return actor_for(user)


@dataclass
class Crew:
    """Everyone a case meets on its way through the street."""

    street: Street
    department2: OrgUnit
    grid_worker: Actor
    community_a: Actor  # community staff of 三苏 (community a)
    community_b: Actor
    command: Actor  # the street's command centre
    dept: Actor  # staff of 城管执法中队
    dept2: Actor  # staff of a second department (市场监管所)
    resident: Actor
    resident2: Actor


def crew() -> Crew:
    street = make_street()
    department2 = org_unit("511402001000D02", "市场监管所", OrgUnitKind.DEPARTMENT, street.street)
    users = {
        "grid_worker": staff_user("gw_a1", Role.GRID_WORKER, street.grid_a1),
        "community_a": staff_user("cs_a", Role.COMMUNITY_STAFF, street.community_a),
        "community_b": staff_user("cs_b", Role.COMMUNITY_STAFF, street.community_b),
        "command": staff_user("cc_street", Role.COMMAND_CENTRE, street.street),
        "dept": staff_user("dept_cg", Role.DEPARTMENT_STAFF, street.department),
        "dept2": staff_user("dept_sj", Role.DEPARTMENT_STAFF, department2),
        "resident": resident("resident1"),
        "resident2": resident("resident2"),
    }
    return Crew(
        street=street,
        department2=department2,
        **{name: actor_for(user) for name, user in users.items()},
    )


def report(
    reporter: Actor,
    *,
    category_code: str = "T0101",
    point: tuple[float, float] = POINT_A1,
    source: str = "resident",
    now: datetime | None = None,
    **extra,
) -> Case:
    return case_report(
        actor=reporter,
        category_code=category_code,
        title=extra.pop("title", "路灯不亮"),
        lng=point[0],
        lat=point[1],
        source=source,
        now=now,
        **extra,
    )


def at_street(c: Crew, note: str = "需要多部门") -> Case:
    """A resident's case accepted by community A and escalated to the street."""
    case = report(c.resident)
    case = services.case_accept(actor=c.community_a, number=case.number, version=case.version)
    return services.case_escalate(
        actor=c.community_a, number=case.number, version=case.version, note=note
    )


def whistled(c: Crew, note: str = "联合处置") -> Case:
    """A case at the street, whistled to the street's department (lead) and department2."""
    case = at_street(c)
    return services.case_whistle(
        actor=c.command,
        number=case.number,
        version=case.version,
        lead_unit_code=c.street.department.code,
        unit_codes=[c.department2.code],
        note=note,
    )
