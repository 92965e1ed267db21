"""The scheduler loop (`python manage.py scheduler`).

Each loop: apply executor events; create due scheduled runs; start queued runs within
max_active_runs (a run scheduled for later once its moment has come); decide task instances of
running runs by their trigger rules; queue scheduled ones to the executor each names; now and then
fail lost, timed-out and stuck tries. Between loops it waits on a wake pipe, the executors' handles
and (on PostgreSQL) LISTEN, so new work is seen at once instead of after a fixed sleep.

Restart-safe: all state is in the database. Several schedulers may run against PostgreSQL (rows
are claimed with SKIP LOCKED); on SQLite a lock file lets only one run.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.connection import wait as wait_for
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from workflows import services
from workflows.conf import workflows_settings
from workflows.dagbag import DagBag, get_dagbag
from workflows.enums import DagRunState, TryState
from workflows.errors import SchedulerAlreadyRunning
from workflows.executors import create_executors
from workflows.executors.base import BaseExecutor, Orphan, Workload
from workflows.models import DagRecord, DagRun, SchedulerJob, TaskTry
from workflows.sdk import BaseOperator
from workflows.wakeup import CHANNEL

logger = logging.getLogger(__name__)

#: Seconds between two full scheduling passes over running runs when nothing else asks for one.
FULL_PASS_INTERVAL = 0.25


class _Listener:
    """A PostgreSQL LISTEN connection whose socket the scheduler waits on."""

    def __init__(self) -> None:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        self.conn = psycopg.connect(**params, autocommit=True)
        self.conn.execute(f"LISTEN {CHANNEL}")

    def fileno(self) -> int:
        return self.conn.fileno()

    def drain(self) -> None:
        for _ in self.conn.notifies(timeout=0):
            pass

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


class Scheduler:
    def __init__(
        self,
        *,
        executor_names: list[str] | None = None,
        bag: DagBag | None = None,
        max_loops: int | None = None,
        max_seconds: float | None = None,
        until: Callable[[], bool] | None = None,
    ) -> None:
        self.executor_names = executor_names or workflows_settings.EXECUTORS
        self.bag = bag
        self.max_loops = max_loops
        self.max_seconds = max_seconds
        self.until = until
        self.executors: dict[str, BaseExecutor] = {}
        self.job: SchedulerJob | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._lock_file: IO[str] | None = None
        self._listener: _Listener | None = None
        self._last_check = 0.0
        self._last_beat = 0.0
        self._last_create = 0.0
        self._last_full_pass = 0.0
        self._previous_handlers: dict[int, Any] = {}

    def __del__(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    # lifecycle ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """Make the loop run now. Safe from any thread and from signal handlers."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"!")

    def stop(self) -> None:
        self._stop.set()
        self.wake()

    def run(self) -> None:
        """Run until stopped (SIGTERM, SIGINT, `stop()`) or a bound given at construction is reached."""
        self.start()
        try:
            self._install_signal_handlers()
            self.run_until(self.until, max_loops=self.max_loops, max_seconds=self.max_seconds)
        finally:
            self.shutdown()

    def start(self) -> None:
        """Take the SQLite lock, register this scheduler, start executors, adopt orphaned tries."""
        self._acquire_sqlite_lock()
        try:
            self._start()
        except BaseException:
            self.shutdown()
            raise

    def run_until(
        self,
        predicate: Callable[[], bool] | None = None,
        *,
        max_loops: int | None = None,
        max_seconds: float | None = None,
    ) -> None:
        """Loop until `predicate()` is true, a bound is reached or the scheduler is stopped."""
        started = time.monotonic()
        loops = 0
        idle = workflows_settings.SCHEDULER_MIN_SLEEP
        while not self._stop.is_set():
            did_work = self.loop_once()
            loops += 1
            if max_loops is not None and loops >= max_loops:
                break
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                break
            if predicate is not None and predicate():
                break
            if did_work:
                idle = workflows_settings.SCHEDULER_MIN_SLEEP
                self._wait(0)
            else:
                self._wait(self._until_next_run_after(idle))
                idle = min(idle * 2, workflows_settings.SCHEDULER_MAX_SLEEP)

    def _acquire_sqlite_lock(self) -> None:
        if connection.vendor != "sqlite":
            return
        path = workflows_settings.SCHEDULER_LOCK_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SchedulerAlreadyRunning(
                f"another scheduler is already running on this SQLite database (lock file {path}); "
                "SQLite supports one scheduler; use PostgreSQL to run several"
            ) from None
        self._lock_file = handle

    def _start(self) -> None:
        self.bag = self.bag or get_dagbag()
        for failure in self.bag.import_errors:
            logger.error("DAG module %s failed to load: %s", failure.module, failure.message)
        now = timezone.now()
        self.job = SchedulerJob.objects.create(
            hostname=socket.gethostname(), pid=os.getpid(), executors=self.executor_names, heartbeat_at=now
        )
        services.sync_dag_records(bag=self.bag, now=now)
        self.executors = create_executors(names=self.executor_names, scheduler_id=self.job.pk, wake=self.wake)
        if any(executor.is_local for executor in self.executors.values()):
            connection.close()  # local workers are forked; they must not share this connection
        for executor in self.executors.values():
            executor.start()
        if connection.vendor == "postgresql":
            self._listener = _Listener()
        self._adopt_orphans()
        logger.info(
            "scheduler %s started with executors %s and %d DAG(s)",
            self.job.pk,
            ", ".join(self.executor_names),
            len(self.bag.dags),
        )

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous_handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def on_signal(signum: int, frame: object) -> None:
            logger.info("received %s: finishing running tries, queuing nothing new", signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def shutdown(self) -> None:
        """Stop executors (running local tries get SHUTDOWN_GRACE to finish) and release the lock."""
        try:
            dags = self.bag.dags if self.bag else {}
            for executor in self.executors.values():
                for event in executor.end(grace=workflows_settings.SHUTDOWN_GRACE):
                    services.apply_executor_event(event, dags=dags)
            if self.job is not None:
                SchedulerJob.objects.filter(pk=self.job.pk).update(ended_at=timezone.now())
        finally:
            for sig, handler in self._previous_handlers.items():
                signal.signal(sig, handler)
            if self._listener:
                self._listener.close()
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None
            self.executors = {}
            self._previous_handlers = {}
            logger.info("scheduler stopped")

    # waiting -----------------------------------------------------------------------------------

    def _until_next_run_after(self, idle: float) -> float:
        """`idle`, cut short so that a run scheduled for a moment starts at that moment, not a sleep later.

        A run scheduled or moved meanwhile wakes the loop itself (through notify_schedulers).
        """
        if idle <= workflows_settings.SCHEDULER_MIN_SLEEP:
            return idle
        now = timezone.now()
        due = services.next_run_after(now=now)
        if due is None:
            return idle
        return max(0.0, min(idle, (due - now).total_seconds()))

    def _wait(self, timeout: float) -> None:
        handles: list[Any] = [self._wake_r]
        if self._listener:
            handles.append(self._listener)
        for executor in self.executors.values():
            handles.extend(executor.wait_handles())
        with contextlib.suppress(OSError, ValueError):  # a handle closed under us: just loop again
            wait_for(handles, timeout)
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(self._wake_r, 4096):
                pass
        if self._listener:
            self._listener.drain()

    # one loop ----------------------------------------------------------------------------------

    def loop_once(self) -> bool:
        """One pass over everything; True if it changed anything (so the next pass comes at once)."""
        assert self.bag is not None
        assert self.job is not None
        now = timezone.now()
        dags = self.bag.dags
        events = self._process_events(dags)
        did_work = events
        # Tries made ready by the runners' mini scheduler go out first: that is the latency that counts.
        if not self._stop.is_set():
            did_work |= self._queue_tries(now)
        self._heartbeat(now)
        created = False
        if time.monotonic() - self._last_create >= 1.0:  # cron has minute resolution; manual runs come queued
            self._last_create = time.monotonic()
            created = self._create_runs(now)
        started = self._start_runs(now)
        # Runners schedule the downstream of each try they finish, so queuing alone needs no pass over
        # the running runs. One is due after what runners do not see (tries failed from executor events,
        # new runs) and every FULL_PASS_INTERVAL as the backstop (retry delays, a runner that died).
        scheduled = False
        if events or created or started or time.monotonic() - self._last_full_pass >= FULL_PASS_INTERVAL:
            self._last_full_pass = time.monotonic()
            scheduled = self._schedule_runs(now)
        did_work |= created or started or scheduled
        if (events or scheduled) and not self._stop.is_set():
            did_work |= self._queue_tries(timezone.now())
        if time.monotonic() - self._last_check >= workflows_settings.ZOMBIE_CHECK_INTERVAL:
            self._last_check = time.monotonic()
            did_work |= self._check_failures(now)
        return did_work

    def _process_events(self, dags: dict[str, Any]) -> bool:
        did_work = False
        for executor in self.executors.values():
            for event in executor.sync():
                services.apply_executor_event(event, dags=dags)
                did_work = True
        return did_work

    def _heartbeat(self, now: Any) -> None:
        if time.monotonic() - self._last_beat >= workflows_settings.HEARTBEAT_INTERVAL:
            self._last_beat = time.monotonic()
            assert self.job is not None
            SchedulerJob.objects.filter(pk=self.job.pk).update(heartbeat_at=now)

    def _create_runs(self, now: Any) -> bool:
        assert self.bag is not None
        due = DagRecord.objects.filter(
            is_paused=False, is_active=True, next_dagrun_create_after__lte=now, dag_id__in=list(self.bag.dags)
        ).values_list("pk", "dag_id")
        created = 0
        for pk, dag_id in due:
            created += len(services.create_due_scheduled_runs(record_id=pk, dag=self.bag.dags[dag_id], now=now))
        return created > 0

    def _start_runs(self, now: Any) -> bool:
        assert self.bag is not None
        waiting = (
            DagRun.objects.filter(
                services.due_filter(now), state=DagRunState.QUEUED, dag__dag_id__in=list(self.bag.dags)
            )
            .values_list("dag_id", "dag__dag_id")
            .distinct()
        )
        started = 0
        for record_id, dag_id in waiting:
            started += services.start_queued_runs(dag=self.bag.dags[dag_id], record_id=record_id, now=now)
        return started > 0

    def _schedule_runs(self, now: Any) -> bool:
        assert self.bag is not None
        running = DagRun.objects.filter(state=DagRunState.RUNNING).values_list("pk", "dag__dag_id")
        running = running[: workflows_settings.SCHEDULER_BATCH_SIZE]
        did_work = False
        for pk, dag_id in running:
            did_work |= services.schedule_run(
                run_pk=pk, dag=self.bag.dags.get(dag_id), now=now, skip_locked=True, only_if_needed=True
            )
        return did_work

    def _queue_tries(self, now: Any) -> bool:
        assert self.bag is not None
        assert self.job is not None
        slots = {name: executor.slots_available() for name, executor in self.executors.items()}
        if all(s is not None and s <= 0 for s in slots.values()):
            return False
        tries = services.queue_task_instances(
            executor_slots=slots,
            scheduler_id=self.job.pk,
            limit=workflows_settings.SCHEDULER_BATCH_SIZE,
            now=now,
        )
        for attempt in tries:
            self._send(attempt)
        return bool(tries)

    def _send(self, attempt: TaskTry) -> None:
        assert self.bag is not None
        ti = attempt.task_instance
        task = self._task_of(attempt)
        workload = build_workload(attempt, task=task, scheduler_id=self.job.pk if self.job else None)
        executor = self.executors[attempt.executor]
        try:
            executor.queue(workload)
        except Exception as exc:
            logger.exception("executor %s refused %s", executor.name, workload)
            services.fail_try(
                ti_id=ti.pk,
                try_number=attempt.try_number,
                reason=f"executor {executor.name!r} could not take the try: {type(exc).__name__}: {exc}",
                task=task,
            )

    def _check_failures(self, now: Any) -> bool:
        assert self.bag is not None
        dags = self.bag.dags
        changed = services.fail_lost_tries(dags=dags, now=now)
        for ti_id, try_number, executor_name in services.fail_timed_out_tries(dags=dags, now=now):
            changed += 1
            executor = self.executors.get(executor_name)
            if executor is not None:
                executor.cancel(ti_id, try_number, reason="execution_timeout exceeded")
        for name, executor in self.executors.items():
            if executor.queued_timeout:
                changed += services.fail_stuck_queued_tries(
                    executor=name, timeout=executor.queued_timeout, dags=dags, now=now
                )
        return changed > 0

    # adoption ----------------------------------------------------------------------------------

    def _adopt_orphans(self) -> None:
        """Offer tries of dead schedulers to their executors; hand back queued ones nobody adopts."""
        assert self.job is not None
        cutoff = timezone.now() - timedelta(seconds=workflows_settings.ZOMBIE_THRESHOLD)
        SchedulerJob.objects.filter(ended_at__isnull=True, heartbeat_at__lt=cutoff).exclude(pk=self.job.pk).update(
            ended_at=timezone.now()
        )
        for name, executor in self.executors.items():
            with transaction.atomic():
                tries = list(
                    TaskTry.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(
                        state__in=[TryState.QUEUED, TryState.RUNNING],
                        executor=name,
                        scheduler__ended_at__isnull=False,
                    )
                    .select_related("task_instance__run__dag")
                )
                if not tries:
                    continue
                orphans = [self._orphan(t) for t in tries]
                not_adopted = {o.workload.key for o in executor.adopt(orphans)}
                adopted = [t.pk for t in tries if (t.task_instance_id, t.try_number) not in not_adopted]
                TaskTry.objects.filter(pk__in=adopted).update(scheduler_id=self.job.pk)
            for attempt in tries:
                key = (attempt.task_instance_id, attempt.try_number)
                if key in not_adopted and attempt.state == TryState.QUEUED:
                    services.hand_back_try(
                        ti_id=key[0], try_number=key[1], reason="its scheduler stopped before the try started"
                    )
            logger.info("executor %s adopted %d of %d orphaned tries", name, len(adopted), len(tries))

    def _orphan(self, attempt: TaskTry) -> Orphan:
        return Orphan(
            workload=build_workload(
                attempt, task=self._task_of(attempt), scheduler_id=self.job.pk if self.job else None
            ),
            state="queued" if attempt.state == TryState.QUEUED else "running",
            external_id=attempt.external_id,
        )

    def _task_of(self, attempt: TaskTry) -> BaseOperator | None:
        """The task a try runs, or None when its DAG or task is no longer in the bag."""
        assert self.bag is not None
        ti = attempt.task_instance
        dag = self.bag.dags.get(ti.run.dag.dag_id)
        return dag.tasks.get(ti.task_id) if dag else None


def build_workload(attempt: TaskTry, *, task: BaseOperator | None, scheduler_id: int | None) -> Workload:
    """What an executor is told about a try; the one place that says it, for new tries and adopted ones alike.

    `attempt` needs its task instance, run and DAG record loaded.
    """
    ti = attempt.task_instance
    return Workload(
        task_instance_id=ti.pk,
        try_number=attempt.try_number,
        dag_id=ti.run.dag.dag_id,
        task_id=ti.task_id,
        run_id=ti.run.run_id,
        executor_config=task.executor_config if task else {},
        queue=ti.queue or None,
        execution_timeout=task.execution_timeout.total_seconds() if task and task.execution_timeout else None,
        scheduler_id=scheduler_id,
    )


__all__ = ["Scheduler", "build_workload"]
