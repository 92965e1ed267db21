"""DAG records: the database row of each DAG in code, its pause flag and its next scheduled run."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from workflows import timetables
from workflows.conf import workflows_settings
from workflows.dagbag import DagBag
from workflows.enums import DagRunType
from workflows.models import DagRecord, DagRun
from workflows.sdk import DAG
from workflows.wakeup import notify_schedulers


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
