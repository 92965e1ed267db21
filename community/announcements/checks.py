"""System checks for the announcement webhooks, with stable ids."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core import checks

from community.announcements.conf import app_settings
from community.announcements.registry import registered_sources


@checks.register()
def check_webhooks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    known = registered_sources()
    for source, urls in app_settings.WEBHOOKS.items():
        if source not in known:
            messages.append(
                checks.Warning(
                    f"ANNOUNCEMENTS_WEBHOOKS names {source!r}, which nothing announces.",
                    hint=f"Use one of: {', '.join(known)}.",
                    id="announcements.W001",
                )
            )
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                messages.append(
                    checks.Error(
                        f"An announcement webhook for {source} is not an http(s) address.",
                        hint="Paste the incoming-webhook address exactly as Slack or Discord shows it.",
                        id="announcements.E001",
                    )
                )
    return messages
