import pytest

from tests.factories import BuilderFactory


@pytest.fixture
def builder(db):
    return BuilderFactory(username="builder")
