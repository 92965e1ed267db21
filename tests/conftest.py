import pytest

from tests.support.services import redis_url, require_postgres
from workflows.dagbag import reset_dagbag


@pytest.fixture(autouse=True)
def _service_markers(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres"):
        require_postgres()
    if request.node.get_closest_marker("redis"):
        redis_url()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    """Uploaded files written by a test land in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Members made by factories log in with a real password; MD5 makes that instant in tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_dagbag():
    """Each test sees the DAGs its own settings name: a bag cached by an earlier test is forgotten."""
    yield
    reset_dagbag()
