"""Settings of the members app (prefix MEMBERS_), read when used."""

from django.conf import settings

from community.conf import AppSettings


class MembersSettings(AppSettings):
    # Where code-of-conduct reports go, shown on /code-of-conduct/ (empty: the site's sender address).
    CONDUCT_CONTACT = ""
    # How many profiles one page of the member directory shows.
    DIRECTORY_PAGE_SIZE = 24
    # How many public profiles the home page shows to visitors.
    HOME_FACES = 6
    # Sign-ups that never verified their address nor logged in are deleted after this many days.
    UNVERIFIED_ACCOUNT_DAYS = 14

    class Meta:
        prefix = "members"

    def clean_conduct_contact(self, value: str) -> str:
        return value or str(settings.DEFAULT_FROM_EMAIL)


app_settings = MembersSettings()
