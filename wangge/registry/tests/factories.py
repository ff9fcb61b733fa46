"""Test object graph for the register: grid → building → dwelling → household → person.

Rows are written directly (not through services) so that tests of services, selectors and pages
start from a known state. ID numbers are valid (GB 11643 checksum) and unique per call.
"""

import itertools
from datetime import date

from wangge.orgs.models import OrgUnit
from wangge.registry.enums import DwellingUse, Relationship, ResidenceStatus
from wangge.registry.identity import encrypted_identifiers, id_check_char, name_keys
from wangge.registry.models import (
    Building,
    Compound,
    Dwelling,
    Household,
    KeyPopulationTag,
    Person,
    PersonTag,
)

_sequence = itertools.count(1)


def valid_id_number(
    birth: date = date(1980, 5, 17), *, female: bool = False, region: str = "511402"
) -> str:
    """A checksum-valid resident ID number, different on every call."""
    serial = next(_sequence) % 500
    order = serial * 2 + (0 if female else 1)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def _centre(grid: OrgUnit) -> tuple[float, float]:
    ring = grid.boundary["coordinates"][0] if grid.boundary else [[104.0, 30.5]]
    lngs = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return (min(lngs) + max(lngs)) / 2, (min(lats) + max(lats)) / 2


def make_compound(grid: OrgUnit, name: str = "幸福小区", **extra) -> Compound:
    lng, lat = _centre(grid)
    return Compound.objects.create(
        name=name,
        address=f"东坡大道12号{name}",
        grid=grid,
        path=grid.path,
        lng=lng,
        lat=lat,
        **extra,
    )


def make_building(
    grid: OrgUnit, name: str = "3栋", compound: Compound | None = None, **extra
) -> Building:
    lng, lat = _centre(grid)
    address = f"{compound.address if compound else '东坡大道12号'}{name}"
    fields = {"floors": 6, "entrances": 2, "lng": lng, "lat": lat, **extra}
    return Building.objects.create(
        name=name, address=address, compound=compound, grid=grid, path=grid.path, **fields
    )


def make_dwelling(
    building: Building, number: str = "1-301", use: str = DwellingUse.OWNER_OCCUPIED, **extra
) -> Dwelling:
    return Dwelling.objects.create(
        building=building,
        number=number,
        use=use,
        grid=building.grid,
        path=building.path,
        lng=building.lng,
        lat=building.lat,
        **extra,
    )


def make_household(dwelling: Dwelling, number: str | None = None) -> Household:
    return Household.objects.create(
        number=number or f"H{next(_sequence):08d}",
        dwelling=dwelling,
        grid=dwelling.grid,
        path=dwelling.path,
    )


def make_person(
    name: str = "张三",
    *,
    grid: OrgUnit | None = None,
    household: Household | None = None,
    relationship: str = Relationship.HEAD,
    birth_date: date = date(1980, 5, 17),
    female: bool = False,
    id_number: str | None = None,
    phone: str = "",
    registered_address: str = "",
    residence_status: str = ResidenceStatus.REGISTERED,
    **extra,
) -> Person:
    """A person in a household (or only in a grid). Their ID number agrees with birth and gender."""
    if household is None and grid is None:
        raise ValueError("a person needs a household or a grid")
    grid = grid or household.grid  # type: ignore[union-attr]
    assert grid is not None
    given, pinyin, initials = name_keys(name)
    number = id_number or valid_id_number(birth_date, female=female)
    return Person.objects.create(
        name=name,
        given_name=given,
        name_pinyin=pinyin,
        name_initials=initials,
        gender="female" if female else "male",
        birth_date=birth_date,
        residence_status=residence_status,
        household=household,
        relationship=relationship if household else "",
        grid=grid,
        path=grid.path,
        **encrypted_identifiers(
            id_number=number, phone=phone, registered_address=registered_address
        ),
        **extra,
    )


def tag_person(person: Person, code: str, since: date = date(2025, 1, 1), **extra) -> PersonTag:
    tag = KeyPopulationTag.objects.get(code=code)
    return PersonTag.objects.create(person=person, tag=tag, valid_from=since, **extra)


def make_household_with_members(grid: OrgUnit, number: str = "1-301") -> Household:
    """A building, a dwelling and a household of three: head, spouse, child."""
    building = Building.objects.filter(grid=grid).first() or make_building(grid)
    household = make_household(make_dwelling(building, number))
    make_person("张伟", household=household, phone="13800138000")
    make_person(
        "李娜",
        household=household,
        relationship=Relationship.SPOUSE,
        female=True,
        birth_date=date(1982, 3, 9),
    )
    make_person(
        "张小明",
        household=household,
        relationship=Relationship.CHILD,
        birth_date=date(2010, 9, 1),
    )
    return household
