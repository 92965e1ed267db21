from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from community.calendar import services
from community.calendar.feeds import personal_calendar
from community.calendar.queries import member_for_feed_token
from community.members.services import ensure_profile


@never_cache
@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed. The token is the only credential, so an unknown or replaced one is simply not found."""
    member = member_for_feed_token(token)
    if member is None:
        raise Http404("No such calendar.")
    response = HttpResponse(personal_calendar(member), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    # The address is a secret: keep it out of shared caches and of other sites' referrer logs.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_safe
def calendar_settings(request: HttpRequest) -> HttpResponse:
    # A builder made with createsuperuser has no profile until they first need one.
    profile = ensure_profile(user=request.user)  # type: ignore[arg-type]
    https_url = request.build_absolute_uri(reverse("calendar:feed", args=[profile.calendar_token]))
    webcal_url = "webcal://" + https_url.split("://", 1)[1]
    return render(request, "calendar/settings.html", {"feed_url": https_url, "webcal_url": webcal_url})


@login_required
@require_POST
def rotate(request: HttpRequest) -> HttpResponse:
    ensure_profile(user=request.user)  # type: ignore[arg-type]
    services.rotate_calendar_token(member=request.user)  # type: ignore[arg-type]
    messages.success(
        request, "Your calendar has a new private address. The old one no longer works: update your calendar app."
    )
    return redirect("calendar:settings")
