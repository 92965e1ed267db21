import pytest

from tests.factories import UserFactory


@pytest.fixture
def guest(db):
    return UserFactory(username="guest", profile__display_name="Grace Guest", profile__time_zone="America/New_York")
