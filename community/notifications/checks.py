"""System checks of the outbox's settings, with stable ids."""

from typing import Any

from django.core.checks import CheckMessage, Error

from community.notifications.conf import DELIVERY_MODES, app_settings


def check_settings(**kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if app_settings.DELIVERY not in DELIVERY_MODES:
        errors.append(
            Error(
                f"NOTIFICATIONS_DELIVERY is {app_settings.DELIVERY!r}, which is not a delivery mode",
                hint=f"Use one of {', '.join(DELIVERY_MODES)}; the deliver_notifications DAG sends in both.",
                id="notifications.E001",
            )
        )
    if app_settings.LEASE_SECONDS < 30:
        errors.append(
            Error(
                f"NOTIFICATIONS_LEASE_SECONDS is {app_settings.LEASE_SECONDS}: too short to send a claim of emails",
                hint="Keep it well above the time NOTIFICATIONS_CLAIM_SIZE emails take to send (default 300).",
                id="notifications.E002",
            )
        )
    return errors
