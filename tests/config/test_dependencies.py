import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pinned(lock: str) -> set[str]:
    names = set()
    for line in (ROOT / lock).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==", line)
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def test_production_lock_leaves_out_test_and_development_tools():
    production = _pinned("requirements-prod.lock")

    assert {"scipy", "honcho", "pytest", "ruff"} & production == set()
    assert {"django", "gunicorn", "django-csp", "django-storages", "boto3"} <= production


def test_development_lock_has_everything_make_run_and_the_tests_use():
    development = _pinned("requirements.lock")

    assert {"scipy", "honcho", "pytest", "ruff", "django-csp", "django-storages"} <= development


def test_runtime_dependencies_name_no_development_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {re.split(r"[\[<>=]", spec)[0].lower() for spec in project["dependencies"]}

    assert {"scipy", "honcho"} & runtime == set()
