"""Settings of the monthly report (prefix REPORTS_), read when used."""

from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

from community.conf import AppSettings


class ReportSettings(AppSettings):
    # Name of the zone whose calendar months the reports cover (empty: the site's TIME_ZONE).
    TIME_ZONE = ""

    class Meta:
        prefix = "reports"

    @property
    def zone(self) -> tzinfo:
        """The zone named by TIME_ZONE."""
        return ZoneInfo(self.TIME_ZONE or str(settings.TIME_ZONE))


app_settings = ReportSettings()
