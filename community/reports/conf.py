"""Settings of the monthly report, each read lazily from django.conf.settings with its default."""

from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings


class ReportSettings:
    prefix = "REPORTS_"

    @property
    def TIME_ZONE(self) -> tzinfo:
        """Zone whose calendar months the reports cover (default: the site's TIME_ZONE)."""
        return ZoneInfo(str(getattr(settings, self.prefix + "TIME_ZONE", settings.TIME_ZONE)))


app_settings = ReportSettings()
