"""Settings of the podcast channel (prefix PODCAST_), read when used."""

import uuid

from django.conf import settings
from django.templatetags.static import static

from community.conf import AppSettings
from community.links import absolute_url

# The Podcasting 2.0 namespace for podcast:guid (uuidv5 of the feed URL without scheme and trailing slashes).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


class PodcastSettings(AppSettings):
    # Show title in podcast apps (empty: "<SITE_NAME> Podcast").
    TITLE = ""
    # Channel description, plain text up to 4000 characters (empty: a line about the community).
    DESCRIPTION = ""
    # Largest audio file builders may upload (500 MiB: a long episode in good quality).
    MAX_AUDIO_BYTES = 500 * 1024 * 1024
    # RSS language code of the show.
    LANGUAGE = "en"
    # Square cover art, 1400-3000 px; a path is made absolute with SITE_URL (empty: the bundled cover).
    IMAGE_URL = ""
    # Apple Podcasts category.
    CATEGORY = "Technology"
    # Apple Podcasts subcategory; empty for none.
    SUBCATEGORY = ""
    # Whether the show as a whole is marked explicit.
    EXPLICIT = False
    # itunes:author of the show (empty: SITE_NAME).
    AUTHOR = ""
    # Name in itunes:owner, whom directories contact (empty: SITE_NAME).
    OWNER_NAME = ""
    # Email in itunes:owner and podcast:locked; directories use it to verify ownership.
    OWNER_EMAIL = "podcast@example.org"
    # Copyright line of the channel (empty: "© <SITE_NAME>").
    COPYRIGHT = ""
    # podcast:guid; set it explicitly once the feed has moved, so the show keeps its identity.
    GUID = ""
    # podcast:locked: refuse imports of the feed into other hosting platforms.
    LOCKED = True
    # Episodes on one page of the episode list.
    EPISODES_PER_PAGE = 10
    # max-age (seconds) of the feed response; conditional GET makes polls cheap beyond it.
    FEED_CACHE_SECONDS = 300

    class Meta:
        prefix = "podcast"

    def clean_title(self, value: str) -> str:
        return value or f"{settings.SITE_NAME} Podcast"

    def clean_description(self, value: str) -> str:
        return value or (
            f"Conversations from the {settings.SITE_NAME} community: women and non-binary people building "
            "cloud native software talk about their work, open source, careers and the craft of infrastructure."
        )

    def clean_image_url(self, value: str) -> str:
        return absolute_url(value or static("podcasts/cover.png"))

    def clean_author(self, value: str) -> str:
        return value or str(settings.SITE_NAME)

    def clean_owner_name(self, value: str) -> str:
        return value or str(settings.SITE_NAME)

    def clean_copyright(self, value: str) -> str:
        return value or f"© {settings.SITE_NAME}"


app_settings = PodcastSettings()


def podcast_guid(feed_url: str) -> str:
    """The channel's podcast:guid per the Podcasting 2.0 spec, unless one is configured."""
    if app_settings.GUID:
        return app_settings.GUID
    name = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, name))
