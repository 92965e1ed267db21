"""The site's addresses plus one page that always fails, to see what visitors get on a server error."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def broken_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("this page always fails")


urlpatterns = [path("broken/", broken_page), *site_urlpatterns]
