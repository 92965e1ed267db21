"""The local executor: a pre-forked pool of worker processes with Django already loaded.

Workers are forked from the scheduler once, at start, so a try costs a message over a pipe rather
than a new interpreter. Each worker runs one try at a time through the runner, in its main thread
(so SIGALRM enforces execution_timeout). The parent watches every worker: one that dies (SIGKILL,
out of memory) is reported with its signal and replaced, and one that overruns its try's timeout by
WORKFLOWS_TIMEOUT_GRACE is killed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from django.db import connections

from workflows.conf import workflows_settings
from workflows.executors.base import BaseExecutor, Event, TryFinished, TryHandedBack, Workload

logger = logging.getLogger(__name__)


def _worker_main(conn: Connection, stopping: Any) -> None:
    # The scheduler's handlers would stop the wrong loop; Ctrl-C in a terminal reaches the whole
    # process group, and the parent decides when its workers stop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from workflows.runner import run_try

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the scheduler went away
            break
        if message is None:
            break
        ti_id, try_number = message
        if stopping.is_set():  # the scheduler is shutting down: a try not yet started goes back
            reply = ("skipped", ti_id, try_number, False, "")
            try:
                conn.send(reply)
            except (BrokenPipeError, OSError):
                break
            continue
        try:
            result = run_try(ti_id, try_number)
            reply = ("done", ti_id, try_number, result.claimed, "")
        except Exception as exc:
            logger.exception("runner failed for task instance %s try %s", ti_id, try_number)
            reply = ("error", ti_id, try_number, False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            break
    connections.close_all()


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    #: Sent to this worker and not yet done, in order: the first runs, the next waits in the pipe.
    workloads: deque[Workload] = field(default_factory=deque)
    deadline: float | None = None

    @property
    def workload(self) -> Workload | None:
        return self.workloads[0] if self.workloads else None

    def started_next(self) -> None:
        w = self.workload
        timeout = w.execution_timeout if w else None
        self.deadline = time.monotonic() + timeout + workflows_settings.TIMEOUT_GRACE if timeout else None


def _describe_exit(exitcode: int | None) -> tuple[str, int | None]:
    if exitcode is None:
        return "it stopped answering", None
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        return f"killed by {name}", 128 - exitcode
    return f"exited with code {exitcode}", exitcode


class LocalExecutor(BaseExecutor):
    """Runs at most `parallelism` tries at once; each worker also holds the next try in its pipe,
    so it starts it the moment it finishes one, without waiting for the scheduler loop.

    When many tries are ready it takes a batch of them at once (one claim in the database for
    several tries) and holds the ones no pipe has room for; a worker that finishes a try is refilled
    from that backlog in memory, whichever worker it is, so one long try holds up at most the one
    try waiting in its pipe.
    """

    is_local = True
    #: Tries handed to a worker beyond the one it runs.
    prefetch = 1
    #: Tries per worker taken ahead when many are ready and held here until a pipe has room.
    backlog_per_worker = 4

    def __init__(self, *, parallelism: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parallelism = parallelism or workflows_settings.LOCAL_PARALLELISM
        self.workers: list[_Worker] = []
        self.pending: deque[Workload] = deque()
        self.events: list[Event] = []
        self._context = multiprocessing.get_context("fork")
        self._stopping = self._context.Event()
        self._ending = False

    def start(self) -> None:
        # A forked child must not share the parent's database sockets; each opens its own.
        connections.close_all()
        self.workers = [self._spawn() for _ in range(self.parallelism)]

    def _spawn(self) -> _Worker:
        connections.close_all()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(child, self._stopping), name="workflows-local-worker", daemon=True
        )
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def slots_available(self) -> int:
        waiting = len(self.pending)
        if waiting >= self.parallelism:  # enough to refill every worker once: take more in a batch later
            return 0
        held = sum(len(w.workloads) for w in self.workers)
        return max(self.parallelism * (1 + self.prefetch + self.backlog_per_worker) - held - waiting, 0)

    def queue(self, workload: Workload) -> None:
        if self._ending:
            raise RuntimeError("the local executor is shutting down")
        self.pending.append(workload)
        self._dispatch()

    def _dispatch(self) -> None:
        # Idle workers first, then one more try each in their pipe.
        for depth in range(1 + self.prefetch):
            for worker in self.workers:
                if not self.pending:
                    return
                if len(worker.workloads) == depth and worker.process.is_alive():
                    workload = self.pending.popleft()
                    try:
                        worker.conn.send((workload.task_instance_id, workload.try_number))
                    except (BrokenPipeError, OSError):
                        self.pending.appendleft(workload)
                        continue
                    worker.workloads.append(workload)
                    if depth == 0:
                        worker.started_next()

    def sync(self) -> list[Event]:
        for index, worker in enumerate(self.workers):
            self._read(worker)
            if not worker.process.is_alive():
                self._replace(index, worker)
            elif worker.deadline is not None and time.monotonic() > worker.deadline:
                self._kill_overrun(index, worker)
        if not self._ending:
            self._dispatch()
        events, self.events = self.events, []
        return events

    def _read(self, worker: _Worker) -> None:
        with contextlib.suppress(EOFError, OSError):
            while worker.conn.poll():
                kind, ti_id, try_number, _claimed, error = worker.conn.recv()
                if kind == "error":
                    self.events.append(
                        TryFinished(ti_id, try_number, "failed", reason=f"the runner itself failed: {error}")
                    )
                if worker.workloads and worker.workloads[0].key == (ti_id, try_number):
                    worker.workloads.popleft()
                worker.started_next()

    def _replace(self, index: int, worker: _Worker) -> None:
        worker.process.join(timeout=0)
        if worker.workload is not None:
            how, code = _describe_exit(worker.process.exitcode)
            w = worker.workload
            self.events.append(
                TryFinished(
                    w.task_instance_id,
                    w.try_number,
                    "failed",
                    reason=f"the local worker process (pid {worker.process.pid}) running this try was {how}",
                    exit_code=code,
                )
            )
            logger.error("local worker %s died (%s) while running %s", worker.process.pid, how, w)
            self.events.extend(
                TryHandedBack(w.task_instance_id, w.try_number, reason="its local worker died before starting it")
                for w in list(worker.workloads)[1:]
            )
        worker.conn.close()
        if not self._ending:
            self.workers[index] = self._spawn()
        self.wake()

    def _kill_overrun(self, index: int, worker: _Worker) -> None:
        w = worker.workload
        assert w is not None
        os.kill(worker.process.pid or 0, signal.SIGKILL)
        worker.process.join(timeout=5)
        self.events.append(
            TryFinished(
                w.task_instance_id,
                w.try_number,
                "failed",
                reason=f"execution_timeout of {w.execution_timeout:g} s exceeded; the worker process was killed",
                exit_code=137,
            )
        )
        self.events.extend(
            TryHandedBack(w.task_instance_id, w.try_number, reason="its local worker was killed before starting it")
            for w in list(worker.workloads)[1:]
        )
        worker.conn.close()
        self.workers[index] = self._spawn()

    def cancel(self, task_instance_id: int, try_number: int, *, reason: str) -> None:
        for index, worker in enumerate(self.workers):
            w = worker.workload
            if w is not None and w.key == (task_instance_id, try_number):
                os.kill(worker.process.pid or 0, signal.SIGKILL)
                worker.process.join(timeout=5)
                self.events.extend(
                    TryHandedBack(o.task_instance_id, o.try_number, reason="its local worker was stopped first")
                    for o in list(worker.workloads)[1:]
                )
                worker.conn.close()
                self.workers[index] = self._spawn()
        self.pending = deque(w for w in self.pending if w.key != (task_instance_id, try_number))

    def wait_handles(self) -> list[Any]:
        handles: list[Any] = []
        for worker in self.workers:
            handles.append(worker.conn)
            handles.append(worker.process.sentinel)
        return handles

    def end(self, *, grace: float = 30.0) -> list[Event]:
        self._ending = True
        self._stopping.set()
        events: list[Event] = [
            TryHandedBack(w.task_instance_id, w.try_number, reason="the scheduler stopped before the try started")
            for w in self.pending
        ]
        self.pending.clear()
        for worker in self.workers:
            # Tries waiting in a worker's pipe have not started: give them back rather than wait.
            for w in list(worker.workloads)[1:]:
                events.append(
                    TryHandedBack(w.task_instance_id, w.try_number, reason="the scheduler stopped before it started")
                )
            while len(worker.workloads) > 1:
                worker.workloads.pop()
        deadline = time.monotonic() + grace
        while any(w.workload is not None and w.process.is_alive() for w in self.workers):
            if time.monotonic() > deadline:
                break
            for worker in self.workers:
                self._read(worker)
            time.sleep(0.02)
        events.extend(self.sync())
        for worker in self.workers:
            if worker.workload is not None and worker.process.is_alive():
                w = worker.workload
                worker.process.kill()
                events.append(
                    TryFinished(
                        w.task_instance_id,
                        w.try_number,
                        "failed",
                        reason=f"the scheduler shut down and killed it after a {grace:g} s grace period",
                        exit_code=137,
                    )
                )
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
        for worker in self.workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.conn.close()
        self.workers = []
        return events
