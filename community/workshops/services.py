"""Registering, cancelling, promoting from the waitlist, attendance and recordings.

Every function that changes who holds a seat locks the Workshop row first, so seat counts
are read and changed by one transaction at a time and capacity holds under concurrency.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from community.members.models import User
from community.workshops import notify
from community.workshops.enums import ACTIVE_STATUSES, SEATED_STATUSES, RegistrationStatus
from community.workshops.errors import (
    AlreadyRegistered,
    AttendanceTooEarly,
    CannotCancel,
    NotRegistered,
    RegistrationClosed,
)
from community.workshops.models import Registration, Workshop
from community.workshops.queries import waitlist_position


def _locked(workshop: Workshop) -> Workshop:
    return Workshop.objects.select_for_update().get(pk=workshop.pk)


def _seats_taken(workshop: Workshop) -> int:
    return Registration.objects.filter(workshop=workshop, status__in=SEATED_STATUSES).count()


def register(*, member: User, workshop: Workshop) -> Registration:
    """Give the member a seat, or a place at the end of the waitlist when the workshop is full.

    Locks the workshop row. Queues the "confirmed" email (with an .ics invite and the join link)
    or the "waitlisted" email (with the position). Raises RegistrationClosed once the workshop
    has started and AlreadyRegistered if the member holds a seat or waitlist place already.
    """
    with transaction.atomic():
        workshop = _locked(workshop)
        if workshop.has_started:
            raise RegistrationClosed("Registration has closed: this workshop has already started.")
        if Registration.objects.filter(workshop=workshop, member=member, status__in=ACTIVE_STATUSES).exists():
            raise AlreadyRegistered("You are already registered for this workshop.")
        now = timezone.now()
        has_seat = _seats_taken(workshop) < workshop.capacity
        registration = Registration.objects.create(
            workshop=workshop,
            member=member,
            status=RegistrationStatus.CONFIRMED if has_seat else RegistrationStatus.WAITLISTED,
            queued_at=now,
            confirmed_at=now if has_seat else None,
        )
        if has_seat:
            notify.send_confirmed(registration)
        else:
            notify.send_waitlisted(registration, position=waitlist_position(registration) or 0)
    return registration


def _promote(workshop: Workshop) -> list[Registration]:
    """Fill free seats from the head of the waitlist; the caller holds the workshop lock."""
    free = workshop.capacity - _seats_taken(workshop)
    if free <= 0 or workshop.has_started:
        return []
    promoted = list(
        Registration.objects.filter(workshop=workshop, status=RegistrationStatus.WAITLISTED)
        .select_related("member__profile")
        .order_by("queued_at", "pk")[:free]
    )
    now = timezone.now()
    for registration in promoted:
        registration.workshop = workshop
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.promoted_at = now
        registration.save(update_fields=["status", "confirmed_at", "promoted_at"])
        notify.send_promoted(registration)
    return promoted


def promote_waitlisted(*, workshop: Workshop) -> list[Registration]:
    """Give free seats (after a cancellation or a capacity increase) to the waitlist in arrival order.

    Locks the workshop row. Queues a "promoted" email with the join link and an .ics invite to each.
    """
    with transaction.atomic():
        return _promote(_locked(workshop))


def cancel_registration(*, member: User, workshop: Workshop) -> Registration:
    """Give up the member's seat or waitlist place; a freed seat goes to the first waitlisted member.

    Locks the workshop row. Queues the "cancelled" email to the member and a "promoted" email to
    whoever gets the seat. Raises NotRegistered or CannotCancel (after the workshop started).
    """
    with transaction.atomic():
        workshop = _locked(workshop)
        registration = (
            Registration.objects.select_for_update()
            .filter(workshop=workshop, member=member, status__in=ACTIVE_STATUSES)
            .first()
        )
        if registration is None:
            raise NotRegistered("You are not registered for this workshop.")
        if workshop.has_started:
            raise CannotCancel("This workshop has already started, so the registration can no longer be cancelled.")
        registration.workshop = workshop
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "cancelled_at"])
        notify.send_cancelled(registration)
        _promote(workshop)
    return registration


def mark_attendance(*, workshop: Workshop, attended_registration_ids: Iterable[int]) -> int:
    """Record who came: the given seated registrations become attended, the other seated ones confirmed.

    Locks the workshop row. Sends no email. Raises AttendanceTooEarly before the workshop starts.
    Returns how many registrants attended.
    """
    attended = set(attended_registration_ids)
    with transaction.atomic():
        workshop = _locked(workshop)
        if not workshop.has_started:
            raise AttendanceTooEarly("Attendance can be marked once the workshop has started.")
        seated = Registration.objects.filter(workshop=workshop, status__in=SEATED_STATUSES)
        seated.filter(pk__in=attended).update(status=RegistrationStatus.ATTENDED)
        seated.exclude(pk__in=attended).update(status=RegistrationStatus.CONFIRMED)
        return Registration.objects.filter(workshop=workshop, status=RegistrationStatus.ATTENDED).count()


def add_recording(*, workshop: Workshop, recording_url: str) -> int:
    """Publish the recording and email it to every registrant who had a seat, attended or not.

    Locks the workshop row. Each registrant gets the "recording available" email once, even if
    the link is later corrected. Returns how many registrants the email is for.
    """
    with transaction.atomic():
        workshop = _locked(workshop)
        workshop.recording_url = recording_url
        if workshop.recording_added_at is None:
            workshop.recording_added_at = timezone.now()
        workshop.save(update_fields=["recording_url", "recording_added_at", "updated_at"])
        registrations = Registration.objects.filter(workshop=workshop, status__in=SEATED_STATUSES).select_related(
            "member__profile"
        )
        for registration in registrations:
            registration.workshop = workshop
            notify.send_recording(registration)
        return len(registrations)
