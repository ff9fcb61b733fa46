from datetime import date

import pytest

from wangge.core.errors import ValidationFailed
from wangge.orgs.actors import actor_for
from wangge.orgs.services import grid_split
from wangge.orgs.tests.factories import admin_user, grid_worker
from wangge.registry.models import Building, GridCount, Household, Person
from wangge.registry.place_services import building_create, dwelling_create, household_create
from wangge.registry.services import person_create
from wangge.registry.tests.factories import valid_id_number

pytestmark = pytest.mark.django_db


def persons_in(grid) -> int:
    row = GridCount.objects.filter(grid=grid, metric="persons").first()
    return row.value if row else 0  # zeros are not stored


# Grid a1 spans lat 30.50-30.52; cut it across at 30.505, leaving the southern quarter as new.
CUT = {"type": "LineString", "coordinates": [[103.99, 30.505], [104.02, 30.505]]}


def test_a_building_takes_its_grid_from_its_point_and_a_point_outside_is_refused(street):
    worker = actor_for(grid_worker(street))
    building = building_create(
        actor=worker,
        data={"name": "1栋", "address": "东坡大道1号1栋", "lng": 104.005, "lat": 30.51},
    )
    assert building.grid_id == street.grid_a1.id and building.path == street.grid_a1.path
    with pytest.raises(ValidationFailed) as outside:
        building_create(
            actor=worker, data={"name": "2栋", "address": "x", "lng": 105.0, "lat": 31.0}
        )
    assert (outside.value.code, outside.value.field) == ("outside_grids", "lng")
    assert Building.objects.count() == 1


def test_splitting_a_grid_moves_places_households_and_people_with_it(street):
    worker = actor_for(grid_worker(street))
    building = building_create(
        actor=worker, data={"name": "9栋", "address": "东坡大道9号", "lng": 104.005, "lat": 30.502}
    )
    dwelling = dwelling_create(actor=worker, building_id=building.id, data={"number": "1-101"})
    household = household_create(actor=worker, dwelling_id=dwelling.id, number="HH-1")
    person = person_create(
        actor=worker,
        data={"name": "张伟", "id_number": valid_id_number(date(1950, 1, 1))},
        household_id=household.id,
    )
    assert persons_in(street.grid_a1) == 1
    admin = actor_for(admin_user(street.street))
    _kept, created = grid_split(
        actor=admin,
        code=street.grid_a1.code,
        version=1,
        line=CUT,
        new_code="511402001001003",
        new_name="三苏第三网格",
    )
    for model, pk in ((Building, building.id), (Household, household.id), (Person, person.id)):
        row = model.objects.get(pk=pk)
        assert (row.grid_id, row.path) == (created.id, created.path), model
    assert (persons_in(created), persons_in(street.grid_a1)) == (1, 0)
