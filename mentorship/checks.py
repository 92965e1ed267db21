"""System checks for the mentorship settings (ids mentorship.E001…)."""

from __future__ import annotations

from numbers import Real
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from mentorship.matching import MAX_WEIGHT, WEIGHT_NAMES


@register("mentorship")
def check_matching_weights(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """MENTORSHIP_WEIGHTS names known score parts, each a number from 0 to MAX_WEIGHT points."""
    weights = getattr(settings, "MENTORSHIP_WEIGHTS", {})
    if not isinstance(weights, dict):
        return [
            Error(
                "MENTORSHIP_WEIGHTS must be a mapping of score part to points.",
                hint=f"e.g. {{'area': 40, 'time_zone': 20}}; parts: {', '.join(WEIGHT_NAMES)}.",
                id="mentorship.E002",
            )
        ]
    messages: list[CheckMessage] = []
    for name, value in weights.items():
        if name not in WEIGHT_NAMES:
            messages.append(
                Error(
                    f"MENTORSHIP_WEIGHTS names an unknown score part {name!r}.",
                    hint=f"Use {', '.join(WEIGHT_NAMES)}.",
                    id="mentorship.E002",
                )
            )
        elif not isinstance(value, Real) or isinstance(value, bool) or value < 0:
            messages.append(
                Error(
                    f"MENTORSHIP_WEIGHTS[{name!r}] is {value!r}, not a number of points of 0 or more.",
                    hint="Give each part a number of points, e.g. 40.",
                    id="mentorship.E002",
                )
            )
        elif value > MAX_WEIGHT:
            messages.append(
                Error(
                    f"MENTORSHIP_WEIGHTS[{name!r}] is {value:g} points, more than the {MAX_WEIGHT:g} the matching "
                    "engine can add up exactly.",
                    hint="The pairs chosen depend only on the ratios between weights: divide them all by the same "
                    f"factor so that none exceeds {MAX_WEIGHT:g}.",
                    id="mentorship.E001",
                )
            )
    return messages
