import pytest

from wangge.orgs.grid_index import grid_index_reset


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    """The point → grid index is process-wide; each test starts from its own database."""
    grid_index_reset()
    yield
    grid_index_reset()
