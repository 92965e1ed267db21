"""Running one try of one task instance: the only code path that executes user code.

Every executor ends here, in-process (a pre-forked local worker, a Celery worker) or through
`python manage.py run_task <task instance id> --try <n>` (a pod, a shell). The runner:

1. claims the try with a guarded update (only a queued try of that number becomes running);
2. heartbeats from a thread (one per process, for all its tries), storing the log so far, so the UI
   shows it live and a lost worker is noticed;
3. enforces execution_timeout (SIGALRM in the main thread, else a watchdog raising in the task's thread);
4. captures stdout, stderr and `logging` into the try's log;
5. stores the JSON result (size-limited) and records the outcome;
6. schedules now-ready downstream tasks of the same run at once (the "mini scheduler").
"""

from __future__ import annotations

import ctypes
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from workflows import services
from workflows.conf import workflows_settings
from workflows.dagbag import DagBag, get_dagbag
from workflows.enums import TryState
from workflows.errors import FailTask, SkipTask, TaskTimeout
from workflows.models import TaskInstance
from workflows.sdk import BaseOperator, Context
from workflows.triggers.base import TaskDeferred

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    claimed: bool
    state: str | None = None
    reason: str = ""


class LogBuffer(io.TextIOBase):
    """A thread-safe text sink for the try's stdout, stderr and log records."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._lock = threading.Lock()
        #: How many characters of the (untruncated) text the database holds, as of the last beat.
        self._stored = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def text(self) -> str:
        with self._lock:
            joined = "".join(self._parts)
            self._parts = [joined]
        return services.truncate_log(joined)

    def unstored(self) -> tuple[int, str | None, str]:
        """What a beat must write: (length it brings the log to, replacement or None, text to append).

        Up to the size limit a beat appends only what was written since the last one; past it the
        stored log keeps its start and end (see `truncate_log`), so it is replaced, at most the limit.
        """
        with self._lock:
            joined = "".join(self._parts)
            self._parts = [joined]
            stored = self._stored
        if len(joined) > workflows_settings.LOG_MAX_BYTES:
            if len(joined) == stored:
                return stored, None, ""
            return len(joined), services.truncate_log(joined), ""
        return len(joined), None, joined[stored:]

    def mark_stored(self, length: int) -> None:
        """Record that the database holds the text up to `length` (after a beat wrote it)."""
        with self._lock:
            self._stored = max(self._stored, length)


class _BufferHandler(logging.Handler):
    def __init__(self, buffer: LogBuffer, ignore_thread: int | None) -> None:
        super().__init__(logging.NOTSET)
        self.buffer = buffer
        self.ignore_thread = ignore_thread
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.ignore_thread:
            return
        try:
            self.buffer.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - a log line that cannot be formatted must not fail the task
            self.handleError(record)


@contextmanager
def capture_output(buffer: LogBuffer, *, ignore_thread: int | None = None) -> Iterator[None]:
    handler = _BufferHandler(buffer, ignore_thread)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with redirect_stdout(buffer), redirect_stderr(buffer):
            yield
    finally:
        root.removeHandler(handler)


@contextmanager
def execution_timeout(seconds: float | None) -> Iterator[None]:
    """Raise TaskTimeout in the current thread once `seconds` pass.

    In the main thread a SIGALRM interrupts even a blocking sleep or socket read; elsewhere a
    watchdog thread raises the exception asynchronously (checked between bytecodes).
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
        return
    target = threading.get_ident()
    done = threading.Event()

    def watchdog() -> None:
        if not done.wait(seconds):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(TaskTimeout))

    thread = threading.Thread(target=watchdog, name="workflows-timeout", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise TaskTimeout

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:  # someone else (e.g. a test timeout) had an alarm set: give it back
            signal.setitimer(signal.ITIMER_REAL, max(previous_delay - (time.monotonic() - started), 0.001))


class Heartbeats:
    """Marks running tries alive every WORKFLOWS_HEARTBEAT_INTERVAL seconds and saves their log so far.

    One thread per process beats for every try running in it, started with the first try: a thread
    started and joined per try would cost more than a short task itself.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        #: (task instance id, try number) -> (log buffer, when its next beat is due)
        self._tries: dict[tuple[int, int], tuple[LogBuffer, float]] = {}
        self._beating: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None

    def watch(self, *, ti_id: int, try_number: int, buffer: LogBuffer) -> int | None:
        """Start beating for a try; returns the heartbeat thread's ident (its log records are not the task's)."""
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="workflows-heartbeat", daemon=True)
                self._thread.start()
            self._tries[(ti_id, try_number)] = (buffer, time.monotonic() + workflows_settings.HEARTBEAT_INTERVAL)
            self._cond.notify_all()
            return self._thread.ident

    def unwatch(self, *, ti_id: int, try_number: int, timeout: float = 10.0) -> None:
        """Stop beating for a try; a beat of it being written finishes first, so none comes after."""
        key = (ti_id, try_number)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._tries.pop(key, None)
            self._cond.notify_all()
            while self._beating == key and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)

    def _run(self) -> None:
        connected = False
        while True:
            key: tuple[int, int] | None = None
            with self._cond:
                while key is None:
                    if not self._tries:
                        if connected:
                            break  # idle: give the database connection back first
                        self._cond.wait()
                        continue
                    next_key, (buffer, due) = min(self._tries.items(), key=lambda item: item[1][1])
                    if (delay := due - time.monotonic()) > 0:
                        self._cond.wait(delay)
                        continue
                    key = next_key
                    self._tries[key] = (buffer, time.monotonic() + workflows_settings.HEARTBEAT_INTERVAL)
                    self._beating = key
            if key is None:
                connection.close()
                connected = False
                continue
            alive = True
            try:
                connected = True
                length, replacement, new_text = buffer.unstored()
                alive = services.heartbeat_try(ti_id=key[0], try_number=key[1], log=replacement, log_append=new_text)
                buffer.mark_stored(length)
            except Exception:
                logger.exception("heartbeat of task instance %s failed", key[0])
            with self._cond:
                self._beating = None
                if not alive:  # the try no longer runs (failed as lost or timed out): stop beating for it
                    self._tries.pop(key, None)
                self._cond.notify_all()


heartbeats = Heartbeats()


def _reset_heartbeats_in_child() -> None:
    global heartbeats  # noqa: PLW0603 - the parent's thread does not exist in a forked child
    heartbeats = Heartbeats()


os.register_at_fork(after_in_child=_reset_heartbeats_in_child)


def _json_result(value: Any) -> Any:
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise FailTask(
            f"the task returned {type(value).__name__}, which is not JSON ({exc}); return dicts, lists, "
            "strings, numbers, booleans or None"
        ) from None
    size = len(text.encode())
    limit = workflows_settings.RESULT_MAX_BYTES
    if size > limit:
        raise FailTask(
            f"the task's result is {size} bytes of JSON, more than the {limit} allowed "
            "(WORKFLOWS_RESULT_MAX_BYTES); store large data elsewhere and return a reference to it"
        )
    return json.loads(text)


@dataclass
class _Outcome:
    state: TryState = TryState.FAILED
    reason: str = ""
    result: Any = None
    allow_retry: bool = True


def _execute(task: BaseOperator, context: Context, *, next_method: str, next_kwargs: Any) -> _Outcome:
    """Call the task's code under its timeout and turn how it ended into an outcome."""
    timeout = task.execution_timeout
    try:
        with execution_timeout(timeout.total_seconds() if timeout else None):
            value = getattr(task, next_method)(context, event=next_kwargs) if next_method else task.execute(context)
        return _Outcome(state=TryState.SUCCESS, result=_json_result(value))
    except TaskTimeout:
        reason = f"execution_timeout of {timeout.total_seconds():g} s exceeded" if timeout else "timed out"
        print(f"ERROR {reason}; the task was stopped", file=sys.stderr)
        return _Outcome(reason=reason)
    except SkipTask as exc:
        return _Outcome(state=TryState.SKIPPED, reason=str(exc) or "skipped by the task")
    except FailTask as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return _Outcome(reason=str(exc), allow_retry=False)
    except TaskDeferred as exc:
        # Nothing would ever resume a deferred try yet: failing it now ends the run instead of leaving it hanging.
        reason = (
            "This task deferred, but no triggerer runs in this deployment yet; it cannot resume, so the try "
            f"failed (it would have waited on {type(exc.trigger).__name__}). Wait inside the task instead, "
            "then clear it to run it again."
        )
        print(f"ERROR {reason}", file=sys.stderr)
        return _Outcome(reason=reason, allow_retry=False)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure of user code is the task's outcome
        traceback.print_exc()
        return _Outcome(reason=f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class _TryRow:
    """What the runner reads about a task instance and its run (plain values: cheaper than models)."""

    task_id: str
    next_method: str
    next_kwargs: Any
    run_pk: int
    run_id: str
    logical_date: datetime
    params: dict[str, Any]
    data_interval_start: datetime
    data_interval_end: datetime
    dag_id: str

    @classmethod
    def lookups(cls) -> list[str]:
        return [_LOOKUPS.get(f.name, f.name) for f in fields(cls)]


_LOOKUPS = {
    "run_pk": "run_id",
    "run_id": "run__run_id",
    "logical_date": "run__logical_date",
    "params": "run__params",
    "data_interval_start": "run__data_interval_start",
    "data_interval_end": "run__data_interval_end",
    "dag_id": "run__dag__dag_id",
}


def _drop_broken_connection() -> None:
    # Long-lived workers keep their connection between tries (a reconnect per try costs more than
    # the no-op task itself); one that broke (database restart) is replaced.
    if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
        connection.close()


def run_try(
    ti_id: int,
    try_number: int,
    *,
    bag: DagBag | None = None,
    heartbeat: bool = True,
    mini_schedule: bool = True,
) -> RunResult:
    """Run one try to its end and record it. Returns claimed=False if the try was not ours to run."""
    _drop_broken_connection()
    values = TaskInstance.objects.filter(pk=ti_id).values_list(*_TryRow.lookups()).first()
    if values is None:
        return RunResult(claimed=False, reason=f"task instance {ti_id} does not exist")
    row = _TryRow(*values)
    dag_id = row.dag_id
    bag = bag or get_dagbag()
    dag = bag.dags.get(dag_id)
    task: BaseOperator | None = dag.tasks.get(row.task_id) if dag else None
    timeout = task.execution_timeout if task else None
    if not services.claim_try(
        ti_id=ti_id, try_number=try_number, hostname=socket.gethostname(), pid=os.getpid(), timeout=timeout
    ):
        return RunResult(claimed=False, reason="the try is not queued (already running, finished or given up)")

    buffer = LogBuffer()
    started = time.monotonic()
    buffer.write(
        f"{timezone.now().isoformat()} try {try_number} of {dag_id}.{row.task_id} ({row.run_id}) "
        f"on {socket.gethostname()} pid {os.getpid()}\n"
    )
    beat = heartbeats.watch(ti_id=ti_id, try_number=try_number, buffer=buffer) if heartbeat else None
    try:
        if task is None:
            problem = f"DAG {dag_id!r} is not loaded" if dag is None else f"DAG {dag_id!r} has no task {row.task_id!r}"
            errors = "; ".join(f"{e.module}: {e.message}" for e in bag.import_errors)
            outcome = _Outcome(
                reason=f"{problem} in this worker{f' (import errors: {errors})' if errors else ''}", allow_retry=False
            )
            buffer.write(f"ERROR {outcome.reason}\n")
        else:
            context = Context(
                dag_id=dag_id,
                run_id=row.run_id,
                task_id=row.task_id,
                try_number=try_number,
                logical_date=row.logical_date,
                data_interval_start=row.data_interval_start,
                data_interval_end=row.data_interval_end,
                params=dict(row.params),
                task_instance_id=ti_id,
                xcom_pull=lambda task_id: (
                    TaskInstance.objects.filter(run_id=row.run_pk, task_id=task_id)
                    .values_list("result", flat=True)
                    .first()
                ),
            )
            with capture_output(buffer, ignore_thread=beat):
                outcome = _execute(task, context, next_method=row.next_method, next_kwargs=row.next_kwargs)
    finally:
        if heartbeat:
            heartbeats.unwatch(ti_id=ti_id, try_number=try_number)
    state = outcome.state
    elapsed = time.monotonic() - started
    buffer.write(f"{timezone.now().isoformat()} ended {state} after {elapsed:.3f} s\n")
    services.record_try_outcome(
        ti_id=ti_id,
        try_number=try_number,
        state=state,
        task=task,
        reason=outcome.reason,
        log=buffer.text(),
        result=outcome.result,
        allow_retry=outcome.allow_retry,
    )
    if mini_schedule and dag is not None and task is not None:
        try:
            services.schedule_after_try(run_pk=row.run_pk, dag=dag, task_id=task.task_id)
        except Exception:
            logger.exception("could not schedule downstream tasks of %s", row.run_id)
    return RunResult(claimed=True, state=state, reason=outcome.reason)


def dry_run_task(*, dag_id: str, task_id: str, params: dict[str, Any] | None = None, bag: DagBag | None = None) -> Any:
    """Run one task in-process without the scheduler or the database rows of a run (`workflows test`).

    Upstream results are not available (they read as None). Returns the task's JSON result.
    """
    bag = bag or get_dagbag()
    dag = bag.get(dag_id)
    task = dag.tasks.get(task_id)
    if task is None:
        from workflows.errors import TaskNotFound

        raise TaskNotFound(f"DAG {dag_id!r} has no task {task_id!r} (tasks: {', '.join(dag.tasks)})")
    now = timezone.now()
    context = Context(
        dag_id=dag_id,
        run_id=f"test__{now.isoformat()}",
        task_id=task_id,
        try_number=1,
        logical_date=now,
        data_interval_start=now,
        data_interval_end=now,
        params=dag.resolve_params(params),
    )
    timeout = task.execution_timeout.total_seconds() if task.execution_timeout else None
    with execution_timeout(timeout):
        return _json_result(task.execute(context))


__all__ = ["RunResult", "run_try", "timedelta"]
