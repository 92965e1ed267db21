"""Stored figures as tables and bar charts: the geometry is computed here, the SVG drawn by the template (no JS).

The same tables feed the page, the charts' text alternative and the email.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community.reports import registry
from community.reports.registry import FigureValue

CHART_WIDTH = 640
LABEL_WIDTH = 190  # left column for figure names
BAR_SPACE = 380  # longest bar, in px; values are written after the bar
BAR_HEIGHT = 14
ROW_HEIGHT = 44  # two bars and the gap to the next figure
LEGEND_HEIGHT = 28
NO_VALUE = "\N{EN DASH}"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    month: FigureValue
    previous: FigureValue
    percent: bool = False

    @property
    def change(self) -> str:
        """ "+3", "-2", "±0" ("pts" for percentages); a dash when either side has no value."""
        if self.month is None or self.previous is None:
            return NO_VALUE
        delta = self.month - self.previous
        if self.percent:
            delta = round(delta, 1)
        unit = " pts" if self.percent else ""
        if delta == 0:
            return f"±0{unit}"
        return f"{delta:+g}{unit}"


def _humanize(key: str) -> str:
    return key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    rows: list[Row]


def report_tables(figures: dict[str, Any]) -> list[Table]:
    """One table per section, in registry order; sections no longer registered follow with raw names."""
    stored: dict[str, dict[str, dict[str, FigureValue]]] = figures.get("sections", {})
    tables = []
    for section in registry.sections():
        values = stored.get(section.name)
        if values is None:
            continue  # a report compiled before the section existed
        rows = [
            Row(f.key, f.label, values[f.key]["month"], values[f.key]["previous"], f.percent)
            for f in section.figures
            if f.key in values
        ]
        tables.append(Table(section.name, section.title, rows))
    for name, values in stored.items():
        if registry.section(name) is None:
            rows = [
                Row(key, key.replace("_", " ").capitalize(), v["month"], v["previous"]) for key, v in values.items()
            ]
            tables.append(Table(name, _humanize(name), sorted(rows, key=lambda r: r.key)))
    return tables


@dataclass(frozen=True)
class Bar:
    value: int
    width: int
    y: int

    @property
    def text_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class ChartRow:
    label: str
    y: int
    month: Bar
    previous: Bar


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    rows: list[ChartRow]
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def height(self) -> int:
        return LEGEND_HEIGHT + ROW_HEIGHT * len(self.rows)


def section_chart(table: Table, *, month_label: str, previous_label: str) -> Chart | None:
    """Bars for the section's counts, this month above the month before; None when it has no count.

    Percentages stay in the table: on the same axis as counts their bars would mean nothing.
    """
    counts = [row for row in table.rows if not row.percent]
    if not counts:
        return None
    top = max((max(row.month or 0, row.previous or 0) for row in counts), default=0) or 1

    def bar(value: FigureValue, y: int) -> Bar:
        number = int(value or 0)
        return Bar(value=number, width=round(BAR_SPACE * number / top), y=y)

    rows = []
    for i, row in enumerate(counts):
        y = LEGEND_HEIGHT + i * ROW_HEIGHT
        rows.append(ChartRow(row.label, y, bar(row.month, y), bar(row.previous, y + BAR_HEIGHT + 2)))
    return Chart(id=f"chart-{table.name}", title=f"{table.title}: {month_label} and {previous_label}", rows=rows)


def headline_columns() -> list[tuple[str, registry.Figure]]:
    """The first figure of each section: the columns of the list of past reports."""
    return [(section.name, section.figures[0]) for section in registry.sections()]


def headline_values(figures: dict[str, Any], columns: list[tuple[str, registry.Figure]]) -> list[FigureValue]:
    """A report's value in each headline column; None where the report predates the figure."""
    stored = figures.get("sections", {})
    return [stored.get(name, {}).get(figure.key, {}).get("month") for name, figure in columns]
