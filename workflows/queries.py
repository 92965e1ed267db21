"""Reads shared by the staff UI and the command line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from workflows.enums import DagRunState, TaskState
from workflows.models import DagRecord, DagRun, TaskInstance, TaskTry


@dataclass
class Grid:
    """Runs (newest first) by tasks (in graph order), each cell a task instance or None."""

    task_ids: list[str]
    runs: list[DagRun]
    cells: dict[int, dict[str, TaskInstance]] = field(default_factory=dict)

    def rows(self) -> list[tuple[DagRun, list[TaskInstance | None]]]:
        return [(run, [self.cells.get(run.pk, {}).get(t) for t in self.task_ids]) for run in self.runs]


def dag_records_by_id(dag_ids: list[str]) -> dict[str, DagRecord]:
    return {r.dag_id: r for r in DagRecord.objects.filter(dag_id__in=dag_ids)}


def recent_run_states(dag_ids: list[str], *, per_dag: int = 5) -> dict[str, list[DagRun]]:
    """The latest runs of each DAG, in one query (runs are few per DAG in the window read)."""
    runs: dict[str, list[DagRun]] = defaultdict(list)
    window = DagRun.objects.filter(dag__dag_id__in=dag_ids).select_related("dag").order_by("-logical_date")
    for run in window[: per_dag * max(len(dag_ids), 1) * 4]:
        bucket = runs[run.dag.dag_id]
        if len(bucket) < per_dag:
            bucket.append(run)
    return runs


def next_scheduled_manual_runs(dag_ids: list[str]) -> dict[str, DagRun]:
    """Per DAG, the earliest run triggered for a later moment that has not started yet."""
    waiting = (
        DagRun.objects.filter(
            dag__dag_id__in=dag_ids, state=DagRunState.QUEUED, start_date__isnull=True, run_after__gt=timezone.now()
        )
        .select_related("dag")
        .order_by("run_after")
    )
    earliest: dict[str, DagRun] = {}
    for run in waiting:
        earliest.setdefault(run.dag.dag_id, run)
    return earliest


def runs_for_dag(dag_id: str) -> QuerySet[DagRun]:
    return DagRun.objects.filter(dag__dag_id=dag_id).select_related("dag", "triggered_by").order_by("-logical_date")


def grid_for_dag(dag_id: str, task_ids: list[str], *, limit: int = 25) -> Grid:
    runs = list(runs_for_dag(dag_id)[:limit])
    grid = Grid(task_ids=list(task_ids), runs=runs)
    for ti in TaskInstance.objects.filter(run__in=runs).only("pk", "run_id", "task_id", "state", "try_number"):
        grid.cells.setdefault(ti.run_id, {})[ti.task_id] = ti
    known = set(task_ids)
    extra = sorted({t for cells in grid.cells.values() for t in cells} - known)
    grid.task_ids.extend(extra)  # tasks removed from code still show in old runs
    return grid


@dataclass(frozen=True)
class TaskOutcome:
    """One task of a run as a page shows it: its state, its latest try and why that try ended."""

    task_id: str
    state: str
    state_label: str
    try_number: int
    reason: str

    @property
    def label(self) -> str:
        return self.task_id.replace("_", " ").capitalize()


def task_outcomes(run_pk: int, task_ids: list[str] | None = None) -> list[TaskOutcome]:
    """The run's tasks (in `task_ids` order when given, else creation order) with their latest try's reason."""
    rows = list(
        TaskInstance.objects.filter(run_id=run_pk).order_by("id").values_list("pk", "task_id", "state", "try_number")
    )
    latest = {pk: try_number for pk, _, _, try_number in rows}
    tries = TaskTry.objects.filter(task_instance_id__in=list(latest)).values_list(
        "task_instance_id", "try_number", "reason"
    )
    reasons = {ti_id: reason for ti_id, number, reason in tries if number == latest[ti_id]}
    labels = dict(TaskState.choices)
    outcomes = {
        task_id: TaskOutcome(task_id, state, str(labels.get(state, state)), try_number, reasons.get(pk, ""))
        for pk, task_id, state, try_number in rows
    }
    if task_ids is None:
        return list(outcomes.values())
    return [outcomes[t] for t in task_ids if t in outcomes]


def task_try(*, dag_id: str, run_pk: int, task_id: str, try_number: int | None) -> tuple[TaskInstance, TaskTry | None]:
    ti = TaskInstance.objects.select_related("run__dag").get(run_id=run_pk, run__dag__dag_id=dag_id, task_id=task_id)
    tries = ti.tries.all()
    attempt = tries.filter(try_number=try_number).first() if try_number else tries.order_by("-try_number").first()
    return ti, attempt
