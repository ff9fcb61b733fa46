"""Planning the demo register's people: households and their members, key populations,
organisations, building stewards and landlords. Pure, like wangge.demo.register.

Households are built by type (a grandmother alone, an elderly couple, a young couple, parents
with children, three generations, co-tenants) so that ages, relationships and the derived tags
come out as in a real street: about 20 % are 60 or over, rentals hold mostly young migrants.
"""

from datetime import date, timedelta

import numpy as np

from . import people
from .register_plan import (
    ENTERPRISE_WORDS,
    MOVED_OUT_SHARE,
    PARTY_SHARE,
    SHOP_KINDS,
    SIZE_P,
    TAG_SHARES,
    RegisterPlan,
)

LOCAL_REGIONS = ("511402", "511403", "511421", "511423")  # Meishan's districts and counties
LOCAL_NAMES = {"511402": "东坡区", "511403": "彭山区", "511421": "仁寿县", "511423": "洪雅县"}


def members_of(rng: np.random.Generator, size: int, rented: bool) -> list[tuple[str, int]]:
    """(relationship, age) of each member, the head first; rentals house younger households."""

    def between(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    r = rng.random()
    if rented and size > 4:
        size = 4
    if size == 1:
        return [("head", between(62, 92) if r < 0.5 and not rented else between(20, 45))]
    if size == 2:
        if rented and r < 0.35:
            return [("head", between(20, 35)), ("tenant", between(20, 35))]
        if r < 0.42 and not rented:
            head = between(60, 88)
            return [("head", head), ("spouse", max(55, head + between(-5, 3)))]
        if r < 0.8:
            head = between(23, 42)
            return [("head", head), ("spouse", max(20, head + between(-4, 3)))]
        head = between(30, 50)
        return [("head", head), ("child", between(2, min(17, head - 21)))]
    head = between(28, 50) if size < 5 else between(34, 52)
    members = [("head", head), ("spouse", max(22, head + between(-4, 3)))]
    with_parents = {3: 0.15, 4: 0.5, 5: 1.0, 6: 1.0}[size] if not rented else 0.0
    if rented and size == 3 and r < 0.3:
        return [("head", between(20, 35)), ("tenant", between(20, 35)), ("tenant", between(20, 35))]
    if rng.random() < with_parents:
        parent = head + between(24, 32)
        members.append(("parent", parent))
        if size >= 5:
            members.append(("parent", max(58, parent + between(-5, 3))))
    while len(members) < size:
        members.append(("child", between(0, max(0, min(25, head - 22)))))
    return members


def plan_households(
    rng: np.random.Generator,
    plan: RegisterPlan,
    grid: dict,
    first_dwelling: int,
    today: date,
    used_ids: set[str],
) -> None:
    local = grid["street_code"][:6]
    for dwelling_index in range(first_dwelling, len(plan.dwellings)):
        dwelling = plan.dwellings[dwelling_index]
        if dwelling["use"] not in ("owner_occupied", "rented"):
            continue
        rented = dwelling["use"] == "rented"
        household_index = len(plan.households)
        plan.households.append(
            {
                "dwelling": dwelling_index,
                "number": f"{grid['code']}{household_index % 100000:05d}",
                "grid": grid["code"],
            }
        )
        status = "registered"
        r = rng.random()
        if (rented and r < 0.75) or (not rented and r < 0.04):
            status = "migrant"
        elif not rented and r < 0.09:
            status = "away_registered"
        elif r > 0.998:
            status = "foreign"
        moved_in = today - timedelta(days=int(rng.integers(30, 365 * (5 if rented else 25))))
        size = int(rng.choice(len(SIZE_P), p=SIZE_P)) + 1
        for relationship, age in members_of(rng, size, rented):
            plan.persons.append(
                person(
                    rng,
                    today,
                    grid,
                    household_index,
                    relationship,
                    age,
                    status,
                    moved_in,
                    local,
                    used_ids,
                )
            )


def person(rng, today, grid, household_index, relationship, age, status, moved_in, local, used):
    gender = "male" if rng.random() < 0.5 else "female"
    born = people.birth_date(rng, today, age)
    region, address = local, ""
    if status == "migrant":
        region, hometown = people.HOMETOWNS[int(rng.integers(len(people.HOMETOWNS)))]
        address = f"{hometown}{people.ROADS[int(rng.integers(len(people.ROADS)))]}"
    elif status == "away_registered":
        region = LOCAL_REGIONS[int(rng.integers(1, len(LOCAL_REGIONS)))]
        address = f"四川省眉山市{LOCAL_NAMES[region]}"
    else:
        address = f"四川省眉山市东坡区{people.ROADS[int(rng.integers(len(people.ROADS)))]}"
    address += f"{int(rng.integers(1, 300))}号"
    number = ""
    if status != "foreign":
        serial = int(rng.integers(500))
        number = people.id_number(region, born, gender, serial)
        while number in used:
            serial += 1
            number = people.id_number(region, born, gender, serial)
        used.add(number)
    if status == "foreign":
        name = ("Anna Müller", "John Smith", "Kim Minjun", "Tanaka Yui")[int(rng.integers(4))]
    else:
        name = people.person_name(rng, gender, born.year)
    phone_p = 0.0 if age < 16 else (0.6 if age >= 75 else 0.93)
    employer = ""
    if 6 <= age <= 17:
        employer = ("东坡区实验小学", "苏祠中学", "眉山市第一中学", "岷江小学")[
            int(rng.integers(4))
        ]
    elif 22 <= age <= 59 and rng.random() < 0.6:
        employer = f"眉山{people.ROADS[int(rng.integers(len(people.ROADS)))][:2]}有限公司"
    moved_out = None
    if rng.random() < MOVED_OUT_SHARE:
        moved_out = today - timedelta(days=int(rng.integers(1, 365)))
    return {
        "household": household_index,
        "grid": grid["code"],
        "name": name,
        "gender": gender,
        "birth_date": born,
        "id_number": number,
        "phone": people.mobile(rng) if rng.random() < phone_p else "",
        "registered_address": address,
        "ethnicity": people.ETHNICITIES[
            int(rng.choice(len(people.ETHNICITIES), p=people.ETHNICITY_P))
        ],
        "residence_status": status,
        "party_member": False,
        "employer": employer,
        "relationship": relationship,
        "move_in_date": max(born, moved_in),
        "move_out_date": moved_out,
        "age": age,
    }


def weighted_pick(rng, weights: np.ndarray, count: int) -> np.ndarray:
    """`count` distinct indices drawn with probability proportional to `weights`."""
    eligible = int(np.count_nonzero(weights))
    count = min(count, eligible)
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    return rng.choice(len(weights), size=count, replace=False, p=weights / weights.sum())


def plan_key_populations(rng: np.random.Generator, plan: RegisterPlan, today: date) -> None:
    """Party members and the staff-set tags, each drawn from those it fits (age, gender…)."""
    n = len(plan.persons)
    if not n:
        return
    age = np.array([p["age"] for p in plan.persons])
    male = np.array([p["gender"] == "male" for p in plan.persons])
    local = np.array(
        [p["residence_status"] in ("registered", "away_registered") for p in plan.persons]
    )
    sizes = np.bincount([p["household"] for p in plan.persons], minlength=len(plan.households))
    alone = sizes[[p["household"] for p in plan.persons]] == 1
    for index in weighted_pick(
        rng, np.where(age >= 18, 1.0 + (age >= 45), 0.0), round(PARTY_SHARE * n)
    ):
        plan.persons[int(index)]["party_member"] = True
    weights = {
        "disability": np.where(age >= 60, 3.0, 1.0),
        "minimum_living_allowance": np.where(local, 1.0 + (age >= 60), 0.0),
        "extreme_hardship": np.where(local & (age >= 16), 1.0 + 8 * (alone & (age >= 60)), 0.0),
        "community_corrections": np.where((age >= 18) & (age <= 60), 1.0 + 4 * male, 0.0),
        "released_prisoner": np.where((age >= 22) & (age <= 70), 1.0 + 5 * male, 0.0),
        "key_youth": np.where((age >= 12) & (age <= 25), 1.0, 0.0),
        "veteran": np.where((age >= 24) & (age <= 90), 0.1 + 10 * male, 0.0),
    }
    for code, share in TAG_SHARES.items():
        for index in weighted_pick(rng, weights[code], max(1, round(share * n))):
            holder = plan.persons[int(index)]
            start = max(
                holder["birth_date"] + timedelta(days=365 * min(holder["age"], 16)),
                today - timedelta(days=3650),
            )
            since = people.random_day(rng, start, today - timedelta(days=1))
            tag = {
                "person": int(index),
                "code": code,
                "valid_from": since,
                "valid_to": None,
                "grade": None,
            }
            if code == "disability":
                tag["grade"] = int(rng.choice(4, p=[0.1, 0.2, 0.3, 0.4])) + 1
            if code == "community_corrections":
                tag["valid_to"] = today + timedelta(days=int(rng.integers(30, 900)))
            plan.tags.append(tag)
    plan_stewards_and_landlords(rng, plan, today)


def plan_stewards_and_landlords(rng, plan: RegisterPlan, today: date) -> None:
    residents: dict[int, list[int]] = {}
    owners: list[int] = []
    for index, p in enumerate(plan.persons):
        dwelling = plan.dwellings[plan.households[p["household"]]["dwelling"]]
        if 35 <= p["age"] <= 75 and p["move_out_date"] is None:
            residents.setdefault(dwelling["building"], []).append(index)
        if p["relationship"] == "head" and dwelling["use"] == "owner_occupied":
            owners.append(index)
    for building, candidates in residents.items():
        party = [i for i in candidates if plan.persons[i]["party_member"]]
        pool = party or candidates
        plan.buildings[building]["steward"] = pool[int(rng.integers(len(pool)))]
    for dwelling in plan.dwellings:
        if dwelling["use"] == "rented" and owners:
            dwelling["landlord"] = owners[int(rng.integers(len(owners)))]
            start = today - timedelta(days=int(rng.integers(0, 900)))
            dwelling["lease_start"] = start
            dwelling["lease_end"] = start + timedelta(days=365 * int(rng.integers(1, 4)))


def plan_organisations(rng, plan: RegisterPlan, grids: list[dict], today: date) -> None:

    buildings_of: dict[str, list[int]] = {}
    for index, building in enumerate(plan.buildings):
        buildings_of.setdefault(building["grid"], []).append(index)

    def org(kind, name, building, **extra):
        region = plan_region(grids, plan.buildings[building]["grid"])
        return {
            "kind": kind,
            "name": name,
            "building": building,
            "address": plan.buildings[building]["address"],
            "contact_name": people.person_name(
                rng, "male" if rng.random() < 0.5 else "female", int(rng.integers(1960, 2000))
            ),
            "contact_phone": people.mobile(rng),
            "region": region,
            **extra,
        }

    for dwelling in plan.dwellings:
        if dwelling["use"] == "commercial":
            kind = (
                people.SURNAMES[int(rng.integers(20))]
                + "记"
                + SHOP_KINDS[int(rng.integers(len(SHOP_KINDS)))]
            )
            plan.organisations.append(
                org("shop", kind, dwelling["building"], registrar="9", credit_kind="2")
            )
    communities_done: set[str] = set()
    for grid in grids:
        here = buildings_of.get(grid["code"], [])
        if not here:
            continue

        def pick(here=here) -> int:
            return here[int(rng.integers(len(here)))]

        for _ in range(int(rng.integers(1, 4))):
            word = ENTERPRISE_WORDS[int(rng.integers(len(ENTERPRISE_WORDS)))]
            name = f"眉山{people.ROADS[int(rng.integers(len(people.ROADS)))][:2]}{word}有限公司"
            plan.organisations.append(
                org("enterprise", name, pick(), registrar="9", credit_kind="1")
            )
        if grid["institution"]:
            plan.organisations.append(
                org(
                    "resident_organisation",
                    grid["institution"],
                    pick(),
                    registrar="1",
                    credit_kind="2",
                )
            )
        elif rng.random() < 0.3:
            name = (
                "中国工商银行眉山东坡支行",
                "国网眉山供电公司营业厅",
                "眉山市邮政分局",
                "东坡区税务局办税服务厅",
            )[int(rng.integers(4))]
            plan.organisations.append(
                org("resident_organisation", name, pick(), registrar="1", credit_kind="1")
            )
        if grid["community_code"] not in communities_done:
            communities_done.add(grid["community_code"])
            community = grid["community"]
            for suffix, registration in (
                ("老年协会", "filed"),
                ("志愿服务队", "filed"),
                ("文艺队", "filed"),
                ("社会工作服务中心", "registered"),
            ):
                plan.organisations.append(
                    org(
                        "social_organisation",
                        community + suffix,
                        pick(),
                        registrar="5",
                        credit_kind="2",
                        registration=registration,
                    )
                )


def plan_region(grids: list[dict], code: str) -> str:
    return code[:6]
