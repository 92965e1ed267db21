"""Run requests: apps asking for "a run of this DAG soon", coalesced per waiting run and per transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows.enums import DagRunState
from workflows.errors import DagRunExists
from workflows.models import DagRecord, DagRun
from workflows.services.dag_records import ensure_dag_record
from workflows.services.runs import due_filter, trigger_dag

logger = logging.getLogger(__name__)


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
