from community.members.models import User


def member_for_feed_token(token: str) -> User | None:
    """The active member whose private feed address ends in `token`; None for an unknown or replaced one."""
    if not token:
        return None
    return User.objects.filter(profile__calendar_token=token, is_active=True).select_related("profile").first()
