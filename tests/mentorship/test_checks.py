"""System checks of the mentorship settings."""

from __future__ import annotations

from django.core.checks import Error, run_checks
from django.test import override_settings

from mentorship.matching import MAX_WEIGHT


def mentorship_messages() -> list[tuple[str, str]]:
    return [(m.id or "", m.msg) for m in run_checks() if (m.id or "").startswith("mentorship.")]


@override_settings(MENTORSHIP_WEIGHTS=dict.fromkeys(("area", "time_zone", "experience", "hours"), MAX_WEIGHT))
def test_weights_at_the_bound_pass_the_checks() -> None:
    assert mentorship_messages() == []


@override_settings(MENTORSHIP_WEIGHTS={"area": 40, "time_zone": MAX_WEIGHT * 3})
def test_weight_past_the_bound_is_reported_with_a_hint() -> None:
    messages = [m for m in run_checks() if m.id == "mentorship.E001"]

    assert messages == [
        Error(
            "MENTORSHIP_WEIGHTS['time_zone'] is 3000 points, more than the 1000 the matching engine can add up "
            "exactly.",
            hint="The pairs chosen depend only on the ratios between weights: divide them all by the same factor "
            "so that none exceeds 1000.",
            id="mentorship.E001",
        )
    ]


@override_settings(MENTORSHIP_WEIGHTS={"areas": 40, "hours": -1, "experience": "high"})
def test_unknown_or_negative_weights_are_reported() -> None:
    assert mentorship_messages() == [
        ("mentorship.E002", "MENTORSHIP_WEIGHTS names an unknown score part 'areas'."),
        ("mentorship.E002", "MENTORSHIP_WEIGHTS['hours'] is -1, not a number of points of 0 or more."),
        ("mentorship.E002", "MENTORSHIP_WEIGHTS['experience'] is 'high', not a number of points of 0 or more."),
    ]
