import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from community.members.validators import known_time_zones

BROWSER_TZ_COOKIE = "tz"


class TimezoneMiddleware:
    """Render every page in the viewer's zone: the profile's, else the browser's (a cookie set by base.js)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone_name = self._zone_for(request)
        if zone_name:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _zone_for(request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            profile = getattr(user, "profile", None)
            if profile is not None and profile.time_zone in known_time_zones():
                return profile.time_zone
        browser_zone = request.COOKIES.get(BROWSER_TZ_COOKIE, "")
        if browser_zone in known_time_zones():
            return browser_zone
        return None
