"""Settings of the weekly digest (prefix DIGEST_), read when used."""

from community.conf import AppSettings


class DigestSettings(AppSettings):
    # Local hour (0-23) on Monday at which each member receives the digest, in their own zone.
    SEND_HOUR = 8
    # How many days ahead the digest looks for workshops.
    WORKSHOP_DAYS = 14
    # How many days back the digest looks for newly published episodes.
    EPISODE_DAYS = 7

    class Meta:
        prefix = "digest"


app_settings = DigestSettings()
