"""iCalendar for coffee chats: email invites (REQUEST / CANCEL) and the member's chats in their personal calendar."""

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Event, vCalAddress, vText

from community.calendar.ical import build_calendar
from community.chats.enums import ChatStatus
from community.chats.models import CoffeeChat
from community.chats.queries import chats_for_calendar
from community.links import absolute_url, site_host
from community.members.models import User

PRODUCT = "Coffee chats"


def chat_uid(chat: CoffeeChat) -> str:
    """Stable for the life of the chat, so that an update or cancellation replaces the same calendar entry."""
    return f"chat-{chat.pk}@{site_host()}"


def chat_links(chat: CoffeeChat) -> dict[str, str]:
    """Where a participant manages the chat. Each page asks them to log in and checks they take part."""
    return {
        "manage_url": absolute_url(reverse("chats:detail", args=[chat.pk])),
        "cancel_url": absolute_url(reverse("chats:cancel", args=[chat.pk])),
        "reschedule_url": absolute_url(reverse("chats:reschedule", args=[chat.pk])),
    }


def _other_side(chat: CoffeeChat, viewer: User | None) -> str:
    if viewer is not None and viewer.pk == chat.guest_id:
        return chat.host.user.display_name
    if viewer is not None and viewer.pk == chat.host.user_id:
        return chat.guest.display_name
    return f"{chat.host.user.display_name} and {chat.guest.display_name}"


def chat_event(chat: CoffeeChat, *, for_user: User | None, stamp: datetime | None = None) -> Event:
    """One VEVENT for the chat as `for_user` sees it: titled with the other person, with the manage links."""
    links = chat_links(chat)
    event = Event()
    event.add("uid", chat_uid(chat))
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", chat.start)
    event.add("dtend", chat.end)
    event.add("sequence", chat.sequence)
    event.add("summary", f"Coffee chat with {_other_side(chat, for_user)}")
    description = [f"Topic: {chat.topic}"]
    if chat.note:
        description.append(f"Note: {chat.note}")
    if chat.status == ChatStatus.CANCELLED:
        description.append("This chat was cancelled.")
    else:
        description += [
            "",
            f"Manage this chat: {links['manage_url']}",
            f"Reschedule: {links['reschedule_url']}",
            f"Cancel: {links['cancel_url']}",
        ]
    event.add("description", "\n".join(description))
    event.add("url", links["manage_url"])
    event.add("status", "CANCELLED" if chat.status == ChatStatus.CANCELLED else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def chat_invite(chat: CoffeeChat, *, recipient: User, method: str) -> bytes:
    """An iTIP message for one participant: METHOD:REQUEST for a new or moved chat, METHOD:CANCEL to remove it.

    The other participant's email address is never included; only the recipient is named as attendee.
    """
    if method not in {"REQUEST", "CANCEL"}:
        raise ValueError(f"unsupported iTIP method {method!r}")
    event = chat_event(chat, for_user=recipient)
    organizer = vCalAddress(f"mailto:{_from_address()}")
    organizer.params["cn"] = vText(settings.SITE_NAME)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{recipient.email}")
    attendee.params["cn"] = vText(recipient.display_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    return build_calendar([event], product=PRODUCT, method=method, published=False).to_ical()


def booked_chat_events(*, member: User, since: datetime, now: datetime) -> list[Event]:
    """The member's booked and held chats (either side) for their personal calendar, stamped `now`."""
    return [chat_event(chat, for_user=member, stamp=now) for chat in chats_for_calendar(member=member, since=since)]


def _from_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"hello@{site_host()}"
