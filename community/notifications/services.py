"""The outbox: every email the platform sends is queued here once per idempotency key, then delivered.

Requests only queue. After the queuing transaction commits, a run of the `deliver_notifications`
DAG is requested (one per transaction, coalesced with a run already waiting); that DAG also runs
every minute as a sweep. Delivery claims rows with a lease, talks to the mail server outside any
transaction and without row locks, then records the outcome. See docs/email-delivery.md.
"""

import base64
import functools
import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from community.members.models import User
from community.notifications.conf import app_settings
from community.notifications.enums import EmailKind, NotificationStatus
from community.notifications.errors import NoRecipientAddress
from community.notifications.models import EmailPreferences, Notification
from community.notifications.queries import OPTIONAL_KINDS, accepts_email, users_accepting
from community.notifications.rendering import RenderedEmail, render_email
from community.notifications.tokens import unsubscribe_url
from workflows.backoff import exponential_backoff

logger = logging.getLogger(__name__)

DELIVERY_DAG_ID = "deliver_notifications"
RECORD_EVERY = 50
RECORD_SECONDS = 1.0


# Queuing -----------------------------------------------------------------------------------------


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
    """Queue one email under an idempotency key; a worker sends it after the transaction commits.

    Side effects: inserts a Notification row (unless one with this key exists, which is returned
    untouched) and, on commit, requests a deliver_notifications run (once per transaction). If the
    recipient turned this kind of email off, the row is stored as skipped, with the reason, and
    nothing is requested. A rolled-back transaction leaves nothing behind. `recipient` is added to
    the template context, and so is `unsubscribe_url` for optional kinds (shown in the footer).
    """
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing
    address = to or (recipient.email if recipient is not None else "")
    if not address:
        raise NoRecipientAddress(f"The email {key!r} has nowhere to go: the member has no email address.")
    rendered, link = _render(template=template, context=context, recipient=recipient, kind=kind)
    return _queue_rendered(
        key=key,
        recipient=recipient,
        to=address,
        template=template,
        kind=kind,
        rendered=rendered,
        attachments=attachments,
        unsubscribe_link=link,
        wanted=recipient is None or accepts_email(recipient, kind),
    )


def queue_rendered_email(
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    template: str,
    recipient: User | None = None,
) -> Notification:
    """Queue a transactional email that was rendered elsewhere (allauth's account emails).

    `template` only names where the text came from (shown in the admin). Side effects: as
    `queue_email`; the key makes it idempotent.
    """
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if not to:
        raise NoRecipientAddress(f"The email {key!r} has nowhere to go: no address was given.")
    return _queue_rendered(
        key=key,
        recipient=recipient,
        to=to,
        template=template,
        kind=EmailKind.TRANSACTIONAL,
        rendered=RenderedEmail(subject=" ".join(subject.split())[:255], text=text, html=html),
        attachments=(),
        unsubscribe_link="",
    )


def _queue_rendered(
    *,
    key: str,
    recipient: User | None,
    to: str,
    template: str,
    kind: str,
    rendered: RenderedEmail,
    attachments: Sequence[tuple[str, bytes, str]],
    unsubscribe_link: str,
    wanted: bool = True,
) -> Notification:
    notification = _new_row(
        key=key,
        recipient=recipient,
        to=to,
        template=template,
        kind=kind,
        rendered=rendered,
        attachments=attachments,
        unsubscribe_link=unsubscribe_link,
        wanted=wanted,
    )
    stored = _store_once(notification)
    if stored is notification and wanted:
        request_delivery_on_commit()
    return stored


def _render(*, template: str, context: dict[str, Any], recipient: User | None, kind: str) -> tuple[RenderedEmail, str]:
    """The email in the recipient's zone, and its unsubscribe link (empty for transactional mail)."""
    link = ""
    if recipient is not None and kind in OPTIONAL_KINDS:
        link = unsubscribe_url(member_id=recipient.pk, kind=kind)
    rendered = render_email(
        template, {"recipient": recipient, "unsubscribe_url": link, "email_kind": EmailKind(kind), **context}
    )
    return rendered, link


def _new_row(
    *,
    key: str,
    recipient: User | None,
    to: str,
    template: str,
    kind: str,
    rendered: RenderedEmail,
    attachments: Sequence[tuple[str, bytes, str]],
    unsubscribe_link: str,
    wanted: bool,
) -> Notification:
    """An unsaved outbox row: queued now, or skipped (kept, so the key stays used and a builder sees why)."""
    return Notification(
        key=key,
        recipient=recipient,
        to=to,
        template=template,
        kind=kind,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        attachments=[
            {"filename": name, "mimetype": mimetype, "content": base64.b64encode(content).decode("ascii")}
            for name, content, mimetype in attachments
        ],
        unsubscribe_url=unsubscribe_link,
        status=NotificationStatus.QUEUED if wanted else NotificationStatus.SKIPPED,
        next_attempt_at=timezone.now() if wanted else None,
        last_error="" if wanted else _turned_off_reason(kind),
    )


def _store_once(notification: Notification) -> Notification:
    """Insert the row, or return the one a concurrent caller inserted under the same key."""
    try:
        # A savepoint, so that losing the race on the unique key leaves the caller's transaction usable.
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        winner = Notification.objects.filter(key=notification.key).first()
        if winner is None:
            raise
        return winner
    return notification


def _turned_off_reason(kind: str) -> str:
    return f"Not sent: the member turned off “{EmailKind(kind).label}” emails."


def request_delivery_on_commit() -> None:
    """Ask for a deliver_notifications run when the current transaction commits, once per transaction."""
    from workflows.services import request_dag_run_on_commit

    if app_settings.DELIVERY == "worker":
        request_dag_run_on_commit(dag_id=DELIVERY_DAG_ID)


# Delivery ----------------------------------------------------------------------------------------


def message_id(notification: Notification) -> str:
    """The Message-ID of this outbox row: the same on every send, so clients collapse a resent copy."""
    digest = hashlib.sha256(f"{notification.key}\n{notification.created_at.isoformat()}".encode()).hexdigest()[:12]
    return f"<notification-{notification.pk}.{digest}@{_message_id_domain()}>"


def _message_id_domain() -> str:
    return _domain_of(app_settings.FROM_EMAIL, settings.SITE_URL)


@functools.lru_cache(maxsize=8)
def _domain_of(from_email: str, site_url: str) -> str:
    address = parseaddr(from_email)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain or urlsplit(site_url).hostname or "localhost"


def _build_message(notification: Notification, backend: BaseEmailBackend) -> EmailMultiAlternatives:
    headers = {"Message-ID": message_id(notification), "X-Notification-Key": notification.key}
    if notification.unsubscribe_url:
        # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the link.
        headers["List-Unsubscribe"] = f"<{notification.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=app_settings.FROM_EMAIL,
        to=[notification.to],
        headers=headers,
        connection=backend,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    for filename, content, mimetype in notification.decoded_attachments():
        message.attach(filename, content, mimetype)
    return message


def _due(now: datetime) -> Q:
    waiting = Q(status__in=[NotificationStatus.QUEUED, NotificationStatus.FAILED], next_attempt_at__lte=now)
    abandoned = Q(status=NotificationStatus.SENDING, lease_expires_at__lte=now, attempts__lt=app_settings.MAX_ATTEMPTS)
    return waiting | abandoned


def _claim(size: int) -> list[Notification]:
    """Take up to `size` due rows for this deliverer with a guarded update and a fresh lease."""
    now = timezone.now()
    lease = uuid.uuid4()
    connection = transaction.get_connection()
    with transaction.atomic():
        candidates = Notification.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            # Concurrent deliverers take disjoint rows instead of queueing behind each other's claim.
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        # The guard repeats the due condition: where rows cannot be locked (SQLite), a row another
        # deliverer claimed in the meantime is no longer due and is left to it.
        Notification.objects.filter(_due(now), pk__in=ids).update(
            status=NotificationStatus.SENDING,
            lease_id=lease,
            lease_expires_at=now + timedelta(seconds=app_settings.LEASE_SECONDS),
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    return list(Notification.objects.filter(lease_id=lease).order_by("next_attempt_at", "pk"))


def _still_wanted(rows: list[Notification]) -> list[Notification]:
    """Mark skipped the rows whose member turned their kind off since queuing; return the others."""
    by_kind: dict[str, set[int]] = {}
    for row in rows:
        if row.kind in OPTIONAL_KINDS and row.recipient_id is not None:
            by_kind.setdefault(row.kind, set()).add(row.recipient_id)
    refused: set[tuple[str, int]] = set()
    for kind, member_ids in by_kind.items():
        accepting = set(users_accepting(User.objects.filter(pk__in=member_ids), kind).values_list("pk", flat=True))
        refused.update((kind, member_id) for member_id in member_ids - accepting)
    kept = []
    for row in rows:
        if (row.kind, row.recipient_id) in refused:
            _owned(row).update(
                status=NotificationStatus.SKIPPED,
                last_error=_turned_off_reason(row.kind),
                next_attempt_at=None,
                lease_id=None,
                lease_expires_at=None,
            )
        else:
            kept.append(row)
    return kept


def _owned(row: Notification) -> Any:
    """The row, as long as this deliverer's lease on it holds (a taken-over row is not ours to record)."""
    return Notification.objects.filter(pk=row.pk, lease_id=row.lease_id, status=NotificationStatus.SENDING)


def _record_sent(rows: list[Notification]) -> None:
    """Mark sent, in one UPDATE, rows of one claim that the mail server accepted."""
    if not rows:
        return
    Notification.objects.filter(
        pk__in=[row.pk for row in rows], lease_id=rows[0].lease_id, status=NotificationStatus.SENDING
    ).update(
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
        lease_id=None,
        lease_expires_at=None,
    )
    rows.clear()


def _record_failure(row: Notification, error: BaseException) -> None:
    logger.warning("Email %s to %s failed: %s", row.key, row.to, error)
    now = timezone.now()
    if row.attempts < app_settings.MAX_ATTEMPTS:
        next_attempt: datetime | None = now + timedelta(
            seconds=exponential_backoff(row.attempts - 1, base=app_settings.RETRY_BASE_SECONDS)
        )
    else:
        next_attempt = None
    _owned(row).update(
        status=NotificationStatus.FAILED,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=next_attempt,
        lease_id=None,
        lease_expires_at=None,
    )


@dataclass
class _Connection:
    """One mail backend connection for a whole run, reopened after a failed send."""

    backend: BaseEmailBackend
    is_open: bool = False

    def ensure_open(self) -> None:
        if not self.is_open:
            self.backend.open()
            self.is_open = True

    def close(self) -> None:
        if self.is_open:
            self.is_open = False
            self.backend.close()


def _send(rows: list[Notification], connection: _Connection) -> tuple[int, bool]:
    """Send claimed rows one by one; return how many went out and whether the server can be reached.

    Accepted rows are recorded as sent in groups (RECORD_EVERY emails or RECORD_SECONDS), not one
    commit per email: a deliverer killed outright leaves at most that group to be sent again.
    """
    sent = 0
    accepted: list[Notification] = []
    last_recorded = time.monotonic()
    try:
        for index, row in enumerate(rows):
            try:
                connection.ensure_open()
            except Exception as exc:  # noqa: BLE001 - an unreachable server fails this claim, to be retried
                for left in rows[index:]:
                    _record_failure(left, exc)
                return sent, False
            try:
                _build_message(row, connection.backend).send(fail_silently=False)
            except Exception as exc:  # noqa: BLE001 - any backend failure is recorded for a retry, not raised
                _record_failure(row, exc)
                # The session may be broken (a dropped connection fails every later message): start afresh.
                connection.close()
                continue
            # From here until it is recorded, the email is out but its row says "sending": a deliverer
            # dying now leaves it to go again, same Message-ID, once the lease runs out.
            accepted.append(row)
            sent += 1
            if len(accepted) >= RECORD_EVERY or time.monotonic() - last_recorded >= RECORD_SECONDS:
                _record_sent(accepted)
                last_recorded = time.monotonic()
    finally:
        # Also on the way out of an interrupted run: what the server accepted is not sent twice.
        _record_sent(accepted)
    return sent, True


def _give_up_abandoned() -> int:
    """Fail the rows whose deliverers died mid-send MAX_ATTEMPTS times: a builder decides."""
    return Notification.objects.filter(
        status=NotificationStatus.SENDING,
        lease_expires_at__lte=timezone.now(),
        attempts__gte=app_settings.MAX_ATTEMPTS,
    ).update(
        status=NotificationStatus.FAILED,
        last_error=(
            "Delivery stopped part-way too many times (the sending process ended before it could record "
            "the outcome). The member may have received it; send it again from the admin if not."
        ),
        next_attempt_at=None,
        lease_id=None,
        lease_expires_at=None,
    )


def deliver_pending(*, limit: int = 10_000) -> int:
    """Deliver due emails, oldest first, over one mail server connection; return how many went out.

    Due: queued or failed rows whose next attempt has come, and "sending" rows whose lease ran out
    (their deliverer died; they go again with the same Message-ID). Rows are claimed in groups of
    NOTIFICATIONS_CLAIM_SIZE with a guarded update and a lease of NOTIFICATIONS_LEASE_SECONDS; the
    mail server is spoken to outside any transaction and without row locks. Side effects: per row,
    sent with its time; failed with the error and the time of the next retry (none after
    MAX_ATTEMPTS); or skipped when the member has turned that kind of email off since it was queued.
    Stops early when the mail server cannot be reached.
    """
    _give_up_abandoned()
    sent = 0
    remaining = limit
    connection = _Connection(get_connection(fail_silently=False))
    try:
        while remaining > 0:
            claimed = _claim(min(remaining, app_settings.CLAIM_SIZE))
            if not claimed:
                break
            remaining -= len(claimed)
            went_out, reachable = _send(_still_wanted(claimed), connection)
            sent += went_out
            if not reachable:
                break
    finally:
        connection.close()
    return sent


def retry_notifications(*, notification_ids: Iterable[int]) -> int:
    """Make failed or queued emails due now, whatever their attempt count (a builder's action in the admin).

    Returns how many will be sent. Side effects: updates those rows, requests a deliver_notifications
    run on commit. Sent and skipped emails, and emails being sent right now, are left alone.
    """
    with transaction.atomic():
        count = Notification.objects.filter(
            pk__in=list(notification_ids), status__in=[NotificationStatus.QUEUED, NotificationStatus.FAILED]
        ).update(status=NotificationStatus.QUEUED, next_attempt_at=timezone.now())
        if count:
            request_delivery_on_commit()
    return count


# Preferences and housekeeping --------------------------------------------------------------------


def update_email_preferences(*, member: User, choices: dict[str, bool]) -> EmailPreferences:
    """Store which optional kinds of email a member receives. Side effects: locks their preferences row."""
    unknown = set(choices) - OPTIONAL_KINDS
    if unknown:
        raise ValueError(f"not an optional kind of email: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        EmailPreferences.objects.get_or_create(user=member)
        preferences = EmailPreferences.objects.select_for_update().get(user=member)
        for kind, accepted in choices.items():
            setattr(preferences, kind, bool(accepted))
        preferences.save()
    return preferences


def turn_off_email(*, member: User, kind: EmailKind) -> EmailPreferences:
    """Stop one optional kind of email for a member (the unsubscribe link). Doing it twice changes nothing.

    Side effects: as `update_email_preferences`; queued emails of that kind are skipped at delivery.
    """
    return update_email_preferences(member=member, choices={kind: False})


def prune_delivered_notifications(*, older_than: datetime, dry_run: bool = False) -> int:
    """Delete sent emails sent before `older_than` and skipped ones queued before it; return how many.

    Failed, queued and sending rows are kept whatever their age: they still need a person or a run.
    Once a row is gone its key may be queued again, so keep retention longer than any job looks back.
    """
    finished = Notification.objects.filter(
        Q(status=NotificationStatus.SENT, sent_at__lt=older_than)
        | Q(status=NotificationStatus.SKIPPED, created_at__lt=older_than)
    )
    if dry_run:
        return finished.count()
    deleted, _ = finished.delete()
    return deleted


def queue_emails(*, emails: Sequence[dict[str, Any]]) -> int:
    """Queue many emails with a fixed number of queries; each item holds `queue_email`'s keyword arguments.

    For jobs that queue thousands at once (reminders). The outcome is that of calling `queue_email`
    for each item: one row per key (the first item wins within the call), a key already used is left
    untouched, a recipient who turned the kind off gets a skipped row with the reason, and one
    deliver_notifications run is requested on commit. Queries: one for the keys already used, one per
    optional kind for who accepts it, and bulk inserts (a key a concurrent caller inserted meanwhile
    stays theirs). Raises NoRecipientAddress, before inserting anything, when an item has nowhere to
    go. Returns how many rows were new to this call.
    """
    used = set(Notification.objects.filter(key__in=[item["key"] for item in emails]).values_list("key", flat=True))
    items: dict[str, dict[str, Any]] = {}
    for item in emails:
        if item["key"] not in used:
            items.setdefault(item["key"], item)
    for item in items.values():
        recipient = item.get("recipient")
        if not (item.get("to") or (recipient.email if recipient is not None else "")):
            raise NoRecipientAddress(f"The email {item['key']!r} has nowhere to go: the member has no email address.")
    accepting: dict[str, set[int]] = {}
    for kind in {str(item.get("kind", EmailKind.TRANSACTIONAL)) for item in items.values()} & OPTIONAL_KINDS:
        ids = {item["recipient"].pk for item in items.values() if item.get("recipient") and item.get("kind") == kind}
        accepting[kind] = set(users_accepting(User.objects.filter(pk__in=ids), kind).values_list("pk", flat=True))
    rows = []
    for item in items.values():
        recipient, kind = item.get("recipient"), item.get("kind", EmailKind.TRANSACTIONAL)
        rendered, link = _render(template=item["template"], context=item["context"], recipient=recipient, kind=kind)
        rows.append(
            _new_row(
                key=item["key"],
                recipient=recipient,
                to=item.get("to") or recipient.email,
                template=item["template"],
                kind=kind,
                rendered=rendered,
                attachments=item.get("attachments", ()),
                unsubscribe_link=link,
                wanted=not (recipient is not None and kind in OPTIONAL_KINDS) or recipient.pk in accepting[kind],
            )
        )
    with transaction.atomic():
        Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    if any(row.status == NotificationStatus.QUEUED for row in rows):
        request_delivery_on_commit()
    return len(rows)
