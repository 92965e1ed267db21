import pytest

from tests.factories import BuilderFactory


@pytest.fixture(autouse=True)
def _berlin(settings):
    """Reports follow the site's calendar; Berlin has a DST change inside March."""
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def builder(db):
    return BuilderFactory(username="builder")
