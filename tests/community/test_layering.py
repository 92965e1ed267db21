"""The layering DESIGN.md asks for: mentorship builds on community, never the reverse; the matching
engine is pure Python."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    result = {}
    for path, names in imported_modules(package).items():
        bad = sorted(name for name in names if any(name == f or name.startswith(f + ".") for f in forbidden))
        if bad:
            result[path] = bad
    return result


def test_community_imports_nothing_from_mentorship():
    assert offenders("community", ("mentorship",)) == {}


@pytest.mark.parametrize("forbidden", ["django", "community", "mentorship.models", "mentorship.services"])
def test_the_matching_engine_imports_no_django_nor_model_code(forbidden):
    assert offenders("mentorship/matching", (forbidden,)) == {}
