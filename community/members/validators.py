import re
import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept only IANA zone names such as "Europe/Berlin"."""
    if value not in known_time_zones():
        raise ValidationError(
            '"%(value)s" is not a time zone we know. Use an IANA name such as "Europe/Berlin" or "America/New_York".',
            code="unknown_time_zone",
            params={"value": value},
        )


# C0 and C1 control characters, tab and DEL included: in a field meant as one line they would start
# new lines (or do worse) in the plain-text emails that show it to other members.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def validate_single_line(value: str) -> None:
    """Refuse line breaks, tabs and other control characters in a one-line text."""
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError("Use a single line without control characters.", code="control_characters")
