"""The emails a workshop registration sends, all through the outbox with one idempotency key each."""

from community.notifications.services import queue_email
from community.workshops.calendar import workshop_ics
from community.workshops.models import Registration


def _ics(registration: Registration) -> list[tuple[str, bytes, str]]:
    ics = workshop_ics(registration.workshop, include_join_link=True)
    return [(f"{registration.workshop.slug}.ics", ics, "text/calendar; method=PUBLISH")]


def send_confirmed(registration: Registration) -> None:
    queue_email(
        key=f"workshop-confirmed:{registration.pk}",
        recipient=registration.member,
        template="workshops/registration_confirmed",
        context={"workshop": registration.workshop, "registration": registration},
        attachments=_ics(registration),
    )


def send_waitlisted(registration: Registration, *, position: int) -> None:
    queue_email(
        key=f"workshop-waitlisted:{registration.pk}",
        recipient=registration.member,
        template="workshops/registration_waitlisted",
        context={"workshop": registration.workshop, "registration": registration, "position": position},
    )


def send_promoted(registration: Registration) -> None:
    queue_email(
        key=f"workshop-promoted:{registration.pk}",
        recipient=registration.member,
        template="workshops/registration_promoted",
        context={"workshop": registration.workshop, "registration": registration},
        attachments=_ics(registration),
    )


def send_cancelled(registration: Registration) -> None:
    queue_email(
        key=f"workshop-cancelled:{registration.pk}",
        recipient=registration.member,
        template="workshops/registration_cancelled",
        context={"workshop": registration.workshop, "registration": registration},
    )


def send_recording(registration: Registration) -> None:
    queue_email(
        key=f"workshop-recording:{registration.pk}",
        recipient=registration.member,
        template="workshops/recording_available",
        context={"workshop": registration.workshop, "registration": registration},
    )
