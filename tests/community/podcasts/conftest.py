import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Factories set a password per member; the production hasher would make the 100-member tests crawl.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
