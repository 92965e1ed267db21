"""Every change of state in the engine, each in one transaction, guarded against concurrent writers.

The scheduler, the runner (in any worker), the CLI and the staff UI all go through these functions,
so that a state moves only along the edges of the state machine:

    none -> scheduled -> queued -> running -> success | failed | up_for_retry | skipped | deferred
    none -> upstream_failed | skipped            up_for_retry -> scheduled        deferred -> scheduled

Guarded updates (`filter(state=...).update(...)`) and row locks make a second writer a no-op instead
of a double transition; on PostgreSQL schedulers claim rows with SKIP LOCKED.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from workflows import graph, timetables
from workflows.conf import workflows_settings
from workflows.dagbag import DagBag
from workflows.enums import FINISHED_RUN_STATES, DagRunState, DagRunType, TaskState, TryState
from workflows.errors import DagRunExists, WorkflowError
from workflows.executors.base import Event, TryFinished, TryHandedBack, TryLog, TryRunning
from workflows.models import DagRecord, DagRun, TaskInstance, TaskTry, Trigger
from workflows.sdk import DAG, BaseOperator
from workflows.wakeup import notify_schedulers

logger = logging.getLogger(__name__)


# DAG records -------------------------------------------------------------------------------------


def sync_dag_records(*, bag: DagBag, now: datetime | None = None) -> list[DagRecord]:
    """Make the DagRecord rows match the DAGs in code.

    Side effects: creates records for new DAGs (paused if WORKFLOWS_DAGS_PAUSED_ON_CREATION),
    updates description/schedule/tags, plans the first scheduled run, marks vanished DAGs inactive.
    """
    now = now or timezone.now()
    records = []
    with transaction.atomic():
        # Schedulers starting together both see a new DAG as missing: inserting with ignore_conflicts
        # lets one of them create it and both then lock and update the same row, in one order.
        DagRecord.objects.bulk_create(
            [DagRecord(dag_id=dag_id, is_paused=workflows_settings.DAGS_PAUSED_ON_CREATION) for dag_id in bag.dags],
            ignore_conflicts=True,
        )
        existing = {
            r.dag_id: r
            for r in DagRecord.objects.select_for_update().filter(dag_id__in=list(bag.dags)).order_by("dag_id")
        }
        for dag_id, dag in bag.dags.items():
            record = existing[dag_id]
            schedule_changed = record.schedule != (dag.schedule or "")
            record.description = dag.description
            record.fileloc = dag.fileloc
            record.schedule = dag.schedule or ""
            record.tags = dag.tags
            record.is_active = True
            record.last_parsed_at = now
            if schedule_changed or (dag.schedule and record.next_dagrun is None):
                _plan_next_run(record, dag, now=now)
            record.save()
            records.append(record)
        DagRecord.objects.exclude(dag_id__in=list(bag.dags)).filter(is_active=True).update(is_active=False)
    return records


def _plan_next_run(record: DagRecord, dag: DAG, *, now: datetime) -> None:
    if not dag.schedule or dag.start_date is None:
        record.next_dagrun = record.next_dagrun_create_after = None
        return
    last = (
        DagRun.objects.filter(dag=record, run_type=DagRunType.SCHEDULED)
        .order_by("-logical_date")
        .values_list("logical_date", flat=True)
        .first()
        if record.pk
        else None
    )
    interval = timetables.next_interval(
        dag.schedule,
        workflows_settings.TIME_ZONE,
        start_date=dag.start_date,
        last_logical_date=last,
        catchup=dag.catchup,
        now=now,
    )
    record.next_dagrun = interval.start
    record.next_dagrun_create_after = interval.end


def ensure_dag_record(*, dag: DAG) -> DagRecord:
    record, _ = DagRecord.objects.get_or_create(
        dag_id=dag.dag_id,
        defaults={
            "description": dag.description,
            "fileloc": dag.fileloc,
            "schedule": dag.schedule or "",
            "tags": dag.tags,
            "is_paused": workflows_settings.DAGS_PAUSED_ON_CREATION,
            "last_parsed_at": timezone.now(),
        },
    )
    return record


def set_dag_paused(*, dag: DAG, paused: bool) -> DagRecord:
    """Pause or unpause a DAG. Paused DAGs get no new scheduled runs; runs already going finish."""
    with transaction.atomic():
        record = ensure_dag_record(dag=dag)
        record = DagRecord.objects.select_for_update().get(pk=record.pk)
        record.is_paused = paused
        if not paused:
            # Without catchup, unpausing must not replay every interval missed while paused.
            _plan_next_run(record, dag, now=timezone.now())
        record.save(update_fields=["is_paused", "next_dagrun", "next_dagrun_create_after"])
        notify_schedulers()
    return record


# Runs ------------------------------------------------------------------------------------------


def create_dag_run(
    *,
    dag: DAG,
    run_type: DagRunType,
    logical_date: datetime,
    data_interval: tuple[datetime, datetime] | None = None,
    params: Mapping[str, Any] | None = None,
    triggered_by: Any = None,
    run_after: datetime | None = None,
) -> DagRun:
    """Create a queued run with one task instance per task; it starts once `run_after` (if any) passes.

    Raises DagRunExists if the DAG has a run for that logical date (runs are unique per DAG and date).
    Side effects: wakes schedulers on commit.
    """
    values = dag.resolve_params(params)
    start, end = data_interval or (logical_date, logical_date)
    default_executor = workflows_settings.DEFAULT_EXECUTOR
    with transaction.atomic():
        record = ensure_dag_record(dag=dag)
        try:
            with transaction.atomic():
                run = DagRun.objects.create(
                    dag=record,
                    run_id=f"{run_type}__{logical_date.isoformat()}",
                    run_type=run_type,
                    logical_date=logical_date,
                    data_interval_start=start,
                    data_interval_end=end,
                    params=values,
                    triggered_by=triggered_by,
                    run_after=run_after,
                )
        except IntegrityError:
            raise DagRunExists(
                f"DAG {dag.dag_id!r} already has a run for {logical_date.isoformat()}; clear that run instead"
            ) from None
        TaskInstance.objects.bulk_create(
            [
                TaskInstance(
                    run=run,
                    task_id=task_id,
                    executor=op.executor or default_executor,
                    queue=op.queue or "",
                    max_tries=op.retries,
                )
                for task_id, op in dag.tasks.items()
            ]
        )
        notify_schedulers()
    return run


def trigger_dag(
    *,
    dag: DAG,
    params: Mapping[str, Any] | None = None,
    triggered_by: Any = None,
    logical_date: datetime | None = None,
    run_after: datetime | None = None,
) -> DagRun:
    """Start a manual run now (or at `logical_date`), with params validated against the DAG.

    With `run_after`, the run is created now but waits, queued, until that moment; until it starts
    it can be moved (`reschedule_dag_run`) or cancelled (`cancel_dag_run`).
    Raises InvalidParams naming each bad param, DagRunExists for a taken logical date.
    """
    return create_dag_run(
        dag=dag,
        run_type=DagRunType.MANUAL,
        logical_date=logical_date or timezone.now(),
        params=params,
        triggered_by=triggered_by,
        run_after=run_after,
    )


def _not_started(run: DagRun) -> Any:
    return DagRun.objects.filter(pk=run.pk, state=DagRunState.QUEUED, start_date__isnull=True)


def _why_not_waiting(run: DagRun) -> str:
    current = DagRun.objects.filter(pk=run.pk).values_list("state", flat=True).first()
    if current is None:
        return f"run {run.run_id} no longer exists"
    if current == DagRunState.QUEUED:
        return f"run {run.run_id} has started already and is queued again; it can no longer be moved or cancelled"
    return f"run {run.run_id} is {DagRunState(current).label.lower()}; only a run that has not started can change"


def reschedule_dag_run(*, run: DagRun, run_after: datetime | None) -> DagRun:
    """Move a run that has not started to another moment (None: as soon as possible).

    A guarded update: a run the scheduler started meanwhile is refused with WorkflowError.
    Side effects: wakes schedulers on commit (the run may be due now).
    """
    with transaction.atomic():
        if not _not_started(run).update(run_after=run_after):
            raise WorkflowError(_why_not_waiting(run))
        notify_schedulers()
    run.refresh_from_db()
    return run


def cancel_dag_run(*, run: DagRun, by: Any = None) -> DagRun:
    """Cancel a run that has not started: it ends as cancelled, and its tasks never run.

    A guarded update: a run the scheduler started meanwhile is refused with WorkflowError.
    """
    now = timezone.now()
    who = f" by {by}" if by is not None else ""
    with transaction.atomic():
        if not _not_started(run).update(
            state=DagRunState.CANCELLED, end_date=now, note=f"Cancelled{who} at {now.isoformat(timespec='seconds')}."
        ):
            raise WorkflowError(_why_not_waiting(run))
    run.refresh_from_db()
    return run


def due_filter(now: datetime) -> Q:
    """Queued runs whose moment has come (or that have none)."""
    return Q(run_after__isnull=True) | Q(run_after__lte=now)


def next_run_after(*, now: datetime) -> datetime | None:
    """The earliest moment a queued run is waiting for, so that the scheduler wakes up for it."""
    return (
        DagRun.objects.filter(state=DagRunState.QUEUED, run_after__gt=now)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )


def create_due_scheduled_runs(*, record_id: int, dag: DAG, now: datetime) -> list[DagRun]:
    """Create the scheduled runs of one DAG that are due, within max_active_runs.

    Locks the DagRecord row (SKIP LOCKED: another scheduler busy with this DAG is left alone).
    """
    created: list[DagRun] = []
    with transaction.atomic():
        record = DagRecord.objects.select_for_update(skip_locked=True).filter(pk=record_id, is_paused=False).first()
        if record is None or not dag.schedule:
            return created
        active = DagRun.objects.filter(dag=record, state__in=[DagRunState.QUEUED, DagRunState.RUNNING]).count()
        while (
            record.next_dagrun is not None
            and record.next_dagrun_create_after is not None
            and record.next_dagrun_create_after <= now
            and active < dag.max_active_runs
        ):
            try:
                created.append(
                    create_dag_run(
                        dag=dag,
                        run_type=DagRunType.SCHEDULED,
                        logical_date=record.next_dagrun,
                        data_interval=(record.next_dagrun, record.next_dagrun_create_after),
                    )
                )
                active += 1
            except DagRunExists:
                pass  # another scheduler (or an earlier life of this one) created it already
            interval = timetables.next_interval(
                dag.schedule,
                workflows_settings.TIME_ZONE,
                start_date=dag.start_date or record.next_dagrun,
                last_logical_date=record.next_dagrun,
                catchup=dag.catchup,
                now=now,
            )
            record.next_dagrun, record.next_dagrun_create_after = interval.start, interval.end
        record.save(update_fields=["next_dagrun", "next_dagrun_create_after"])
    return created


def start_queued_runs(*, dag: DAG, record_id: int, now: datetime) -> int:
    """Move queued runs of a DAG to running, oldest logical date first, within max_active_runs.

    A run scheduled for later (`run_after` still ahead) stays queued and takes no slot.
    """
    with transaction.atomic():
        record = DagRecord.objects.select_for_update(skip_locked=True).filter(pk=record_id).first()
        if record is None:
            return 0
        running = DagRun.objects.filter(dag=record, state=DagRunState.RUNNING).count()
        room = dag.max_active_runs - running
        if room <= 0:
            return 0
        ids = list(
            DagRun.objects.filter(due_filter(now), dag=record, state=DagRunState.QUEUED)
            .order_by("logical_date")
            .values_list("pk", flat=True)[:room]
        )
        return DagRun.objects.filter(pk__in=ids, state=DagRunState.QUEUED).update(
            state=DagRunState.RUNNING, start_date=now
        )


@dataclass
class _RunPlan:
    """What a scheduling pass would change in one run, decided from its task instances' states."""

    by_decision: dict[str, list[str]]
    retry_ids: list[str]
    missing: list[str]
    final_state: DagRunState | None

    @property
    def changes_anything(self) -> bool:
        return bool(self.by_decision or self.retry_ids or self.missing or self.final_state)


def _plan_run(rows: list[tuple[str, str, datetime | None]], dag: DAG, now: datetime) -> _RunPlan:
    states = {task_id: state for task_id, state, _ in rows}
    missing = [task_id for task_id in dag.tasks if task_id not in states]  # the DAG gained tasks since
    states.update(dict.fromkeys(missing, TaskState.NONE.value))
    known = {task_id: state for task_id, state in states.items() if task_id in dag.tasks}
    by_decision: dict[str, list[str]] = {}
    for task_id, decision in graph.decide_all(states=known, upstream=dag.upstream, rules=dag.trigger_rules).items():
        by_decision.setdefault(decision.value, []).append(task_id)
        known[task_id] = decision.value
    retry_ids = [task_id for task_id, state, at in rows if state == TaskState.UP_FOR_RETRY and (at or now) <= now]
    for task_id in retry_ids:
        known[task_id] = TaskState.SCHEDULED
    final_state = None
    if all(state in graph.FINISHED for state in known.values()):
        failed = any(state in (graph.FAILED, graph.UPSTREAM_FAILED) for state in known.values())
        final_state = DagRunState.FAILED if failed else DagRunState.SUCCESS
    return _RunPlan(by_decision, retry_ids, missing, final_state)


def _task_states(run_pk: int) -> list[tuple[str, str, datetime | None]]:
    return list(TaskInstance.objects.filter(run_id=run_pk).values_list("task_id", "state", "next_retry_at"))


def schedule_run(
    *,
    run_pk: int,
    dag: DAG | None,
    now: datetime | None = None,
    skip_locked: bool = False,
    only_if_needed: bool = False,
) -> bool:
    """Decide the undecided task instances of one running run, and finish the run when all are done.

    Used by the scheduler loop and by the runner right after a try ends (the "mini scheduler"), so a
    ready downstream task is scheduled without waiting for the next loop. Returns True if any task
    instance became scheduled. Locks the run row, so two callers decide one after the other.

    `only_if_needed` first decides from a plain read and takes the lock only if that finds something
    to change: the scheduler's periodic pass mostly finds nothing, and on SQLite every transaction
    holds the database's single write lock that the workers need to claim and finish their tries.
    """
    now = now or timezone.now()
    if dag is None:
        return False
    if only_if_needed and not _plan_run(_task_states(run_pk), dag, now).changes_anything:
        return False
    with transaction.atomic():
        run = DagRun.objects.select_for_update(skip_locked=skip_locked).filter(pk=run_pk).first()
        if run is None or run.state != DagRunState.RUNNING:
            return False
        plan = _plan_run(_task_states(run_pk), dag, now)
        if plan.missing:
            _add_task_instances(run, dag, plan.missing)
        for state, task_ids in plan.by_decision.items():
            updates: dict[str, Any] = {"state": state}
            if state != TaskState.SCHEDULED:
                updates["end_date"] = now
            TaskInstance.objects.filter(run=run, task_id__in=task_ids, state=TaskState.NONE).update(**updates)
        if plan.retry_ids:
            TaskInstance.objects.filter(run=run, task_id__in=plan.retry_ids, state=TaskState.UP_FOR_RETRY).update(
                state=TaskState.SCHEDULED
            )
        scheduled = bool(plan.retry_ids) or TaskState.SCHEDULED.value in plan.by_decision
        if plan.final_state is not None:
            run.state = plan.final_state
            run.end_date = now
            run.save(update_fields=["state", "end_date"])
            notify_schedulers()  # a run slot is free for the next queued run
        elif scheduled:
            notify_schedulers()
    return scheduled


def schedule_after_try(*, run_pk: int, dag: DAG, task_id: str) -> None:
    """The runner's "mini scheduler": right after a try ends, schedule what it made ready.

    A task with downstream tasks triggers a scheduling pass of its run; a leaf only checks whether
    the run is complete (one query), so a wide fan-out does not rescan the run after every task.
    """
    if dag.tasks[task_id].downstream_task_ids:
        schedule_run(run_pk=run_pk, dag=dag)
        return
    unfinished = TaskInstance.objects.filter(run_id=run_pk).exclude(state__in=list(graph.FINISHED))
    if not unfinished.exists():
        schedule_run(run_pk=run_pk, dag=dag)


def _add_task_instances(run: DagRun, dag: DAG, task_ids: Iterable[str]) -> None:
    default_executor = workflows_settings.DEFAULT_EXECUTOR
    TaskInstance.objects.bulk_create(
        [
            TaskInstance(
                run=run,
                task_id=task_id,
                executor=dag.tasks[task_id].executor or default_executor,
                queue=dag.tasks[task_id].queue or "",
                max_tries=dag.tasks[task_id].retries,
            )
            for task_id in task_ids
        ],
        ignore_conflicts=True,
    )


def clear_task_instances(*, run: DagRun, dag: DAG, task_ids: Iterable[str], downstream: bool = False) -> list[str]:
    """Re-run tasks of a run (and, optionally, everything downstream of them).

    Their state goes back to none with a fresh set of retries; the run goes back to queued.
    Raises WorkflowError if one of them is still queued or running. Returns the cleared task ids.
    """
    wanted = set(task_ids)
    unknown = wanted - set(dag.tasks)
    if unknown:
        raise WorkflowError(f"DAG {dag.dag_id!r} has no task {', '.join(sorted(unknown))}")
    if downstream:
        wanted |= graph.descendants(dag.downstream, wanted)
    with transaction.atomic():
        locked_run = DagRun.objects.select_for_update().get(pk=run.pk)
        tis = list(TaskInstance.objects.select_for_update().filter(run=locked_run, task_id__in=wanted))
        busy = [ti.task_id for ti in tis if ti.state in (TaskState.QUEUED, TaskState.RUNNING)]
        if busy:
            raise WorkflowError(f"{', '.join(sorted(busy))} is still running; wait for it to finish before clearing")
        for ti in tis:
            ti.state = TaskState.NONE
            ti.max_tries = ti.try_number + dag.tasks[ti.task_id].retries
            ti.next_retry_at = ti.start_date = ti.end_date = ti.queued_at = None
            ti.result = None
            ti.next_method = ""  # a cleared deferred task starts afresh rather than resuming its wait
            ti.next_kwargs = None
        TaskInstance.objects.bulk_update(
            tis,
            [
                "state",
                "max_tries",
                "next_retry_at",
                "start_date",
                "end_date",
                "queued_at",
                "result",
                "next_method",
                "next_kwargs",
            ],
        )
        Trigger.objects.filter(task_instance__in=tis).delete()
        locked_run.state = DagRunState.QUEUED
        locked_run.end_date = None
        locked_run.save(update_fields=["state", "end_date"])
        notify_schedulers()
    return sorted(ti.task_id for ti in tis)


MARKABLE_STATES = (TaskState.SUCCESS, TaskState.FAILED)


def mark_task_instances(
    *, run: DagRun, dag: DAG, task_ids: Iterable[str], state: str, downstream: bool = False
) -> list[str]:
    """Set tasks of a run to success or failed by hand (and, optionally, everything downstream).

    For a task that waits (deferred, up for retry, scheduled) or one whose outcome a builder knows
    better. Its wait ends (the trigger is deleted) and its retries are not used; the run then carries
    on from the new states: downstream tasks start or are marked upstream_failed, and a run with
    nothing left to do ends. Raises WorkflowError for an unknown task or state, or for a task that is
    queued or running (its try would still write its own outcome). Returns the marked task ids.
    """
    if state not in MARKABLE_STATES:
        raise WorkflowError(f"A task can be marked {' or '.join(MARKABLE_STATES)}, not {state!r}.")
    wanted = set(task_ids)
    unknown = wanted - set(dag.tasks)
    if unknown:
        raise WorkflowError(f"DAG {dag.dag_id!r} has no task {', '.join(sorted(unknown))}")
    if downstream:
        wanted |= graph.descendants(dag.downstream, wanted)
    now = timezone.now()
    with transaction.atomic():
        locked_run = DagRun.objects.select_for_update().get(pk=run.pk)
        if locked_run.state == DagRunState.CANCELLED:
            raise WorkflowError("This run was cancelled before it started; trigger a new one instead.")
        existing = {ti.task_id: ti for ti in TaskInstance.objects.select_for_update().filter(run=locked_run)}
        missing = wanted - set(existing)
        if missing:
            _add_task_instances(locked_run, dag, missing)
            existing = {ti.task_id: ti for ti in TaskInstance.objects.select_for_update().filter(run=locked_run)}
        tis = [existing[task_id] for task_id in sorted(wanted)]
        busy = [ti.task_id for ti in tis if ti.state in (TaskState.QUEUED, TaskState.RUNNING)]
        if busy:
            raise WorkflowError(
                f"{', '.join(busy)} is running; wait for it to finish (or time out) before marking it {state}"
            )
        for ti in tis:
            ti.state = state
            ti.end_date = now
            ti.next_retry_at = None
            ti.next_method = ""
            ti.next_kwargs = None
        TaskInstance.objects.bulk_update(tis, ["state", "end_date", "next_retry_at", "next_method", "next_kwargs"])
        Trigger.objects.filter(task_instance__in=tis).delete()
        if locked_run.state in FINISHED_RUN_STATES:
            # The run is decided again from the new states. With work left it queues for a run slot
            # (max_active_runs) as a cleared run does; with none it ends at once below.
            work_left = len(existing) < len(dag.tasks) or any(t.state not in graph.FINISHED for t in existing.values())
            locked_run.state = DagRunState.QUEUED if work_left else DagRunState.RUNNING
            locked_run.end_date = None
            locked_run.save(update_fields=["state", "end_date"])
        schedule_run(run_pk=locked_run.pk, dag=dag, now=now)
        notify_schedulers()
    return [ti.task_id for ti in tis]


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


# Tries -----------------------------------------------------------------------------------------


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
    from workflows.models import Trigger

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


def apply_executor_event(event: Event, *, dags: Mapping[str, DAG]) -> None:
    """Apply what an executor reported (see docs/adr/0001-executor-contract.md)."""
    if isinstance(event, TryRunning):
        if event.external_id:
            TaskTry.objects.filter(task_instance_id=event.task_instance_id, try_number=event.try_number).update(
                external_id=event.external_id[:250]
            )
    elif isinstance(event, TryLog):
        append_try_log(ti_id=event.task_instance_id, try_number=event.try_number, text=event.text)
    elif isinstance(event, TryHandedBack):
        hand_back_try(ti_id=event.task_instance_id, try_number=event.try_number, reason=event.reason)
    elif isinstance(event, TryFinished):
        task = task_for_instance(event.task_instance_id, dags)
        if event.state == "success":
            reason = event.reason or "the process exited without recording an outcome"
        else:
            reason = event.reason or "the process failed without recording an outcome"
        fail_try(
            ti_id=event.task_instance_id,
            try_number=event.try_number,
            reason=reason,
            exit_code=event.exit_code,
            task=task,
        )


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


# Failure backstops -------------------------------------------------------------------------------


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


def request_dag_run(*, dag_id: str, params: Mapping[str, Any] | None = None) -> DagRun | None:
    """Ask for a run of a DAG as soon as possible, coalescing with a run that is already waiting.

    For work that apps hand to a worker ("deliver what is queued"): many requests made before a run
    starts are served by that one run. Returns the new manual run, or None when the DAG already has
    a queued run that has not started (or another requester created one at the same moment).
    Raises DagNotFound for a DAG that is not loaded. Side effects: locks the DagRecord row for the
    check (requesters queue behind each other; the scheduler skips it for that moment), creates a
    run and wakes schedulers on commit.
    """
    from workflows.dagbag import get_dagbag

    dag = get_dagbag().get(dag_id)
    now = timezone.now()
    with transaction.atomic():
        record = ensure_dag_record(dag=dag)
        DagRecord.objects.select_for_update().filter(pk=record.pk).first()
        # A run a builder scheduled for later does not count: the work is wanted now.
        waiting = DagRun.objects.filter(due_filter(now), dag=record, state=DagRunState.QUEUED, start_date__isnull=True)
        if waiting.exists():
            return None
        try:
            return trigger_dag(dag=dag, params=params, logical_date=now)
        except DagRunExists:
            return None


class DagRunRequest:
    """An on-commit hook that asks for one run of a DAG; hooks for the same DAG are equal.

    Equality is what lets `request_dag_run_on_commit` see that a transaction already asked.
    """

    def __init__(self, dag_id: str) -> None:
        self.dag_id = dag_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DagRunRequest) and other.dag_id == self.dag_id

    def __hash__(self) -> int:
        return hash(("DagRunRequest", self.dag_id))

    def __repr__(self) -> str:
        return f"DagRunRequest({self.dag_id!r})"

    def __call__(self) -> None:
        try:
            request_dag_run(dag_id=self.dag_id)
        except Exception:  # the caller's work is committed; the DAG's schedule is the fallback
            logger.exception("Could not request a run of %s; its next scheduled run will do the work", self.dag_id)


def request_dag_run_on_commit(*, dag_id: str) -> None:
    """Ask for a run of `dag_id` when the current transaction commits, once per transaction.

    A transaction that queues a thousand emails needs one delivery run, not a thousand requests.
    Outside a transaction the run is requested at once. A failed request is logged, never raised:
    DAGs fed this way also run on a schedule that picks up whatever a lost request left.
    """
    hook = DagRunRequest(dag_id)
    connection = transaction.get_connection()
    # Django keeps the open transaction's callbacks in run_on_commit (and drops those of a rolled-back
    # savepoint), so this is exactly "already asked in this transaction".
    if connection.in_atomic_block and any(entry[1] == hook for entry in connection.run_on_commit):
        return
    transaction.on_commit(hook, robust=True)
