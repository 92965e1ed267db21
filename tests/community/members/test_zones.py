from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from community.members.zones import member_zone


def member(time_zone):
    return SimpleNamespace(profile=SimpleNamespace(time_zone=time_zone))


def test_a_member_is_in_their_profiles_zone():
    assert member_zone(member("Asia/Tokyo")) == ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("someone", [member(""), member("Mars/Olympus_Mons"), SimpleNamespace(), None])
def test_without_a_known_zone_a_member_is_in_utc_or_the_default(someone):
    assert member_zone(someone) == ZoneInfo("UTC")
    assert member_zone(someone, default=None) is None
