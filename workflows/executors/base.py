"""The executor contract: how a queued try reaches something that runs it.

Executors receive ids and plain data (a `Workload`), never model instances or user code, and
report back with events from `sync()`. Whatever runs the try ends in the runner
(`python manage.py run_task <task instance id> --try <n>`, the start of it being WORKFLOWS_TASK_COMMAND,
or `workflows.runner.run_try` in-process), which claims the try, runs the task and records its outcome
in the database itself. Events only
tell the scheduler what the runner could not: that a process or pod ended without recording an
outcome, with the reason (exit code, OOMKilled), an external id, or log text copied from elsewhere.

The contract is written down in docs/adr/0001-executor-contract.md and is only ever extended.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from workflows.conf import workflows_settings


@dataclass(frozen=True)
class Workload:
    """One try to run, as plain data."""

    task_instance_id: int
    try_number: int
    dag_id: str
    task_id: str
    run_id: str
    executor_config: Mapping[str, Any] = field(default_factory=dict)
    queue: str | None = None
    execution_timeout: float | None = None
    scheduler_id: int | None = None

    @property
    def key(self) -> tuple[int, int]:
        return (self.task_instance_id, self.try_number)

    @property
    def command(self) -> list[str]:
        """The command that runs this try in a fresh process (a pod's container, a shell)."""
        return [*workflows_settings.TASK_COMMAND, "run_task", str(self.task_instance_id), "--try", str(self.try_number)]


@dataclass(frozen=True)
class TryRunning:
    """The executor knows the try started, and under which external id (Celery task id, pod name)."""

    task_instance_id: int
    try_number: int
    external_id: str = ""


@dataclass(frozen=True)
class TryFinished:
    """The process or pod of a try ended. `reason` names why when it was not a clean exit.

    If the runner recorded an outcome already, the scheduler only adds exit_code and reason to the
    try. If it did not (killed, OOMKilled, image never pulled), the try fails with this reason and
    the task instance is retried or failed by its retry policy.
    """

    task_instance_id: int
    try_number: int
    state: Literal["success", "failed"]
    reason: str = ""
    exit_code: int | None = None


@dataclass(frozen=True)
class TryLog:
    """Log text to append to a try's log (e.g. a pod's log copied before the pod is deleted)."""

    task_instance_id: int
    try_number: int
    text: str


@dataclass(frozen=True)
class TryHandedBack:
    """The executor gives a try back without having run it; it does not count against retries."""

    task_instance_id: int
    try_number: int
    reason: str = ""


Event = TryRunning | TryFinished | TryLog | TryHandedBack


@dataclass(frozen=True)
class Orphan:
    """A try queued or running under a scheduler that has gone away."""

    workload: Workload
    state: Literal["queued", "running"]
    external_id: str = ""


class BaseExecutor:
    """Base of every executor. Subclasses override what they need; the defaults are safe no-ops."""

    #: The executor can take over tries started by a scheduler that died (their pods or broker
    #: messages outlive it). Without it, such queued tries are handed back and requeued, and
    #: running ones are left to the heartbeat check.
    supports_adoption: ClassVar[bool] = False
    #: Tries run on this machine, as children of the scheduler process.
    is_local: ClassVar[bool] = False

    def __init__(
        self,
        *,
        name: str,
        scheduler_id: int | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        #: The name the executor is configured under (alias or dotted path); tasks pick it by this name.
        self.name = name
        #: The SchedulerJob id of the scheduler running this executor (None outside a scheduler).
        self.scheduler_id = scheduler_id
        #: Call to wake the scheduler loop early (e.g. when a try ended).
        self.wake = wake or (lambda: None)

    @property
    def queued_timeout(self) -> float | None:
        """Seconds a try may stay queued before the scheduler fails it (None: no limit)."""
        return None

    def start(self) -> None:
        """Prepare to accept work (start worker processes, connect, start watchers)."""

    def slots_available(self) -> int | None:
        """How many more tries `queue` accepts now; None means no limit."""
        return None

    def queue(self, workload: Workload) -> None:
        """Send one try to be run. Called after the try is committed as queued.

        Raise an exception to refuse it; the scheduler then fails the try with that message.
        """
        raise NotImplementedError

    def sync(self) -> list[Event]:
        """Report what happened since the last call. Called on every scheduler loop; must not block."""
        return []

    def adopt(self, orphans: Sequence[Orphan]) -> list[Orphan]:
        """Take over orphaned tries of this executor; return those NOT adopted."""
        return list(orphans)

    def cancel(self, task_instance_id: int, try_number: int, *, reason: str) -> None:
        """Best-effort stop of a try the scheduler has given up on (timed out, lost, cleared)."""

    def wait_handles(self) -> list[Any]:
        """Objects (connections, sockets, fds) that become readable when the executor has news.

        The scheduler waits on them with `multiprocessing.connection.wait` between loops.
        """
        return []

    def end(self, *, grace: float = 30.0) -> list[Event]:
        """Stop. Let running tries finish within `grace` seconds; report what it hands back."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
