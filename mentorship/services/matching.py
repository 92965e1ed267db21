"""Matching runs: a builder schedules one, the `mentor_matching` DAG freezes, solves, stores and tells.

A run moves scheduled -> running -> succeeded | failed, or scheduled -> cancelled before it starts.
The steps are separate services so that each DAG task is one call and a retried task changes
nothing twice:

- `schedule_matching_run` (the batch page): one active run per batch, a moment in the future.
- `freeze_matching_input`: the applications, rules, rematch queue and options, stored on the run.
- `solve_matching_run`: the pure engine on the frozen input, no row locks; the proposals stored.
- `store_matching_proposals`: a short transaction under the batch lock replaces proposed pairs.
- `tell_builders_of_matching_run`: one email per builder and run.
- `record_matching_run_outcome`: succeeded, or failed with the reason the page shows.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from community.members.models import User
from community.members.queries import builders
from community.notifications.enums import EmailKind
from community.notifications.models import Notification
from community.notifications.services import queue_email
from mentorship import queries
from mentorship.conf import app_settings
from mentorship.enums import BatchStatus, MatchStatus, PairRuleKind, UnmatchedReasonChoice
from mentorship.errors import InvalidTransition, MatchingFailed, ReviewRefused
from mentorship.matching import (
    MatchingInputError,
    MatchResult,
    Mentee,
    Mentor,
    Options,
    Preference,
    Weights,
    match,
)
from mentorship.matching_input import mentee_candidate, mentor_candidate
from mentorship.models import Batch, Match, MatchingRun, MenteeApplication, PairRule
from mentorship.services.batches import locked_batch, move_batch

MATCHING_DAG_ID = "mentor_matching"
"""The DAG (mentorship/dags.py) that runs a scheduled matching run."""

RUNNABLE_STATUSES = (BatchStatus.OPEN, BatchStatus.CLOSED, BatchStatus.MATCHING, BatchStatus.PROPOSED)
"""A run can be scheduled from these; an open batch is matched only once its applications close."""

State = MatchingRun.State


# Scheduling from the batch page ----------------------------------------------------------------------


def describe_moment(moment: datetime) -> str:
    """A moment as the viewer reads it, zone named: "Mon 7 Dec 2026, 09:00 (Europe/Berlin)"."""
    local = timezone.localtime(moment)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({timezone.get_current_timezone_name()})"


def describe_active_run(run: MatchingRun) -> str:
    """What a builder is told when a run is already under way, e.g. "running since …"."""
    if run.state == State.RUNNING and run.started_at:
        return f"A matching run is already running since {describe_moment(run.started_at)}."
    if run.scheduled_for and run.scheduled_for > timezone.now():
        return f"A matching run is already scheduled for {describe_moment(run.scheduled_for)}."
    return f"A matching run is already starting (requested {describe_moment(run.requested_at)})."


def _settle_orphan(run: MatchingRun) -> MatchingRun | None:
    """An active run whose workflow run has ended without recording the outcome (its last step itself
    failed) is failed, so that it never blocks the batch. Returns the run if it is really still active.
    A run without a workflow run is one `run_matching` is going through in another process."""
    from workflows.enums import FINISHED_RUN_STATES

    if run.dag_run is None or run.dag_run.state not in FINISHED_RUN_STATES:
        return run
    MatchingRun.objects.filter(pk=run.pk, state__in=MatchingRun.ACTIVE_STATES).update(
        state=State.FAILED,
        finished_at=timezone.now(),
        failure_reason="The workflow run ended without recording an outcome; run matching again.",
    )
    return None


def active_matching_run(batch: Batch) -> MatchingRun | None:
    """The batch's scheduled or running run, if any (a run whose workflow ended unrecorded is failed first)."""
    run = MatchingRun.objects.filter(batch=batch, state__in=MatchingRun.ACTIVE_STATES).select_related("dag_run").first()
    return _settle_orphan(run) if run is not None else None


def latest_matching_run(batch: Batch) -> MatchingRun | None:
    return MatchingRun.objects.filter(batch=batch).select_related("dag_run", "started_by__profile").first()


def refuse_during_run(batch: Batch) -> None:
    """Review changes wait for the run: its proposals would replace what the builder just did."""
    run = active_matching_run(batch)
    if run is not None:
        then = "until it has run, or cancel it" if run.state == State.SCHEDULED else "until it ends"
        raise ReviewRefused(f"{describe_active_run(run)} Pairs cannot change {then}.")


def _check_runnable(batch: Batch, run_after: datetime | None) -> None:
    if batch.status not in RUNNABLE_STATUSES:
        raise InvalidTransition(
            f"{batch.name} is {batch.get_status_display().lower()}: matching runs once applications are closed "
            "and until the pairs are published."
        )
    if batch.status == BatchStatus.OPEN and (run_after or timezone.now()) < batch.applications_close_at:
        closes = describe_moment(batch.applications_close_at)
        raise InvalidTransition(
            f"{batch.name} is open for applications until {closes}: matching runs once applications are closed. "
            "Schedule the run for then or later, or close applications first."
        )


def _matching_dag() -> Any:
    from workflows.dagbag import get_dagbag

    return get_dagbag().get(MATCHING_DAG_ID)


@transaction.atomic
def schedule_matching_run(*, batch: Batch, by: User | None, run_after: datetime | None = None) -> MatchingRun:
    """Ask for a matching run of the batch now (`run_after` None) or at a moment in the future.

    Refused (MatchingFailed) while another run of the batch is scheduled or running, and for a
    batch whose status does not allow matching. Locks the batch row; the database also holds one
    active run per batch. Side effects: creates the MatchingRun and a `mentor_matching` workflow
    run (params: the batch id) that the scheduler starts at the chosen moment.
    """
    from workflows.services import trigger_dag

    batch = locked_batch(batch)
    if run_after is not None and run_after <= timezone.now():
        raise MatchingFailed("Choose a moment in the future, or run matching now.")
    active = active_matching_run(batch)
    if active is not None:
        raise MatchingFailed(describe_active_run(active))
    _check_runnable(batch, run_after)
    try:
        with transaction.atomic():
            run = MatchingRun.objects.create(batch=batch, state=State.SCHEDULED, scheduled_for=run_after, started_by=by)
    except IntegrityError:
        raise MatchingFailed("A matching run of this batch was just requested by another builder.") from None
    dag_run = trigger_dag(dag=_matching_dag(), params={"batch": str(batch.pk)}, triggered_by=by, run_after=run_after)
    run.dag_run = dag_run
    run.save(update_fields=["dag_run"])
    return run


def _waiting(run: MatchingRun) -> MatchingRun:
    current = MatchingRun.objects.select_for_update(of=("self",)).select_related("dag_run").get(pk=run.pk)
    if current.state != State.SCHEDULED:
        raise MatchingFailed(f"This matching run is {current.get_state_display().lower()}: it can no longer change.")
    return current


@transaction.atomic
def reschedule_matching_run(*, run: MatchingRun, run_after: datetime | None, by: User | None) -> MatchingRun:
    """Move a scheduled run to another moment in the future (None: now), until it starts.

    Locks the batch and the run; refused (MatchingFailed) once the run has started.
    """
    from workflows.errors import WorkflowError
    from workflows.services import reschedule_dag_run

    batch = locked_batch(run.batch)
    current = _waiting(run)
    if run_after is not None and run_after <= timezone.now():
        raise MatchingFailed("Choose a moment in the future, or run matching now.")
    _check_runnable(batch, run_after)
    if current.dag_run is None:
        raise MatchingFailed("This matching run has no workflow run any more; cancel it and schedule a new one.")
    try:
        reschedule_dag_run(run=current.dag_run, run_after=run_after)
    except WorkflowError as exc:
        raise MatchingFailed("This matching run has started already: it can no longer be moved.") from exc
    current.scheduled_for = run_after
    current.save(update_fields=["scheduled_for"])
    return current


@transaction.atomic
def cancel_matching_run(*, run: MatchingRun, by: User | None) -> MatchingRun:
    """Cancel a scheduled run before it starts: the batch is left as it was.

    Locks the batch and the run; refused (MatchingFailed) once the run has started.
    """
    from workflows.errors import WorkflowError
    from workflows.services import cancel_dag_run

    locked_batch(run.batch)
    current = _waiting(run)
    if current.dag_run is not None:
        try:
            cancel_dag_run(run=current.dag_run, by=by)
        except WorkflowError as exc:
            raise MatchingFailed("This matching run has started already: it can no longer be cancelled.") from exc
    who = by.display_name if by is not None else "a builder"
    current.state, current.finished_at = State.CANCELLED, timezone.now()
    current.failure_reason = f"Cancelled by {who} before it started."
    current.save(update_fields=["state", "finished_at", "failure_reason"])
    return current


# The DAG's steps -------------------------------------------------------------------------------------


def _batch_from_ref(ref: str | int) -> Batch:
    text = str(ref).strip()
    batch = Batch.objects.filter(pk=int(text)).first() if text.isdigit() else None
    batch = batch or Batch.objects.filter(slug=text).first()
    if batch is None:
        raise MatchingFailed(f"No batch has the id or slug {text!r}.")
    return batch


def _dag_run_pk(dag_id: str, run_id: str) -> int | None:
    from workflows.models import DagRun

    return DagRun.objects.filter(dag__dag_id=dag_id, run_id=run_id).values_list("pk", flat=True).first()


def _open_run_for(batch: Batch, dag_run_pk: int | None) -> MatchingRun:
    """The MatchingRun of this workflow run; one is made for a run triggered from the workflows UI."""
    run = MatchingRun.objects.select_for_update().filter(dag_run_id=dag_run_pk).first() if dag_run_pk else None
    if run is not None:
        if run.batch_id != batch.pk:
            raise MatchingFailed(f"This workflow run belongs to another batch than {batch.name}.")
        return run
    active = active_matching_run(batch)
    if active is not None:
        raise MatchingFailed(describe_active_run(active))
    from workflows.models import DagRun

    triggered_by = DagRun.objects.filter(pk=dag_run_pk).values_list("triggered_by", flat=True).first()
    try:
        with transaction.atomic():
            return MatchingRun.objects.create(
                batch=batch, state=State.SCHEDULED, dag_run_id=dag_run_pk, started_by_id=triggered_by
            )
    except IntegrityError:
        raise MatchingFailed("Another matching run of this batch started at the same moment.") from None


def _frozen_mentor(mentor: Mentor) -> dict[str, Any]:
    return {
        "id": mentor.id,
        "member": mentor.member,
        "capacity": mentor.capacity,
        "areas": sorted(mentor.areas),
        "languages": sorted(mentor.languages),
        "time_zone": mentor.time_zone,
        "years": mentor.years,
        "hours_per_month": mentor.hours_per_month,
        "attributes": {name: sorted(values) for name, values in mentor.attributes.items()},
        "label": mentor.label,
    }


def _frozen_mentee(mentee: Mentee) -> dict[str, Any]:
    return {
        "id": mentee.id,
        "member": mentee.member,
        "areas": list(mentee.areas),
        "languages": sorted(mentee.languages),
        "time_zone": mentee.time_zone,
        "years": mentee.years,
        "hours_per_month": mentee.hours_per_month,
        "goals": mentee.goals,
        "preferences": [
            {"attribute": p.attribute, "values": sorted(p.values), "hard": p.hard} for p in mentee.preferences
        ],
        "label": mentee.label,
    }


def _frozen_options(options: Options) -> dict[str, Any]:
    weights = options.weights
    return {
        "weights": {
            name: getattr(weights, name) for name in ("area", "time_zone", "experience", "hours", "preferences")
        },
        "min_overlap_hours": options.min_overlap_hours,
        "workday": [options.workday_start.isoformat("minutes"), options.workday_end.isoformat("minutes")],
        "reference_date": options.reference_date.isoformat() if options.reference_date else None,
        "ideal_gap_years": list(options.ideal_gap_years),
        "solve_first": options.solve_first,
    }


def _thawed(frozen: dict[str, Any]) -> dict[str, Any]:
    """The engine's arguments back from the stored input."""
    opts = frozen["options"]
    options = Options(
        weights=Weights(**opts["weights"]),
        min_overlap_hours=opts["min_overlap_hours"],
        workday_start=datetime.strptime(opts["workday"][0], "%H:%M").time(),
        workday_end=datetime.strptime(opts["workday"][1], "%H:%M").time(),
        reference_date=date.fromisoformat(opts["reference_date"]) if opts["reference_date"] else None,
        ideal_gap_years=tuple(opts["ideal_gap_years"]),
        solve_first=opts["solve_first"],
    )
    mentors = [
        Mentor(
            **{
                **m,
                "areas": frozenset(m["areas"]),
                "languages": frozenset(m["languages"]),
                "attributes": {name: frozenset(values) for name, values in m["attributes"].items()},
            }
        )
        for m in frozen["mentors"]
    ]
    mentees = [
        Mentee(
            **{
                **e,
                "areas": tuple(e["areas"]),
                "languages": frozenset(e["languages"]),
                "preferences": tuple(
                    Preference(p["attribute"], frozenset(p["values"]), hard=p["hard"]) for p in e["preferences"]
                ),
            }
        )
        for e in frozen["mentees"]
    ]
    return {
        "mentors": mentors,
        "mentees": mentees,
        "options": options,
        "pins": [tuple(pair) for pair in frozen["pins"]],
        "forbidden": [tuple(pair) for pair in frozen["forbidden"]],
        "priority": set(frozen["priority"]),
    }


@transaction.atomic
def freeze_matching_input(*, batch_ref: str | int, dag_id: str, run_id: str) -> int:
    """Step 1: freeze what the run matches, so that later steps need no lock and a retry sees the same.

    Takes the batch's active applications, approved pairs and pins, forbidden and rejected pairs,
    the rematch queue and the options, and stores them on the run (`MatchingRun.input`). The first
    run of a batch moves it closed -> matching (an open batch whose window has ended is closed
    first); a batch left in matching by a failed run starts again from there. Locks the batch and
    the run. A retry finds the input frozen and changes nothing. Returns the MatchingRun id.
    Raises MatchingFailed (no applications, a run already going) or InvalidTransition.
    """
    batch = locked_batch(_batch_from_ref(batch_ref))
    return _freeze(batch, _open_run_for(batch, _dag_run_pk(dag_id, run_id)))


def _freeze(batch: Batch, run: MatchingRun) -> int:
    """Freeze the input of a locked run of a locked batch (see freeze_matching_input)."""
    if run.input is not None:
        return run.pk  # a retry: the input was frozen once and stays as the run matched it
    if run.state != State.SCHEDULED:
        raise MatchingFailed(f"This matching run is {run.get_state_display().lower()}: schedule a new one.")
    _check_runnable(batch, None)
    mentors = list(queries.mentor_applications(batch))
    mentees = list(queries.mentee_applications(batch))
    if not mentors or not mentees:
        raise MatchingFailed(f"{batch.name} needs at least one mentor and one mentee application to match.")
    if batch.status == BatchStatus.OPEN:
        move_batch(batch, BatchStatus.CLOSED)
    if batch.status == BatchStatus.CLOSED:
        move_batch(batch, BatchStatus.MATCHING)

    approved = list(Match.objects.filter(batch=batch, status=MatchStatus.APPROVED))
    rules = list(PairRule.objects.filter(batch=batch))
    pins = {(m.mentor_application_id, m.mentee_application_id) for m in approved}
    pins |= {(r.mentor_application_id, r.mentee_application_id) for r in rules if r.kind == PairRuleKind.PIN}
    forbidden = {(r.mentor_application_id, r.mentee_application_id) for r in rules if r.kind == PairRuleKind.FORBID}
    forbidden |= set(
        Match.objects.filter(batch=batch, status=MatchStatus.REJECTED).values_list(
            "mentor_application_id", "mentee_application_id"
        )
    )
    mentor_ids, mentee_ids = {m.pk for m in mentors}, {e.pk for e in mentees}
    pins = {(r, e) for r, e in pins if r in mentor_ids and e in mentee_ids}
    priority = set(queries.rematch_queue(batch).values_list("pk", flat=True))
    options = app_settings.matching_options(reference_date=batch.program_starts_on)
    run.input = {
        "batch": batch.pk,
        "mentors": [_frozen_mentor(mentor_candidate(m)) for m in mentors],
        "mentees": [_frozen_mentee(mentee_candidate(e)) for e in mentees],
        "pins": sorted([list(pair) for pair in pins]),
        "forbidden": sorted([list(pair) for pair in forbidden]),
        "priority": sorted(priority),
        "options": _frozen_options(options),
    }
    run.state, run.started_at = State.RUNNING, timezone.now()
    run.save(update_fields=["input", "state", "started_at"])
    return run.pk


def _result_as_json(result: MatchResult, duration_ms: int) -> dict[str, Any]:
    return {
        "pairs": [
            {
                "mentor": pair.mentor,
                "mentee": pair.mentee,
                "score": pair.score,
                "explanation": pair.explanation.as_dict(),
                "pinned": pair.pinned,
            }
            for pair in result.pairs
        ],
        "unmatched": [{"mentee": u.mentee, "reason": u.reason.value} for u in result.unmatched],
        "candidate_pairs": result.candidate_pairs,
        "total_score": result.total_score,
        "duration_ms": duration_ms,
    }


def _running(run_id: int) -> MatchingRun:
    run = MatchingRun.objects.filter(pk=run_id).first()
    if run is None:
        raise MatchingFailed(f"Matching run {run_id} no longer exists.")
    if run.state != State.RUNNING or run.input is None:
        raise MatchingFailed(f"This matching run is {run.get_state_display().lower()}: schedule a new one.")
    return run


def solve_matching_run(*, run_id: int) -> int:
    """Step 2: the engine over the frozen input, outside any transaction or lock (it may take a while).

    Side effects: stores the proposals on the run (`MatchingRun.output`), with a guarded update so a
    run that ended meanwhile is left alone. The engine is deterministic: a retry stores the same.
    Raises MatchingFailed when the input is inconsistent (an impossible pin). Returns the run id.
    """
    stored = MatchingRun.objects.filter(pk=run_id, stored_at__isnull=False).values_list("pk", flat=True).first()
    if stored is not None:
        return stored  # a retry after the proposals were stored: solving again would change nothing
    run = _running(run_id)
    arguments = _thawed(run.input)
    started = time.perf_counter()
    try:
        result = match(
            arguments["mentors"],
            arguments["mentees"],
            options=arguments["options"],
            pins=sorted(arguments["pins"]),
            forbidden=sorted(arguments["forbidden"]),
            priority=arguments["priority"],
        )
    except MatchingInputError as exc:
        raise MatchingFailed(str(exc)) from exc
    duration_ms = round((time.perf_counter() - started) * 1000)
    MatchingRun.objects.filter(pk=run.pk, state=State.RUNNING, stored_at__isnull=True).update(
        output=_result_as_json(result, duration_ms), duration_ms=duration_ms
    )
    return run.pk


@transaction.atomic
def store_matching_proposals(*, run_id: int) -> int:
    """Step 3: the proposals become the batch's proposed pairs, in one short transaction.

    Replaces the proposed pairs (approved ones are kept), records each mentee's unmatched reason,
    moves the batch matching -> proposed and records the run's figures. Locks the batch and the run;
    a retry finds the proposals stored and changes nothing. Returns the run id.
    """
    probe = MatchingRun.objects.filter(pk=run_id).values_list("batch_id", flat=True).first()
    if probe is None:
        raise MatchingFailed(f"Matching run {run_id} no longer exists.")
    batch = Batch.objects.select_for_update().get(pk=probe)
    run = MatchingRun.objects.select_for_update().get(pk=run_id)
    if run.stored_at is not None:
        return run.pk
    run = _running(run_id)
    if run.output is None:
        raise MatchingFailed("This matching run has no proposals to store: its solve step has not finished.")
    frozen, output = run.input, run.output

    approved = set(
        Match.objects.filter(batch=batch, status=MatchStatus.APPROVED).values_list("mentee_application_id", flat=True)
    )
    Match.objects.filter(batch=batch, status=MatchStatus.PROPOSED).delete()
    Match.objects.bulk_create(
        Match(
            batch=batch,
            mentor_application_id=pair["mentor"],
            mentee_application_id=pair["mentee"],
            score=pair["score"],
            explanation=pair["explanation"],
            pinned=pair["pinned"],
        )
        for pair in output["pairs"]
        if pair["mentee"] not in approved
    )
    reasons = {u["mentee"]: u["reason"] for u in output["unmatched"]}
    mentees = list(MenteeApplication.objects.filter(pk__in=[e["id"] for e in frozen["mentees"]]))
    for mentee in mentees:
        mentee.unmatched_reason = reasons.get(mentee.pk, "")
    MenteeApplication.objects.bulk_update(mentees, ["unmatched_reason"])
    if batch.status == BatchStatus.MATCHING:
        move_batch(batch, BatchStatus.PROPOSED)

    opts = frozen["options"]
    run.mentors, run.mentees = len(frozen["mentors"]), len(frozen["mentees"])
    run.pairs, run.unmatched = len(output["pairs"]), len(output["unmatched"])
    run.candidate_pairs, run.total_score = output["candidate_pairs"], output["total_score"]
    run.options = {
        "min_overlap_hours": opts["min_overlap_hours"],
        "workday": opts["workday"],
        "reference_date": opts["reference_date"],
        "pins": len(frozen["pins"]),
        "forbidden": len(frozen["forbidden"]),
        "priority": len(frozen["priority"]),
        "ran_at": run.started_at.isoformat() if run.started_at else "",
    }
    run.unmatched_reasons = dict(Counter(reasons.values()))
    run.stored_at = timezone.now()
    run.save(
        update_fields=[
            "mentors",
            "mentees",
            "pairs",
            "unmatched",
            "candidate_pairs",
            "total_score",
            "options",
            "unmatched_reasons",
            "stored_at",
        ]
    )
    return run.pk


@transaction.atomic
def tell_builders_of_matching_run(*, run_id: int) -> int:
    """Step 4: each builder hears the run's figures, with a link to the review page, once per run.

    Queues `mentorship_matching_done` (transactional: builders' operational mail) under the key
    `mentorship-matching-run:<run>:<builder>`, so a retry queues nothing new. Returns how many
    emails this call queued.
    """
    run = MatchingRun.objects.select_related("batch", "started_by__profile").get(pk=run_id)
    if run.stored_at is None:
        raise MatchingFailed("This matching run has stored no proposals yet; builders are told once it has.")
    context = {
        "batch": run.batch,
        "run": run,
        "reasons": [
            (UnmatchedReasonChoice(reason).label if reason in UnmatchedReasonChoice.values else reason, count)
            for reason, count in sorted(run.unmatched_reasons.items())
        ],
        "review_path": reverse("mentorship:review", kwargs={"slug": run.batch.slug}),
    }
    recipients = list(builders())
    keys = {builder.pk: f"mentorship-matching-run:{run.pk}:{builder.pk}" for builder in recipients}
    queued_before = set(Notification.objects.filter(key__in=list(keys.values())).values_list("key", flat=True))
    queued = 0
    for builder in recipients:
        if keys[builder.pk] in queued_before:
            continue
        queue_email(
            key=keys[builder.pk],
            recipient=builder,
            template="mentorship_matching_done",
            context=context,
            kind=EmailKind.TRANSACTIONAL,
        )
        queued += 1
    return queued


def record_matching_run_outcome(*, dag_id: str, run_id: str) -> str:
    """The last step, run whatever happened before it: the run succeeded, or failed with the reason.

    The reason is the first failed step's own message (e.g. "Cannot pin …"). A batch left in
    matching by a failed run can be matched again from there. Guarded update: an outcome already
    recorded stays. Returns the run's state, or "" when the workflow run has no matching run.
    """
    from workflows.queries import task_outcomes

    dag_run_pk = _dag_run_pk(dag_id, run_id)
    run = MatchingRun.objects.filter(dag_run_id=dag_run_pk).first() if dag_run_pk else None
    if run is None:
        return ""
    failures = [
        f"{outcome.label}: {outcome.reason or 'it failed without a message'}"
        for outcome in task_outcomes(dag_run_pk)
        if outcome.state == "failed"
    ]
    if run.stored_at is None and not failures:
        failures = ["The run ended before its proposals were stored."]
    state = State.FAILED if failures else State.SUCCEEDED
    MatchingRun.objects.filter(pk=run.pk, state__in=MatchingRun.ACTIVE_STATES).update(
        state=state, finished_at=timezone.now(), failure_reason=" ".join(failures)
    )
    return str(MatchingRun.objects.filter(pk=run.pk).values_list("state", flat=True).get())


# Without the engine ----------------------------------------------------------------------------------


def run_matching(*, batch: Batch, by: User | None) -> MatchingRun:
    """Match the batch at once, in this process, through the same steps as the DAG (tests, shell).

    Builders use `schedule_matching_run`; this path sends no email. Raises what the steps raise,
    and then leaves the run failed with the reason.
    """
    with transaction.atomic():
        locked = locked_batch(batch)
        active = active_matching_run(locked)
        if active is not None:
            raise MatchingFailed(describe_active_run(active))
        _check_runnable(locked, None)
        run = MatchingRun.objects.create(batch=locked, state=State.SCHEDULED, started_by=by)
    try:
        with transaction.atomic():
            _freeze(locked_batch(batch), MatchingRun.objects.select_for_update().get(pk=run.pk))
        solve_matching_run(run_id=run.pk)
        store_matching_proposals(run_id=run.pk)
    except Exception as exc:
        MatchingRun.objects.filter(pk=run.pk).update(
            state=State.FAILED, finished_at=timezone.now(), failure_reason=str(exc)
        )
        raise
    MatchingRun.objects.filter(pk=run.pk).update(state=State.SUCCEEDED, finished_at=timezone.now())
    run.refresh_from_db()
    return run
