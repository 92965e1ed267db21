import pytest

from tests.factories import BuilderFactory


@pytest.fixture
def builder(db):
    return BuilderFactory(username="builder")


@pytest.fixture(autouse=True)
def _send_on_commit(settings):
    settings.NOTIFICATIONS_SEND_ON_COMMIT = True
