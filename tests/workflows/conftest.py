import pytest

from tests.workflows.support import InlineExecutor


@pytest.fixture(autouse=True)
def _workflows_settings(settings, tmp_path):
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline", "local", "celery"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
    settings.WORKFLOWS_ZOMBIE_CHECK_INTERVAL = 0.0
    InlineExecutor.ran = []
