import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from community.chats.enums import ChatStatus
from community.chats.models import AvailabilityRule, CoffeeChat, Host
from community.chats.services import book_chat
from tests.community.chats.conftest import open_slots
from tests.community.chats.factories import BlockedDateFactory, CoffeeChatFactory, HostFactory
from tests.factories import AreaFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def book_url(host: Host, start) -> str:
    return reverse("chats:book", args=[host.user.profile.slug]) + "?start=" + start.isoformat().replace("+", "%2B")


# Browsing hosts ----------------------------------------------------------------------------


def test_host_list_shows_public_hosts_to_anonymous_visitors(client):
    HostFactory(user__profile__display_name="Public Pat")
    HostFactory(user__profile__display_name="Members Mo", user__profile__visibility="members")

    response = client.get(reverse("chats:hosts"))

    assert response.status_code == 200
    assert "Public Pat" in response.text
    assert "Members Mo" not in response.text


def test_host_list_filters_by_area(client):
    speaking = AreaFactory(name="Speaking at meetups", slug="speaking-at-meetups")
    HostFactory(user__profile__display_name="Speaker Sam").areas.add(speaking)
    HostFactory(user__profile__display_name="Other Olu")

    response = client.get(reverse("chats:hosts"), {"area": speaking.slug})

    assert "Speaker Sam" in response.text
    assert "Other Olu" not in response.text


def test_host_list_filters_by_free_text_topic(client):
    HostFactory(user__profile__display_name="Operator Ola", topics="Kubernetes operators, eBPF")
    HostFactory(user__profile__display_name="Salary Sue", topics="Negotiation")

    response = client.get(reverse("chats:hosts"), {"topic": "ebpf"})

    assert "Operator Ola" in response.text
    assert "Salary Sue" not in response.text


def test_host_list_soon_filter_hides_hosts_without_slots_this_week(client):
    HostFactory(user__profile__display_name="Soon Sol")
    later = HostFactory(user__profile__display_name="Later Lee", min_notice_hours=24 * 10, horizon_days=30)

    response = client.get(reverse("chats:hosts"), {"soon": "on"})

    assert "Soon Sol" in response.text
    assert later.user.display_name not in response.text


def test_host_list_soon_filter_names_the_configured_window(client, settings):
    settings.CHATS_BROWSE_WINDOW_DAYS = 14

    response = client.get(reverse("chats:hosts"))

    assert "Has open slots in the coming 14 days" in response.text
    assert "coming 7 days" not in response.text


def test_host_list_ignores_unknown_area_without_error(client):
    response = client.get(reverse("chats:hosts"), {"area": "no-such-area"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.text


@pytest.mark.parametrize("hosts", [1, 3])
def test_host_list_query_count_is_constant(client, django_assert_max_num_queries, hosts):
    member = UserFactory()
    for _ in range(hosts):
        host = HostFactory()
        host.areas.add(AreaFactory())
        CoffeeChatFactory(host=host)
    client.force_login(member)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("chats:hosts"))

    assert response.text.count("See times") == hosts


# A host's page --------------------------------------------------------------------------


def test_host_page_shows_slots_in_viewer_zone_naming_host_time(client):
    host = HostFactory(every_day=False, user__profile__display_name="Berlin Bea")
    AvailabilityRule.objects.create(host=host, weekday=0, start=time(17), end=time(17, 30))
    viewer = UserFactory(profile__time_zone="America/New_York")
    client.force_login(viewer)
    slot = open_slots(host)[0]

    response = client.get(reverse("chats:host", args=[host.user.profile.slug]))

    new_york = slot.start.astimezone(NEW_YORK)
    berlin = slot.start.astimezone(BERLIN)
    assert f"{new_york:%H:%M}\N{EN DASH}" in response.text
    assert f"{berlin:%H:%M} {berlin.tzname()} ({berlin:%a}) for Berlin Bea" in response.text
    assert "America/New York" in response.text


def test_host_page_of_members_only_host_is_hidden_from_anonymous(client):
    host = HostFactory(user__profile__visibility="members")

    response = client.get(reverse("chats:host", args=[host.user.profile.slug]))

    assert response.status_code == 404


def test_host_page_hides_blocked_day(client):
    host = HostFactory()
    slot = open_slots(host)[0]
    BlockedDateFactory(host=host, date=slot.start.astimezone(host.zone).date())

    response = client.get(reverse("chats:host", args=[host.user.profile.slug]))

    assert slot.start.isoformat() not in response.text


# Booking --------------------------------------------------------------------------------


def test_book_page_sends_anonymous_visitor_to_log_in(client, host):
    url = book_url(host, open_slots(host)[0].start)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_book_chat_through_form_redirects_to_chat(client, host, guest):
    client.force_login(guest)
    slot = open_slots(host)[0]

    response = client.post(
        reverse("chats:book", args=[host.user.profile.slug]),
        {"start": slot.start.isoformat(), "topic": "Conference speaking", "note": "First CFP"},
    )

    chat = CoffeeChat.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("chats:detail", args=[chat.pk])
    assert (chat.guest, chat.start, chat.topic) == (guest, slot.start, "Conference speaking")


def test_book_form_shows_clear_error_when_slot_was_just_taken(client, host, guest):
    slot = open_slots(host)[0]
    book_chat(guest=UserFactory(), host=host, start=slot.start, topic="first")
    client.force_login(guest)

    response = client.post(
        reverse("chats:book", args=[host.user.profile.slug]), {"start": slot.start.isoformat(), "topic": "x"}
    )

    assert response.status_code == 200
    assert "This slot has just been taken" in response.text
    assert CoffeeChat.objects.count() == 1


@pytest.mark.parametrize("blocked", [False, True])
def test_book_page_refuses_a_slot_for_the_reason_booking_it_would(client, host, guest, blocked):
    slot = open_slots(host)[0]
    if blocked:
        BlockedDateFactory(host=host, date=slot.start.astimezone(host.zone).date())
    else:
        book_chat(guest=UserFactory(), host=host, start=slot.start, topic="first")
    client.force_login(guest)

    page = client.get(book_url(host, slot.start), follow=True)
    booking = client.post(
        reverse("chats:book", args=[host.user.profile.slug]), {"start": slot.start.isoformat(), "topic": "x"}
    )

    reason = "The host is not available on that day." if blocked else "This slot has just been taken."
    assert page.redirect_chain == [(reverse("chats:host", args=[host.user.profile.slug]), 302)]
    assert reason in page.text
    assert reason in booking.text


def test_book_form_requires_topic(client, host, guest):
    client.force_login(guest)
    slot = open_slots(host)[0]

    response = client.post(reverse("chats:book", args=[host.user.profile.slug]), {"start": slot.start.isoformat()})

    assert response.status_code == 200
    assert "This field is required" in response.text
    assert not CoffeeChat.objects.exists()


@pytest.mark.parametrize("start", ["", "not-a-time", "2025-13-01T10:00:00"])
def test_book_page_with_unreadable_time_goes_back_to_host(client, host, guest, start):
    client.force_login(guest)

    response = client.get(reverse("chats:book", args=[host.user.profile.slug]), {"start": start}, follow=True)

    assert response.status_code == 200
    assert "Please pick a time" in response.text


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("9999-12-31T23:59:00+00:00", "That time is too far ahead"),
        ("2200-01-01T10:00:00+00:00", "That time is too far ahead"),
        ("0001-01-01T00:00:00+00:00", "This time has already passed"),
    ],
)
def test_book_page_for_time_out_of_reach_explains_instead_of_failing(client, host, guest, start, message):
    client.force_login(guest)

    response = client.get(reverse("chats:book", args=[host.user.profile.slug]), {"start": start}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("chats:host", args=[host.user.profile.slug]), 302)]
    assert message in response.text


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("9999-12-31T23:59:00+00:00", "That time is too far ahead"),
        ("0001-01-01T00:00:00+00:00", "This time has already passed"),
    ],
)
def test_booking_a_time_at_the_edge_of_the_calendar_is_refused_with_a_message(client, host, guest, start, message):
    client.force_login(guest)

    response = client.post(reverse("chats:book", args=[host.user.profile.slug]), {"start": start, "topic": "CFPs"})

    assert response.status_code == 200
    assert message in response.text
    assert not CoffeeChat.objects.exists()


def test_book_page_for_time_outside_rules_explains(client, host, guest):
    client.force_login(guest)
    off_grid = open_slots(host)[0].start + timedelta(minutes=7)

    response = client.get(book_url(host, off_grid), follow=True)

    assert "not one of the host&#x27;s available slots" in response.text


# My chats and actions -----------------------------------------------------------------------


def test_my_chats_lists_chats_as_guest_and_as_host(client, host, guest):
    as_guest = CoffeeChatFactory(guest=guest, topic="Guest side")
    as_host = CoffeeChatFactory(host=HostFactory(user=guest), topic="Host side")
    cancelled = CoffeeChatFactory(guest=guest, topic="Called off", status=ChatStatus.CANCELLED)
    client.force_login(guest)

    response = client.get(reverse("chats:mine"))

    upcoming, past = response.context["upcoming"], response.context["past"]
    assert {chat.pk for chat in upcoming} == {as_guest.pk, as_host.pk}
    assert [chat.pk for chat in past] == [cancelled.pk]
    assert "you host" in response.text


@pytest.mark.parametrize("chats", [1, 3])
def test_my_chats_query_count_is_constant(client, guest, django_assert_max_num_queries, chats):
    for _ in range(chats):
        CoffeeChatFactory(guest=guest)
        CoffeeChatFactory(guest=guest, start=timezone.now() - timedelta(days=5), status=ChatStatus.COMPLETED)
    client.force_login(guest)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("chats:mine"))

    assert len(response.context["upcoming"]) == chats


def test_cancel_view_cancels_with_reason(client, host, guest):
    chat = book_chat(guest=guest, host=host, start=open_slots(host)[0].start, topic="x")
    client.force_login(guest)

    response = client.post(reverse("chats:cancel", args=[chat.pk]), {"reason": "Sick"})

    chat.refresh_from_db()
    assert response.status_code == 302
    assert (chat.status, chat.cancel_reason) == (ChatStatus.CANCELLED, "Sick")


def test_chat_pages_are_not_found_for_strangers(client, host, guest):
    chat = CoffeeChatFactory(host=host, guest=guest)
    client.force_login(UserFactory())

    assert client.get(reverse("chats:detail", args=[chat.pk])).status_code == 404
    assert client.post(reverse("chats:cancel", args=[chat.pk]), {"reason": ""}).status_code == 404
    chat.refresh_from_db()
    assert chat.status == ChatStatus.BOOKED


def test_reschedule_view_moves_chat(client, host, guest):
    slots = open_slots(host)
    chat = book_chat(guest=guest, host=host, start=slots[0].start, topic="x")
    client.force_login(guest)

    page = client.get(reverse("chats:reschedule", args=[chat.pk]))
    response = client.post(reverse("chats:reschedule", args=[chat.pk]), {"start": slots[3].start.isoformat()})

    assert slots[3].start.isoformat() in page.text
    chat.refresh_from_db()
    assert response.status_code == 302
    assert (chat.start, chat.sequence) == (slots[3].start, 1)


def test_reschedule_view_without_choice_asks_for_time(client, host, guest):
    chat = CoffeeChatFactory(host=host, guest=guest)
    client.force_login(guest)

    response = client.post(reverse("chats:reschedule", args=[chat.pk]), {})

    assert response.status_code == 200
    assert "Please pick a time" in response.text


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("9999-12-31T23:59:00+00:00", "That time is too far ahead"),
        ("0001-01-01T00:00:00+00:00", "This time has already passed"),
    ],
)
def test_reschedule_to_a_time_at_the_edge_of_the_calendar_is_refused(client, host, guest, start, message):
    slot = open_slots(host)[0].start
    chat = book_chat(guest=guest, host=host, start=slot, topic="x")
    client.force_login(guest)

    response = client.post(reverse("chats:reschedule", args=[chat.pk]), {"start": start})

    chat.refresh_from_db()
    assert response.status_code == 200
    assert message in response.text
    assert (chat.start, chat.sequence) == (slot, 0)


@pytest.mark.parametrize("page", ["chats:cancel", "chats:reschedule"])
def test_cancel_and_reschedule_pages_name_the_zone_of_the_time_they_show(client, host, guest, page):
    start = open_slots(host)[0].start
    chat = book_chat(guest=guest, host=host, start=start, topic="x")
    client.force_login(guest)

    response = client.get(reverse(page, args=[chat.pk]))

    shown = start.astimezone(NEW_YORK)
    assert f"{shown:%A} {shown.day} {shown:%B %Y, %H:%M}</time> (America/New York)" in response.text


def test_outcome_view_lets_host_mark_no_show(client, host, guest):
    chat = CoffeeChatFactory(host=host, guest=guest, start=timezone.now() - timedelta(hours=1))
    client.force_login(host.user)

    client.post(reverse("chats:outcome", args=[chat.pk]), {"outcome": "no_show", "next": "mine"})

    chat.refresh_from_db()
    assert chat.status == ChatStatus.NO_SHOW


def test_outcome_view_refuses_guest_with_message(client, host, guest):
    chat = CoffeeChatFactory(host=host, guest=guest, start=timezone.now() - timedelta(hours=1))
    client.force_login(guest)

    response = client.post(reverse("chats:outcome", args=[chat.pk]), {"outcome": "completed"}, follow=True)

    assert "Only the host can record how a chat went" in response.text
    chat.refresh_from_db()
    assert chat.status == ChatStatus.BOOKED


# Host settings --------------------------------------------------------------------------


def rule_data(rows: list[tuple[str, str, str]], **extra: str) -> dict:
    data = {
        "intro": "Ask me anything about SRE.",
        "topics": "SRE, on-call",
        "slot_minutes": "30",
        "buffer_minutes": "10",
        "min_notice_hours": "12",
        "horizon_days": "21",
        "weekly_cap": "3",
        "is_active": "on",
        "rules-TOTAL_FORMS": str(len(rows)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "28",
    }
    for index, (weekday, start, end) in enumerate(rows):
        data |= {f"rules-{index}-weekday": weekday, f"rules-{index}-start": start, f"rules-{index}-end": end}
    return data | extra


def test_host_settings_makes_member_a_host_with_rules(client):
    member = UserFactory()
    client.force_login(member)

    assert "Become a coffee chat host" in client.get(reverse("chats:host_settings")).text
    response = client.post(reverse("chats:host_settings"), rule_data([("1", "18:00", "20:00"), ("", "", "")]))

    host = Host.objects.get(user=member)
    assert response.status_code == 302
    assert [(r.weekday, f"{r.start:%H:%M}", f"{r.end:%H:%M}") for r in host.rules.all()] == [(1, "18:00", "20:00")]
    assert (host.slot_minutes, host.weekly_cap, host.topic_list) == (30, 3, ["SRE", "on-call"])


def test_host_settings_refuses_rule_ending_before_start(client):
    client.force_login(UserFactory())

    response = client.post(reverse("chats:host_settings"), rule_data([("1", "20:00", "18:00")]))

    assert response.status_code == 200
    assert "The end time must be later than the start time" in response.text
    assert not Host.objects.exists()


def test_host_settings_refuses_overlapping_rules(client):
    client.force_login(UserFactory())

    response = client.post(
        reverse("chats:host_settings"), rule_data([("2", "09:00", "11:00"), ("2", "10:00", "12:00")])
    )

    assert "Two Wednesday rules overlap" in response.text
    assert not Host.objects.exists()


def test_host_settings_refuses_unsupported_slot_length(client):
    client.force_login(UserFactory())

    response = client.post(reverse("chats:host_settings"), rule_data([("1", "18:00", "20:00")], slot_minutes="20"))

    assert "Select a valid choice" in response.text
    assert not Host.objects.exists()


def test_block_and_unblock_date(client, host):
    client.force_login(host.user)
    day = timezone.now().date() + timedelta(days=5)

    client.post(reverse("chats:block_date"), {"day": day.isoformat(), "reason": "Holiday"})
    assert list(host.blocked_dates.values_list("date", flat=True)) == [day]
    client.post(reverse("chats:unblock_date", args=[day.isoformat()]))

    assert not host.blocked_dates.exists()


def test_block_date_in_the_past_is_refused(client, host):
    client.force_login(host.user)

    response = client.post(reverse("chats:block_date"), {"day": "2020-01-01"}, follow=True)

    assert "Pick today or a later date" in response.text
    assert not host.blocked_dates.exists()


def test_host_settings_keeps_unchanged_rules_and_drops_deleted_ones(client):
    host = HostFactory(every_day=False)
    AvailabilityRule.objects.create(host=host, weekday=0, start=time(9), end=time(10))
    AvailabilityRule.objects.create(host=host, weekday=3, start=time(18), end=time(19))
    client.force_login(host.user)
    data = rule_data([("0", "09:00", "10:00"), ("3", "18:00", "19:00"), ("", "", ""), ("", "", "")])
    data |= {"rules-INITIAL_FORMS": "2", "rules-1-DELETE": "on"}

    response = client.post(reverse("chats:host_settings"), data)

    assert response.status_code == 302
    assert [(r.weekday, r.start) for r in host.rules.all()] == [(0, time(9))]


def test_host_settings_page_lists_existing_rules_and_blank_rows(client):
    host = HostFactory(every_day=False)
    AvailabilityRule.objects.create(host=host, weekday=4, start=time(16), end=time(18))
    client.force_login(host.user)

    response = client.get(reverse("chats:host_settings"))

    assert 'value="16:00"' in response.text
    assert response.text.count('<option value="" selected>Choose a day</option>') == 2


def test_reschedule_page_puts_each_radio_in_its_label_with_the_hosts_time_on_a_line_of_its_own(client, host, guest):
    slots = open_slots(host)
    chat = book_chat(guest=guest, host=host, start=slots[0].start, topic="x")
    client.force_login(guest)

    html = client.get(reverse("chats:reschedule", args=[chat.pk])).text

    slot = slots[1]
    shown, host_local = slot.start.astimezone(NEW_YORK), slot.start.astimezone(host.zone)
    shown_end = slot.end.astimezone(NEW_YORK)
    assert (
        f'<label class="slot-choice"><input type="radio" name="start" value="{slot.start.isoformat()}" required>'
        f'<span><time datetime="{slot.start.isoformat()}">{shown:%H:%M}\N{EN DASH}{shown_end:%H:%M}</time>'
        f"<small>{host_local:%H:%M} {host_local.tzname()} ({host_local:%a}) in Berlin</small></span></label>"
    ) in html
    # Pico pulls a <small> that follows an input up by a negative margin, over the radio.
    assert not re.search(r"<input[^>]*>[^<]*<small", html)
