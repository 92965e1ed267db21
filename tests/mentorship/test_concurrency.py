"""Races that must be impossible, proved with real threads on PostgreSQL."""

from __future__ import annotations

import importlib
import threading

import pytest
from django.db import IntegrityError, connection, transaction

import mentorship.dags
from community.notifications.models import Notification
from mentorship import services
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.errors import AlreadyPublished, MatchingFailed
from mentorship.models import Match, MatchingRun
from tests.factories import BuilderFactory
from tests.mentorship.factories import BatchFactory, MatchFactory, MentorApplicationFactory
from workflows.dagbag import reset_dagbag
from workflows.models import DagRun

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*actions):
    """Start the actions on threads at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def worker(index: int, action) -> None:
        try:
            barrier.wait()
            outcomes[index] = action()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_builders_publishing_at_once_publish_once() -> None:
    batch = BatchFactory(status=BatchStatus.PROPOSED)
    pairs = [MatchFactory(batch=batch, status=MatchStatus.APPROVED) for _ in range(3)]
    rosa, sam = BuilderFactory(username="rosa"), BuilderFactory(username="sam")

    outcomes = run_together(
        lambda: services.publish_batch(batch=batch, by=rosa), lambda: services.publish_batch(batch=batch, by=sam)
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], AlreadyPublished)
    # Two runs of the publication emails job at once share the batch: each email is queued once.
    queued = run_together(services.queue_publication_emails, services.queue_publication_emails)
    assert sorted(queued) == [0, 2 * len(pairs)]
    assert Notification.objects.filter(key__startswith="mentorship-published:").count() == 2 * len(pairs)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PUBLISHED


def test_database_refuses_a_mentee_in_two_live_pairs() -> None:
    first = MatchFactory(status=MatchStatus.APPROVED)
    other_mentor = MentorApplicationFactory(batch=first.batch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(
            batch=first.batch,
            mentor_application=other_mentor,
            mentee_application=first.mentee_application,
            status=MatchStatus.PROPOSED,
        )


def test_two_concurrent_pairings_of_one_mentee_leave_one() -> None:
    batch = BatchFactory(status=BatchStatus.PROPOSED)
    first = MatchFactory(batch=batch, status=MatchStatus.REJECTED)
    mentors = [MentorApplicationFactory(batch=batch) for _ in range(2)]

    def pair_with(mentor):
        with transaction.atomic():
            return Match.objects.create(
                batch=batch, mentor_application=mentor, mentee_application=first.mentee_application
            )

    outcomes = run_together(lambda: pair_with(mentors[0]), lambda: pair_with(mentors[1]))

    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1
    assert Match.objects.filter(mentee_application=first.mentee_application, status=MatchStatus.PROPOSED).count() == 1


@pytest.fixture
def matching_dag():
    """The DAG file as built under this test's settings (it reads the executors when it is built)."""
    importlib.reload(mentorship.dags)
    reset_dagbag()
    yield
    reset_dagbag()


def test_two_builders_running_matching_at_once_start_one_run(matching_dag) -> None:
    batch = BatchFactory(status=BatchStatus.CLOSED)
    rosa, sam = BuilderFactory(username="rosa"), BuilderFactory(username="sam")

    outcomes = run_together(
        lambda: services.schedule_matching_run(batch=batch, by=rosa),
        lambda: services.schedule_matching_run(batch=batch, by=sam),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert [type(e) for e in errors] == [MatchingFailed]
    assert str(errors[0]).startswith("A matching run is already starting")
    assert MatchingRun.objects.filter(batch=batch).count() == 1
    assert DagRun.objects.filter(dag__dag_id="mentor_matching").count() == 1
