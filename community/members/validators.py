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
