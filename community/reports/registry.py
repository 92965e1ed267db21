"""The sections of the monthly report. Each app that contributes figures registers one, from its `ready()`.

    register_section(
        "mentorship",
        compute_mentorship_figures,            # (start, end) -> {"active_pairs": 4, "met_pairs": 3}
        title="Mentorship",
        figures=[Figure("active_pairs", "Pairs active"), Figure("met_pairs", "Pairs that met")],
    )

`compute` receives the bounds of one month as aware datetimes, [start, end), and returns one value
per declared figure: a whole number, or a percentage (`percent=True`) that is None when it has no base.
Sections appear in the order they were registered (INSTALLED_APPS order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

FigureValue = int | float | None
Compute = Callable[[datetime, datetime], Mapping[str, FigureValue]]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    percent: bool = False


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    figures: tuple[Figure, ...]
    compute: Compute

    @property
    def keys(self) -> list[str]:
        return [figure.key for figure in self.figures]


_sections: dict[str, Section] = {}


def register_section(name: str, compute: Compute, *, title: str, figures: Iterable[Figure]) -> Section:
    """Add a section to every report compiled from now on; registering the same one again changes nothing.

    Raises ValueError when another section already uses the name, or when it declares no figure.
    """
    section = Section(name=name, title=title, figures=tuple(figures), compute=compute)
    if not section.figures:
        raise ValueError(f"Report section {name!r} declares no figures.")
    existing = _sections.get(name)
    if existing is not None and existing != section:
        raise ValueError(f"A report section named {name!r} is already registered.")
    _sections[name] = section
    return section


def sections() -> list[Section]:
    """The registered sections, in registration order."""
    return list(_sections.values())


def section(name: str) -> Section | None:
    return _sections.get(name)
