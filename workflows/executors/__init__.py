"""Executors: how queued tries get run. `local`, `celery` and `kubernetes` ship with the engine."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import import_string

from workflows.conf import workflows_settings
from workflows.errors import ExecutorNotFound
from workflows.executors.base import BaseExecutor


def executor_class(name: str) -> type[BaseExecutor]:
    """The class behind an alias (`local`, `celery`, `kubernetes`) or a dotted path."""
    path = workflows_settings.EXECUTOR_ALIASES.get(name, name)
    if "." not in path:
        aliases = ", ".join(sorted(workflows_settings.EXECUTOR_ALIASES))
        raise ExecutorNotFound(f"executor {name!r} is neither an alias ({aliases}) nor a dotted path")
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ExecutorNotFound(f"executor {name!r} ({path}) cannot be imported: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, BaseExecutor)):
        raise ExecutorNotFound(f"executor {name!r} ({path}) is not a BaseExecutor subclass")
    return cls


def create_executors(
    *,
    names: list[str] | None = None,
    scheduler_id: int | None = None,
    wake: Callable[[], None] | None = None,
) -> dict[str, BaseExecutor]:
    """One instance of each configured executor, keyed by the name tasks use for it."""
    names = names if names is not None else workflows_settings.EXECUTORS
    return {name: executor_class(name)(name=name, scheduler_id=scheduler_id, wake=wake) for name in names}
