"""Settings of the mentorship program, each read lazily from django.conf.settings with its default."""

from datetime import time
from typing import Any

from django.conf import settings

from mentorship.matching import Options, Weights


class MentorshipSettings:
    prefix = "MENTORSHIP_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def MIN_OVERLAP_HOURS(self) -> float:
        """Working hours (09:00-18:00 local by default) a pair must share at least."""
        return float(self._get("MIN_OVERLAP_HOURS", 2))

    @property
    def WORKDAY(self) -> tuple[time, time]:
        """The local working day used to compute overlaps, as ("09:00", "18:00")."""
        start, end = self._get("WORKDAY", ("09:00", "18:00"))
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def WEIGHTS(self) -> dict[str, float]:
        """Points per score part: area, time_zone, experience, hours, preferences (missing keys keep defaults)."""
        return dict(self._get("WEIGHTS", {}))

    @property
    def IDEAL_GAP_YEARS(self) -> tuple[int, int]:
        """A mentor this many more years of experience than the mentee earns full experience points."""
        low, high = self._get("IDEAL_GAP_YEARS", (2, 15))
        return int(low), int(high)

    @property
    def CHECK_IN_AFTER_DAYS(self) -> int:
        """Days after publishing when both sides are asked whether they have met."""
        return int(self._get("CHECK_IN_AFTER_DAYS", 14))

    @property
    def CHECK_IN_LINK_MAX_AGE_DAYS(self) -> int:
        """How long a one-click check-in link from an email stays valid."""
        return int(self._get("CHECK_IN_LINK_MAX_AGE_DAYS", 60))

    @property
    def FEEDBACK_END_DAYS(self) -> int:
        """End-of-program feedback is asked during the program's last this-many days (its last day included)."""
        return max(1, int(self._get("FEEDBACK_END_DAYS", 7)))

    @property
    def SOLVE_RESOURCES(self) -> dict[str, dict[str, str]]:
        """CPU and memory of the matching run's solve step when it runs in its own Kubernetes pod:
        {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}} (given keys replace these)."""
        given = dict(self._get("SOLVE_RESOURCES", {}))
        defaults = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
        parts = [*defaults, *(part for part in given if part not in defaults)]
        return {part: {**defaults.get(part, {}), **given.get(part, {})} for part in parts}

    def matching_options(self, *, reference_date: Any = None) -> Options:
        start, end = self.WORKDAY
        return Options(
            weights=Weights(**self.WEIGHTS),
            min_overlap_hours=self.MIN_OVERLAP_HOURS,
            workday_start=start,
            workday_end=end,
            reference_date=reference_date,
            ideal_gap_years=self.IDEAL_GAP_YEARS,
        )


app_settings = MentorshipSettings()
