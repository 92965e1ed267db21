"""Signed unsubscribe links: each names one member and one optional kind of email.

The link works without a session (mail clients post to it for one-click unsubscribe, RFC 8058),
so the signature is its only proof; it lasts NOTIFICATIONS_UNSUBSCRIBE_LINK_DAYS, long enough
for an old email in someone's inbox.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.urls import reverse

from community.links import absolute_url
from community.members.models import User
from community.notifications.conf import app_settings
from community.notifications.enums import EmailKind
from community.notifications.errors import InvalidUnsubscribeLink
from community.notifications.queries import OPTIONAL_KINDS

SALT = "community.notifications.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    member: User
    kind: EmailKind


def unsubscribe_token(*, member_id: int, kind: str) -> str:
    return signing.dumps({"m": member_id, "k": str(kind)}, salt=SALT, compress=True)


def unsubscribe_url(*, member_id: int, kind: str) -> str:
    """The absolute link (SITE_URL) that turns this kind of email off for this member."""
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(member_id=member_id, kind=kind)])
    return absolute_url(path)


def read_unsubscribe_token(token: str) -> UnsubscribeRequest:
    """The member and kind a link names. Raises InvalidUnsubscribeLink saying why it cannot be used."""
    max_age = timedelta(days=app_settings.UNSUBSCRIBE_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidUnsubscribeLink(
            "This unsubscribe link has expired. Log in and choose which emails you get on your email preferences page."
        ) from None
    except signing.BadSignature:
        raise InvalidUnsubscribeLink(
            "This unsubscribe link is not valid: it may have been cut short or changed. "
            "Copy the whole link from the email, or log in and use your email preferences page."
        ) from None
    kind = payload.get("k") if isinstance(payload, dict) else None
    member_id = payload.get("m") if isinstance(payload, dict) else None
    if kind not in OPTIONAL_KINDS or not isinstance(member_id, int):
        raise InvalidUnsubscribeLink("This unsubscribe link does not name a kind of email that can be turned off.")
    member = User.objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        raise InvalidUnsubscribeLink("This unsubscribe link names an account that no longer exists.")
    return UnsubscribeRequest(member=member, kind=EmailKind(kind))
