"""A builder's review of proposed pairs, and publishing them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from community.members.models import User
from community.notifications.services import queue_emails
from mentorship import queries
from mentorship.conf import app_settings
from mentorship.enums import BatchStatus, MatchStatus, PairRuleKind
from mentorship.errors import AlreadyPublished, InvalidTransition, ReviewRefused
from mentorship.matching import MatchingInputError, match
from mentorship.matching_input import mentee_candidate, mentor_candidate
from mentorship.models import LIVE_STATUSES, Batch, CheckIn, Match, MenteeApplication, MentorApplication, PairRule
from mentorship.services.batches import locked_batch, move_batch
from mentorship.services.matching import refuse_during_run
from workflows.services import request_dag_run_on_commit

PUBLICATION_EMAILS_DAG_ID = "mentorship_publication_emails"

FIRST_STEPS = (
    "Say hello within a week: introduce yourself and suggest two or three times for a first call.",
    "In the first call, agree on what success looks like by the end of the program.",
    "Pick a rhythm (for example 45 minutes every two weeks) and put the dates in your calendars.",
    "Keep a shared note of goals, actions and progress; review it at every meeting.",
)


def _reviewable(batch: Batch) -> Batch:
    batch = locked_batch(batch)
    if batch.status != BatchStatus.PROPOSED:
        raise InvalidTransition(f"{batch.name} is {batch.get_status_display().lower()}: its pairs cannot change now.")
    refuse_during_run(batch)
    return batch


def _locked_match(match_: Match, *, statuses: tuple[str, ...]) -> Match:
    current = Match.objects.select_for_update().get(pk=match_.pk)
    if current.status not in statuses:
        raise ReviewRefused(f"This pair is {current.get_status_display().lower()} already.")
    return current


@transaction.atomic
def approve_match(*, match_: Match, by: User) -> Match:
    """Proposed -> approved. Locks the batch and the match."""
    _reviewable(match_.batch)
    current = _locked_match(match_, statuses=(MatchStatus.PROPOSED,))
    current.status, current.decided_at, current.decided_by = MatchStatus.APPROVED, timezone.now(), by
    current.save(update_fields=["status", "decided_at", "decided_by"])
    return current


@transaction.atomic
def approve_all_matches(*, batch: Batch, by: User) -> int:
    """Approve every proposed pair of the batch at once; returns how many."""
    batch = _reviewable(batch)
    return Match.objects.filter(batch=batch, status=MatchStatus.PROPOSED).update(
        status=MatchStatus.APPROVED, decided_at=timezone.now(), decided_by=by
    )


@transaction.atomic
def reject_match(*, match_: Match, by: User) -> Match:
    """Proposed or approved -> rejected: the pair is never proposed again and the mentee joins the
    rematch queue, so the next run serves them first."""
    _reviewable(match_.batch)
    current = _locked_match(match_, statuses=(MatchStatus.PROPOSED, MatchStatus.APPROVED))
    current.status, current.decided_at, current.decided_by = MatchStatus.REJECTED, timezone.now(), by
    current.save(update_fields=["status", "decided_at", "decided_by"])
    MenteeApplication.objects.filter(pk=current.mentee_application_id).update(rematch_requested_at=timezone.now())
    return current


def _evaluated(mentor: MentorApplication, mentee: MenteeApplication, batch: Batch) -> tuple[float, dict]:
    """Score and explanation of one pair, or ReviewRefused naming the hard constraint it breaks."""
    try:
        result = match(
            [mentor_candidate(mentor)],
            [mentee_candidate(mentee)],
            options=app_settings.matching_options(reference_date=batch.program_starts_on),
            pins=[(mentor.pk, mentee.pk)],
        )
    except MatchingInputError as exc:
        raise ReviewRefused(str(exc).replace("Cannot pin", "Cannot pair")) from exc
    pair = result.pairs[0]
    return pair.score, pair.explanation.as_dict()


@transaction.atomic
def swap_mentors(*, first: Match, second: Match, by: User) -> tuple[Match, Match]:
    """Exchange the mentors of two proposed or approved pairs; both new pairs must meet every hard
    constraint and are proposed again with their new score and explanation."""
    batch = _reviewable(first.batch)
    if first.pk == second.pk or second.batch_id != batch.pk:
        raise ReviewRefused("Choose two different pairs of the same batch to swap.")
    statuses = (MatchStatus.PROPOSED, MatchStatus.APPROVED)
    a, b = (_locked_match(m, statuses=statuses) for m in sorted((first, second), key=lambda m: m.pk))
    if a.mentor_application_id == b.mentor_application_id:
        raise ReviewRefused("Both pairs have the same mentor: there is nothing to swap.")
    ids = (a.mentor_application_id, b.mentor_application_id, a.mentee_application_id, b.mentee_application_id)
    forbidden = PairRule.objects.filter(batch=batch, kind=PairRuleKind.FORBID).filter(
        Q(mentor_application_id=ids[0], mentee_application_id=ids[3])
        | Q(mentor_application_id=ids[1], mentee_application_id=ids[2])
    )
    if forbidden.exists():
        raise ReviewRefused("One of the swapped pairs is forbidden.")
    mentors = {m.pk: m for m in queries.mentor_applications(batch).filter(pk__in=ids[:2])}
    mentees = {e.pk: e for e in queries.mentee_applications(batch).filter(pk__in=ids[2:])}
    a_score, a_explanation = _evaluated(mentors[ids[1]], mentees[ids[2]], batch)
    b_score, b_explanation = _evaluated(mentors[ids[0]], mentees[ids[3]], batch)
    for current, mentor_id, score, explanation in (
        (a, ids[1], a_score, a_explanation),
        (b, ids[0], b_score, b_explanation),
    ):
        current.mentor_application_id = mentor_id
        current.score, current.explanation = score, explanation
        current.status, current.pinned, current.decided_at, current.decided_by = MatchStatus.PROPOSED, False, None, None
        current.save()
    return a, b


@transaction.atomic
def set_pair_rule(
    *, batch: Batch, mentor_application: MentorApplication, mentee_application: MenteeApplication, kind: str, by: User
) -> PairRule:
    """Pin (always match) or forbid (never match) a pair for the next runs; replaces an earlier rule.

    A pin is checked against the hard constraints now, so an impossible one is refused at once.
    """
    batch = _reviewable(batch)
    if mentor_application.batch_id != batch.pk or mentee_application.batch_id != batch.pk:
        raise ReviewRefused("Both applications must belong to this batch.")
    if kind == PairRuleKind.PIN:
        mentor = queries.mentor_applications(batch).get(pk=mentor_application.pk)
        mentee = queries.mentee_applications(batch).get(pk=mentee_application.pk)
        _evaluated(mentor, mentee, batch)
        other_pins = PairRule.objects.filter(
            batch=batch, kind=PairRuleKind.PIN, mentee_application=mentee_application
        ).exclude(mentor_application=mentor_application)
        if other_pins.exists():
            raise ReviewRefused(f"{mentee.member.display_name} is already pinned to another mentor.")
        pinned = PairRule.objects.filter(batch=batch, kind=PairRuleKind.PIN, mentor_application=mentor_application)
        if pinned.exclude(mentee_application=mentee_application).count() >= mentor.capacity:
            raise ReviewRefused(f"{mentor.member.display_name} takes {mentor.capacity} mentee(s); all are pinned.")
    rule, _ = PairRule.objects.update_or_create(
        mentor_application=mentor_application,
        mentee_application=mentee_application,
        defaults={"batch": batch, "kind": kind, "created_by": by},
    )
    return rule


@transaction.atomic
def remove_pair_rule(*, rule: PairRule, by: User) -> None:
    _reviewable(rule.batch)
    PairRule.objects.filter(pk=rule.pk).delete()


@transaction.atomic
def publish_batch(*, batch: Batch, by: User) -> Batch:
    """proposed -> published: approved pairs are announced to both sides, the rest wait.

    Locks the batch row, so of two builders publishing at once one publishes and the other gets
    AlreadyPublished. Creates the check-in rows asked later by `ask_check_ins`, and on commit asks
    for a run of the publication emails job (`queue_publication_emails`).
    """
    batch = locked_batch(batch)
    if batch.status in {BatchStatus.PUBLISHED, BatchStatus.ACTIVE, BatchStatus.COMPLETED}:
        who = batch.published_by.display_name if batch.published_by else "another builder"
        raise AlreadyPublished(f"{batch.name} was already published by {who}.")
    if batch.status != BatchStatus.PROPOSED:
        raise InvalidTransition(f"{batch.name} is {batch.get_status_display().lower()}: run the matching first.")
    refuse_during_run(batch)
    counts = Match.objects.filter(batch=batch).aggregate(
        proposed=Count("pk", filter=Q(status=MatchStatus.PROPOSED)),
        approved=Count("pk", filter=Q(status=MatchStatus.APPROVED)),
    )
    if counts["proposed"]:
        raise ReviewRefused(
            f"{counts['proposed']} proposed pair(s) are still undecided: approve or reject them before publishing."
        )
    if not counts["approved"]:
        raise ReviewRefused("No pair is approved: approve at least one before publishing.")
    _check_capacities(batch)

    move_batch(batch, BatchStatus.PUBLISHED)
    batch.published_at, batch.published_by = timezone.now(), by
    batch.save(update_fields=["published_at", "published_by", "updated_at"])

    approved = list(
        Match.objects.filter(batch=batch, status=MatchStatus.APPROVED).values_list(
            "pk", "mentor_application__member_id", "mentee_application__member_id"
        )
    )
    CheckIn.objects.bulk_create(
        [CheckIn(match_id=pk, member_id=member_id) for pk, *sides in approved for member_id in sides],
        ignore_conflicts=True,
    )
    MenteeApplication.objects.filter(
        member_id__in=[mentee for _, _, mentee in approved], rematch_requested_at__isnull=False
    ).update(rematch_requested_at=None)
    # Rendering a thousand emails takes seconds: the builder's request only asks for the job that does it.
    request_dag_run_on_commit(dag_id=PUBLICATION_EMAILS_DAG_ID)
    return batch


def queue_publication_emails() -> int:
    """Email the pairs and the waiting list of every published batch not emailed yet; return how many emails.

    Called by the `mentorship_publication_emails` job, which publishing asks for and which also runs
    every few minutes. Queues in one pass per batch, once per key: to each side of each approved pair
    `mentorship_matched` with the other's profile and first steps (`mentorship-published:<match>:<member>`);
    to each mentee left without a pair `mentorship_waiting_list` (`mentorship-waiting:<batch>:<member>`).
    Locks each batch row with SKIP LOCKED and marks it emailed in the same transaction, so two runs
    share the work and a rerun queues nothing.
    """
    queued = 0
    pending = Batch.objects.filter(published_at__isnull=False, pairs_emailed_at__isnull=True).values_list(
        "pk", flat=True
    )
    for batch_id in list(pending):
        with transaction.atomic():
            batch = (
                Batch.objects.select_for_update(skip_locked=True)
                .filter(pk=batch_id, pairs_emailed_at__isnull=True)
                .first()
            )
            if batch is None:
                continue
            queued += queue_emails(emails=_publication_emails(batch))
            batch.pairs_emailed_at = timezone.now()
            batch.save(update_fields=["pairs_emailed_at", "updated_at"])
    return queued


def _publication_emails(batch: Batch) -> list[dict]:
    approved = list(queries.batch_matches(batch, statuses=(MatchStatus.APPROVED,)))
    emails = []
    match_paths = {pair.pk: reverse("mentorship:match", kwargs={"pk": pair.pk}) for pair in approved}
    for pair in approved:
        for member, other, role, application in (
            (pair.mentor, pair.mentee, "mentor", pair.mentee_application),
            (pair.mentee, pair.mentor, "mentee", pair.mentor_application),
        ):
            emails.append(
                {
                    "key": f"mentorship-published:{pair.pk}:{member.pk}",
                    "recipient": member,
                    "template": "mentorship_matched",
                    "context": {
                        "batch": batch,
                        "match": pair,
                        "role": role,
                        "other": other,
                        "other_profile": getattr(other, "profile", None),
                        "other_application": application,
                        "first_steps": FIRST_STEPS,
                        "match_path": match_paths[pair.pk],
                    },
                }
            )
    home_path = reverse("mentorship:home")
    emails.extend(
        {
            "key": f"mentorship-waiting:{batch.pk}:{waiting.member_id}",
            "recipient": waiting.member,
            "template": "mentorship_waiting_list",
            "context": {"batch": batch, "application": waiting, "home_path": home_path},
        }
        for waiting in queries.unmatched_mentees(batch)
    )
    return emails


def _check_capacities(batch: Batch) -> None:
    """Swaps and approvals never overfill a mentor, but publishing is the last gate: check once more."""
    over = (
        MentorApplication.objects.filter(batch=batch)
        .annotate(taken=Count("matches", filter=Q(matches__status__in=LIVE_STATUSES)))
        .filter(taken__gt=F("capacity"))
    )
    names = [m.member.display_name for m in over.select_related("member__profile")]
    if names:
        raise ReviewRefused(f"Too many mentees for: {', '.join(names)}. Reject or swap pairs first.")
