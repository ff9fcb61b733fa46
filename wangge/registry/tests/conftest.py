import pytest

from wangge.orgs.grid_index import grid_index_reset
from wangge.orgs.tests.factories import make_street


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    """The point → grid index is process-wide; each test starts from its own database."""
    grid_index_reset()
    yield
    grid_index_reset()


@pytest.fixture
def street(db):
    return make_street()
