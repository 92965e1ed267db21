"""The outbox: every email the platform sends is queued here once per idempotency key, then delivered."""

import base64
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from community.members.models import User
from community.notifications.conf import app_settings
from community.notifications.enums import EmailKind, NotificationStatus
from community.notifications.errors import NoRecipientAddress
from community.notifications.models import Notification
from community.notifications.rendering import render_email

logger = logging.getLogger(__name__)


def queue_email(
    *,
    key: str,
    recipient: User | None = None,
    to: str | None = None,
    template: str,
    context: dict[str, Any],
    attachments: Sequence[tuple[str, bytes, str]] = (),
    kind: EmailKind = EmailKind.TRANSACTIONAL,
) -> Notification:
    """Queue one email under an idempotency key and send it once the surrounding transaction commits.

    Side effects: inserts a Notification row (unless one with this key exists, which is returned
    untouched); after commit, delivers it through Django's email backend (see `deliver`).
    A rolled-back transaction sends nothing. `recipient` is added to the template context.
    """
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing
    address = to or (recipient.email if recipient is not None else "")
    if not address:
        raise NoRecipientAddress(f"The email {key!r} has nowhere to go: the member has no email address.")
    rendered = render_email(template, {"recipient": recipient, **context})
    notification = Notification(
        key=key,
        recipient=recipient,
        to=address,
        template=template,
        kind=kind,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        attachments=[
            {"filename": name, "mimetype": mimetype, "content": base64.b64encode(content).decode("ascii")}
            for name, content, mimetype in attachments
        ],
        next_attempt_at=timezone.now(),
    )
    try:
        # A savepoint, so that losing the race on the unique key leaves the caller's transaction usable.
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        winner = Notification.objects.filter(key=key).first()
        if winner is None:
            raise
        return winner
    if app_settings.SEND_ON_COMMIT:
        notification_id = notification.pk
        transaction.on_commit(lambda: deliver(notification_id=notification_id), robust=True)
    return notification


def _build_message(notification: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=app_settings.FROM_EMAIL,
        to=[notification.to],
        headers={"X-Notification-Key": notification.key},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    for filename, content, mimetype in notification.decoded_attachments():
        message.attach(filename, content, mimetype)
    return message


def deliver(*, notification_id: int) -> bool:
    """Send one queued or failed notification unless it was already sent; return True if it went out now.

    Side effects: locks the Notification row for the duration of the send (a concurrent
    deliverer skips it), sends one email, and records the outcome: sent with its time, or
    failed with the error and the time of the next retry.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk=notification_id)
            .exclude(status=NotificationStatus.SENT)
            .first()
        )
        if notification is None:
            return False
        now = timezone.now()
        notification.attempts += 1
        notification.last_attempt_at = now
        try:
            _build_message(notification).send(fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - any backend failure is recorded for a retry, not raised
            logger.warning("Email %s to %s failed: %s", notification.key, notification.to, exc)
            notification.status = NotificationStatus.FAILED
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts < app_settings.MAX_ATTEMPTS:
                delay = app_settings.RETRY_BASE_SECONDS * 2 ** (notification.attempts - 1)
                notification.next_attempt_at = now + timedelta(seconds=delay)
            else:
                notification.next_attempt_at = None
            sent = False
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.next_attempt_at = None
            sent = True
        notification.save(
            update_fields=["attempts", "last_attempt_at", "status", "last_error", "next_attempt_at", "sent_at"]
        )
    return sent


def deliver_pending(*, limit: int = 100) -> int:
    """Deliver notifications that are queued or failed and due for a retry, oldest first; return how many went out.

    Side effects: as `deliver`, for at most `limit` rows. Rows another process is sending are skipped.
    """
    due_ids = list(
        Notification.objects.filter(
            status__in=[NotificationStatus.QUEUED, NotificationStatus.FAILED],
            next_attempt_at__lte=timezone.now(),
            attempts__lt=app_settings.MAX_ATTEMPTS,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(notification_id=pk) for pk in due_ids)


def retry_notification(*, notification: Notification) -> bool:
    """Send a failed notification again now, whatever its attempt count (a builder's action in the admin)."""
    Notification.objects.filter(pk=notification.pk).exclude(status=NotificationStatus.SENT).update(
        next_attempt_at=timezone.now()
    )
    return deliver(notification_id=notification.pk)
