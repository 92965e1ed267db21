"""Site-wide views that belong to no app."""

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers and feed readers ask for /favicon.ico whatever a page's <link rel="icon"> says."""
    return HttpResponsePermanentRedirect(static("icons/favicon.svg"))
