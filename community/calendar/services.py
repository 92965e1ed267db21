"""Write use-cases of the personal calendar."""

from django.db import transaction

from community.members.models import Profile, User, new_calendar_token


@transaction.atomic
def rotate_calendar_token(*, member: User) -> str:
    """Give the member a new secret calendar address; the old one stops working at once.

    Side effects: locks the member's Profile row and replaces its calendar_token.
    """
    profile = Profile.objects.select_for_update().get(user=member)
    profile.calendar_token = new_calendar_token()
    profile.save(update_fields=["calendar_token", "updated_at"])
    return profile.calendar_token
