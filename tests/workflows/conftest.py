import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.services import redis_url
from tests.workflows.support import InlineExecutor, database_url


@pytest.fixture(autouse=True)
def _workflows_settings(settings, tmp_path):
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline", "local", "celery"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
    settings.WORKFLOWS_ZOMBIE_CHECK_INTERVAL = 0.0
    InlineExecutor.ran = []


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def _celery_worker_process(django_db_setup, tmp_path_factory):
    """One real worker for every Celery test of the session: starting one takes seconds.

    It serves this test process's own queue, and stops before the test database is dropped.
    """
    url = redis_url()
    queue = f"wicn-test-{os.getpid()}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": url,
        "WORKFLOWS_DAG_MODULES": "tests.workflows.dags_for_tests",
        "WORKFLOWS_EXECUTORS": "celery",
    }
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "-c",
            "2",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        assert worker.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the Celery worker did not start within 60 s"
        time.sleep(0.2)
    yield queue, log
    worker.terminate()
    worker.wait(timeout=30)


@pytest.fixture
def celery_worker(_celery_worker_process, settings):
    """The session's Celery worker, with this test's settings sending tries to its queue."""
    queue, log = _celery_worker_process
    settings.WORKFLOWS_EXECUTORS = ["celery"]
    settings.WORKFLOWS_CELERY_DEFAULT_QUEUE = queue
    return log
