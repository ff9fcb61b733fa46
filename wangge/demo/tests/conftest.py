import pytest


@pytest.fixture(autouse=True)
def _small_demo_register(settings):
    """The demo street's register is 10,000 households; the command's tests need only a few
    (wangge.demo.register reads this setting). test_register_demo checks the full size by
    planning it without the database."""
    settings.WANGGE_DEMO_HOUSEHOLDS = 300
