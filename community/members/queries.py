"""Reads of member profiles shared by the directory, the profile page and other apps."""

from typing import Any

from django.db.models import Q, QuerySet

from community.members.enums import Visibility
from community.members.models import Profile, User


def _is_member(viewer: Any) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_active)


def visible_profiles(*, viewer: Any) -> QuerySet[Profile]:
    """Profiles of active members that the viewer may see.

    Anonymous visitors see public profiles; signed-in members also see members-only ones.
    A member always sees their own profile.
    """
    profiles = Profile.objects.filter(user__is_active=True)
    if _is_member(viewer):
        return profiles.filter(Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS]) | Q(user_id=viewer.pk))
    return profiles.filter(visibility=Visibility.PUBLIC)


def directory_profiles(*, viewer: Any, name: str = "", area_slug: str = "") -> QuerySet[Profile]:
    """The member directory: visible profiles, optionally by a piece of the name and one interest."""
    profiles = visible_profiles(viewer=viewer)
    if name:
        profiles = profiles.filter(display_name__icontains=name)
    if area_slug:
        profiles = profiles.filter(interests__slug=area_slug)
    return profiles.prefetch_related("interests").order_by("display_name", "pk")


def profile_for_viewer(*, viewer: Any, slug: str) -> Profile | None:
    """One member's profile if the viewer may see it, with its interests; None otherwise."""
    return visible_profiles(viewer=viewer).prefetch_related("interests").filter(slug=slug).first()


def builders() -> QuerySet[User]:
    """Active builders with an email address: told about matching runs, reports and pairs that have not met."""
    return User.objects.filter(is_active=True, is_staff=True).exclude(email="").select_related("profile").order_by("pk")
