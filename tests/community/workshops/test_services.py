import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from community.notifications.models import Notification
from community.notifications.services import deliver_pending
from community.workshops.enums import RegistrationStatus
from community.workshops.errors import (
    AlreadyRegistered,
    AttendanceTooEarly,
    CannotCancel,
    NotRegistered,
    RegistrationClosed,
)
from community.workshops.models import Registration, Workshop
from community.workshops.queries import waitlist_position
from community.workshops.services import (
    add_recording,
    cancel_registration,
    mark_attendance,
    promote_waitlisted,
    register,
)
from tests.community.workshops.factories import RegistrationFactory, WorkshopFactory
from tests.factories import UserFactory


@pytest.fixture
def send_now(monkeypatch):
    """The test's own transaction never commits: deliver each email as if its service call had committed
    and the delivery worker had run."""

    def commit_then_deliver(func, using=None, robust=False):
        func()
        deliver_pending()

    monkeypatch.setattr(transaction, "on_commit", commit_then_deliver)


def statuses(workshop):
    return list(workshop.registrations.order_by("pk").values_list("member__username", "status"))


@pytest.mark.django_db
def test_register_with_free_seat_confirms_and_emails_join_link_and_invite(mailoutbox, send_now):
    workshop = WorkshopFactory(title="Helm 101", capacity=2)
    member = UserFactory()

    registration = register(member=member, workshop=workshop)

    assert registration.status == RegistrationStatus.CONFIRMED
    [email] = mailoutbox
    assert email.subject == "You're in: Helm 101"
    assert workshop.join_url in email.body
    assert workshop.join_url in email.alternatives[0][0]
    [(filename, content, mimetype)] = email.attachments
    assert filename == f"{workshop.slug}.ics"
    assert mimetype.startswith("text/calendar")
    assert workshop.join_url in content.replace("\r\n ", "")


@pytest.mark.django_db
def test_register_when_full_waitlists_with_position_and_no_join_link(mailoutbox, send_now):
    workshop = WorkshopFactory(title="Helm 101", capacity=1)
    register(member=UserFactory(), workshop=workshop)
    first_waiting = register(member=UserFactory(), workshop=workshop)
    second_waiting = register(member=UserFactory(), workshop=workshop)

    assert (first_waiting.status, second_waiting.status) == ("waitlisted", "waitlisted")
    assert [waitlist_position(first_waiting), waitlist_position(second_waiting)] == [1, 2]
    waitlist_email = mailoutbox[2]
    assert waitlist_email.subject == "Waitlist #2: Helm 101"
    assert "position 2" in waitlist_email.body
    assert workshop.join_url not in waitlist_email.body
    assert workshop.join_url not in waitlist_email.alternatives[0][0]
    assert waitlist_email.attachments == []


@pytest.mark.django_db
def test_register_twice_is_refused():
    workshop = WorkshopFactory()
    member = UserFactory()
    register(member=member, workshop=workshop)
    with pytest.raises(AlreadyRegistered, match="already registered"):
        register(member=member, workshop=workshop)


@pytest.mark.django_db
def test_register_after_start_is_refused():
    workshop = WorkshopFactory(starts_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(RegistrationClosed, match="already started"):
        register(member=UserFactory(), workshop=workshop)


@pytest.mark.django_db
def test_register_again_after_cancelling_goes_to_the_back(send_now):
    workshop = WorkshopFactory(capacity=1)
    member = UserFactory(username="ada")
    register(member=member, workshop=workshop)
    cancel_registration(member=member, workshop=workshop)
    register(member=UserFactory(username="grace"), workshop=workshop)

    again = register(member=member, workshop=workshop)

    assert again.status == RegistrationStatus.WAITLISTED
    assert statuses(workshop) == [("ada", "cancelled"), ("grace", "confirmed"), ("ada", "waitlisted")]


@pytest.mark.django_db
def test_cancel_confirmed_promotes_first_waitlisted_and_emails_them(mailoutbox, send_now):
    workshop = WorkshopFactory(title="Helm 101", capacity=1)
    seated = UserFactory(username="seated")
    first = UserFactory(username="first", email="first@example.org")
    register(member=seated, workshop=workshop)
    register(member=first, workshop=workshop)
    register(member=UserFactory(username="second"), workshop=workshop)
    mailoutbox.clear()

    cancel_registration(member=seated, workshop=workshop)

    assert statuses(workshop) == [("seated", "cancelled"), ("first", "confirmed"), ("second", "waitlisted")]
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["seated@example.org"], "Cancelled: Helm 101"),
        (["first@example.org"], "A seat came free: you're in for Helm 101"),
    ]
    assert workshop.join_url in mailoutbox[1].body
    assert mailoutbox[1].attachments[0][0] == f"{workshop.slug}.ics"
    second = Registration.objects.get(member__username="second")
    assert waitlist_position(second) == 1


@pytest.mark.django_db
def test_cancel_waitlisted_promotes_nobody(mailoutbox, send_now):
    workshop = WorkshopFactory(capacity=1)
    register(member=UserFactory(username="seated"), workshop=workshop)
    waiting = UserFactory(username="waiting")
    register(member=waiting, workshop=workshop)
    register(member=UserFactory(username="behind"), workshop=workshop)

    cancel_registration(member=waiting, workshop=workshop)

    assert statuses(workshop) == [("seated", "confirmed"), ("waiting", "cancelled"), ("behind", "waitlisted")]
    assert waitlist_position(Registration.objects.get(member__username="behind")) == 1


@pytest.mark.django_db
def test_cancel_without_registration_or_after_start_is_refused():
    workshop = WorkshopFactory()
    with pytest.raises(NotRegistered):
        cancel_registration(member=UserFactory(), workshop=workshop)
    started = WorkshopFactory(starts_at=timezone.now() - timedelta(minutes=1))
    registration = RegistrationFactory(workshop=started)
    with pytest.raises(CannotCancel, match="already started"):
        cancel_registration(member=registration.member, workshop=started)


@pytest.mark.django_db
def test_promote_waitlisted_after_capacity_increase_fills_new_seats_in_order(send_now):
    workshop = WorkshopFactory(capacity=1)
    for name in ["a", "b", "c", "d"]:
        register(member=UserFactory(username=name), workshop=workshop)
    Workshop.objects.filter(pk=workshop.pk).update(capacity=3)

    promoted = promote_waitlisted(workshop=workshop)

    assert [r.member.username for r in promoted] == ["b", "c"]
    assert statuses(workshop) == [("a", "confirmed"), ("b", "confirmed"), ("c", "confirmed"), ("d", "waitlisted")]


@pytest.mark.django_db
def test_mark_attendance_records_who_came_and_can_be_corrected():
    workshop = WorkshopFactory(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    came = RegistrationFactory(workshop=workshop)
    missed = RegistrationFactory(workshop=workshop)
    waiting = RegistrationFactory(workshop=workshop, status=RegistrationStatus.WAITLISTED)

    assert mark_attendance(workshop=workshop, attended_registration_ids=[came.pk, waiting.pk]) == 1
    assert mark_attendance(workshop=workshop, attended_registration_ids=[missed.pk]) == 1

    came.refresh_from_db()
    missed.refresh_from_db()
    waiting.refresh_from_db()
    assert (came.status, missed.status, waiting.status) == ("confirmed", "attended", "waitlisted")


@pytest.mark.django_db
def test_mark_attendance_before_start_is_refused():
    workshop = WorkshopFactory()
    with pytest.raises(AttendanceTooEarly):
        mark_attendance(workshop=workshop, attended_registration_ids=[])


@pytest.mark.django_db
def test_add_recording_emails_every_seated_registrant_once(mailoutbox, send_now):
    workshop = WorkshopFactory(
        title="Helm 101", starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    attended = RegistrationFactory(workshop=workshop, status=RegistrationStatus.ATTENDED)
    missed = RegistrationFactory(workshop=workshop, status=RegistrationStatus.CONFIRMED)
    RegistrationFactory(workshop=workshop, status=RegistrationStatus.CANCELLED)

    add_recording(workshop=workshop, recording_url="https://video.example.org/helm")
    add_recording(workshop=workshop, recording_url="https://video.example.org/helm-fixed")

    assert sorted(m.to[0] for m in mailoutbox) == sorted([attended.member.email, missed.member.email])
    assert all(m.subject == "Recording: Helm 101" for m in mailoutbox)
    assert all("https://video.example.org/helm" in m.body for m in mailoutbox)
    by_address = {m.to[0]: m.body for m in mailoutbox}
    assert "Thank you for joining us live." in by_address[attended.member.email]
    assert "We missed you on the day" in by_address[missed.member.email]
    workshop.refresh_from_db()
    assert workshop.recording_url == "https://video.example.org/helm-fixed"


@pytest.mark.django_db
def test_confirmation_email_shows_time_in_recipients_zone(mailoutbox, send_now):
    from datetime import UTC, datetime

    workshop = WorkshopFactory(
        starts_at=datetime(2030, 7, 2, 16, 0, tzinfo=UTC), ends_at=datetime(2030, 7, 2, 17, 30, tzinfo=UTC)
    )
    member = UserFactory(profile__time_zone="America/New_York")

    register(member=member, workshop=workshop)

    assert "When: Tuesday 2 July 2030, 12:00\N{EN DASH}13:30 (America/New_York, EDT)" in mailoutbox[0].body


def _register_in_thread(workshop_id, member_id, barrier, connections, results, index):
    try:
        barrier.wait(timeout=60)
        with connections:
            registration = register(
                member=UserFactory._meta.model.objects.get(pk=member_id), workshop=Workshop(pk=workshop_id)
            )
            results[index] = (registration.pk, registration.status)
            connection.close()
    except Exception as exc:  # noqa: BLE001 - reported by the assertion below
        results[index] = exc
    finally:
        connection.close()


def _spare_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_register_100_concurrent_for_20_seats_gives_20_confirmed_80_waitlisted_in_arrival_order(settings):
    workshop = WorkshopFactory(capacity=20)
    members = [UserFactory() for _ in range(100)]
    results: list = [None] * 100
    # All 100 threads are released together. Each opens its own connection, but no more at once than
    # the server has free (less a margin), so a PostgreSQL shared with other suites is not exhausted.
    barrier = threading.Barrier(100)
    connections = threading.BoundedSemaphore(min(100, max(_spare_connections() - 10, 10)))
    threads = [
        threading.Thread(target=_register_in_thread, args=(workshop.pk, member.pk, barrier, connections, results, i))
        for i, member in enumerate(members)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [r for r in results if not isinstance(r, tuple)] == []
    arrival = sorted(results)  # ids are handed out under the workshop lock, so id order is arrival order
    assert [status for _, status in arrival] == ["confirmed"] * 20 + ["waitlisted"] * 80
    waitlisted = Registration.objects.filter(workshop=workshop, status="waitlisted").order_by("pk")
    assert [waitlist_position(r) for r in waitlisted] == list(range(1, 81))
    assert list(waitlisted.values_list("pk", flat=True)) == list(
        waitlisted.order_by("queued_at", "pk").values_list("pk", flat=True)
    )
    assert Notification.objects.filter(key__startswith="workshop-confirmed:").count() == 20
    waitlist_subjects = set(
        Notification.objects.filter(key__startswith="workshop-waitlisted:").values_list("subject", flat=True)
    )
    assert len(waitlist_subjects) == 80, "each waitlisted member is told a distinct position"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_concurrently_promotes_each_waitlisted_member_once(settings):
    workshop = WorkshopFactory(capacity=5)
    seated = [RegistrationFactory(workshop=workshop) for _ in range(5)]
    waiting = [RegistrationFactory(workshop=workshop, status="waitlisted") for _ in range(8)]
    barrier = threading.Barrier(5)
    errors: list = []

    def cancel(member_id):
        try:
            barrier.wait(timeout=60)
            cancel_registration(
                member=UserFactory._meta.model.objects.get(pk=member_id), workshop=Workshop(pk=workshop.pk)
            )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(r.member_id,)) for r in seated]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    confirmed = Registration.objects.filter(workshop=workshop, status="confirmed").order_by("pk")
    assert [r.pk for r in confirmed] == [r.pk for r in waiting[:5]]
    assert Notification.objects.filter(key__startswith="workshop-promoted:").count() == 5
