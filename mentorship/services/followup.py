"""After publishing: check-ins, feedback, ending a pair early."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from community.members.models import User
from community.members.permissions import is_builder
from community.notifications.enums import EmailKind
from community.notifications.queries import users_accepting
from community.notifications.services import queue_email
from mentorship.conf import app_settings
from mentorship.enums import BatchStatus, FeedbackStage, MatchStatus
from mentorship.errors import FollowUpRefused
from mentorship.models import LIVE_STATUSES, CheckIn, Feedback, Match, MenteeApplication

CHECK_IN_SALT = "mentorship.check-in"
RUNNING = (MatchStatus.APPROVED, MatchStatus.ACTIVE)


def check_in_token(check_in: CheckIn) -> str:
    """A signed, expiring token naming one side's check-in: the one-click links carry it."""
    return signing.dumps({"c": check_in.pk}, salt=CHECK_IN_SALT, compress=True)


def check_in_from_token(token: str) -> CheckIn:
    """The check-in a token names, or FollowUpRefused when it is forged, stale or gone."""
    max_age = timedelta(days=app_settings.CHECK_IN_LINK_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=CHECK_IN_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise FollowUpRefused("This check-in link has expired. Open your match page to answer instead.") from exc
    except signing.BadSignature as exc:
        raise FollowUpRefused("This check-in link is not valid. Open your match page to answer instead.") from exc
    check_in = (
        CheckIn.objects.select_related("match__batch", "match__mentor_application__member__profile")
        .select_related("match__mentee_application__member__profile", "member")
        .filter(pk=payload.get("c"))
        .first()
    )
    if check_in is None:
        raise FollowUpRefused("This check-in no longer exists.")
    return check_in


@transaction.atomic
def ask_check_ins(*, now: timezone.datetime | None = None) -> int:
    """Ask "have you met?" of both sides of pairs published CHECK_IN_AFTER_DAYS ago or more.

    "Ago" counts whole days of 24 hours from the instant of publishing, so every side is due at the
    same moment whatever their time zone; the daily job asks them at its first run after it.
    Called by the scheduled job. Queues `mentorship_check_in` (`mentorship-check-in:<check-in>`, kind
    mentorship) and marks each check-in asked; rows are locked with SKIP LOCKED so two job runs share
    the work, and an asked check-in is never asked again. A member who turned mentorship email off
    (or has no address) is not asked and their check-in stays unasked: they can still answer on the
    match page. Returns how many were asked.
    """
    now = now or timezone.now()
    reachable = users_accepting(User.objects.exclude(email=""), EmailKind.MENTORSHIP)
    due = (
        CheckIn.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            asked_at__isnull=True,
            match__status__in=RUNNING,
            match__batch__published_at__lte=now - timedelta(days=app_settings.CHECK_IN_AFTER_DAYS),
            member__in=reachable,
        )
        .select_related("member__profile", "match__batch")
        .select_related("match__mentor_application__member__profile", "match__mentee_application__member__profile")
    )
    asked = 0
    for check_in in due:
        pair = check_in.match
        other = pair.mentee if check_in.member_id == pair.mentor_application.member_id else pair.mentor
        token = check_in_token(check_in)
        queue_email(
            key=f"mentorship-check-in:{check_in.pk}",
            recipient=check_in.member,
            template="mentorship_check_in",
            context={
                "batch": pair.batch,
                "other": other,
                "yes_path": reverse("mentorship:check_in", kwargs={"token": token}) + "?met=yes",
                "no_path": reverse("mentorship:check_in", kwargs={"token": token}) + "?met=no",
                "match_path": reverse("mentorship:match", kwargs={"pk": pair.pk}),
            },
            kind=EmailKind.MENTORSHIP,
        )
        check_in.asked_at = now
        check_in.save(update_fields=["asked_at"])
        asked += 1
    return asked


@transaction.atomic
def record_check_in(*, check_in: CheckIn, met: bool) -> CheckIn:
    """Store one side's answer; answering again changes it."""
    current = CheckIn.objects.select_for_update().get(pk=check_in.pk)
    current.met, current.answered_at = met, timezone.now()
    if current.asked_at is None:
        current.asked_at = current.answered_at
    current.save(update_fields=["met", "answered_at", "asked_at"])
    return current


@transaction.atomic
def answer_check_in(*, match_: Match, member: User, met: bool) -> CheckIn:
    """A side answers "have you met?" from the match page (no email link needed)."""
    if not match_.side_of(member):
        raise FollowUpRefused("Only the mentor and the mentee of a pair can answer for it.")
    if match_.status not in RUNNING:
        raise FollowUpRefused("This pair is not running any more.")
    check_in, _ = CheckIn.objects.get_or_create(match=match_, member=member)
    return record_check_in(check_in=check_in, met=met)


@transaction.atomic
def give_feedback(*, match_: Match, member: User, stage: str, rating: int, comments: str = "") -> Feedback:
    """Mid- or end-of-program feedback from one side; giving it again replaces it."""
    if not match_.side_of(member):
        raise FollowUpRefused("Only the mentor and the mentee of a pair can give feedback on it.")
    if stage not in FeedbackStage.values:
        raise FollowUpRefused("Choose mid-program or end-of-program feedback.")
    if not 1 <= rating <= 5:
        raise FollowUpRefused("Rate from 1 (poor) to 5 (excellent).")
    if match_.batch.status not in {BatchStatus.PUBLISHED, BatchStatus.ACTIVE, BatchStatus.COMPLETED}:
        raise FollowUpRefused("Feedback opens once the pairs are published.")
    if match_.status not in {*RUNNING, MatchStatus.COMPLETED, MatchStatus.ENDED_EARLY}:
        raise FollowUpRefused("This pair never started, so there is nothing to give feedback on.")
    feedback, _ = Feedback.objects.update_or_create(
        match=match_, member=member, stage=stage, defaults={"rating": rating, "comments": comments.strip()}
    )
    return feedback


@transaction.atomic
def end_match_early(*, match_: Match, by: User, reason: str) -> Match:
    """Either side (or a builder) ends a running pair. The mentee joins the rematch queue, and the
    other side is told by email (`mentorship-ended:<match>:<member>`). Locks the match."""
    current = Match.objects.select_for_update().select_related("batch").get(pk=match_.pk)
    side = current.side_of(by)
    if not side and not is_builder(by):
        raise FollowUpRefused("Only the mentor, the mentee or a builder can end this pair.")
    if current.status not in RUNNING or current.batch.status not in {BatchStatus.PUBLISHED, BatchStatus.ACTIVE}:
        raise FollowUpRefused("Only a published pair that is still running can be ended early.")
    if not reason.strip():
        raise FollowUpRefused("Tell us briefly why the pair ends; it helps the next match.")
    current.status, current.ended_at, current.ended_by = MatchStatus.ENDED_EARLY, timezone.now(), by
    current.end_reason = reason.strip()
    current.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    MenteeApplication.objects.filter(pk=current.mentee_application_id).update(rematch_requested_at=timezone.now())
    pair = Match.objects.select_related(
        "mentor_application__member__profile", "mentee_application__member__profile", "batch"
    ).get(pk=current.pk)
    for member in (pair.mentor, pair.mentee):
        if member.pk == by.pk:
            continue
        queue_email(
            key=f"mentorship-ended:{pair.pk}:{member.pk}",
            recipient=member,
            template="mentorship_ended",
            context={
                "batch": pair.batch,
                "match": pair,
                "ended_by_side": side or "builder",
                "is_mentee": member.pk == pair.mentee.pk,
                "home_path": reverse("mentorship:home"),
            },
        )
    return current


@transaction.atomic
def join_rematch_queue(*, application: MenteeApplication, member: User) -> MenteeApplication:
    """A mentee still waiting for a mentor in a published batch asks to be served first by the next
    matching. Joining again keeps the first time (the queue's order). Locks the application row."""
    current = MenteeApplication.objects.select_for_update(of=("self",)).select_related("batch").get(pk=application.pk)
    if current.member_id != member.pk:
        raise FollowUpRefused("Only the mentee who applied can join the rematch queue.")
    if current.withdrawn_at is not None:
        raise FollowUpRefused("This application was withdrawn.")
    if current.batch.status not in {BatchStatus.PUBLISHED, BatchStatus.ACTIVE}:
        raise FollowUpRefused(f"The rematch queue of {current.batch.name} opens once its pairs are published.")
    if Match.objects.filter(mentee_application=current, status__in=LIVE_STATUSES).exists():
        raise FollowUpRefused(f"You already have a mentor in {current.batch.name}.")
    if current.rematch_requested_at is None:
        current.rematch_requested_at = timezone.now()
        current.save(update_fields=["rematch_requested_at", "updated_at"])
    return current
