"""What executors report about tries (see docs/adr/0001-executor-contract.md), applied to the database."""

from __future__ import annotations

from collections.abc import Mapping

from workflows.executors.base import Event, TryFinished, TryHandedBack, TryLog, TryRunning
from workflows.models import TaskTry
from workflows.sdk import DAG
from workflows.services.tries import append_try_log, hand_back_try, record_executor_outcome, task_for_instance


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
        record_executor_outcome(
            ti_id=event.task_instance_id,
            try_number=event.try_number,
            succeeded=event.state == "success",
            reason=event.reason,
            exit_code=event.exit_code,
            task=task_for_instance(event.task_instance_id, dags),
        )
