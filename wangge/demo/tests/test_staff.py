"""The demo's staff plan: one featured account per role, a worker per grid, strong passwords."""

import pytest
from django.contrib.auth.password_validation import validate_password

from wangge.core.models import User
from wangge.demo.generator import generate_city
from wangge.demo.staff import password_for, staff_plan
from wangge.orgs.enums import Role


@pytest.fixture(scope="module")
def collection():
    return generate_city()


def test_one_featured_account_per_role_then_one_worker_per_grid(collection):
    plan = staff_plan(collection, seed=1)
    featured = [a for a in plan if a.featured]
    assert [a.role for a in featured] == list(Role.values)
    assert all(a.username == f"demo_{a.role}" for a in featured)
    grids = [
        f["id"]
        for f in collection["features"]
        if f["properties"]["kind"] in ("grid", "dedicated_grid")
    ]
    workers = sorted(a.org_unit_code for a in plan if a.role == "grid_worker")
    assert workers == sorted(grids)
    assert len({a.username for a in plan}) == len(plan)


def test_plan_is_deterministic_per_seed(collection):
    assert staff_plan(collection, seed=1) == staff_plan(collection, seed=1)
    assert staff_plan(collection, seed=1) != staff_plan(collection, seed=2)


@pytest.mark.parametrize("seed", range(40))
def test_passwords_pass_the_validators(seed):
    for role in Role.values:
        password = password_for(seed, role)
        assert len(password) >= 12
        validate_password(password, User(username=f"demo_{role}", first_name="王小明"))
