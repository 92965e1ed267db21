"""Applying to a batch as a mentor or a mentee; editing and withdrawing while it is open."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from community.members.models import Area, User
from community.members.validators import known_time_zones
from mentorship.enums import LANGUAGE_NAMES, Gender, Region
from mentorship.errors import ApplicationRefused
from mentorship.matching import MAX_CAPACITY, MIN_CAPACITY
from mentorship.models import Batch, MenteeApplication, MenteeAreaChoice, MentorApplication
from mentorship.services.batches import locked_batch


def _check_open(batch: Batch) -> None:
    if not batch.accepts_applications:
        raise ApplicationRefused(f"Applications to {batch.name} are closed.")


def _check_common(*, areas: Sequence[Area], time_zone: str, languages: Sequence[str], hours_per_month: int) -> None:
    if not areas:
        raise ApplicationRefused("Choose at least one Area.")
    if len({a.pk for a in areas}) != len(areas):
        raise ApplicationRefused("Each Area can be chosen only once.")
    if time_zone not in known_time_zones():
        raise ApplicationRefused(f'"{time_zone}" is not a time zone we know. Use a name such as "Europe/Berlin".')
    if not languages:
        raise ApplicationRefused("Choose at least one language you can be mentored or mentor in.")
    unknown = [code for code in languages if code not in LANGUAGE_NAMES]
    if unknown:
        raise ApplicationRefused(f"Unknown language code(s): {', '.join(unknown)}.")
    if not 1 <= hours_per_month <= 40:
        raise ApplicationRefused("Hours per month must be between 1 and 40.")


def _check_mentor(*, capacity: int, gender: str) -> None:
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise ApplicationRefused(f"A mentor takes between {MIN_CAPACITY} and {MAX_CAPACITY} mentees.")
    if gender and gender not in Gender.values:
        raise ApplicationRefused("Choose a gender from the list, or leave it blank.")


@transaction.atomic
def apply_as_mentor(
    *,
    batch: Batch,
    member: User,
    areas: Sequence[Area],
    years_experience: int,
    current_role: str,
    time_zone: str,
    languages: Sequence[str],
    hours_per_month: int,
    capacity: int,
    gender: str = "",
    preferences: str = "",
) -> MentorApplication:
    """Apply to mentor in `batch`. A withdrawn application is revived with the new answers.

    Locks the batch row so that closing the batch and applying cannot interleave.
    """
    batch = locked_batch(batch)
    _check_open(batch)
    _check_common(areas=areas, time_zone=time_zone, languages=languages, hours_per_month=hours_per_month)
    _check_mentor(capacity=capacity, gender=gender)
    existing = MentorApplication.objects.filter(batch=batch, member=member).first()
    if existing is not None and not existing.is_withdrawn:
        raise ApplicationRefused(f"You have already applied to mentor in {batch.name}; edit that application instead.")
    application = existing or MentorApplication(batch=batch, member=member)
    application.withdrawn_at = None
    _fill(
        application,
        years_experience=years_experience,
        current_role=current_role,
        time_zone=time_zone,
        languages=list(languages),
        hours_per_month=hours_per_month,
        capacity=capacity,
        gender=gender,
        preferences=preferences,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ApplicationRefused(f"You have already applied to mentor in {batch.name}.") from exc
    application.areas.set(areas)
    return application


@transaction.atomic
def update_mentor_application(
    *,
    application: MentorApplication,
    areas: Sequence[Area],
    years_experience: int,
    current_role: str,
    time_zone: str,
    languages: Sequence[str],
    hours_per_month: int,
    capacity: int,
    gender: str = "",
    preferences: str = "",
) -> MentorApplication:
    """Change a mentor application while its batch is open (frozen afterwards)."""
    locked_batch(application.batch)
    application = MentorApplication.objects.select_for_update().get(pk=application.pk)
    _check_editable(application)
    _check_common(areas=areas, time_zone=time_zone, languages=languages, hours_per_month=hours_per_month)
    _check_mentor(capacity=capacity, gender=gender)
    _fill(
        application,
        years_experience=years_experience,
        current_role=current_role,
        time_zone=time_zone,
        languages=list(languages),
        hours_per_month=hours_per_month,
        capacity=capacity,
        gender=gender,
        preferences=preferences,
    )
    application.save()
    application.areas.set(areas)
    return application


def _check_mentee(*, preferred_gender: str, preferred_region: str) -> None:
    if preferred_gender and preferred_gender not in Gender.values:
        raise ApplicationRefused("Choose a mentor gender from the list, or leave it blank.")
    if preferred_region and preferred_region not in Region.values:
        raise ApplicationRefused("Choose a region from the list, or leave it blank.")


@transaction.atomic
def apply_as_mentee(
    *,
    batch: Batch,
    member: User,
    ranked_areas: Sequence[Area],
    goals: str,
    years_experience: int,
    time_zone: str,
    languages: Sequence[str],
    hours_per_month: int,
    preferred_gender: str = "",
    gender_required: bool = False,
    preferred_region: str = "",
    region_required: bool = False,
) -> MenteeApplication:
    """Apply for a mentor in `batch`; `ranked_areas` lists the wanted Areas, most wanted first.

    Locks the batch row so that closing the batch and applying cannot interleave.
    """
    batch = locked_batch(batch)
    _check_open(batch)
    _check_common(areas=ranked_areas, time_zone=time_zone, languages=languages, hours_per_month=hours_per_month)
    _check_mentee(preferred_gender=preferred_gender, preferred_region=preferred_region)
    if not goals.strip():
        raise ApplicationRefused("Tell your mentor what you hope to achieve.")
    existing = MenteeApplication.objects.filter(batch=batch, member=member).first()
    if existing is not None and not existing.is_withdrawn:
        raise ApplicationRefused(
            f"You have already applied for a mentor in {batch.name}; edit that application instead."
        )
    application = existing or MenteeApplication(batch=batch, member=member)
    application.withdrawn_at = None
    _fill(
        application,
        goals=goals.strip(),
        years_experience=years_experience,
        time_zone=time_zone,
        languages=list(languages),
        hours_per_month=hours_per_month,
        preferred_gender=preferred_gender,
        gender_required=bool(preferred_gender) and gender_required,
        preferred_region=preferred_region,
        region_required=bool(preferred_region) and region_required,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ApplicationRefused(f"You have already applied for a mentor in {batch.name}.") from exc
    _rank(application, ranked_areas)
    return application


@transaction.atomic
def update_mentee_application(
    *,
    application: MenteeApplication,
    ranked_areas: Sequence[Area],
    goals: str,
    years_experience: int,
    time_zone: str,
    languages: Sequence[str],
    hours_per_month: int,
    preferred_gender: str = "",
    gender_required: bool = False,
    preferred_region: str = "",
    region_required: bool = False,
) -> MenteeApplication:
    """Change a mentee application while its batch is open (frozen afterwards)."""
    locked_batch(application.batch)
    application = MenteeApplication.objects.select_for_update().get(pk=application.pk)
    _check_editable(application)
    _check_common(areas=ranked_areas, time_zone=time_zone, languages=languages, hours_per_month=hours_per_month)
    _check_mentee(preferred_gender=preferred_gender, preferred_region=preferred_region)
    if not goals.strip():
        raise ApplicationRefused("Tell your mentor what you hope to achieve.")
    _fill(
        application,
        goals=goals.strip(),
        years_experience=years_experience,
        time_zone=time_zone,
        languages=list(languages),
        hours_per_month=hours_per_month,
        preferred_gender=preferred_gender,
        gender_required=bool(preferred_gender) and gender_required,
        preferred_region=preferred_region,
        region_required=bool(preferred_region) and region_required,
    )
    application.save()
    _rank(application, ranked_areas)
    return application


@transaction.atomic
def withdraw_application(*, application: MentorApplication | MenteeApplication) -> None:
    """Withdraw while the batch is open; the member can apply again until it closes."""
    locked_batch(application.batch)
    model = type(application)
    application = model.objects.select_for_update().get(pk=application.pk)
    _check_editable(application)
    application.withdrawn_at = timezone.now()
    application.save(update_fields=["withdrawn_at", "updated_at"])


def _check_editable(application: MentorApplication | MenteeApplication) -> None:
    if application.is_withdrawn:
        raise ApplicationRefused("This application was withdrawn.")
    if not application.batch.accepts_applications:
        raise ApplicationRefused(f"Applications to {application.batch.name} are closed, so yours can no longer change.")


def _fill(application: MentorApplication | MenteeApplication, **values: object) -> None:
    for name, value in values.items():
        setattr(application, name, value)


def _rank(application: MenteeApplication, ranked_areas: Sequence[Area]) -> None:
    MenteeAreaChoice.objects.filter(application=application).delete()
    MenteeAreaChoice.objects.bulk_create(
        MenteeAreaChoice(application=application, area=area, rank=rank)
        for rank, area in enumerate(ranked_areas, start=1)
    )
