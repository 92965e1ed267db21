import re
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

# C0 and C1 control characters, DEL included. No page of the site has one in its address, and
# PostgreSQL refuses a NUL in any text it is asked to compare, so a lookup by such a segment
# would end in a server error instead of "not found".
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class RefuseControlCharactersMiddleware:
    """Answer 404 for an address whose path holds a control character, before any view looks it up.

    404 rather than 400: the address names nothing on this site, which is what a visitor is told
    for any other unknown address, and every lookup by a URL segment answers the same way.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if CONTROL_CHARACTERS.search(request.path):
            raise Http404("No page has a control character in its address.")
        return self.get_response(request)
