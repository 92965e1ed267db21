import uuid

import pytest

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _private_cache(settings) -> None:
    """allauth keeps rate-limit counters in the cache: each test starts with its own, empty one."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture
def member(db):
    return UserFactory(username="ada", email="ada@example.org", profile__display_name="Ada Lovelace")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def log_in(client, *, email: str, password: str = PASSWORD):
    """Log in through allauth's own form, as a person would (so allauth records a recent authentication)."""
    return client.post("/accounts/login/", {"login": email, "password": password})
