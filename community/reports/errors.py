"""Domain errors of the monthly report. Each message is written for the builder who sees it."""


class ReportError(Exception):
    """Base of every refusal a report action can give."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "This report cannot be compiled."


class MonthNotOver(ReportError):
    """Reports cover whole months: the current one (or a later one) cannot be compiled yet."""


class InvalidMonth(ReportError):
    """A month param that is not written YYYY-MM."""
