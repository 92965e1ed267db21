from datetime import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from community.members.models import User
from community.notifications.queries import users_accepting
from community.workshops.enums import ACTIVE_STATUSES, SEATED_STATUSES, RegistrationStatus
from community.workshops.models import Registration, Workshop, WorkshopSpeaker


def _with_listing_data(workshops: QuerySet[Workshop]) -> QuerySet[Workshop]:
    return workshops.annotate(
        seats_taken=Count("registrations", filter=Q(registrations__status__in=SEATED_STATUSES)),
        waitlist_length=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
    ).prefetch_related(
        Prefetch("speakers", queryset=WorkshopSpeaker.objects.select_related("profile")),
        "areas",
    )


def upcoming_workshops() -> QuerySet[Workshop]:
    """Workshops not yet over, soonest first, with seat counts, speakers and areas loaded."""
    return _with_listing_data(Workshop.objects.filter(ends_at__gt=timezone.now())).order_by("starts_at", "pk")


def past_workshops_with_recordings() -> QuerySet[Workshop]:
    return _with_listing_data(Workshop.objects.filter(ends_at__lte=timezone.now()).exclude(recording_url="")).order_by(
        "-starts_at", "-pk"
    )


def workshop_with_details(*, slug: str) -> Workshop | None:
    return _with_listing_data(Workshop.objects.filter(slug=slug)).first()


def active_registrations_by_workshop(*, member: User, workshop_ids: list[int]) -> dict[int, Registration]:
    """The member's current registration at each of these workshops, in one query."""
    if not member.is_authenticated:
        return {}
    registrations = Registration.objects.filter(member=member, workshop_id__in=workshop_ids, status__in=ACTIVE_STATUSES)
    return {registration.workshop_id: registration for registration in registrations}


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next member to get a seat; None when the registration is not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        workshop_id=registration.workshop_id, status=RegistrationStatus.WAITLISTED
    ).filter(Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, pk__lt=registration.pk))
    return ahead.count() + 1


def registrations_for_attendance(*, workshop: Workshop) -> QuerySet[Registration]:
    """The people with a seat, for the builder's attendance sheet."""
    return (
        Registration.objects.filter(workshop=workshop, status__in=SEATED_STATUSES)
        .select_related("member__profile")
        .order_by("member__profile__display_name", "pk")
    )


def registrations_due_for_reminder(
    *, starts_after: datetime, starts_until: datetime, marker: str, kind: str
) -> QuerySet[Registration]:
    """Seated registrations at workshops starting in (starts_after, starts_until] whose reminder is still owed.

    `marker` names the field recording the start time a reminder was sent for; a registration reminded for
    another start (the workshop moved since) is owed again. Only active members with an address who accept
    email of `kind` are included, so nobody who turned reminders off is even rendered for.
    """
    recipients = users_accepting(User.objects.filter(is_active=True).exclude(email=""), kind)
    return Registration.objects.filter(
        Q(**{f"{marker}__isnull": True}) | ~Q(**{marker: F("workshop__starts_at")}),
        status__in=SEATED_STATUSES,
        workshop__starts_at__gt=starts_after,
        workshop__starts_at__lte=starts_until,
        member__in=recipients,
    )


def seated_workshops(*, member: User, since: datetime) -> QuerySet[Workshop]:
    """Workshops ending after `since` at which the member holds a seat, soonest first, speakers and areas loaded."""
    return (
        Workshop.objects.filter(
            registrations__member=member, registrations__status__in=SEATED_STATUSES, ends_at__gt=since
        )
        .distinct()
        .prefetch_related(Prefetch("speakers", queryset=WorkshopSpeaker.objects.select_related("profile")), "areas")
        .order_by("starts_at", "pk")
    )
