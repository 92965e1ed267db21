"""Every change of state in the engine, each in one transaction, guarded against concurrent writers.

The scheduler, the runner (in any worker), the CLI and the staff UI all go through these functions,
so that a state moves only along the edges of the state machine:

    none -> scheduled -> queued -> running -> success | failed | up_for_retry | skipped | deferred
    none -> upstream_failed | skipped            up_for_retry -> scheduled        deferred -> scheduled

Guarded updates (`filter(state=...).update(...)`) and row locks make a second writer a no-op instead
of a double transition; on PostgreSQL schedulers claim rows with SKIP LOCKED.

The functions live in one module per concern and are all importable from here, which is how callers
use them (`from workflows import services; services.trigger_dag(...)`):

- `dag_records`: the DagRecord rows of the DAGs in code, pausing;
- `runs`: creating, starting, scheduling, clearing and marking runs and their task instances;
- `tries`: queuing, claiming, heartbeats, outcomes, deferral, hand-back, logs;
- `executor_events`: what executors report about the tries they run;
- `backstops`: lost, timed-out and stuck tries, and pruning old runs;
- `run_requests`: apps asking for a run soon, coalesced.
"""

from workflows.services.backstops import (
    fail_lost_tries,
    fail_stuck_queued_tries,
    fail_timed_out_tries,
    prune_finished_runs,
)
from workflows.services.dag_records import ensure_dag_record, set_dag_paused, sync_dag_records
from workflows.services.executor_events import apply_executor_event
from workflows.services.run_requests import DagRunRequest, request_dag_run, request_dag_run_on_commit
from workflows.services.runs import (
    MARKABLE_STATES,
    cancel_dag_run,
    clear_task_instances,
    create_dag_run,
    create_due_scheduled_runs,
    due_filter,
    mark_task_instances,
    next_run_after,
    reschedule_dag_run,
    schedule_after_try,
    schedule_run,
    start_queued_runs,
    trigger_dag,
)
from workflows.services.tries import (
    append_try_log,
    claim_try,
    defer_try,
    fail_try,
    hand_back_try,
    heartbeat_try,
    queue_task_instances,
    record_executor_outcome,
    record_try_outcome,
    task_for_instance,
    truncate_log,
)

__all__ = [
    "MARKABLE_STATES",
    "DagRunRequest",
    "append_try_log",
    "apply_executor_event",
    "cancel_dag_run",
    "claim_try",
    "clear_task_instances",
    "create_dag_run",
    "create_due_scheduled_runs",
    "defer_try",
    "due_filter",
    "ensure_dag_record",
    "fail_lost_tries",
    "fail_stuck_queued_tries",
    "fail_timed_out_tries",
    "fail_try",
    "hand_back_try",
    "heartbeat_try",
    "mark_task_instances",
    "next_run_after",
    "prune_finished_runs",
    "queue_task_instances",
    "record_executor_outcome",
    "record_try_outcome",
    "request_dag_run",
    "request_dag_run_on_commit",
    "reschedule_dag_run",
    "schedule_after_try",
    "schedule_run",
    "set_dag_paused",
    "start_queued_runs",
    "sync_dag_records",
    "task_for_instance",
    "trigger_dag",
    "truncate_log",
]
