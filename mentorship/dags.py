"""Mentorship jobs. Each task calls one service of `mentorship.services`; the rules live there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from workflows.errors import FailTask
from workflows.sdk import Param, dag, task

# Matching runs ---------------------------------------------------------------------------------------


def _step(service: Callable[..., Any], **kwargs: Any) -> Any:
    """A domain error is the run's answer, not a glitch: fail at once, with its message, without retrying."""
    from mentorship.errors import MentorshipError

    try:
        return service(**kwargs)
    except MentorshipError as exc:
        raise FailTask(str(exc)) from exc


@task(retries=2, retry_delay=10, execution_timeout=300)
def freeze_applications(params: dict[str, Any], dag_id: str, run_id: str) -> int:
    """Freeze the batch's applications, rules, rematch queue and options on the matching run."""
    from mentorship.services.matching import freeze_matching_input

    matching_run = _step(freeze_matching_input, batch_ref=params["batch"], dag_id=dag_id, run_id=run_id)
    print(f"froze the input of matching run {matching_run}")
    return matching_run


@task(retries=1, retry_delay=10, execution_timeout=3600)
def solve(matching_run: int) -> int:
    """Solve the frozen input with the matching engine (no row locks) and keep its proposals."""
    from mentorship.services.matching import solve_matching_run

    return _step(solve_matching_run, run_id=matching_run)


@task(retries=2, retry_delay=10, execution_timeout=300)
def store_proposals(matching_run: int) -> int:
    """Replace the batch's proposed pairs with the run's proposals (approved pairs stay)."""
    from mentorship.services.matching import store_matching_proposals

    return _step(store_matching_proposals, run_id=matching_run)


@task(retries=2, retry_delay=30, execution_timeout=300)
def tell_builders(matching_run: int) -> int:
    """Email each builder the run's figures and a link to the review page, once per run."""
    from mentorship.services.matching import tell_builders_of_matching_run

    queued = _step(tell_builders_of_matching_run, run_id=matching_run)
    print(f"queued {queued} email(s) to builders")
    return queued


@task(trigger_rule="all_done", retries=2, retry_delay=10)
def record_outcome(dag_id: str, run_id: str) -> str:
    """Record whether the run succeeded, or why it failed, for the batch page (runs whatever happened)."""
    from mentorship.services.matching import record_matching_run_outcome

    return record_matching_run_outcome(dag_id=dag_id, run_id=run_id)


def _solve_placement() -> dict[str, Any]:
    """The solve step in its own pod with the configured resources when Kubernetes is an executor."""
    from mentorship.conf import app_settings
    from workflows.conf import workflows_settings

    if "kubernetes" not in workflows_settings.EXECUTORS:
        return {}
    container = {"name": "base", "resources": app_settings.SOLVE_RESOURCES}
    return {"executor": "kubernetes", "executor_config": {"pod_override": {"spec": {"containers": [container]}}}}


@dag(
    schedule=None,
    max_active_runs=16,
    tags=["mentorship", "matching"],
    params={"batch": Param(type="str", description="The batch to match: its id or slug")},
)
def mentor_matching() -> None:
    """Matches a batch's mentors and mentees: freezes the applications, solves, stores the proposals,
    tells the builders, and records the outcome for the batch page."""
    frozen = freeze_applications()
    solved = solve.override(**_solve_placement())(frozen)
    stored = store_proposals(solved)
    told = tell_builders(stored)
    [frozen, solved, stored, told] >> record_outcome()


# Publishing ------------------------------------------------------------------------------------------


@task(retries=3, retry_delay=30, retry_exponential_backoff=True, execution_timeout=900)
def queue_publication_emails() -> dict[str, int]:
    """Queue the emails of every batch published and not emailed yet: both sides of each pair, the waiting list."""
    from mentorship.services import queue_publication_emails as queue_emails

    queued = queue_emails()
    print(f"queued {queued} publication email(s)")
    return {"queued": queued}


@dag(
    schedule="*/10 * * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["mentorship", "email"],
)
def mentorship_publication_emails() -> None:
    """Emails the pairs and the waiting list of a published batch. Publishing asks for a run at once;
    the schedule picks up a batch whose request was lost."""
    queue_publication_emails()


# Follow-up of published batches ----------------------------------------------------------------------
# Each task calls one service that is idempotent on its own (outbox keys, guarded updates), so a
# retried task or a second scheduler queues no email twice. The tasks do not depend on each other:
# one failing leaves the others to run.


@task(task_id="ask_check_ins", retries=2, retry_delay=300, execution_timeout=600)
def ask_check_ins_task() -> dict[str, int]:
    """Ask "have you met?" of both sides of pairs published MENTORSHIP_CHECK_IN_AFTER_DAYS ago."""
    from mentorship.services import ask_check_ins

    asked = ask_check_ins()
    print(f"asked {asked} check-in(s)")
    return {"asked": asked}


@task(task_id="ask_for_feedback", retries=2, retry_delay=300, execution_timeout=600)
def ask_for_feedback_task() -> dict[str, int]:
    """Ask both sides of running pairs for mid-program and end-of-program feedback, once per stage."""
    from mentorship.services import ask_for_feedback

    asked = ask_for_feedback()
    print(f"queued {asked} feedback request(s)")
    return {"asked": asked}


@task(task_id="tell_builders_pairs_not_met", retries=2, retry_delay=300, execution_timeout=600)
def tell_builders_pairs_not_met_task() -> dict[str, int]:
    """Send builders the pairs that have not met, per batch, at most once a day."""
    from mentorship.services import tell_builders_pairs_not_met

    sent = tell_builders_pairs_not_met()
    print(f"queued {sent} not-met list(s) to builders")
    return {"sent": sent}


@task(task_id="tell_waiting_mentees_places_open", retries=2, retry_delay=300, execution_timeout=600)
def tell_waiting_mentees_places_open_task() -> dict[str, int]:
    """Tell waiting mentees that a mentor has a place open, at most one mentee per place."""
    from mentorship.services import tell_waiting_mentees_places_open

    sent = tell_waiting_mentees_places_open()
    print(f"told {sent} waiting mentee(s) about an open place")
    return {"sent": sent}


@dag(
    schedule="0 7 * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["mentorship", "email"],
)
def mentorship_followups() -> None:
    """Daily follow-up of published batches: check-ins, feedback requests, the builders' list of
    pairs that have not met, and places that open for waiting mentees."""
    ask_check_ins_task()
    ask_for_feedback_task()
    tell_builders_pairs_not_met_task()
    tell_waiting_mentees_places_open_task()
