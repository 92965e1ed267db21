"""Check-ins, feedback, ending pairs early, and the pairs flagged for not meeting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from community.notifications.models import Notification
from community.notifications.services import deliver_pending
from mentorship import queries, services
from mentorship.enums import BatchStatus, FeedbackStage, MatchStatus
from mentorship.errors import FollowUpRefused
from mentorship.models import CheckIn, MenteeApplication
from tests.factories import UserFactory
from tests.mentorship.factories import BatchFactory, MatchFactory, MenteeApplicationFactory

pytestmark = pytest.mark.django_db


def published_pair(*, days_ago: int = 15):
    batch = BatchFactory(status=BatchStatus.PUBLISHED, published_at=timezone.now() - timedelta(days=days_ago))
    pair = MatchFactory(batch=batch, status=MatchStatus.APPROVED)
    for member in (pair.mentor, pair.mentee):
        CheckIn.objects.create(match=pair, member=member)
    return pair


def test_check_ins_are_asked_two_weeks_after_publishing_once() -> None:
    due, recent = published_pair(days_ago=15), published_pair(days_ago=3)
    assert services.ask_check_ins() == 2
    assert services.ask_check_ins() == 0
    deliver_pending()
    assert {m.to[0] for m in mail.outbox} == {due.mentor.email, due.mentee.email}
    assert "Have you met" in mail.outbox[0].subject
    assert "/mentorship/check-in/" in mail.outbox[0].body
    assert not CheckIn.objects.filter(match=recent, asked_at__isnull=False).exists()


def test_signed_link_names_the_check_in_and_a_tampered_one_is_refused() -> None:
    check_in = published_pair().check_ins.first()
    token = services.check_in_token(check_in)
    assert services.check_in_from_token(token) == check_in
    with pytest.raises(FollowUpRefused, match="not valid"):
        services.check_in_from_token(token[:-2] + "xx")


def test_pair_not_met_is_flagged_until_someone_says_yes() -> None:
    pair = published_pair()
    mentee_check_in = CheckIn.objects.get(match=pair, member=pair.mentee)
    services.record_check_in(check_in=mentee_check_in, met=False)
    assert list(queries.pairs_not_met(pair.batch)) == [pair]

    services.answer_check_in(match_=pair, member=pair.mentor, met=True)
    assert list(queries.pairs_not_met(pair.batch)) == []


def test_silent_pair_is_flagged_a_week_after_asking() -> None:
    pair = published_pair()
    CheckIn.objects.filter(match=pair).update(asked_at=timezone.now() - timedelta(days=8))
    assert list(queries.pairs_not_met(pair.batch)) == [pair]


def test_feedback_is_stored_and_replaced_when_given_again() -> None:
    pair = published_pair()
    services.give_feedback(match_=pair, member=pair.mentee, stage=FeedbackStage.MID, rating=3)
    feedback = services.give_feedback(
        match_=pair, member=pair.mentee, stage=FeedbackStage.MID, rating=5, comments="Great"
    )
    assert (pair.feedback.count(), feedback.rating, feedback.comments) == (1, 5, "Great")


@pytest.mark.parametrize(("rating", "message"), [(0, "1 \\(poor\\) to 5"), (6, "1 \\(poor\\) to 5")])
def test_feedback_rating_outside_one_to_five_is_refused(rating, message) -> None:
    pair = published_pair()
    with pytest.raises(FollowUpRefused, match=message):
        services.give_feedback(match_=pair, member=pair.mentor, stage=FeedbackStage.END, rating=rating)


def test_outsider_cannot_give_feedback_or_end_a_pair() -> None:
    pair, outsider = published_pair(), UserFactory()
    with pytest.raises(FollowUpRefused, match="Only the mentor and the mentee"):
        services.give_feedback(match_=pair, member=outsider, stage=FeedbackStage.MID, rating=4)
    with pytest.raises(FollowUpRefused, match="Only the mentor, the mentee or a builder"):
        services.end_match_early(match_=pair, by=outsider, reason="No reason")


def test_ending_early_queues_the_mentee_for_rematch_and_tells_the_other_side() -> None:
    pair = published_pair()
    services.end_match_early(match_=pair, by=pair.mentee, reason="Our schedules never fit.")
    deliver_pending()
    pair.refresh_from_db()
    assert (pair.status, pair.end_reason) == (MatchStatus.ENDED_EARLY, "Our schedules never fit.")
    assert MenteeApplication.objects.get(pk=pair.mentee_application_id).rematch_requested_at is not None
    assert [m.to for m in mail.outbox] == [[pair.mentor.email]]
    assert "ended early by your mentee" in mail.outbox[0].body
    assert Notification.objects.get().key == f"mentorship-ended:{pair.pk}:{pair.mentor.pk}"


def test_ended_pair_cannot_end_twice() -> None:
    pair = published_pair()
    services.end_match_early(match_=pair, by=pair.mentor, reason="Moving on")
    with pytest.raises(FollowUpRefused, match="still running"):
        services.end_match_early(match_=pair, by=pair.mentor, reason="Again")


def test_member_ending_early_in_a_later_batch_gets_priority_there() -> None:
    pair = published_pair()
    services.end_match_early(match_=pair, by=pair.mentor, reason="Changed jobs")
    later = BatchFactory(status=BatchStatus.CLOSED)
    again = MenteeApplicationFactory(batch=later, member=pair.mentee)
    assert list(queries.rematch_queue(later)) == [again]


def test_completed_pairs_stay_on_both_members_records() -> None:
    pair = MatchFactory(batch=BatchFactory(status=BatchStatus.COMPLETED), status=MatchStatus.COMPLETED)
    assert list(queries.mentorship_record(pair.mentor)) == [pair]
    assert list(queries.mentorship_record(pair.mentee)) == [pair]
