"""Reads about who wants which email, shared by the outbox and every job that sends bulk email."""

from typing import Any

from django.db.models import Q, QuerySet

from community.notifications.enums import EmailKind
from community.notifications.models import EmailPreferences

OPTIONAL_KINDS = frozenset(kind for kind in EmailKind if kind != EmailKind.TRANSACTIONAL)
"""The kinds a member may turn off; each is a field of EmailPreferences."""


def accepts_email(user: Any, kind: str) -> bool:
    """Whether this member receives email of this kind (transactional email always goes)."""
    if kind not in OPTIONAL_KINDS or user is None:
        return True
    preferences = EmailPreferences.objects.filter(user_id=user.pk).values_list(kind, flat=True).first()
    return EmailPreferences.default_for(kind) if preferences is None else bool(preferences)


def users_accepting(users: QuerySet, kind: str) -> QuerySet:
    """Narrow a queryset of users to those who receive email of this kind."""
    if kind not in OPTIONAL_KINDS:
        return users
    chosen = Q(**{f"email_preferences__{kind}": True})
    if EmailPreferences.default_for(kind):
        chosen |= Q(email_preferences__isnull=True)
    return users.filter(chosen)
