"""Settings of the mentorship program (prefix MENTORSHIP_), read when used."""

from datetime import date, time

from community.conf import AppSettings
from mentorship.matching import Options, Weights


class MentorshipSettings(AppSettings):
    # Working hours (of the local WORKDAY) a pair must share at least.
    MIN_OVERLAP_HOURS = 2.0
    # The local working day used to compute overlaps, as ("09:00", "18:00").
    WORKDAY = ("09:00", "18:00")
    # Points per score part: area, time_zone, experience, hours, preferences (missing keys keep defaults).
    WEIGHTS: dict[str, float] = {}
    # A mentor this many more years of experience than the mentee earns full experience points, as (low, high).
    IDEAL_GAP_YEARS = (2, 15)
    # Days after publishing when both sides are asked whether they have met.
    CHECK_IN_AFTER_DAYS = 14
    # How many days a one-click check-in link from an email stays valid.
    CHECK_IN_LINK_MAX_AGE_DAYS = 60
    # End-of-program feedback is asked during the program's last this-many days (its last day included; at least 1).
    FEEDBACK_END_DAYS = 7
    # CPU and memory of the matching run's solve step when it runs in its own Kubernetes pod; given keys replace
    # these.
    SOLVE_RESOURCES: dict[str, dict[str, str]] = {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"memory": "2Gi"},
    }

    class Meta:
        prefix = "mentorship"

    def clean_weights(self, value: dict[str, float]) -> dict[str, float]:
        return dict(value)

    def clean_feedback_end_days(self, value: int) -> int:
        return max(1, value)

    def clean_solve_resources(self, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        defaults = self._meta.defaults[self._meta.names["SOLVE_RESOURCES"]]
        given = dict(value)
        parts = [*defaults, *(part for part in given if part not in defaults)]
        return {part: {**defaults.get(part, {}), **given.get(part, {})} for part in parts}

    @property
    def workday(self) -> tuple[time, time]:
        """WORKDAY as two times of day."""
        start, end = self.WORKDAY
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def ideal_gap_years(self) -> tuple[int, int]:
        """IDEAL_GAP_YEARS as two whole numbers."""
        low, high = self.IDEAL_GAP_YEARS
        return int(low), int(high)

    def matching_options(self, *, reference_date: date | None = None) -> Options:
        start, end = self.workday
        return Options(
            weights=Weights(**self.WEIGHTS),
            min_overlap_hours=self.MIN_OVERLAP_HOURS,
            workday_start=start,
            workday_end=end,
            reference_date=reference_date,
            ideal_gap_years=self.ideal_gap_years,
        )


app_settings = MentorshipSettings()
