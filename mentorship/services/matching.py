"""Running the engine over a batch and storing its proposals."""

from __future__ import annotations

import time
from collections import Counter

from django.db import transaction
from django.utils import timezone

from community.members.models import User
from mentorship import queries
from mentorship.candidates import mentee_candidate, mentor_candidate
from mentorship.conf import app_settings
from mentorship.enums import BatchStatus, MatchStatus, PairRuleKind
from mentorship.errors import InvalidTransition, MatchingFailed
from mentorship.matching import MatchingInputError, match
from mentorship.models import Batch, Match, MatchingRun, MenteeApplication, PairRule
from mentorship.services.batches import locked_batch, move_batch


@transaction.atomic
def run_matching(*, batch: Batch, by: User | None) -> MatchingRun:
    """Match the batch's active applications and replace its proposed pairs with the new ones.

    Runs from closed (the batch passes through matching to proposed) or again from proposed (after
    builders pinned, forbade or rejected pairs). Approved pairs and pins are kept; rejected pairs
    and forbidden ones are never proposed; mentees in the rematch queue are served first. Each
    unmatched mentee's application records why. Locks the batch row for the whole run, so two runs
    or a run and a publish never interleave.
    """
    batch = locked_batch(batch)
    if batch.status == BatchStatus.CLOSED:
        move_batch(batch, BatchStatus.MATCHING)
    elif batch.status != BatchStatus.PROPOSED:
        raise InvalidTransition(
            f"{batch.name} is {batch.get_status_display().lower()}: matching runs once applications are closed "
            "and until the pairs are published."
        )
    mentors = list(queries.mentor_applications(batch))
    mentees = list(queries.mentee_applications(batch))
    if not mentors or not mentees:
        raise MatchingFailed(f"{batch.name} needs at least one mentor and one mentee application to match.")

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
    active_ids = {m.pk for m in mentors}, {e.pk for e in mentees}
    pins = {(r, e) for r, e in pins if r in active_ids[0] and e in active_ids[1]}
    priority = set(queries.rematch_queue(batch).values_list("pk", flat=True))
    options = app_settings.matching_options(reference_date=batch.program_starts_on)

    started = time.perf_counter()
    try:
        result = match(
            [mentor_candidate(m) for m in mentors],
            [mentee_candidate(e) for e in mentees],
            options=options,
            pins=sorted(pins),
            forbidden=sorted(forbidden),
            priority=priority,
        )
    except MatchingInputError as exc:
        raise MatchingFailed(str(exc)) from exc
    duration_ms = round((time.perf_counter() - started) * 1000)

    Match.objects.filter(batch=batch, status=MatchStatus.PROPOSED).delete()
    kept = {m.mentee_application_id for m in approved}
    Match.objects.bulk_create(
        Match(
            batch=batch,
            mentor_application_id=pair.mentor,
            mentee_application_id=pair.mentee,
            score=pair.score,
            explanation=pair.explanation.as_dict(),
            pinned=pair.pinned,
        )
        for pair in result.pairs
        if pair.mentee not in kept
    )
    reasons = {u.mentee: u.reason.value for u in result.unmatched}
    for mentee in mentees:
        mentee.unmatched_reason = reasons.get(mentee.pk, "")
    MenteeApplication.objects.bulk_update(mentees, ["unmatched_reason"])

    if batch.status == BatchStatus.MATCHING:
        move_batch(batch, BatchStatus.PROPOSED)
    return MatchingRun.objects.create(
        batch=batch,
        state=MatchingRun.State.SUCCEEDED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        started_by=by,
        duration_ms=duration_ms,
        mentors=len(mentors),
        mentees=len(mentees),
        pairs=len(result.pairs),
        unmatched=len(result.unmatched),
        candidate_pairs=result.candidate_pairs,
        total_score=result.total_score,
        options={
            "min_overlap_hours": options.min_overlap_hours,
            "workday": [options.workday_start.isoformat("minutes"), options.workday_end.isoformat("minutes")],
            "reference_date": batch.program_starts_on.isoformat(),
            "pins": len(pins),
            "forbidden": len(forbidden),
            "priority": len(priority),
            "ran_at": timezone.now().isoformat(),
        },
        unmatched_reasons=dict(Counter(reasons.values())),
    )
