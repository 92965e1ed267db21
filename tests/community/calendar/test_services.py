from community.calendar.services import rotate_calendar_token


def test_rotate_calendar_token_replaces_token(guest):
    old = guest.profile.calendar_token

    new = rotate_calendar_token(member=guest)

    guest.profile.refresh_from_db()
    assert guest.profile.calendar_token == new
    assert new != old
