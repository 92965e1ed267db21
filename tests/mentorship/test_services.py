"""Batch transitions, applications, matching runs, review and publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from community.notifications.models import Notification
from community.notifications.services import deliver_pending
from mentorship import services
from mentorship.enums import BatchStatus, MatchStatus, PairRuleKind
from mentorship.errors import AlreadyPublished, ApplicationRefused, InvalidTransition, MatchingFailed, ReviewRefused
from mentorship.models import Match, MatchingRun, MenteeApplication
from tests.factories import UserFactory
from tests.mentorship.factories import (
    BatchFactory,
    MatchFactory,
    MenteeApplicationFactory,
    MentorApplicationFactory,
    area,
)
from workflows.services import DagRunRequest

pytestmark = pytest.mark.django_db


def mentor_kwargs(**overrides):
    values = {
        "areas": [area("open-source")],
        "years_experience": 10,
        "current_role": "Maintainer",
        "time_zone": "Europe/Berlin",
        "languages": ["en"],
        "hours_per_month": 4,
        "capacity": 2,
    }
    values.update(overrides)
    return values


def mentee_kwargs(**overrides):
    values = {
        "ranked_areas": [area("open-source"), area("leadership")],
        "goals": "Become a maintainer.",
        "years_experience": 1,
        "time_zone": "Europe/London",
        "languages": ["en"],
        "hours_per_month": 2,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("start", "service"),
    [
        (BatchStatus.DRAFT, services.close_batch),
        (BatchStatus.OPEN, services.open_batch),
        (BatchStatus.CLOSED, services.activate_batch),
        (BatchStatus.PROPOSED, services.complete_batch),
        (BatchStatus.COMPLETED, services.open_batch),
    ],
)
def test_batch_transition_outside_the_allowed_steps_is_refused(start, service, builder) -> None:
    batch = BatchFactory(status=start)
    with pytest.raises(InvalidTransition, match="cannot become"):
        service(batch=batch, by=builder)
    batch.refresh_from_db()
    assert batch.status == start


def test_batch_walks_its_lifecycle_forward(builder) -> None:
    batch = BatchFactory(status=BatchStatus.DRAFT)
    services.open_batch(batch=batch, by=builder)
    services.close_batch(batch=batch, by=builder)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CLOSED
    assert batch.applications_close_at <= timezone.now()


def test_apply_as_mentor_records_the_answers() -> None:
    batch, member = BatchFactory(), UserFactory()
    application = services.apply_as_mentor(batch=batch, member=member, **mentor_kwargs())
    assert (application.capacity, list(application.areas.all()), application.languages) == (
        2,
        [area("open-source")],
        ["en"],
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capacity": 0}, "between 1 and 5"),
        ({"capacity": 6}, "between 1 and 5"),
        ({"areas": []}, "at least one Area"),
        ({"time_zone": "Mars/Olympus"}, "not a time zone we know"),
        ({"languages": ["xx"]}, "Unknown language"),
    ],
)
def test_apply_as_mentor_refuses_bad_input(change, message) -> None:
    with pytest.raises(ApplicationRefused, match=message):
        services.apply_as_mentor(batch=BatchFactory(), member=UserFactory(), **mentor_kwargs(**change))


def test_applying_twice_is_refused() -> None:
    batch, member = BatchFactory(), UserFactory()
    services.apply_as_mentee(batch=batch, member=member, **mentee_kwargs())
    with pytest.raises(ApplicationRefused, match="already applied"):
        services.apply_as_mentee(batch=batch, member=member, **mentee_kwargs())


def test_applying_to_a_closed_batch_is_refused() -> None:
    with pytest.raises(ApplicationRefused, match="closed"):
        services.apply_as_mentee(batch=BatchFactory(status=BatchStatus.CLOSED), member=UserFactory(), **mentee_kwargs())


def test_mentee_areas_keep_their_ranking() -> None:
    application = services.apply_as_mentee(
        batch=BatchFactory(),
        member=UserFactory(),
        **mentee_kwargs(ranked_areas=[area("leadership"), area("open-source")]),
    )
    assert [(c.rank, c.area.slug) for c in application.area_choices.all()] == [(1, "leadership"), (2, "open-source")]


def test_application_is_frozen_after_the_batch_closes(builder) -> None:
    application = MentorApplicationFactory()
    services.close_batch(batch=application.batch, by=builder)
    with pytest.raises(ApplicationRefused, match="can no longer change"):
        services.update_mentor_application(application=application, **mentor_kwargs())
    with pytest.raises(ApplicationRefused, match="can no longer change"):
        services.withdraw_application(application=application)


def test_withdrawn_member_can_apply_again_while_open() -> None:
    application = MenteeApplicationFactory()
    services.withdraw_application(application=application)
    again = services.apply_as_mentee(batch=application.batch, member=application.member, **mentee_kwargs())
    assert again.pk == application.pk
    assert again.withdrawn_at is None


def closed_cohort(mentors: int = 1, mentees: int = 2):
    batch = BatchFactory(status=BatchStatus.CLOSED)
    mentor_apps = [MentorApplicationFactory(batch=batch) for _ in range(mentors)]
    mentee_apps = [
        MenteeApplicationFactory(batch=batch, time_zone="Europe/Berlin" if i == 0 else "America/New_York")
        for i in range(mentees)
    ]
    return batch, mentor_apps, mentee_apps


def test_run_matching_proposes_pairs_with_explanations_and_records_reasons(builder) -> None:
    batch, (mentor,), (near, far) = closed_cohort()
    run = services.run_matching(batch=batch, by=builder)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.PROPOSED
    (pair,) = Match.objects.filter(batch=batch)
    assert (pair.mentor_application, pair.mentee_application, pair.status) == (mentor, near, MatchStatus.PROPOSED)
    assert "shares Conference speaking (mentee's 1st choice)" in pair.summary
    far.refresh_from_db()
    assert far.unmatched_reason == "capacity_exhausted"
    assert (run.pairs, run.unmatched, run.unmatched_reasons) == (1, 1, {"capacity_exhausted": 1})


def test_run_matching_needs_closed_applications(builder) -> None:
    with pytest.raises(InvalidTransition, match="once applications are closed"):
        services.run_matching(batch=BatchFactory(status=BatchStatus.OPEN), by=builder)


def test_run_matching_without_applications_says_so(builder) -> None:
    with pytest.raises(MatchingFailed, match="at least one mentor and one mentee"):
        services.run_matching(batch=BatchFactory(status=BatchStatus.CLOSED), by=builder)


def test_rejected_mentee_is_served_first_on_rerun_and_never_with_the_rejected_mentor(builder) -> None:
    batch, _mentors, (near, _far) = closed_cohort(mentors=2, mentees=2)
    services.run_matching(batch=batch, by=builder)
    pair_of_near = Match.objects.get(batch=batch, mentee_application=near)
    services.reject_match(match_=pair_of_near, by=builder)

    services.run_matching(batch=batch, by=builder)
    new_pair = Match.objects.get(batch=batch, mentee_application=near, status=MatchStatus.PROPOSED)
    assert new_pair.mentor_application != pair_of_near.mentor_application
    assert MenteeApplication.objects.get(pk=near.pk).rematch_requested_at is not None


def test_rematch_priority_wins_a_scarce_mentor(builder) -> None:
    batch, (_mentor,), (_near, far) = closed_cohort()
    far.rematch_requested_at = timezone.now()
    far.save()
    services.run_matching(batch=batch, by=builder)
    assert Match.objects.get(batch=batch).mentee_application == far


def test_pin_is_kept_by_the_next_run(builder) -> None:
    batch, (mentor,), (_near, far) = closed_cohort()
    services.run_matching(batch=batch, by=builder)
    services.set_pair_rule(
        batch=batch, mentor_application=mentor, mentee_application=far, kind=PairRuleKind.PIN, by=builder
    )
    services.run_matching(batch=batch, by=builder)
    pair = Match.objects.get(batch=batch, status=MatchStatus.PROPOSED)
    assert (pair.mentee_application, pair.pinned) == (far, True)


def test_impossible_pin_is_refused_with_the_reason(builder) -> None:
    batch, (mentor,), (near, _far) = closed_cohort()
    services.run_matching(batch=batch, by=builder)
    near.languages = ["es"]
    near.save()
    with pytest.raises(ReviewRefused, match="they share no language"):
        services.set_pair_rule(
            batch=batch, mentor_application=mentor, mentee_application=near, kind=PairRuleKind.PIN, by=builder
        )


def test_forbidden_pair_is_not_proposed_again(builder) -> None:
    batch, (mentor,), (near, far) = closed_cohort()
    services.run_matching(batch=batch, by=builder)
    services.set_pair_rule(
        batch=batch, mentor_application=mentor, mentee_application=near, kind=PairRuleKind.FORBID, by=builder
    )
    services.run_matching(batch=batch, by=builder)
    assert Match.objects.get(batch=batch, status=MatchStatus.PROPOSED).mentee_application == far


def test_swap_exchanges_mentors_and_rescored_pairs(builder) -> None:
    batch = BatchFactory(status=BatchStatus.PROPOSED)
    first, second = MatchFactory(batch=batch), MatchFactory(batch=batch)
    mentor_1, mentor_2 = first.mentor_application, second.mentor_application
    services.swap_mentors(first=first, second=second, by=builder)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.mentor_application, second.mentor_application) == (mentor_2, mentor_1)
    assert "working-hour overlap" in first.summary


def test_publish_emails_both_sides_and_the_waiting_list(builder, django_capture_on_commit_callbacks) -> None:
    batch, (mentor,), (near, far) = closed_cohort()
    services.run_matching(batch=batch, by=builder)
    services.approve_all_matches(batch=batch, by=builder)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.publish_batch(batch=batch, by=builder)
    # The builder's request renders nothing: it asks for the job that queues the emails.
    assert callbacks == [DagRunRequest("mentorship_publication_emails")]
    assert Notification.objects.count() == 0
    assert services.queue_publication_emails() == 3
    assert services.queue_publication_emails() == 0
    deliver_pending()

    batch.refresh_from_db()
    assert batch.status == BatchStatus.PUBLISHED
    assert batch.pairs_emailed_at is not None
    pair = Match.objects.get(batch=batch)
    keys = set(Notification.objects.values_list("key", flat=True))
    assert keys == {
        f"mentorship-published:{pair.pk}:{mentor.member_id}",
        f"mentorship-published:{pair.pk}:{near.member_id}",
        f"mentorship-waiting:{batch.pk}:{far.member_id}",
    }
    to_mentee = next(m for m in mail.outbox if m.to == [near.member.email])
    assert to_mentee.subject.startswith(f"Meet your mentor {mentor.member.display_name}")
    assert "First steps" in to_mentee.body
    assert mentor.member.email in to_mentee.body
    waiting = next(m for m in mail.outbox if m.to == [far.member.email])
    assert "waiting list" in waiting.subject


def test_publish_with_undecided_pairs_is_refused(builder) -> None:
    batch, _, _ = closed_cohort()
    services.run_matching(batch=batch, by=builder)
    with pytest.raises(ReviewRefused, match="still undecided"):
        services.publish_batch(batch=batch, by=builder)


def test_publishing_twice_names_who_published(builder) -> None:
    batch, _, _ = closed_cohort()
    services.run_matching(batch=batch, by=builder)
    services.approve_all_matches(batch=batch, by=builder)
    services.publish_batch(batch=batch, by=builder)
    with pytest.raises(AlreadyPublished, match="already published by"):
        services.publish_batch(batch=batch, by=UserFactory(is_staff=True))
    services.queue_publication_emails()
    assert Notification.objects.count() == 3


def test_complete_batch_completes_active_pairs(builder) -> None:
    pair = MatchFactory(batch=BatchFactory(status=BatchStatus.PUBLISHED), status=MatchStatus.APPROVED)
    services.activate_batch(batch=pair.batch, by=builder)
    services.complete_batch(batch=pair.batch, by=builder)
    pair.refresh_from_db()
    assert pair.status == MatchStatus.COMPLETED
    assert MatchingRun.objects.count() == 0
    assert pair.ended_at is not None
    assert timezone.now() - pair.ended_at < timedelta(minutes=1)
