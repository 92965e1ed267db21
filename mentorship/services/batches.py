"""Batch lifecycle: each status change is its own service, allowed only along TRANSITIONS."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from community.members.models import User
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.errors import InvalidTransition
from mentorship.models import Batch, Match


def locked_batch(batch: Batch) -> Batch:
    """The batch row again, locked until the surrounding transaction ends."""
    return Batch.objects.select_for_update().get(pk=batch.pk)


def move_batch(batch: Batch, to: str) -> Batch:
    """Move a locked batch one step; raises InvalidTransition with the allowed moves otherwise."""
    if not batch.can_move_to(to):
        allowed = ", ".join(BatchStatus(s).label.lower() for s in batch.next_statuses) or "nothing (it is over)"
        raise InvalidTransition(
            f"{batch.name} is {batch.get_status_display().lower()}; it cannot become "
            f"{BatchStatus(to).label.lower()}. Next step: {allowed}."
        )
    batch.status = to
    batch.save(update_fields=["status", "updated_at"])
    return batch


def create_batch(
    *,
    name: str,
    description: str = "",
    applications_open_at: datetime,
    applications_close_at: datetime,
    program_starts_on: date,
    program_ends_on: date,
    slug: str = "",
) -> Batch:
    """A new batch in draft. The slug comes from the name (made unique) unless given."""
    base = slug or slugify(name)[:100] or "batch"
    candidate, n = base, 2
    while Batch.objects.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    batch = Batch(
        name=name,
        slug=candidate,
        description=description,
        applications_open_at=applications_open_at,
        applications_close_at=applications_close_at,
        program_starts_on=program_starts_on,
        program_ends_on=program_ends_on,
    )
    batch.full_clean()
    batch.save()
    return batch


@transaction.atomic
def open_batch(*, batch: Batch, by: User | None = None) -> Batch:
    """draft -> open: members can apply. Locks the batch row."""
    return move_batch(locked_batch(batch), BatchStatus.OPEN)


@transaction.atomic
def close_batch(*, batch: Batch, by: User | None = None) -> Batch:
    """open -> closed: applications are frozen, matching can run. Locks the batch row."""
    batch = move_batch(locked_batch(batch), BatchStatus.CLOSED)
    if batch.applications_close_at > timezone.now():
        # Closing early moves the window's end, so pages never say "open until" a passed moment.
        batch.applications_close_at = max(timezone.now(), batch.applications_open_at + timezone.timedelta(seconds=1))
        batch.save(update_fields=["applications_close_at", "updated_at"])
    return batch


@transaction.atomic
def activate_batch(*, batch: Batch, by: User | None = None) -> Batch:
    """published -> active: approved pairs become active. Locks the batch row."""
    batch = move_batch(locked_batch(batch), BatchStatus.ACTIVE)
    batch.matches.filter(status=MatchStatus.APPROVED).update(status=MatchStatus.ACTIVE)
    return batch


@transaction.atomic
def complete_batch(*, batch: Batch, by: User | None = None) -> Batch:
    """active -> completed: active pairs are completed and stay on both members' records."""
    batch = move_batch(locked_batch(batch), BatchStatus.COMPLETED)
    Match.objects.filter(batch=batch, status=MatchStatus.ACTIVE).update(
        status=MatchStatus.COMPLETED, ended_at=timezone.now()
    )
    return batch
