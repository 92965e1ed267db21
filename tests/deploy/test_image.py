"""The built image (`make image`) runs as the pod template says: as uid 10001 on a read-only root
filesystem with only /tmp writable, passes `check --deploy` with production settings, and starts
`run_task` against a real database."""

import json
import os
import secrets
import shutil
import subprocess

import pytest

from tests.support.services import require_postgres, skip_or_fail
from tests.workflows.support import database_url

IMAGE = os.environ.get("WICN_TEST_IMAGE", "wicn:test")
pytestmark = pytest.mark.docker


def _docker_ready() -> str | None:
    if not shutil.which("docker"):
        return "docker is not installed"
    info = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return f"image {IMAGE} is not built (make image-test builds it)"
    return None


@pytest.fixture(scope="module")
def image() -> str:
    problem = _docker_ready()
    if problem:
        skip_or_fail(problem)
    return IMAGE


def _production_env() -> list[str]:
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "wicn.example.org",
        "DATABASE_URL": "postgres://wicn:password@db.internal:5432/wicn",
        "REDIS_URL": "redis://redis.internal:6379/0",
    }
    return [item for key, value in env.items() for item in ("--env", f"{key}={value}")]


def _run(image: str, *command: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    # Exactly what the pod template asks: read-only root, /tmp the only writable place, no capabilities.
    return subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            *extra,
            image,
            *command,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_image_runs_as_the_unprivileged_user_of_the_pod_template(image):
    config = json.loads(
        subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True, check=True).stdout
    )[0]["Config"]
    result = _run(image, "id", "-u")

    assert (config["User"], result.stdout.strip()) == ("10001:10001", "10001")


def test_check_deploy_passes_inside_the_image_with_production_settings(image):
    result = _run(
        image, "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING", extra=tuple(_production_env())
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_only_tmp_is_writable_and_the_static_files_are_already_collected(image):
    script = (
        "import os, pathlib;"
        "pathlib.Path('/tmp/ok').write_text('x');"
        "print(os.path.exists('/app/staticfiles/staticfiles.json'));"
        "open('/app/new-file', 'w')"
    )
    result = _run(image, "python", "-c", script)

    assert result.stdout.strip() == "True"
    assert "Read-only file system" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_run_task_starts_in_the_image_and_reaches_the_database(image):
    require_postgres()
    result = _run(
        image,
        "python",
        "manage.py",
        "run_task",
        "999999999",
        "--try",
        "1",
        extra=("--network", "host", "--env", f"DATABASE_URL={database_url()}", "--env", "WORKFLOWS_EXECUTORS=local"),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "not run: task instance 999999999 does not exist" in result.stderr
