"""Tries: queuing, claiming, heartbeats and the outcome a runner records, deferral, hand-back and logs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from workflows.conf import workflows_settings
from workflows.enums import DagRunState, TaskState, TryState
from workflows.models import TaskInstance, TaskTry, Trigger
from workflows.sdk import DAG, BaseOperator
from workflows.wakeup import notify_schedulers

logger = logging.getLogger(__name__)


def queue_task_instances(
    *,
    executor_slots: Mapping[str, int | None],
    scheduler_id: int | None,
    limit: int,
    now: datetime | None = None,
) -> list[TaskTry]:
    """Claim scheduled task instances of running runs and create their next try, queued.

    `executor_slots` maps each executor this scheduler runs to how many tries it accepts (None: any).
    Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED so two schedulers never queue one twice.
    Returns the new tries (with task_instance and run loaded); the caller hands them to executors
    after this transaction commits.
    """
    now = now or timezone.now()
    room = {name: slots for name, slots in executor_slots.items() if slots is None or slots > 0}
    if not room:
        return []
    if all(slots is not None for slots in room.values()):
        limit = min(limit, sum(room.values()))  # type: ignore[arg-type]
    ready = TaskInstance.objects.filter(
        state=TaskState.SCHEDULED, run__state=DagRunState.RUNNING, executor__in=list(room)
    ).order_by("id")
    # Most calls find nothing to queue; find that out with a plain read, outside a transaction (on
    # SQLite a transaction takes the database's one write lock, which the workers wait for).
    if not ready.values_list("pk", flat=True)[:1]:
        return []
    with transaction.atomic():
        candidates = list(
            ready.select_for_update(skip_locked=True, of=("self",))
            .select_related("run__dag")
            .only("executor", "queue", "try_number", "task_id", "run__run_id", "run__dag__dag_id")[:limit]
        )
        claimed = []
        for ti in candidates:
            slots = room[ti.executor]
            if slots is not None:
                if slots <= 0:
                    continue
                room[ti.executor] = slots - 1
            ti.try_number += 1
            ti.state = TaskState.QUEUED
            ti.queued_at = now
            claimed.append(ti)
        if not claimed:
            return []
        # The rows are locked: one UPDATE for all of them (try_number + 1 is what each got above).
        TaskInstance.objects.filter(pk__in=[ti.pk for ti in claimed], state=TaskState.SCHEDULED).update(
            try_number=F("try_number") + 1, state=TaskState.QUEUED, queued_at=now
        )
        return TaskTry.objects.bulk_create(
            [
                TaskTry(
                    task_instance=ti,
                    try_number=ti.try_number,
                    state=TryState.QUEUED,
                    executor=ti.executor,
                    queue=ti.queue,
                    queued_at=now,
                    scheduler_id=scheduler_id,
                )
                for ti in claimed
            ]
        )


def claim_try(*, ti_id: int, try_number: int, hostname: str, pid: int, timeout: timedelta | None) -> bool:
    """Move a queued try to running. Only one caller can win; a try not queued (late, duplicate) is refused."""
    now = timezone.now()
    with transaction.atomic():
        claimed = TaskTry.objects.filter(task_instance_id=ti_id, try_number=try_number, state=TryState.QUEUED).update(
            state=TryState.RUNNING,
            started_at=now,
            heartbeat_at=now,
            hostname=hostname[:250],
            pid=pid,
            timeout_at=now + timeout if timeout else None,
        )
        if not claimed:
            return False
        TaskInstance.objects.filter(pk=ti_id, try_number=try_number, state=TaskState.QUEUED).update(
            state=TaskState.RUNNING, start_date=now, end_date=None
        )
    return True


def heartbeat_try(*, ti_id: int, try_number: int, log: str | None = None, log_append: str = "") -> bool:
    """Mark a running try alive. False if the try no longer runs.

    Side effects: `log`, when given, replaces the stored log; `log_append` is added to its end in the
    database, so a beat sends only what the try printed since the one before.
    """
    updates: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if log is not None:
        updates["log"] = log + log_append
    elif log_append:
        updates["log"] = Concat(F("log"), Value(log_append))
    return bool(
        TaskTry.objects.filter(task_instance_id=ti_id, try_number=try_number, state=TryState.RUNNING).update(**updates)
    )


def _apply_failure(ti: TaskInstance, *, task: BaseOperator | None, allow_retry: bool, now: datetime) -> None:
    if allow_retry and ti.try_number <= ti.max_tries:
        ti.state = TaskState.UP_FOR_RETRY
        delay = task.retry_delay_for(ti.try_number) if task is not None else timedelta(0)
        ti.next_retry_at = now + delay
    else:
        ti.state = TaskState.FAILED
        ti.next_retry_at = None
    ti.end_date = now


def record_try_outcome(
    *,
    ti_id: int,
    try_number: int,
    state: TryState,
    task: BaseOperator | None,
    reason: str = "",
    log: str = "",
    result: Any = None,
    allow_retry: bool = True,
) -> bool:
    """The runner's report of how a try ended. Refused (returns False) if the try no longer runs,
    e.g. because the scheduler already failed it as timed out or lost.

    Side effects: the task instance becomes success, skipped, up_for_retry or failed.
    """
    now = timezone.now()
    try_fields = {"state": state, "ended_at": now, "reason": reason, "log": log, "result": result}
    with transaction.atomic():
        if state in (TryState.SUCCESS, TryState.SKIPPED):
            # The common case in two guarded updates, the task instance first (the order in which every
            # writer locks the two rows): it runs this very try, so the try runs too.
            ti_fields: dict[str, Any] = {"end_date": now, "next_method": "", "next_kwargs": None}
            if state == TryState.SUCCESS:
                ti_fields.update(state=TaskState.SUCCESS, result=result)
            else:
                ti_fields.update(state=TaskState.SKIPPED)
            running = TaskInstance.objects.filter(pk=ti_id, try_number=try_number, state=TaskState.RUNNING)
            if running.update(**ti_fields):
                recorded = bool(_running_try(ti_id, try_number).update(**try_fields))
                if not recorded:
                    transaction.set_rollback(True)
                return recorded or _refuse_late_outcome(ti_id, try_number)
        ti = TaskInstance.objects.select_for_update().get(pk=ti_id)
        if not _running_try(ti_id, try_number).update(**try_fields):
            return _refuse_late_outcome(ti_id, try_number)
        if ti.try_number == try_number and ti.state == TaskState.RUNNING:
            if state == TryState.SUCCESS:
                ti.state, ti.result, ti.end_date = TaskState.SUCCESS, result, now
            elif state == TryState.SKIPPED:
                ti.state, ti.end_date = TaskState.SKIPPED, now
            else:
                _apply_failure(ti, task=task, allow_retry=allow_retry, now=now)
            ti.next_method, ti.next_kwargs = "", None
            ti.save(update_fields=["state", "result", "end_date", "next_retry_at", "next_method", "next_kwargs"])
    return True


def _running_try(ti_id: int, try_number: int) -> Any:
    return TaskTry.objects.filter(task_instance_id=ti_id, try_number=try_number, state=TryState.RUNNING)


def _refuse_late_outcome(ti_id: int, try_number: int) -> bool:
    logger.warning("try %s of task instance %s no longer runs; its late outcome is ignored", try_number, ti_id)
    return False


def defer_try(
    *,
    ti_id: int,
    try_number: int,
    classpath: str,
    kwargs: dict[str, Any],
    method_name: str,
    timeout: timedelta | None,
    log: str,
) -> bool:
    """A running try hands its wait to the triggerer: the try ends as deferred, the instance waits."""
    now = timezone.now()
    with transaction.atomic():
        ti = TaskInstance.objects.select_for_update().get(pk=ti_id)
        updated = TaskTry.objects.filter(task_instance=ti, try_number=try_number, state=TryState.RUNNING).update(
            state=TryState.DEFERRED, ended_at=now, log=log, reason=f"deferred to {classpath}"
        )
        if not updated or ti.try_number != try_number:
            return False
        ti.state = TaskState.DEFERRED
        ti.next_method = method_name
        # A deferral is part of the same attempt: the resumed try must not use up a retry.
        ti.max_tries += 1
        ti.save(update_fields=["state", "next_method", "max_tries"])
        Trigger.objects.update_or_create(
            task_instance=ti,
            defaults={"classpath": classpath, "kwargs": kwargs, "timeout_at": now + timeout if timeout else None},
        )
    return True


def fail_try(
    *,
    ti_id: int,
    try_number: int,
    reason: str,
    task: BaseOperator | None,
    exit_code: int | None = None,
    allow_retry: bool = True,
) -> bool:
    """Fail a queued or running try from outside (lost heartbeat, timeout, killed process, refused).

    If the try has already ended, only a missing exit code or reason is filled in. Returns True if
    the try was failed by this call.
    """
    return _fail_unless_ended(
        ti_id=ti_id, try_number=try_number, reason=reason, task=task, exit_code=exit_code, allow_retry=allow_retry
    )


def record_executor_outcome(
    *,
    ti_id: int,
    try_number: int,
    succeeded: bool,
    reason: str,
    exit_code: int | None,
    task: BaseOperator | None,
) -> bool:
    """What an executor saw when the process or pod of a try ended (its TryFinished event).

    The runner records a try's outcome itself; this only adds what the runner could not know, the exit
    code and, for a try that did not succeed, the reason. A try still queued or running at this point
    never recorded an outcome, whatever its exit status says, so it fails (with `reason`, or one that
    says so) and its task instance is retried or failed by policy. Returns True if the try was failed
    by this call.
    """
    if not reason:
        verb = "exited" if succeeded else "failed"
        reason = f"the process {verb} without recording an outcome"
    return _fail_unless_ended(ti_id=ti_id, try_number=try_number, reason=reason, task=task, exit_code=exit_code)


def _fail_unless_ended(
    *,
    ti_id: int,
    try_number: int,
    reason: str,
    task: BaseOperator | None,
    exit_code: int | None,
    allow_retry: bool = True,
) -> bool:
    now = timezone.now()
    with transaction.atomic():
        ti = TaskInstance.objects.select_for_update().filter(pk=ti_id).first()
        if ti is None:
            return False
        attempt = TaskTry.objects.select_for_update().filter(task_instance=ti, try_number=try_number).first()
        if attempt is None:
            return False
        if attempt.state not in (TryState.QUEUED, TryState.RUNNING):
            fields: list[str] = []
            if exit_code is not None and attempt.exit_code is None:
                attempt.exit_code, fields = exit_code, [*fields, "exit_code"]
            if reason and not attempt.reason and attempt.state != TryState.SUCCESS:
                attempt.reason, fields = reason, [*fields, "reason"]
            if fields:
                attempt.save(update_fields=fields)
            return False
        attempt.state = TryState.FAILED
        attempt.reason = reason
        attempt.exit_code = exit_code
        attempt.ended_at = now
        attempt.save(update_fields=["state", "reason", "exit_code", "ended_at"])
        if ti.try_number == try_number and ti.state in (TaskState.QUEUED, TaskState.RUNNING):
            _apply_failure(ti, task=task, allow_retry=allow_retry, now=now)
            ti.save(update_fields=["state", "end_date", "next_retry_at"])
        notify_schedulers()
    logger.warning("task instance %s try %s failed: %s", ti_id, try_number, reason)
    return True


def hand_back_try(*, ti_id: int, try_number: int, reason: str) -> bool:
    """Give back a try that never ran: the task instance is scheduled again, with the try not counted."""
    with transaction.atomic():
        ti = TaskInstance.objects.select_for_update().filter(pk=ti_id).first()
        if ti is None:
            return False
        # Only a try that never started can go back; one that started ends by its runner or by failing.
        updated = TaskTry.objects.filter(task_instance=ti, try_number=try_number, state=TryState.QUEUED).update(
            state=TryState.HANDED_BACK, reason=reason, ended_at=timezone.now()
        )
        if not updated or ti.try_number != try_number:
            return False
        ti.state = TaskState.SCHEDULED
        ti.max_tries += 1
        ti.save(update_fields=["state", "max_tries"])
        notify_schedulers()
    return True


def append_try_log(*, ti_id: int, try_number: int, text: str) -> None:
    """Append text to a try's log, keeping its start and end if it grows past WORKFLOWS_LOG_MAX_BYTES."""
    with transaction.atomic():
        attempt = TaskTry.objects.select_for_update().filter(task_instance_id=ti_id, try_number=try_number).first()
        if attempt is None:
            return
        attempt.log = truncate_log(attempt.log + text)
        attempt.save(update_fields=["log"])


def truncate_log(text: str, limit: int | None = None) -> str:
    limit = limit or workflows_settings.LOG_MAX_BYTES
    if len(text) <= limit:
        return text
    keep = limit // 2
    omitted = len(text) - 2 * keep
    return f"{text[:keep]}\n… {omitted} characters omitted …\n{text[-keep:]}"


def task_for_instance(ti_id: int, dags: Mapping[str, DAG]) -> BaseOperator | None:
    row = TaskInstance.objects.filter(pk=ti_id).values_list("run__dag__dag_id", "task_id").first()
    if row is None:
        return None
    dag = dags.get(row[0])
    return dag.tasks.get(row[1]) if dag else None
