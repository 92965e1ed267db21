"""Reminders before a coffee chat: both sides, each in their own zone, at the chat's current time only, once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from community.chats.dags import coffee_chat_reminders, send_reminders
from community.chats.enums import ChatStatus
from community.chats.reminders import send_chat_reminders
from community.chats.services import book_chat, reschedule_chat
from community.notifications.enums import EmailKind
from community.notifications.models import EmailPreferences, Notification
from community.notifications.services import deliver_pending
from tests.community.chats.conftest import open_slots
from tests.community.chats.factories import CoffeeChatFactory, HostFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)


def _chat(start: datetime, *, guest_zone: str = "America/New_York", host_zone: str = "Europe/Berlin", **kwargs):
    host = HostFactory(
        user__username="hanna", user__profile__display_name="Hanna Host", user__profile__time_zone=host_zone
    )
    guest = UserFactory(username="grace", profile__display_name="Grace Guest", profile__time_zone=guest_zone)
    return CoffeeChatFactory(host=host, guest=guest, start=start, end=start + timedelta(minutes=30), **kwargs)


def _reminders() -> list[Notification]:
    return list(Notification.objects.filter(template="chat_reminder").order_by("pk"))


def _sent() -> list[tuple[str, str]]:
    """(address, which reminder) for each reminder queued, oldest first."""
    return [(n.to, n.key.split(":")[0].removeprefix("chat-reminder-")) for n in _reminders()]


def _line(notification: Notification, label: str) -> str:
    return next(line for line in notification.body_text.splitlines() if line.startswith(label))


# Starts on nights when the clocks change in one side's zone; each side must read their own local time.
DST_CASES = [
    # Europe moves to summer time on 28 March 2027 at 01:00 UTC.
    (
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
        ("Europe/Berlin", "Sunday 28 March 2027, 03:30-04:00 (Europe/Berlin)"),
        ("Pacific/Auckland", "Sunday 28 March 2027, 14:30-15:00 (Pacific/Auckland)"),
    ),
    # Europe goes back on 31 October 2027: 02:30 happens twice in Berlin; this is the second one.
    (
        datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
        ("America/New_York", "Saturday 30 October 2027, 21:30-22:00 (America/New_York)"),
        ("Europe/Berlin", "Sunday 31 October 2027, 02:30-03:00 (Europe/Berlin)"),
    ),
    # New York springs forward on 14 March 2027; Kolkata keeps its offset all year.
    (
        datetime(2027, 3, 14, 7, 30, tzinfo=UTC),
        ("America/New_York", "Sunday 14 March 2027, 03:30-04:00 (America/New_York)"),
        ("Asia/Kolkata", "Sunday 14 March 2027, 13:00-13:30 (Asia/Kolkata)"),
    ),
    # Auckland leaves summer time on 4 April 2027 (02:30 twice, this is the second one).
    (
        datetime(2027, 4, 3, 14, 30, tzinfo=UTC),
        ("Pacific/Auckland", "Sunday 4 April 2027, 02:30-03:00 (Pacific/Auckland)"),
        ("America/New_York", "Saturday 3 April 2027, 10:30-11:00 (America/New_York)"),
    ),
]


@pytest.mark.parametrize(("start", "guest", "host"), DST_CASES)
def test_both_sides_read_their_own_local_time_across_clock_changes(start, guest, host):
    (guest_zone, guest_when), (host_zone, host_when) = guest, host
    _chat(start, guest_zone=guest_zone, host_zone=host_zone)

    assert send_chat_reminders(now=start - DAY) == {"24h": 2, "1h": 0}
    assert send_chat_reminders(now=start - HOUR) == {"24h": 0, "1h": 2}

    assert [(n.to, _line(n, "When: ")) for n in _reminders()] == [
        ("grace@example.org", f"When: {guest_when}"),
        ("hanna@example.org", f"When: {host_when}"),
        ("grace@example.org", f"When: {guest_when}"),
        ("hanna@example.org", f"When: {host_when}"),
    ]
    assert [n.subject for n in _reminders()] == [
        f"Reminder: coffee chat with Hanna Host in 1 day, {guest_when}",
        f"Reminder: coffee chat with Grace Guest in 1 day, {host_when}",
        f"Reminder: coffee chat with Hanna Host in 1 hour, {guest_when}",
        f"Reminder: coffee chat with Grace Guest in 1 hour, {host_when}",
    ]


def test_reminder_offers_absolute_cancel_and_reschedule_links(settings):
    settings.SITE_URL = "https://wicn.example.org"
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    chat = _chat(start)

    send_chat_reminders(now=start - timedelta(hours=3, minutes=20))

    guest_mail = _reminders()[0]
    assert guest_mail.kind == EmailKind.REMINDERS
    assert [_line(guest_mail, label) for label in ("Reschedule: ", "Cancel: ")] == [
        f"Reschedule: https://wicn.example.org/chats/{chat.pk}/reschedule/",
        f"Cancel: https://wicn.example.org/chats/{chat.pk}/cancel/",
    ]
    assert f'href="https://wicn.example.org/chats/{chat.pk}/cancel/"' in guest_mail.body_html
    assert "Your coffee chat with Hanna Host starts in 3 hours, 20 minutes." in guest_mail.body_text


def test_cancelled_chat_gets_no_reminder():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    _chat(start, status=ChatStatus.CANCELLED)

    assert send_chat_reminders(now=start - DAY) == {"24h": 0, "1h": 0}
    assert send_chat_reminders(now=start - HOUR) == {"24h": 0, "1h": 0}
    assert _reminders() == []


def test_reminders_are_not_due_outside_their_windows():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    _chat(start)

    for now in (start - DAY - timedelta(minutes=1), start, start + HOUR):
        assert send_chat_reminders(now=now) == {"24h": 0, "1h": 0}
    assert _reminders() == []


def test_rescheduled_chat_is_reminded_at_its_new_time_only(host, guest):
    slots = open_slots(host)
    first = next(slot for slot in slots if slot.start > timezone.now() + 2 * DAY)
    later = next(slot for slot in slots if slot.start > first.start + 2 * DAY)
    chat = book_chat(guest=guest, host=host, start=first.start, topic="Career ladder")
    send_chat_reminders(now=first.start - DAY)

    reschedule_chat(chat=chat, by=guest, start=later.start)
    for now in (first.start - HOUR, first.start - timedelta(minutes=5), later.start - DAY, later.start - HOUR):
        send_chat_reminders(now=now)
        send_chat_reminders(now=now + timedelta(minutes=15))

    old, new = int(first.start.timestamp()), int(later.start.timestamp())
    assert [n.key for n in _reminders()] == [
        f"chat-reminder-24h:{chat.pk}:{old}:guest",
        f"chat-reminder-24h:{chat.pk}:{old}:host",
        f"chat-reminder-24h:{chat.pk}:{new}:guest",
        f"chat-reminder-24h:{chat.pk}:{new}:host",
        f"chat-reminder-1h:{chat.pk}:{new}:guest",
        f"chat-reminder-1h:{chat.pk}:{new}:host",
    ]


def test_member_who_turned_reminders_off_gets_none_and_the_other_side_still_does():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    chat = _chat(start)
    EmailPreferences.objects.create(user=chat.guest, reminders=False)

    assert send_chat_reminders(now=start - DAY) == {"24h": 1, "1h": 0}
    assert send_chat_reminders(now=start - HOUR) == {"24h": 0, "1h": 1}
    assert _sent() == [("hanna@example.org", "24h"), ("hanna@example.org", "1h")]


def test_running_again_in_small_batches_sends_nothing_twice(mailoutbox):
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    host = HostFactory(user__username="hanna")
    for offset, name in enumerate(("ada", "grace", "linus")):
        CoffeeChatFactory(
            host=host,
            guest=UserFactory(username=name),
            start=start + offset * HOUR,
            end=start + offset * HOUR + HOUR / 2,
        )

    first = send_chat_reminders(now=start - HOUR / 2, batch_size=1)
    second = send_chat_reminders(now=start - HOUR / 2, batch_size=1)
    deliver_pending()
    deliver_pending()

    assert (first, second) == ({"24h": 4, "1h": 2}, {"24h": 0, "1h": 0})
    assert sorted(m.to[0] for m in mailoutbox) == [
        "ada@example.org",
        "grace@example.org",
        "hanna@example.org",
        "hanna@example.org",
        "hanna@example.org",
        "linus@example.org",
    ]


def test_retried_task_sends_nothing_twice(mailoutbox):
    chat = _chat(timezone.now().replace(microsecond=0) + timedelta(hours=6))

    call_command("workflows", "test", "coffee_chat_reminders", "send_reminders")
    call_command("workflows", "test", "coffee_chat_reminders", "send_reminders")
    assert send_reminders.function({"batch_size": 500}) == {"24h": 0, "1h": 0}
    deliver_pending()

    assert _sent() == [("grace@example.org", "24h"), ("hanna@example.org", "24h")]
    assert sorted(m.to[0] for m in mailoutbox) == ["grace@example.org", "hanna@example.org"]
    chat.refresh_from_db()
    assert (chat.reminded_24h_for, chat.reminded_1h_for) == (chat.start, None)


def test_coffee_chat_reminders_dag_runs_every_quarter_hour_without_catchup():
    assert (coffee_chat_reminders.dag_id, coffee_chat_reminders.schedule, coffee_chat_reminders.catchup) == (
        "coffee_chat_reminders",
        "*/15 * * * *",
        False,
    )
    assert list(coffee_chat_reminders.tasks) == ["send_reminders"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_share_the_reminders_without_doubles():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    host = HostFactory(user__username="hanna")
    for index in range(30):
        chat_start = start + index * HOUR
        CoffeeChatFactory(host=host, start=chat_start, end=chat_start + HOUR / 2)
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = send_chat_reminders(now=start - 2 * HOUR, batch_size=3)
        except Exception as exc:  # noqa: BLE001 - every outcome is collected and asserted below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Each run counts the emails it queued: a chat claimed by both would make the total exceed 2 per chat.
    assert sum(outcome["24h"] for outcome in outcomes) == 2 * 23, outcomes  # type: ignore[index]
    assert Notification.objects.filter(template="chat_reminder").count() == 2 * 23
