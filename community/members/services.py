"""Write use-cases of the members app: profiles created at sign-up and edited by their member."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from community.members.conf import app_settings
from community.members.enums import Visibility
from community.members.errors import CodeOfConductNotAccepted, UnknownTimeZone
from community.members.models import Area, Profile, User
from community.members.validators import known_time_zones


def _check_zone(zone: str) -> None:
    if zone not in known_time_zones():
        raise UnknownTimeZone(zone)


def _fallback_display_name(user: User) -> str:
    # The email's local part would leak the address to everyone: prefer the real name, else "Member".
    return (user.get_full_name() or "").strip()[:80] or "New member"


@transaction.atomic
def ensure_profile(*, user: User) -> Profile:
    """Return the member's profile, creating a members-only one with neutral defaults if it is missing.

    Side effects: may insert one Profile row (code of conduct not accepted).
    """
    profile, _ = Profile.objects.get_or_create(user=user, defaults={"display_name": _fallback_display_name(user)})
    return profile


@transaction.atomic
def record_signup(*, user: User, display_name: str, time_zone: str, accepted_code_of_conduct: bool) -> Profile:
    """Create (or complete) the profile of a member who has just signed up, by email or a social account.

    Raises CodeOfConductNotAccepted unless the member ticked the box, UnknownTimeZone for a bad zone.
    Side effects: inserts or updates the member's Profile, with the code-of-conduct acceptance time.
    """
    if not accepted_code_of_conduct:
        raise CodeOfConductNotAccepted
    _check_zone(time_zone)
    profile, _ = Profile.objects.select_for_update().get_or_create(
        user=user, defaults={"display_name": display_name.strip(), "time_zone": time_zone}
    )
    if profile.code_of_conduct_accepted_at is None:
        # The address was chosen from a placeholder name a moment ago; nobody can have linked it yet.
        profile.slug = ""
    profile.display_name = display_name.strip()
    profile.time_zone = time_zone
    profile.code_of_conduct_accepted_at = timezone.now()
    profile.save()
    return profile


@dataclass(frozen=True, kw_only=True)
class ProfileChanges:
    """What a member may change on their own profile (the edit form's cleaned data)."""

    display_name: str
    pronouns: str
    time_zone: str
    bio: str
    location: str
    github_url: str
    linkedin_url: str
    website_url: str
    visibility: str
    interests: Iterable[Area]


@transaction.atomic
def update_profile(*, profile: Profile, changes: ProfileChanges) -> Profile:
    """Save a member's edits to their own profile.

    Raises UnknownTimeZone for a zone that is not an IANA name.
    Side effects: locks and updates the Profile row; replaces its interests.
    """
    _check_zone(changes.time_zone)
    if changes.visibility not in Visibility.values:
        raise ValueError(f"unknown visibility {changes.visibility!r}")
    locked = Profile.objects.select_for_update().get(pk=profile.pk)
    for field in (
        "display_name",
        "pronouns",
        "time_zone",
        "bio",
        "location",
        "github_url",
        "linkedin_url",
        "website_url",
        "visibility",
    ):
        setattr(locked, field, getattr(changes, field))
    locked.display_name = locked.display_name.strip()
    locked.save()
    locked.interests.set(list(changes.interests))
    return locked


def delete_unverified_accounts(*, dry_run: bool = False) -> int:
    """Delete sign-ups nobody finished: an unverified address and no verified one, never logged in,
    joined more than MEMBERS_UNVERIFIED_ACCOUNT_DAYS (default 14) days ago. Returns how many.

    Staff accounts and accounts without any address on record (made by hand, not by sign-up) are
    kept. Side effects: locks and deletes those users with everything that hangs off them (profile,
    addresses); an account verified or used while this runs is re-checked and kept.
    """
    days = app_settings.UNVERIFIED_ACCOUNT_DAYS
    abandoned = (
        User.objects.filter(
            last_login__isnull=True,
            date_joined__lt=timezone.now() - timedelta(days=days),
            is_staff=False,
            is_superuser=False,
        )
        .filter(Exists(EmailAddress.objects.filter(user=OuterRef("pk"))))
        .exclude(Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)))
    )
    if dry_run:
        return abandoned.count()
    with transaction.atomic():
        ids = list(abandoned.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True))
        deleted = list(abandoned.filter(pk__in=ids).values_list("pk", flat=True))
        User.objects.filter(pk__in=deleted).delete()
    return len(deleted)
