"""Finding DAGs: each installed app's `dags.py`, plus WORKFLOWS_DAG_MODULES.

A module that fails to import (syntax error, exception, a cycle in a DAG) is recorded with its
traceback and does not stop the others; a DAG naming an executor that is not configured is
recorded the same way and left out.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import traceback
from dataclasses import dataclass, field

from django.apps import apps
from django.utils import timezone

from workflows.conf import workflows_settings
from workflows.errors import DagDefinitionError, DagNotFound
from workflows.sdk import DAG


@dataclass(frozen=True)
class ImportFailure:
    module: str
    message: str
    traceback: str


@dataclass
class DagBag:
    dags: dict[str, DAG] = field(default_factory=dict)
    import_errors: list[ImportFailure] = field(default_factory=list)
    loaded_at: object = None

    def get(self, dag_id: str) -> DAG:
        try:
            return self.dags[dag_id]
        except KeyError:
            raise DagNotFound(f"no DAG {dag_id!r} is loaded{self._hint()}") from None

    def _hint(self) -> str:
        if self.import_errors:
            return f" ({len(self.import_errors)} DAG module(s) failed to import; see `manage.py workflows list`)"
        return ""


def dag_modules() -> list[str]:
    """Modules that may hold DAGs, in INSTALLED_APPS order, then the extra ones from settings."""
    modules = []
    for app_config in apps.get_app_configs():
        name = f"{app_config.name}.dags"
        try:
            if importlib.util.find_spec(name) is not None:
                modules.append(name)
        except ImportError:  # a parent that cannot be imported has no dags module to offer
            continue
    modules.extend(m for m in workflows_settings.DAG_MODULES if m not in modules)
    return modules


def load_dagbag(*, modules: list[str] | None = None, reload: bool = False) -> DagBag:
    bag = DagBag(loaded_at=timezone.now())
    known_executors = workflows_settings.EXECUTORS
    default_executor = workflows_settings.DEFAULT_EXECUTOR
    for module_name in modules if modules is not None else dag_modules():
        try:
            if reload and module_name in sys.modules:
                module = importlib.reload(sys.modules[module_name])
            else:
                module = importlib.import_module(module_name)
        except Exception as exc:  # noqa: BLE001 - any error in a DAG file must be shown, not crash the engine
            sys.modules.pop(module_name, None)
            message = str(exc) if isinstance(exc, DagDefinitionError) else f"{type(exc).__name__}: {exc}"
            bag.import_errors.append(ImportFailure(module_name, message, traceback.format_exc()))
            continue
        for value in list(vars(module).values()):
            if not isinstance(value, DAG):
                continue
            value.fileloc = value.fileloc or module_name
            try:
                value.validate_executors(known_executors, default_executor)
                if value.dag_id in bag.dags and bag.dags[value.dag_id] is not value:
                    raise DagDefinitionError(
                        f"DAG {value.dag_id!r} is defined twice: in {bag.dags[value.dag_id].fileloc} and {module_name}"
                    )
            except DagDefinitionError as exc:
                bag.import_errors.append(ImportFailure(module_name, str(exc), ""))
                continue
            bag.dags[value.dag_id] = value
    return bag


_lock = threading.Lock()
_cached: DagBag | None = None


def get_dagbag(*, refresh: bool = False) -> DagBag:
    """The DAGs of this process, loaded once (the code does not change under a running process)."""
    global _cached  # noqa: PLW0603 - a per-process cache, reset by refresh
    with _lock:
        if _cached is None or refresh:
            _cached = load_dagbag(reload=refresh and _cached is not None)
        return _cached


def reset_dagbag() -> None:
    """Forget the loaded DAGs (tests that change settings call this)."""
    global _cached  # noqa: PLW0603
    with _lock:
        _cached = None
