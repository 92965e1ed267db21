"""The authoring API: how an app's `dags.py` describes its jobs.

    from workflows.sdk import dag, task

    @dag(schedule="0 3 * * *", start_date=datetime(2025, 1, 1, tzinfo=UTC), params={"days": 30})
    def housekeeping():
        removed = prune_runs()
        report(removed)                # `report` runs after `prune_runs` and receives its result

A DAG is built in memory when its module is imported; nothing here touches the database.
Task results travel between tasks as JSON. Dependencies come from passing results or from `a >> b`.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypedDict, TypeVar, Unpack, overload

from croniter import croniter

from workflows import graph
from workflows.backoff import exponential_backoff
from workflows.errors import DagDefinitionError, InvalidParams
from workflows.params import Param

_current_dag: contextvars.ContextVar[DAG | None] = contextvars.ContextVar("current_dag", default=None)

#: Cron presets accepted as schedules, with the cron line each stands for.
SCHEDULE_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

# Tasks -----------------------------------------------------------------------------------------


@dataclass
class Context:
    """What a running task may know about itself; passed to operators and, by name, to @task functions."""

    dag_id: str
    run_id: str
    task_id: str
    try_number: int
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    params: dict[str, Any]
    task_instance_id: int | None = None
    xcom_pull: Callable[[str], Any] = field(default=lambda task_id: None, repr=False)

    INJECTABLE: ClassVar[frozenset[str]] = frozenset(
        {
            "dag_id",
            "run_id",
            "task_id",
            "try_number",
            "logical_date",
            "data_interval_start",
            "data_interval_end",
            "params",
            "task_instance_id",
        }
    )


class DependencyMixin:
    """`a >> b` (b runs after a), `a << b`, and lists on either side."""

    def _operators(self) -> list[BaseOperator]:
        raise NotImplementedError

    def __rshift__(self, other: DependencyMixin | Iterable[DependencyMixin]) -> Any:
        for up in self._operators():
            for down in _flatten(other):
                up.set_downstream(down)
        return other

    def __lshift__(self, other: DependencyMixin | Iterable[DependencyMixin]) -> Any:
        for down in self._operators():
            for up in _flatten(other):
                up.set_downstream(down)
        return other

    def __rrshift__(self, other: Iterable[DependencyMixin]) -> DependencyMixin:
        self.__lshift__(other)
        return self

    def __rlshift__(self, other: Iterable[DependencyMixin]) -> DependencyMixin:
        self.__rshift__(other)
        return self


def _flatten(items: DependencyMixin | Iterable[DependencyMixin]) -> list[BaseOperator]:
    if isinstance(items, DependencyMixin):
        return items._operators()
    return [op for item in items for op in item._operators()]


class TaskOptions(TypedDict, total=False):
    """What a task may set besides its id; a DAG's `default_args` may set any of these too."""

    retries: int
    retry_delay: timedelta | float
    retry_exponential_backoff: bool
    max_retry_delay: timedelta | float | None
    execution_timeout: timedelta | float | None
    trigger_rule: graph.TriggerRule | str
    executor: str | None
    executor_config: Mapping[str, Any] | None
    queue: str | None
    doc: str


#: Every task option with the value a task has when neither it nor its DAG's default_args set it.
TASK_OPTIONS: dict[str, Any] = {
    "retries": 0,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": False,
    "max_retry_delay": None,
    "execution_timeout": None,
    "trigger_rule": graph.TriggerRule.ALL_SUCCESS,
    "executor": None,
    "executor_config": None,
    "queue": None,
    "doc": "",
}


class BaseOperator(DependencyMixin):
    """One node of a DAG. Subclasses implement `execute(context)`; its return value is the task's result.

    `TaskDeferred` (see `workflows.triggers`) is reserved for the triggerer, which does not run yet:
    until it does, a task that raises it fails at once with a message saying so.
    """

    def __init__(self, *, task_id: str, dag: DAG | None = None, **options: Unpack[TaskOptions]) -> None:
        if not task_id or not all(ch.isalnum() or ch in "_-." for ch in task_id):
            raise DagDefinitionError(f"task id {task_id!r} may use only letters, digits, '_', '-' and '.'")
        unknown = sorted(set(options) - TASK_OPTIONS.keys())
        if unknown:
            raise DagDefinitionError(f"task {task_id!r}: unknown option(s) {', '.join(unknown)}")
        self.task_id = task_id
        #: The options the author set on this task; a DAG's default_args fill in only the others.
        self.explicit_options: frozenset[str] = frozenset(options)
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.dag: DAG | None = None
        dag = dag or _current_dag.get()
        inherited = {name: value for name, value in (dag.default_args if dag else {}).items() if name not in options}
        self._configure({**TASK_OPTIONS, **inherited, **options})
        if dag is not None:
            dag.add_task(self)

    def _configure(self, options: Mapping[str, Any]) -> None:
        task_id = self.task_id
        trigger_rule = options["trigger_rule"]
        try:
            self.trigger_rule = graph.TriggerRule(trigger_rule)
        except ValueError:
            rules = ", ".join(rule.value for rule in graph.TriggerRule)
            raise DagDefinitionError(f"task {task_id!r}: trigger rule {trigger_rule!r} is not one of {rules}") from None
        if options["retries"] < 0:
            raise DagDefinitionError(f"task {task_id!r}: retries cannot be negative")
        self.retries: int = options["retries"]
        self.retry_delay = _as_timedelta(options["retry_delay"]) or timedelta(0)
        self.retry_exponential_backoff: bool = options["retry_exponential_backoff"]
        self.max_retry_delay = _as_timedelta(options["max_retry_delay"])
        self.execution_timeout = _as_timedelta(options["execution_timeout"])
        self.executor: str | None = options["executor"]
        self.executor_config: dict[str, Any] = dict(options["executor_config"] or {})
        self.queue: str | None = options["queue"]
        self.doc: str = options["doc"]

    def _operators(self) -> list[BaseOperator]:
        return [self]

    def set_downstream(self, other: BaseOperator) -> None:
        if self.dag is None or other.dag is not self.dag:
            raise DagDefinitionError(f"tasks {self.task_id!r} and {other.task_id!r} must belong to the same DAG")
        self.downstream_task_ids.add(other.task_id)
        other.upstream_task_ids.add(self.task_id)

    def execute(self, context: Context) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement execute(context)")

    def retry_delay_for(self, try_number: int) -> timedelta:
        """The wait before the try after `try_number` (1-based), with backoff and its cap applied."""
        cap = self.max_retry_delay.total_seconds() if self.max_retry_delay is not None else None
        attempt = max(try_number - 1, 0) if self.retry_exponential_backoff else 0
        return timedelta(seconds=exponential_backoff(attempt, base=self.retry_delay.total_seconds(), cap=cap))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.task_id}>"


class XComArg(DependencyMixin):
    """The (future) result of a task, usable as an argument of another task."""

    def __init__(self, operator: BaseOperator) -> None:
        self.operator = operator

    def _operators(self) -> list[BaseOperator]:
        return [self.operator]

    def resolve(self, context: Context) -> Any:
        return context.xcom_pull(self.operator.task_id)


def _resolve(value: Any, context: Context) -> Any:
    if isinstance(value, XComArg):
        return value.resolve(context)
    if isinstance(value, list | tuple):
        return type(value)(_resolve(item, context) for item in value)
    if isinstance(value, dict):
        return {key: _resolve(item, context) for key, item in value.items()}
    return value


def _xcom_args(value: Any) -> list[XComArg]:
    if isinstance(value, XComArg):
        return [value]
    if isinstance(value, list | tuple):
        return [arg for item in value for arg in _xcom_args(item)]
    if isinstance(value, dict):
        return [arg for item in value.values() for arg in _xcom_args(item)]
    return []


class PythonTask(BaseOperator):
    """Runs a Python callable; arguments that are other tasks' results are filled in at run time."""

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Sequence[Any] = (),
        op_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args = tuple(op_args)
        self.op_kwargs = dict(op_kwargs or {})
        self.doc = self.doc or inspect.getdoc(python_callable) or ""
        for arg in _xcom_args([self.op_args, self.op_kwargs]):
            arg.operator.set_downstream(self)

    def execute(self, context: Context) -> Any:
        args = _resolve(list(self.op_args), context)
        kwargs = _resolve(self.op_kwargs, context)
        try:
            signature = inspect.signature(self.python_callable)
        except (TypeError, ValueError):  # some builtins have none; they get no context
            return self.python_callable(*args, **kwargs)
        accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
        positional = list(signature.parameters)[: len(args)]  # names already filled by positional arguments
        for name in Context.INJECTABLE | {"context"}:
            if name in kwargs or name in positional or not (name in signature.parameters or accepts_any):
                continue
            if name in signature.parameters and signature.parameters[name].kind is inspect.Parameter.POSITIONAL_ONLY:
                continue
            kwargs[name] = context if name == "context" else getattr(context, name)
        return self.python_callable(*args, **kwargs)


F = TypeVar("F", bound=Callable[..., Any])


class TaskFactory:
    """What `@task` returns: calling it inside a DAG adds a task and returns its future result."""

    def __init__(self, function: Callable[..., Any], options: dict[str, Any]) -> None:
        self.function = function
        self.options = options
        self.__wrapped__ = function
        self.__name__ = function.__name__
        self.__doc__ = function.__doc__

    def override(self, **options: Any) -> TaskFactory:
        """The same task with other options, e.g. `.override(task_id="second", retries=3)`."""
        return TaskFactory(self.function, {**self.options, **options})

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        dag = _current_dag.get()
        if dag is None:
            raise DagDefinitionError(f"task {self.function.__name__!r} was called outside of a DAG")
        options = dict(self.options)
        task_id = options.pop("task_id", None)
        if task_id is None:
            task_id = dag.unique_task_id(self.function.__name__)
        operator = PythonTask(python_callable=self.function, op_args=args, op_kwargs=kwargs, task_id=task_id, **options)
        return XComArg(operator)


@overload
def task(function: F) -> TaskFactory: ...
@overload
def task(function: None = None, **options: Any) -> Callable[[F], TaskFactory]: ...
def task(function: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Turn a function into a task. Options: task_id, retries, retry_delay, retry_exponential_backoff,
    max_retry_delay, execution_timeout, trigger_rule, executor, executor_config, queue, doc.
    Options set here always win over the DAG's default_args."""
    if function is not None:
        return TaskFactory(function, options)
    return lambda fn: TaskFactory(fn, options)


# DAGs -----------------------------------------------------------------------------------------


class DAG:
    """A graph of tasks with a schedule. Use as a context manager or through `@dag`."""

    def __init__(
        self,
        dag_id: str,
        *,
        schedule: str | None = None,
        start_date: datetime | None = None,
        catchup: bool = False,
        params: Mapping[str, Any] | None = None,
        max_active_runs: int = 1,
        tags: Sequence[str] = (),
        description: str = "",
        default_args: Mapping[str, Any] | None = None,
    ) -> None:
        if not dag_id or not all(ch.isalnum() or ch in "_-." for ch in dag_id):
            raise DagDefinitionError(f"DAG id {dag_id!r} may use only letters, digits, '_', '-' and '.'")
        self.dag_id = dag_id
        self.schedule = SCHEDULE_PRESETS.get(schedule, schedule) if schedule else None
        if self.schedule is not None and not croniter.is_valid(self.schedule):
            raise DagDefinitionError(f"DAG {dag_id!r}: schedule {schedule!r} is not a valid cron expression")
        if self.schedule is not None and start_date is None:
            raise DagDefinitionError(f"DAG {dag_id!r}: a scheduled DAG needs a start_date")
        if start_date is not None and start_date.tzinfo is None:
            raise DagDefinitionError(f"DAG {dag_id!r}: start_date must be timezone-aware")
        if max_active_runs < 1:
            raise DagDefinitionError(f"DAG {dag_id!r}: max_active_runs must be at least 1")
        self.start_date = start_date
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        self.tags = list(tags)
        self.description = description
        self.default_args = dict(default_args or {})
        unknown = sorted(set(self.default_args) - TASK_OPTIONS.keys())
        if unknown:
            raise DagDefinitionError(
                f"DAG {dag_id!r}: default_args {', '.join(unknown)} are not task options "
                f"(they may be: {', '.join(TASK_OPTIONS)})"
            )
        self.params: dict[str, Param] = {}
        for name, value in (params or {}).items():
            try:
                self.params[name] = value if isinstance(value, Param) else Param(value)
            except DagDefinitionError as exc:
                raise DagDefinitionError(f"DAG {dag_id!r}, param {name!r}: {exc}") from None
        self.tasks: dict[str, BaseOperator] = {}
        self.fileloc = ""
        self._token: contextvars.Token[DAG | None] | None = None

    def __enter__(self) -> DAG:
        self._token = _current_dag.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current_dag.reset(self._token)
            self._token = None

    def add_task(self, operator: BaseOperator) -> None:
        if operator.task_id in self.tasks:
            raise DagDefinitionError(f"DAG {self.dag_id!r} has two tasks with the id {operator.task_id!r}")
        operator.dag = self
        self.tasks[operator.task_id] = operator

    def unique_task_id(self, base: str) -> str:
        """`base`, or `base__2`, `base__3`… when a task function is called more than once."""
        if base not in self.tasks:
            return base
        n = 2
        while f"{base}__{n}" in self.tasks:
            n += 1
        return f"{base}__{n}"

    @property
    def downstream(self) -> dict[str, set[str]]:
        return {task_id: set(op.downstream_task_ids) for task_id, op in self.tasks.items()}

    @property
    def upstream(self) -> dict[str, set[str]]:
        return {task_id: set(op.upstream_task_ids) for task_id, op in self.tasks.items()}

    @property
    def trigger_rules(self) -> dict[str, str]:
        return {task_id: op.trigger_rule.value for task_id, op in self.tasks.items()}

    def topological_task_ids(self) -> list[str]:
        return graph.topological_order(self.downstream)

    def validate(self) -> None:
        """Raise DagDefinitionError naming the DAG (and the task) if the graph cannot run."""
        if not self.tasks:
            raise DagDefinitionError(f"DAG {self.dag_id!r} has no tasks")
        cycle = graph.find_cycle(self.downstream)
        if cycle:
            raise DagDefinitionError(f"DAG {self.dag_id!r} has a cycle: {' -> '.join(cycle)}")

    def validate_executors(self, known: Iterable[str], default: str) -> None:
        known = set(known)
        for op in self.tasks.values():
            name = op.executor or default
            if name not in known:
                raise DagDefinitionError(
                    f"DAG {self.dag_id!r}, task {op.task_id!r}: executor {name!r} is not configured "
                    f"(WORKFLOWS_EXECUTORS is {', '.join(sorted(known)) or 'empty'})"
                )

    def resolve_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults merged with given values, coerced to their types; InvalidParams lists every problem."""
        given = dict(given or {})
        errors: dict[str, str] = {}
        for name in given:
            if name not in self.params:
                known = ", ".join(self.params) or "none"
                errors[name] = f"unknown param (this DAG takes: {known})"
        values: dict[str, Any] = {}
        for name, param in self.params.items():
            try:
                values[name] = param.validate(given.get(name))
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise InvalidParams(errors)
        return values

    def __repr__(self) -> str:
        return f"<DAG {self.dag_id}>"


def _as_timedelta(value: timedelta | float | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value))


def dag(
    dag_id: str | None = None,
    *,
    schedule: str | None = None,
    start_date: datetime | None = None,
    catchup: bool = False,
    params: Mapping[str, Any] | None = None,
    max_active_runs: int = 1,
    tags: Sequence[str] = (),
    description: str | None = None,
    default_args: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], DAG]:
    """Build a DAG from a function whose body calls tasks. The decorated name becomes the DAG."""

    def build(function: Callable[..., Any]) -> DAG:
        new = DAG(
            dag_id or function.__name__,
            schedule=schedule,
            start_date=start_date,
            catchup=catchup,
            params=params,
            max_active_runs=max_active_runs,
            tags=tags,
            description=description if description is not None else (inspect.getdoc(function) or ""),
            default_args=default_args,
        )
        new.fileloc = function.__module__
        with new:
            function()
        new.validate()
        return new

    return build


#: The authoring API that DAG files use; `Param` lives in workflows.params and is offered here too.
__all__ = [
    "DAG",
    "SCHEDULE_PRESETS",
    "BaseOperator",
    "Context",
    "Param",
    "PythonTask",
    "TaskFactory",
    "XComArg",
    "dag",
    "task",
]
