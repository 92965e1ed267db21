"""Settings of the members app, each read lazily from django.conf.settings with its default."""

from typing import Any

from django.conf import settings


class MembersSettings:
    prefix = "MEMBERS_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def CONDUCT_CONTACT(self) -> str:
        """Where code-of-conduct reports go, shown on /code-of-conduct/ (defaults to the site's sender address)."""
        return str(self._get("CONDUCT_CONTACT", "") or settings.DEFAULT_FROM_EMAIL)

    @property
    def DIRECTORY_PAGE_SIZE(self) -> int:
        """How many profiles one page of the member directory shows."""
        return int(self._get("DIRECTORY_PAGE_SIZE", 24))

    @property
    def HOME_FACES(self) -> int:
        """How many public profiles the home page shows to visitors."""
        return int(self._get("HOME_FACES", 6))

    @property
    def UNVERIFIED_ACCOUNT_DAYS(self) -> int:
        """Sign-ups that never verified their address nor logged in are deleted after this many days."""
        return int(self._get("UNVERIFIED_ACCOUNT_DAYS", 14))


app_settings = MembersSettings()
