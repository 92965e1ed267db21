from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def _mfa_offered(request: HttpRequest) -> Callable[[], bool]:
    # A callable, so that the query behind it only runs on pages that show the account menu.
    def offered() -> bool:
        from allauth.mfa.adapter import get_adapter

        check = getattr(get_adapter(), "is_mfa_offered_to", None)
        return bool(check and check(request.user))

    return offered


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SOCIAL_LOGIN_ENABLED": bool(getattr(settings, "SOCIALACCOUNT_PROVIDERS", None)),
        "MFA_OFFERED": _mfa_offered(request),
    }
