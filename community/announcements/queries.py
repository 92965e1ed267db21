"""Reads behind announcements: which webhooks are configured and what has gone public lately."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from community.announcements.conf import app_settings
from community.announcements.registry import registered_sources
from community.announcements.webhooks import webhook_id


class DraftData(TypedDict):
    """An announcement to store, as it travels between tasks (JSON)."""

    source: str
    object_id: str
    text: str


def configured_sources() -> list[str]:
    """Registered sources with at least one webhook, in registration order."""
    webhooks = app_settings.WEBHOOKS
    return [name for name in registered_sources() if webhooks.get(name)]


def webhooks_by_id() -> dict[str, str]:
    """Every configured webhook address by its fingerprint."""
    return {webhook_id(url): url for urls in app_settings.WEBHOOKS.values() for url in urls}


def announcement_drafts(*, now: datetime) -> list[DraftData]:
    """What went public within the lookback window before `now`, for every source that has a webhook."""
    since = now - app_settings.lookback
    sources = registered_sources()
    return [
        DraftData(source=name, object_id=draft.object_id, text=draft.text)
        for name in configured_sources()
        for draft in sources[name](since=since, now=now)
    ]
