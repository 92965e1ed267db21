"""Failure backstops and pruning: tries that were lost, overran their timeout or never left the queue; old runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workflows.conf import workflows_settings
from workflows.enums import FINISHED_RUN_STATES, TryState
from workflows.models import DagRun, TaskTry
from workflows.sdk import DAG
from workflows.services.tries import fail_try, task_for_instance


def prune_finished_runs(*, older_than: datetime, dry_run: bool = False) -> int:
    """Delete finished runs that ended before `older_than`, with their task instances, tries and logs.

    Returns how many runs were deleted, or with `dry_run` how many would be (nothing is deleted).
    """
    if dry_run:
        return DagRun.objects.filter(state__in=list(FINISHED_RUN_STATES), end_date__lt=older_than).count()
    with transaction.atomic():
        ids = list(
            DagRun.objects.filter(state__in=list(FINISHED_RUN_STATES), end_date__lt=older_than).values_list(
                "pk", flat=True
            )[:10_000]
        )
        DagRun.objects.filter(pk__in=ids).delete()
    return len(ids)


def fail_lost_tries(*, dags: Mapping[str, DAG], now: datetime | None = None) -> int:
    """Fail running tries whose heartbeat stopped for longer than WORKFLOWS_ZOMBIE_THRESHOLD."""
    now = now or timezone.now()
    threshold = workflows_settings.ZOMBIE_THRESHOLD
    cutoff = now - timedelta(seconds=threshold)
    lost = TaskTry.objects.filter(state=TryState.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    count = 0
    for ti_id, try_number, hostname, pid in lost.values_list("task_instance_id", "try_number", "hostname", "pid"):
        where = f" on {hostname} (pid {pid})" if hostname else ""
        count += fail_try(
            ti_id=ti_id,
            try_number=try_number,
            reason=(
                f"no heartbeat for more than {threshold:.0f} s: the worker{where} was lost"
                " (killed, out of memory or its machine gone)"
            ),
            task=task_for_instance(ti_id, dags),
        )
    return count


def fail_timed_out_tries(*, dags: Mapping[str, DAG], now: datetime | None = None) -> list[tuple[int, int, str]]:
    """Fail running tries past execution_timeout + WORKFLOWS_TIMEOUT_GRACE (their runner did not stop them)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=workflows_settings.TIMEOUT_GRACE)
    failed = []
    rows = TaskTry.objects.filter(state=TryState.RUNNING, timeout_at__lt=cutoff).values_list(
        "task_instance_id", "try_number", "executor"
    )
    for ti_id, try_number, executor in rows:
        if fail_try(
            ti_id=ti_id,
            try_number=try_number,
            reason="execution_timeout exceeded and the task did not stop; it was failed by the scheduler",
            task=task_for_instance(ti_id, dags),
        ):
            failed.append((ti_id, try_number, executor))
    return failed


def fail_stuck_queued_tries(
    *, executor: str, timeout: float, dags: Mapping[str, DAG], now: datetime | None = None
) -> int:
    """Fail tries that waited in an executor's queue for longer than `timeout` seconds."""
    now = now or timezone.now()
    rows = TaskTry.objects.filter(
        state=TryState.QUEUED, executor=executor, queued_at__lt=now - timedelta(seconds=timeout)
    ).values_list("task_instance_id", "try_number", "queue")
    count = 0
    for ti_id, try_number, queue in rows:
        count += fail_try(
            ti_id=ti_id,
            try_number=try_number,
            reason=(
                f"queued for more than {timeout:g} s without starting: no {executor} worker took it"
                f"{f' (is a worker consuming queue {queue!r}?)' if queue else ''}"
            ),
            task=task_for_instance(ti_id, dags),
        )
    return count
