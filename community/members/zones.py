"""A member's time zone: the one their profile names. Pages, emails and slots are shown in it."""

from typing import Any, overload
from zoneinfo import ZoneInfo

from community.members.validators import known_time_zones

UTC = ZoneInfo("UTC")


@overload
def member_zone(member: Any) -> ZoneInfo: ...
@overload
def member_zone(member: Any, *, default: None) -> ZoneInfo | None: ...


def member_zone(member: Any, *, default: ZoneInfo | None = UTC) -> ZoneInfo | None:
    """The zone of `member`'s profile; `default` (UTC) when they have no profile or it names no zone we know."""
    zone_name = getattr(getattr(member, "profile", None), "time_zone", "")
    return ZoneInfo(zone_name) if zone_name in known_time_zones() else default
