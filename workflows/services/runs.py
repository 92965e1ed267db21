"""Runs: creating them (scheduled or manual), starting them, deciding their task instances, clearing and marking."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from workflows import graph, timetables
from workflows.conf import workflows_settings
from workflows.enums import FINISHED_RUN_STATES, DagRunState, DagRunType, TaskState
from workflows.errors import DagRunExists, WorkflowError
from workflows.models import DagRecord, DagRun, TaskInstance, Trigger
from workflows.sdk import DAG
from workflows.services.dag_records import ensure_dag_record
from workflows.wakeup import notify_schedulers


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


def _chosen_tasks(dag: DAG, task_ids: Iterable[str], *, downstream: bool) -> set[str]:
    """The tasks a builder named (and, if asked, all downstream of them); unknown names are refused."""
    wanted = set(task_ids)
    unknown = wanted - set(dag.tasks)
    if unknown:
        raise WorkflowError(f"DAG {dag.dag_id!r} has no task {', '.join(sorted(unknown))}")
    if downstream:
        wanted |= graph.descendants(dag.downstream, wanted)
    return wanted


def clear_task_instances(*, run: DagRun, dag: DAG, task_ids: Iterable[str], downstream: bool = False) -> list[str]:
    """Re-run tasks of a run (and, optionally, everything downstream of them).

    Their state goes back to none with a fresh set of retries; the run goes back to queued.
    Raises WorkflowError if one of them is still queued or running. Returns the cleared task ids.
    """
    wanted = _chosen_tasks(dag, task_ids, downstream=downstream)
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
    wanted = _chosen_tasks(dag, task_ids, downstream=downstream)
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
