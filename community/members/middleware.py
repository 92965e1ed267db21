import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from community.members.validators import known_time_zones
from community.members.zones import member_zone

BROWSER_TZ_COOKIE = "tz"


class TimezoneMiddleware:
    """Render every page in the viewer's zone: the profile's, else the browser's (a cookie set by site.js)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = self._zone_for(request)
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _zone_for(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone = member_zone(user, default=None)
            if zone is not None:
                return zone
        # site.js writes the zone with encodeURIComponent ("Asia%2FTokyo"); Django hands cookies over undecoded.
        browser_zone = unquote(request.COOKIES.get(BROWSER_TZ_COOKIE, ""))
        if browser_zone in known_time_zones():
            return zoneinfo.ZoneInfo(browser_zone)
        return None


# allauth's two-factor pages that manage authenticators. The login-time pages (authenticate,
# reauthenticate, trust) stay open: a member who has TOTP must be able to sign in with it.
MFA_MANAGEMENT_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_list_webauthn",
        "mfa_add_webauthn",
        "mfa_remove_webauthn",
        "mfa_edit_webauthn",
    }
)


class MFAForBuildersMiddleware:
    """Only builders are offered two-factor authentication; other members get a 403 on its pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        match = request.resolver_match
        if match is None or match.url_name not in MFA_MANAGEMENT_URL_NAMES:
            return
        user = request.user
        if not user.is_authenticated:
            return  # allauth sends anonymous visitors to the login page
        from allauth.mfa.adapter import get_adapter

        adapter = get_adapter()
        offered = getattr(adapter, "is_mfa_offered_to", None)
        if offered is not None and not offered(user):
            raise PermissionDenied("Two-factor authentication is offered to community builders.")
