"""Addresses of the site as the outside world sees them: feeds, calendar files, emails and chat posts are
read away from any request, so their links come from SITE_URL."""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path_or_url: str) -> str:
    """`path_or_url` under SITE_URL, e.g. "/workshops/helm/" -> "https://community.example.org/workshops/helm/".

    An address that is already absolute (an upload on another host, a configured cover image) is kept.
    """
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return f"{settings.SITE_URL}{path_or_url}"


def site_host() -> str:
    """The site's host name, e.g. for calendar UIDs: "community.example.org" ("localhost" when unknown)."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"
