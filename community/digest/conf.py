"""Settings of the weekly digest, each read lazily from django.conf.settings with its default."""

from typing import Any

from django.conf import settings


class DigestSettings:
    prefix = "DIGEST_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def SEND_HOUR(self) -> int:
        """Local hour (0-23) on Monday at which each member receives the digest, in their own zone."""
        return int(self._get("SEND_HOUR", 8))

    @property
    def WORKSHOP_DAYS(self) -> int:
        """How many days ahead the digest looks for workshops."""
        return int(self._get("WORKSHOP_DAYS", 14))

    @property
    def EPISODE_DAYS(self) -> int:
        """How many days back the digest looks for newly published episodes."""
        return int(self._get("EPISODE_DAYS", 7))


app_settings = DigestSettings()
