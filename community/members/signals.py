"""Keep the sites framework's Site in step with SITE_URL and SITE_NAME.

allauth names the site in its emails ("Hello from …") and builds links from it; without this the
emails would speak of "example.com".
"""

from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS


def sync_site(sender: AppConfig, *, using: str = DEFAULT_DB_ALIAS, apps: Any = None, **kwargs: Any) -> None:
    try:
        site_model = apps.get_model("sites", "Site")
    except (AttributeError, LookupError):  # called without a migration state, or sites is not installed
        return
    domain = urlsplit(settings.SITE_URL).netloc or "localhost:8000"
    site_model.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain[:100], "name": settings.SITE_NAME[:50]}
    )
