"""The demo's staff: one featured account per role, plus a grid worker for every grid.

Pure planning, like the generator: the same FeatureCollection and seed give the same usernames,
names, phones and passwords, so the README can show the default accounts and a second run of
the demo command can print them again without storing passwords anywhere but the accounts file.
"""

from dataclasses import asdict, dataclass

import numpy as np

from wangge.orgs.enums import Role

from . import names

# Where each role's featured account works: the first unit of that kind in the demo street.
ROLE_UNIT_KIND = {
    Role.GRID_WORKER: "grid",
    Role.GRID_LEADER: "grid",
    Role.COMMUNITY_STAFF: "community",
    Role.CLERK: "street",
    Role.HANDLER: "street",
    Role.DEPARTMENT_STAFF: "department",
    Role.COMMAND_CENTRE: "street",
    Role.SUPERVISOR: "street",
    Role.ASSESSOR: "street",
    Role.ADMIN: "street",
    Role.AUDITOR: "street",
}
TOTP_ROLES = (Role.ADMIN, Role.AUDITOR)
GRID_WORKER_PREFIX = "gw"

# Words for memorable passwords: never the role or the username (the similarity validator).
_WORDS = (
    "Lotus",
    "Bamboo",
    "Willow",
    "Lantern",
    "Pepper",
    "Panda",
    "Bridge",
    "Cloud",
    "Jade",
    "Maple",
    "River",
    "Summit",
    "Tea",
    "Orchid",
    "Harbor",
    "Falcon",
    "Cedar",
    "Amber",
)
_SEPARATORS = "-_.+"


@dataclass
class StaffAccount:
    role: str
    username: str
    password: str
    org_unit_code: str
    display_name: str
    work_phone: str
    featured: bool = True  # one of the per-role accounts shown in the table

    def as_record(self, totp_secret: str | None = None) -> dict:
        record = {
            key: value
            for key, value in asdict(self).items()
            if key in ("role", "username", "password", "org_unit_code")
        }
        if totp_secret:
            record["totp_secret"] = totp_secret
        return record


def password_for(seed: int, label: str) -> str:
    """A strong, deterministic password: two capitalised words, a symbol and four digits.

    Four character classes and at least 12 characters pass every configured validator.
    """
    rng = np.random.default_rng([seed, *label.encode()])
    first, second = (str(_WORDS[int(i)]) for i in rng.choice(len(_WORDS), size=2, replace=False))
    separator = _SEPARATORS[int(rng.integers(len(_SEPARATORS)))]
    digits = "".join(str(int(d)) for d in rng.integers(10, size=4))
    return f"{first}{separator}{second.lower()}{separator}{digits}"


def staff_plan(feature_collection: dict, *, seed: int) -> list[StaffAccount]:
    """Featured accounts (one per role) first, then a worker for each other grid of the city."""
    units = [feature["properties"] for feature in feature_collection["features"]]
    first_of: dict[str, str] = {}
    for unit in units:
        kind = "grid" if unit["kind"] == "dedicated_grid" else unit["kind"]
        first_of.setdefault(kind, unit["code"])
    rng = np.random.default_rng([seed, 7])
    accounts = [
        StaffAccount(
            role=str(role),
            username=f"demo_{role}",
            password=password_for(seed, str(role)),
            org_unit_code=first_of[ROLE_UNIT_KIND[role]],
            display_name=names.person_name(rng),
            work_phone=names.mobile_number(rng),
        )
        for role in Role
    ]
    # The featured grid worker is the first grid's worker; every other grid gets its own. They
    # share one password, so loading hashes it once instead of once per grid (~0.3 s each).
    shared = password_for(seed, "grid_workers")
    for unit in units:
        if unit["kind"] in ("grid", "dedicated_grid") and unit["code"] != first_of["grid"]:
            accounts.append(
                StaffAccount(
                    role=Role.GRID_WORKER.value,
                    username=f"{GRID_WORKER_PREFIX}{unit['code']}",
                    password=shared,
                    org_unit_code=unit["code"],
                    display_name=names.person_name(rng),
                    work_phone=names.mobile_number(rng),
                    featured=False,
                )
            )
    return accounts
