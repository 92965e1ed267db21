"""The daily follow-up of published batches: check-ins, feedback requests, the builders' not-met list,
and places that open for waiting mentees; each rule around its thresholds, across zones and reruns."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from community.notifications import services as outbox
from community.notifications.enums import EmailKind
from community.notifications.models import EmailPreferences, Notification
from mentorship import services
from mentorship.dags import mentorship_followups
from mentorship.enums import BatchStatus, FeedbackStage, MatchStatus
from mentorship.errors import FollowUpRefused
from mentorship.models import CheckIn, MenteeApplication
from mentorship.services.nudges import feedback_stage_due
from tests.factories import BuilderFactory, UserFactory
from tests.mentorship.factories import BatchFactory, MatchFactory, MenteeApplicationFactory, MentorApplicationFactory
from tests.mentorship.test_concurrency import run_together

pytestmark = pytest.mark.django_db

BERLIN, NEW_YORK, KOLKATA, AUCKLAND = "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"
PUBLISHED_AT = datetime(2025, 3, 1, 18, 30, tzinfo=UTC)


def program_batch(**kwargs) -> object:
    """A published 12-week program: 3 March to 26 May 2025 (middle 14 April, last week from 20 May)."""
    defaults = {
        "status": BatchStatus.PUBLISHED,
        "published_at": PUBLISHED_AT,
        "applications_open_at": datetime(2025, 1, 1, tzinfo=UTC),
        "applications_close_at": datetime(2025, 2, 1, tzinfo=UTC),
        "program_starts_on": date(2025, 3, 3),
        "program_ends_on": date(2025, 5, 26),
    }
    return BatchFactory(**{**defaults, **kwargs})


def member_in(zone: str, **kwargs):
    return UserFactory(profile__time_zone=zone, **kwargs)


def pair_in(batch, *, mentor_zone: str = BERLIN, mentee_zone: str = BERLIN, status: str = MatchStatus.APPROVED):
    """A running pair whose sides live (profile and application) in the given zones, with check-ins."""
    pair = MatchFactory(
        batch=batch,
        status=status,
        mentor_application__member=member_in(mentor_zone),
        mentor_application__time_zone=mentor_zone,
        mentee_application__member=member_in(mentee_zone),
        mentee_application__time_zone=mentee_zone,
    )
    for member in (pair.mentor, pair.mentee):
        CheckIn.objects.create(match=pair, member=member)
    return pair


def mentorship_off(member) -> None:
    EmailPreferences.objects.create(user=member, mentorship=False)


def sent(prefix: str) -> set[tuple[str, str]]:
    """(key, address) of every queued email whose key starts with `prefix`."""
    return set(Notification.objects.filter(key__startswith=prefix).values_list("key", "to"))


def feedback_key(stage: str, pair, member) -> str:
    return f"mentorship-feedback-request:{stage}:{pair.pk}:{member.pk}"


# "Have you met?" --------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK, KOLKATA, AUCKLAND])
def test_check_in_is_asked_fourteen_days_to_the_minute_after_publishing_in_every_zone(zone) -> None:
    pair = pair_in(program_batch(), mentor_zone=zone, mentee_zone=zone)
    due = PUBLISHED_AT + timedelta(days=14)

    assert services.ask_check_ins(now=due - timedelta(minutes=1)) == 0
    assert services.ask_check_ins(now=due) == 2

    check_ins = {c.member_id: c.pk for c in CheckIn.objects.filter(match=pair)}
    assert sent("mentorship-check-in:") == {
        (f"mentorship-check-in:{check_ins[pair.mentor.pk]}", pair.mentor.email),
        (f"mentorship-check-in:{check_ins[pair.mentee.pk]}", pair.mentee.email),
    }
    assert set(Notification.objects.filter(key__startswith="mentorship-check-in:").values_list("kind", flat=True)) == {
        EmailKind.MENTORSHIP
    }


def test_check_in_is_not_asked_again_on_later_days() -> None:
    pair_in(program_batch())
    due = PUBLISHED_AT + timedelta(days=14)
    assert [services.ask_check_ins(now=due + timedelta(days=d)) for d in range(3)] == [2, 0, 0]
    assert Notification.objects.filter(key__startswith="mentorship-check-in:").count() == 2


def test_check_in_is_not_asked_of_a_member_who_turned_mentorship_email_off() -> None:
    pair = pair_in(program_batch(), mentor_zone=KOLKATA, mentee_zone=NEW_YORK)
    mentorship_off(pair.mentor)

    assert services.ask_check_ins(now=PUBLISHED_AT + timedelta(days=15)) == 1

    assert [to for _, to in sent("mentorship-check-in:")] == [pair.mentee.email]
    mentor_check_in = CheckIn.objects.get(match=pair, member=pair.mentor)
    assert (mentor_check_in.asked_at, mentor_check_in.met) == (None, None)


def test_check_in_is_not_asked_of_a_pair_that_ended_early() -> None:
    pair = pair_in(program_batch(), status=MatchStatus.ENDED_EARLY)
    assert services.ask_check_ins(now=PUBLISHED_AT + timedelta(days=15)) == 0
    assert sent("mentorship-check-in:") == set()
    assert pair.check_ins.filter(asked_at__isnull=False).count() == 0


# Feedback requests -------------------------------------------------------------------------------


def test_feedback_stage_follows_the_middle_and_the_last_week_of_the_program() -> None:
    batch = program_batch()
    days = {
        date(2025, 3, 2): None,
        date(2025, 3, 3): None,
        date(2025, 4, 13): None,
        date(2025, 4, 14): FeedbackStage.MID,
        date(2025, 5, 19): FeedbackStage.MID,
        date(2025, 5, 20): FeedbackStage.END,
        date(2025, 5, 26): FeedbackStage.END,
        date(2025, 5, 27): None,
    }
    assert {day: feedback_stage_due(batch, day) for day in days} == days


def test_feedback_last_week_length_is_a_setting(settings) -> None:
    settings.MENTORSHIP_FEEDBACK_END_DAYS = 3
    batch = program_batch()
    assert [feedback_stage_due(batch, date(2025, 5, d)) for d in (23, 24, 26)] == [
        FeedbackStage.MID,
        FeedbackStage.END,
        FeedbackStage.END,
    ]


def test_short_program_asks_only_for_end_of_program_feedback() -> None:
    batch = program_batch(program_starts_on=date(2025, 3, 3), program_ends_on=date(2025, 3, 10))
    stages = {feedback_stage_due(batch, date(2025, 3, 3) + timedelta(days=d)) for d in range(-1, 9)}
    assert stages == {None, FeedbackStage.END}


def test_mid_program_feedback_is_asked_on_each_side_local_middle_day() -> None:
    batch = program_batch()
    far = pair_in(batch, mentor_zone=AUCKLAND, mentee_zone=NEW_YORK)
    near = pair_in(batch, mentor_zone=BERLIN, mentee_zone=KOLKATA)
    mid = FeedbackStage.MID

    # 11:59 UTC on 13 April is 23:59 in Auckland; noon is midnight of the middle day there.
    assert services.ask_for_feedback(now=datetime(2025, 4, 13, 11, 59, tzinfo=UTC)) == 0
    assert services.ask_for_feedback(now=datetime(2025, 4, 13, 12, 0, tzinfo=UTC)) == 1
    assert sent("mentorship-feedback-request:") == {(feedback_key(mid, far, far.mentor), far.mentor.email)}

    # 03:59 UTC on the 14th: Berlin and Kolkata are on the 14th, New York still on the 13th.
    assert services.ask_for_feedback(now=datetime(2025, 4, 14, 3, 59, tzinfo=UTC)) == 2
    assert services.ask_for_feedback(now=datetime(2025, 4, 14, 4, 0, tzinfo=UTC)) == 1
    assert sent("mentorship-feedback-request:") == {
        (feedback_key(mid, far, far.mentor), far.mentor.email),
        (feedback_key(mid, far, far.mentee), far.mentee.email),
        (feedback_key(mid, near, near.mentor), near.mentor.email),
        (feedback_key(mid, near, near.mentee), near.mentee.email),
    }
    assert services.ask_for_feedback(now=datetime(2025, 4, 20, 7, 0, tzinfo=UTC)) == 0


def test_end_of_program_feedback_starts_with_the_last_week_in_each_zone() -> None:
    pair = pair_in(program_batch(), mentor_zone=AUCKLAND, mentee_zone=NEW_YORK)
    end = FeedbackStage.END

    # 20 May 00:30 in Auckland is 19 May 12:30 UTC (NZST, UTC+12) and 08:30 on the 19th in New York.
    assert services.ask_for_feedback(now=datetime(2025, 5, 19, 11, 59, tzinfo=UTC)) == 2  # both still mid
    assert services.ask_for_feedback(now=datetime(2025, 5, 19, 12, 30, tzinfo=UTC)) == 1
    assert services.ask_for_feedback(now=datetime(2025, 5, 20, 3, 59, tzinfo=UTC)) == 0
    assert services.ask_for_feedback(now=datetime(2025, 5, 20, 4, 0, tzinfo=UTC)) == 1
    assert {key for key, _ in sent(f"mentorship-feedback-request:{end}:")} == {
        feedback_key(end, pair, pair.mentor),
        feedback_key(end, pair, pair.mentee),
    }


def test_end_of_program_feedback_is_not_asked_after_the_last_day() -> None:
    pair_in(program_batch(), mentor_zone=KOLKATA, mentee_zone=BERLIN)
    # 27 May 00:00 in Kolkata and 20:30 on the 26th in Berlin: only Berlin is still in the program.
    assert services.ask_for_feedback(now=datetime(2025, 5, 26, 18, 30, tzinfo=UTC)) == 1
    assert [key.split(":")[1] for key, _ in sent("mentorship-feedback-request:")] == [FeedbackStage.END]


def test_feedback_is_not_asked_of_who_gave_it_or_turned_mentorship_email_off() -> None:
    batch = program_batch()
    gave, silenced = pair_in(batch), pair_in(batch)
    services.give_feedback(match_=gave, member=gave.mentee, stage=FeedbackStage.MID, rating=4)
    services.give_feedback(match_=gave, member=gave.mentor, stage=FeedbackStage.END, rating=4)
    mentorship_off(silenced.mentor)

    assert services.ask_for_feedback(now=datetime(2025, 4, 15, 9, 0, tzinfo=UTC)) == 2
    assert {key for key, _ in sent("mentorship-feedback-request:")} == {
        feedback_key(FeedbackStage.MID, gave, gave.mentor),
        feedback_key(FeedbackStage.MID, silenced, silenced.mentee),
    }


def test_feedback_is_not_asked_of_pairs_that_ended_or_batches_not_published() -> None:
    pair_in(program_batch(), status=MatchStatus.ENDED_EARLY)
    pair_in(program_batch(status=BatchStatus.PROPOSED, published_at=None), status=MatchStatus.APPROVED)
    assert services.ask_for_feedback(now=datetime(2025, 4, 15, 9, 0, tzinfo=UTC)) == 0


def test_feedback_request_links_to_the_feedback_form_of_the_pair() -> None:
    pair = pair_in(program_batch(status=BatchStatus.ACTIVE), status=MatchStatus.ACTIVE)
    services.ask_for_feedback(now=datetime(2025, 5, 21, 9, 0, tzinfo=UTC))

    email = Notification.objects.get(key=feedback_key(FeedbackStage.END, pair, pair.mentee))
    link = settings.SITE_URL + reverse("mentorship:match", kwargs={"pk": pair.pk}) + "#feedback-heading"
    assert email.kind == EmailKind.MENTORSHIP
    assert email.subject == f"{pair.batch.name} ends soon: how was it with {pair.mentor.display_name}?"
    assert link in email.body_text
    assert link in email.body_html
    assert "ends on 26 May 2025" in email.body_text


# The builders' list of pairs that have not met ---------------------------------------------------


def test_builders_get_the_pairs_that_have_not_met_once_a_day() -> None:
    batch = program_batch()
    said_no, said_yes = pair_in(batch), pair_in(batch)
    services.answer_check_in(match_=said_no, member=said_no.mentee, met=False)
    services.answer_check_in(match_=said_yes, member=said_yes.mentor, met=True)
    first, second = BuilderFactory(), BuilderFactory()
    UserFactory()  # a member who is not a builder hears nothing
    morning = datetime(2025, 3, 20, 7, 0, tzinfo=UTC)

    assert services.tell_builders_pairs_not_met(now=morning) == 2
    assert services.tell_builders_pairs_not_met(now=morning + timedelta(hours=5)) == 0
    assert sent("mentorship-not-met:") == {
        (f"mentorship-not-met:{batch.pk}:2025-03-20:{first.pk}", first.email),
        (f"mentorship-not-met:{batch.pk}:2025-03-20:{second.pk}", second.email),
    }
    email = Notification.objects.get(key=f"mentorship-not-met:{batch.pk}:2025-03-20:{first.pk}")
    report = settings.SITE_URL + reverse("mentorship:report", kwargs={"slug": batch.slug}) + "#notmet-heading"
    assert email.kind == EmailKind.TRANSACTIONAL
    assert email.subject == f"{batch.name}: 1 pair has not met"
    assert f"{said_no.mentor.display_name} (mentor) → {said_no.mentee.display_name} (mentee)" in email.body_text
    assert said_yes.mentee.display_name not in email.body_text
    assert report in email.body_text
    assert report in email.body_html

    assert services.tell_builders_pairs_not_met(now=morning + timedelta(days=1)) == 2


def test_builders_hear_nothing_when_every_pair_has_met_or_is_not_due() -> None:
    batch = program_batch()
    met, waiting = pair_in(batch), pair_in(batch)
    services.answer_check_in(match_=met, member=met.mentee, met=True)
    CheckIn.objects.filter(match=waiting).update(asked_at=datetime(2025, 3, 15, 7, 0, tzinfo=UTC))
    BuilderFactory()

    # Silent for six days and 23 hours: not yet flagged; a week: flagged.
    assert services.tell_builders_pairs_not_met(now=datetime(2025, 3, 22, 6, 0, tzinfo=UTC)) == 0
    assert services.tell_builders_pairs_not_met(now=datetime(2025, 3, 22, 7, 0, tzinfo=UTC)) == 1
    assert Notification.objects.get(key__startswith="mentorship-not-met:").subject == (
        f"{batch.name}: 1 pair has not met"
    )


# Places that open for waiting mentees ------------------------------------------------------------


def waiting_mentee(batch, *, zone: str = BERLIN, applied_days_ago: int = 60) -> MenteeApplication:
    application = MenteeApplicationFactory(batch=batch, member=member_in(zone), time_zone=zone)
    MenteeApplication.objects.filter(pk=application.pk).update(
        created_at=timezone.now() - timedelta(days=applied_days_ago)
    )
    return application


def place_emails() -> list[tuple[str, str]]:
    return sorted(sent("mentorship-place-open:"))


def test_no_waiting_mentee_is_told_while_no_place_is_open() -> None:
    batch = program_batch()
    pair_in(batch)  # its mentor takes one mentee and has one
    waiting_mentee(batch)
    assert services.tell_waiting_mentees_places_open() == 0
    assert place_emails() == []


def test_pair_ended_early_opens_a_place_for_the_first_waiting_mentee_once() -> None:
    batch = program_batch()
    pair = pair_in(batch, mentor_zone=AUCKLAND, mentee_zone=KOLKATA)
    later = waiting_mentee(batch, zone=NEW_YORK, applied_days_ago=30)
    earlier = waiting_mentee(batch, zone=BERLIN, applied_days_ago=50)

    services.end_match_early(match_=pair, by=pair.mentor, reason="We could never find a time.")
    # The mentee of the ended pair is in the rematch queue now, and the queue is served first.
    assert services.tell_waiting_mentees_places_open() == 1
    assert services.tell_waiting_mentees_places_open() == 0

    opening = f"{pair.mentor_application_id}.1.1"
    assert place_emails() == [(f"mentorship-place-open:{opening}:{pair.mentee.pk}", pair.mentee.email)]
    assert {later.member.email, earlier.member.email}.isdisjoint(to for _, to in place_emails())
    email = Notification.objects.get(key__startswith="mentorship-place-open:")
    assert email.kind == EmailKind.MENTORSHIP
    assert "You are already in the rematch queue" in email.body_text


def test_capacity_increase_opens_a_place_offered_by_application_time() -> None:
    batch = program_batch()
    pair = pair_in(batch)
    later = waiting_mentee(batch, zone=NEW_YORK, applied_days_ago=30)
    earlier = waiting_mentee(batch, zone=AUCKLAND, applied_days_ago=50)

    pair.mentor_application.capacity = 2
    pair.mentor_application.save()
    assert services.tell_waiting_mentees_places_open() == 1

    opening = f"{pair.mentor_application_id}.2.0"
    assert place_emails() == [(f"mentorship-place-open:{opening}:{earlier.member.pk}", earlier.member.email)]
    email = Notification.objects.get(key__startswith="mentorship-place-open:")
    join = settings.SITE_URL + reverse("mentorship:home") + "#applications-heading"
    assert email.subject == f"{batch.name}: a mentor has a place open"
    assert "Join the rematch queue" in email.body_text
    assert join in email.body_text
    assert join in email.body_html
    assert later.member.email not in email.to


def test_each_new_opening_reaches_the_next_mentees_without_repeating_the_first() -> None:
    batch = program_batch()
    first_pair, second_pair = pair_in(batch), pair_in(batch)
    first, second = waiting_mentee(batch, applied_days_ago=50), waiting_mentee(batch, applied_days_ago=40)

    services.end_match_early(match_=first_pair, by=first_pair.mentee, reason="Moved to another continent.")
    assert services.tell_waiting_mentees_places_open() == 1  # the rematch queue: first_pair's mentee

    second_pair.mentor_application.capacity = 2
    second_pair.mentor_application.save()
    assert services.tell_waiting_mentees_places_open() == 1
    assert [to for _, to in place_emails()] == sorted([first_pair.mentee.email, first.member.email])
    assert second.member.email not in {to for _, to in place_emails()}


def test_waiting_mentee_with_mentorship_email_off_is_passed_over() -> None:
    batch = program_batch()
    pair = pair_in(batch)
    quiet = waiting_mentee(batch, applied_days_ago=50)
    next_in_line = waiting_mentee(batch, applied_days_ago=40)
    mentorship_off(quiet.member)

    pair.mentor_application.capacity = 2
    pair.mentor_application.save()
    assert services.tell_waiting_mentees_places_open() == 1
    assert [to for _, to in place_emails()] == [next_in_line.member.email]


def test_places_in_batches_not_published_are_not_announced() -> None:
    batch = program_batch(status=BatchStatus.COMPLETED)
    MentorApplicationFactory(batch=batch, capacity=3)
    waiting_mentee(batch)
    assert services.tell_waiting_mentees_places_open() == 0


# Joining the rematch queue -----------------------------------------------------------------------


def test_waiting_mentee_joins_the_rematch_queue_from_the_mentorship_page(client) -> None:
    batch = program_batch()
    application = waiting_mentee(batch)
    client.force_login(application.member)

    page = client.get(reverse("mentorship:home"))
    assert "Join the rematch queue" in page.text

    response = client.post(reverse("mentorship:join_rematch_queue", args=[application.pk]), follow=True)
    application.refresh_from_db()
    assert application.rematch_requested_at is not None
    assert "You are in the rematch queue" in response.text
    joined = timezone.localdate(application.rematch_requested_at, zoneinfo.ZoneInfo(BERLIN))
    assert f"In the rematch queue since {joined.day} {joined:%B %Y}" in response.text


def test_joining_the_rematch_queue_again_keeps_the_first_time() -> None:
    application = waiting_mentee(program_batch())
    first = services.join_rematch_queue(application=application, member=application.member).rematch_requested_at
    again = services.join_rematch_queue(application=application, member=application.member).rematch_requested_at
    assert again == first


def test_rematch_queue_refuses_a_mentee_who_has_a_mentor(client) -> None:
    pair = pair_in(program_batch())
    client.force_login(pair.mentee)
    response = client.post(reverse("mentorship:join_rematch_queue", args=[pair.mentee_application_id]), follow=True)
    assert f"You already have a mentor in {pair.batch.name}." in response.text
    assert MenteeApplication.objects.get(pk=pair.mentee_application_id).rematch_requested_at is None


def test_rematch_queue_of_another_member_is_not_found_and_get_is_refused(client) -> None:
    application = waiting_mentee(program_batch())
    client.force_login(UserFactory())
    url = reverse("mentorship:join_rematch_queue", args=[application.pk])
    assert client.post(url).status_code == 404
    client.force_login(application.member)
    assert client.get(url).status_code == 405


def test_rematch_queue_opens_only_once_pairs_are_published() -> None:
    application = waiting_mentee(program_batch(status=BatchStatus.PROPOSED, published_at=None))
    with pytest.raises(FollowUpRefused) as refused:
        services.join_rematch_queue(application=application, member=application.member)
    assert str(refused.value) == f"The rematch queue of {application.batch.name} opens once its pairs are published."


# The DAG: every task retried after a failure, and rerun, sends each email once ---------------------


def test_mentorship_followups_dag_runs_four_independent_tasks_daily() -> None:
    assert mentorship_followups.dag_id == "mentorship_followups"
    assert mentorship_followups.schedule == "0 7 * * *"
    assert mentorship_followups.downstream == {
        "ask_check_ins": set(),
        "ask_for_feedback": set(),
        "tell_builders_pairs_not_met": set(),
        "tell_waiting_mentees_places_open": set(),
    }


@pytest.fixture
def everything_due():
    """Today, with real time: two pairs halfway through a program published 15 days ago, one of them
    not met; a mentor with two places open and two mentees waiting; two builders."""
    today = timezone.localdate()
    batch = program_batch(
        published_at=timezone.now() - timedelta(days=15),
        program_starts_on=today - timedelta(days=50),
        program_ends_on=today + timedelta(days=40),
    )
    not_met, met = pair_in(batch, mentor_zone=AUCKLAND, mentee_zone=NEW_YORK), pair_in(batch, mentee_zone=KOLKATA)
    services.answer_check_in(match_=not_met, member=not_met.mentee, met=False)
    services.answer_check_in(match_=met, member=met.mentor, met=True)
    MentorApplicationFactory(batch=batch, capacity=2)
    for days in (20, 10):
        waiting_mentee(batch, applied_days_ago=days)
    BuilderFactory.create_batch(2)


TASKS = {
    "ask_check_ins": ("mentorship-check-in:", 2),  # the two who answered on the match page are not asked
    "ask_for_feedback": ("mentorship-feedback-request:", 4),
    "tell_builders_pairs_not_met": ("mentorship-not-met:", 2),
    "tell_waiting_mentees_places_open": ("mentorship-place-open:", 2),
}


@pytest.mark.parametrize("task_id", TASKS)
@pytest.mark.usefixtures("everything_due")
def test_task_retried_after_failing_midway_then_rerun_sends_each_email_once(task_id, monkeypatch) -> None:
    prefix, expected = TASKS[task_id]
    task = mentorship_followups.tasks[task_id]
    render, calls = outbox.render_email, []

    def fails_on_the_second_email(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise ConnectionError("template storage unavailable")
        return render(*args, **kwargs)

    monkeypatch.setattr(outbox, "render_email", fails_on_the_second_email)
    with pytest.raises(ConnectionError):
        task.python_callable()
    assert sent(prefix) == set()  # the failed try left nothing half-sent

    first, second = task.python_callable(), task.python_callable()
    assert (list(first.values()), list(second.values())) == ([expected], [0])
    assert Notification.objects.filter(key__startswith=prefix).count() == expected
    assert len(calls) == 2 + expected  # the failed try rendered two, the retry the rest, the rerun none


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("everything_due")
def test_two_schedulers_running_every_task_at_once_queue_each_email_once() -> None:
    def every_task() -> list[int]:
        return [next(iter(mentorship_followups.tasks[t].python_callable().values())) for t in TASKS]

    outcomes = run_together(every_task, every_task)

    assert [sum(counts) for counts in zip(*outcomes, strict=True)] == [expected for _, expected in TASKS.values()]
    queued = {prefix: Notification.objects.filter(key__startswith=prefix).count() for prefix, _ in TASKS.values()}
    assert queued == dict(TASKS.values())
