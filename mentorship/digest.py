"""Mentorship's section of the weekly digest: batches that accept applications."""

from __future__ import annotations

from datetime import datetime

from community.digest.registry import DigestItem, DigestSection
from mentorship.enums import BatchStatus
from mentorship.models import Batch


def open_batches(*, now: datetime) -> DigestSection:
    """Open batches whose application window has not closed, closing soonest first."""
    batches = Batch.objects.filter(status=BatchStatus.OPEN, applications_close_at__gt=now).order_by(
        "applications_close_at", "pk"
    )
    return DigestSection(
        heading="Mentorship batches open for applications",
        items=[
            DigestItem(
                title=batch.name,
                path=batch.get_absolute_url(),
                when=batch.applications_close_at,
                when_label="Applications close",
            )
            for batch in batches
        ],
    )
