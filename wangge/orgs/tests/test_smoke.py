import pytest

from wangge.orgs.actors import actor_for
from wangge.orgs.tests.factories import grid_worker, make_street


@pytest.mark.django_db
def test_grid_worker_actor_sees_only_their_grid_path():
    street = make_street()
    actor = actor_for(grid_worker(street))
    assert actor.paths() == (street.grid_a1.path,)
    assert not actor.has_role("admin")
