"""Reads of coffee chats shared by views, the calendar feed and jobs."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from community.availability import Interval, Refusal, Slot, open_slots, refusal_for
from community.chats.enums import ChatStatus
from community.chats.models import CoffeeChat, Host
from community.members.enums import Visibility

# Chats that occupy the host's time: booked ones, and held ones (they count towards the weekly cap).
OCCUPYING = (ChatStatus.BOOKED, ChatStatus.COMPLETED, ChatStatus.NO_SHOW)
# The weekly cap looks back to the start of the current week; a week is never longer than this.
_WEEK = timedelta(days=7)


def _is_member(viewer: Any) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_active)


def busy_intervals(
    host: Host, *, since: datetime, until: datetime, exclude_chat: CoffeeChat | None = None
) -> list[Interval]:
    """The host's occupying chats that touch [since - 1 week, until]: enough for overlaps and the weekly cap."""
    chats = CoffeeChat.objects.filter(host=host, status__in=OCCUPYING, end__gt=since - _WEEK, start__lt=until + _WEEK)
    if exclude_chat is not None:
        chats = chats.exclude(pk=exclude_chat.pk)
    return [Interval(start, end) for start, end in chats.values_list("start", "end")]


def slot_refusal(
    host: Host, *, start: datetime, now: datetime, exclude_chat: CoffeeChat | None = None
) -> Refusal | None:
    """Why the slot starting at `start` cannot be booked with `host` now, or None when it can.

    `exclude_chat` is a chat being moved: its own time does not count as taken.
    """
    end = start + timedelta(minutes=host.slot_minutes)
    busy = busy_intervals(host, since=now, until=end, exclude_chat=exclude_chat)
    return refusal_for(host.schedule(), start=start, busy=busy, now=now)


def open_slots_for_host(
    host: Host, *, now: datetime, until: datetime | None = None, exclude_chat: CoffeeChat | None = None
) -> list[Slot]:
    """The slots a guest may book with this host now (none when the host has paused chats)."""
    if not host.is_active:
        return []
    last = now + timedelta(days=host.horizon_days)
    if until is not None:
        last = min(last, until)
    busy = busy_intervals(host, since=now, until=last, exclude_chat=exclude_chat)
    return open_slots(host.schedule(), busy=busy, now=now, until=last)


def visible_hosts(*, viewer: Any) -> QuerySet[Host]:
    """Active hosts of active members whose profile the viewer may see (public ones for anonymous visitors)."""
    hosts = Host.objects.filter(is_active=True, user__is_active=True)
    if _is_member(viewer):
        return hosts.filter(
            Q(user__profile__visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS]) | Q(user_id=viewer.pk)
        )
    return hosts.filter(user__profile__visibility=Visibility.PUBLIC)


def _with_schedule(hosts: QuerySet[Host], *, now: datetime, until: datetime) -> QuerySet[Host]:
    """Prefetch everything `schedule()` and the busy list need, so a page of hosts costs a fixed number of queries."""
    busy = CoffeeChat.objects.filter(status__in=OCCUPYING, end__gt=now - _WEEK, start__lt=until + _WEEK).only(
        "host_id", "start", "end"
    )
    return hosts.select_related("user__profile").prefetch_related(
        "areas", "rules", "blocked_dates", Prefetch("chats", queryset=busy, to_attr="occupying_chats")
    )


@dataclass(frozen=True)
class HostListing:
    host: Host
    next_slot: Slot | None
    slots_soon: int


def hosts_for_browsing(
    *, viewer: Any, now: datetime, area_slug: str = "", topic: str = "", soon: timedelta, only_with_slots: bool = False
) -> list[HostListing]:
    """Hosts to list, each with their next open slot and how many slots open before `now + soon`.

    Filters: an Area (by slug), a piece of a free-text topic or Area name, and "has slots soon".
    """
    hosts = visible_hosts(viewer=viewer).filter(rules__isnull=False).distinct()
    if area_slug:
        hosts = hosts.filter(areas__slug=area_slug)
    if topic:
        hosts = hosts.filter(Q(topics__icontains=topic) | Q(areas__name__icontains=topic) | Q(intro__icontains=topic))
    until = now + timedelta(days=90)
    listings = []
    for host in _with_schedule(hosts.order_by("user__profile__display_name", "pk"), now=now, until=until):
        busy = [Interval(chat.start, chat.end) for chat in host.occupying_chats]
        schedule = host.schedule()
        # The coming days answer both questions for most hosts; only a host with nothing soon
        # needs the rest of their horizon searched for a next slot.
        slots = open_slots(schedule, busy=busy, now=now, until=now + soon)
        if only_with_slots and not slots:
            continue
        next_slot = slots[0] if slots else next(iter(open_slots(schedule, busy=busy, now=now)), None)
        listings.append(HostListing(host=host, next_slot=next_slot, slots_soon=len(slots)))
    return listings


def host_for_viewer(*, viewer: Any, slug: str) -> Host | None:
    """One host by their profile address if the viewer may see them; a paused host's page still shows."""
    host = (
        Host.objects.filter(user__is_active=True, user__profile__slug=slug)
        .select_related("user__profile")
        .prefetch_related("areas", "rules", "blocked_dates")
        .first()
    )
    if host is None:
        return None
    if _is_member(viewer):
        if host.user_id == viewer.pk or host.user.profile.visibility in {Visibility.PUBLIC, Visibility.MEMBERS}:
            return host
        return None
    return host if host.user.profile.visibility == Visibility.PUBLIC else None


def _chats_with_people() -> QuerySet[CoffeeChat]:
    return CoffeeChat.objects.select_related("host__user__profile", "guest__profile", "cancelled_by__profile")


@dataclass(frozen=True)
class MemberChats:
    upcoming: list[CoffeeChat]
    past: list[CoffeeChat]


def chats_for_member(*, member: Any, now: datetime, past_limit: int = 50) -> MemberChats:
    """The member's chats as guest and as host: upcoming booked ones (soonest first) and the rest (newest first)."""
    mine = _chats_with_people().filter(Q(guest=member) | Q(host__user=member))
    upcoming = list(mine.filter(status=ChatStatus.BOOKED, end__gt=now).order_by("start", "pk"))
    past = list(mine.filter(Q(end__lte=now) | ~Q(status=ChatStatus.BOOKED)).order_by("-start", "-pk")[:past_limit])
    return MemberChats(upcoming=upcoming, past=past)


def chat_for_participant(*, member: Any, chat_id: int) -> CoffeeChat | None:
    """A chat the member takes part in (as guest or host); None for anyone else's."""
    return _chats_with_people().filter(Q(guest=member) | Q(host__user=member), pk=chat_id).first()


def open_bookings_count(*, member: Any, now: datetime) -> int:
    """Upcoming booked chats the member holds as a guest, across all hosts."""
    return CoffeeChat.objects.filter(guest=member, status=ChatStatus.BOOKED, start__gt=now).count()


def chats_needing_reminder(*, window_start: datetime, window_end: datetime) -> QuerySet[CoffeeChat]:
    """Booked chats starting in [window_start, window_end): the reminder job's work. Cancelled chats never appear."""
    return (
        _chats_with_people()
        .filter(status=ChatStatus.BOOKED, start__gte=window_start, start__lt=window_end)
        .order_by("start", "pk")
    )


def chats_due_for_reminder(*, starts_after: datetime, starts_until: datetime, marker: str) -> QuerySet[CoffeeChat]:
    """Booked chats starting in (starts_after, starts_until] whose reminder is still owed for their current start.

    `marker` names the field recording the start a reminder was sent for; a chat reminded for another start
    (it was rescheduled since) is owed again. Cancelled chats never appear.
    """
    return CoffeeChat.objects.filter(
        Q(**{f"{marker}__isnull": True}) | ~Q(**{marker: F("start")}),
        status=ChatStatus.BOOKED,
        start__gt=starts_after,
        start__lte=starts_until,
    )


def chats_for_calendar(*, member: Any, since: datetime) -> QuerySet[CoffeeChat]:
    """Booked or held chats of the member (either side) ending after `since`, for the personal calendar feed."""
    return (
        _chats_with_people()
        .filter(Q(guest=member) | Q(host__user=member), status__in=OCCUPYING, end__gt=since)
        .order_by("start", "pk")
    )
