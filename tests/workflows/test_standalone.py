"""The engine is a reusable app: installed alone in a project of Django's contrib apps, it runs a DAG and its UI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_engine_alone_migrates_runs_a_dag_to_success_and_renders_its_pages(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WORKFLOWS_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "tests.workflows.standalone_settings",
        "WORKFLOWS_STANDALONE_DATABASE": str(tmp_path / "standalone.sqlite3"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.workflows.standalone_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    findings = json.loads(done.stdout.strip().splitlines()[-1])
    assert findings == {
        "triggered": findings["triggered"],
        "migrations_pending": "No changes detected in app 'workflows'",
        "run_state": "success",
        "task_states": {"greet": "success", "report": "success"},
        "result": {"greeting": "HELLO ADA", "project_modules": []},
        "anonymous": [302, "/accounts/login/?next=/workflows/"],
        "page_status": 200,
        "page_lists_dag": True,
        "page_title": "Workflows",
        "project_modules": [],
    }
    assert findings["triggered"].startswith("triggered standalone_hello: manual__")
