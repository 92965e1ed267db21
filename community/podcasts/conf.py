"""Settings of the podcast channel, each read lazily from django.conf.settings (prefix PODCAST_) with its default."""

import uuid
from typing import Any

from django.conf import settings
from django.templatetags.static import static

from community.links import absolute_url

# The Podcasting 2.0 namespace for podcast:guid (uuidv5 of the feed URL without scheme and trailing slashes).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


class PodcastSettings:
    prefix = "PODCAST_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def TITLE(self) -> str:
        """Show title in podcast apps."""
        return self._get("TITLE", f"{settings.SITE_NAME} Podcast")

    @property
    def DESCRIPTION(self) -> str:
        """Channel description (plain text, up to 4000 characters)."""
        return self._get(
            "DESCRIPTION",
            f"Conversations from the {settings.SITE_NAME} community: women and non-binary people building "
            "cloud native software talk about their work, open source, careers and the craft of infrastructure.",
        )

    @property
    def MAX_AUDIO_BYTES(self) -> int:
        """Largest audio file builders may upload (500 MiB: a long episode in good quality)."""
        return int(self._get("MAX_AUDIO_BYTES", 500 * 1024 * 1024))

    @property
    def LANGUAGE(self) -> str:
        """RSS language code of the show."""
        return self._get("LANGUAGE", "en")

    @property
    def IMAGE_URL(self) -> str:
        """Square cover art, 1400-3000 px, absolute URL (a path is made absolute with SITE_URL)."""
        return absolute_url(self._get("IMAGE_URL", static("podcasts/cover.png")))

    @property
    def CATEGORY(self) -> str:
        """Apple Podcasts category."""
        return self._get("CATEGORY", "Technology")

    @property
    def SUBCATEGORY(self) -> str:
        """Apple Podcasts subcategory; empty for none."""
        return self._get("SUBCATEGORY", "")

    @property
    def EXPLICIT(self) -> bool:
        """Whether the show as a whole is marked explicit."""
        return bool(self._get("EXPLICIT", False))

    @property
    def AUTHOR(self) -> str:
        """itunes:author of the show."""
        return self._get("AUTHOR", settings.SITE_NAME)

    @property
    def OWNER_NAME(self) -> str:
        """Name in itunes:owner (directories contact this person)."""
        return self._get("OWNER_NAME", settings.SITE_NAME)

    @property
    def OWNER_EMAIL(self) -> str:
        """Email in itunes:owner and podcast:locked; directories use it to verify ownership."""
        return self._get("OWNER_EMAIL", "podcast@example.org")

    @property
    def COPYRIGHT(self) -> str:
        """Copyright line of the channel."""
        return self._get("COPYRIGHT", f"© {settings.SITE_NAME}")

    @property
    def GUID(self) -> str:
        """podcast:guid; set it explicitly once the feed has moved, so the show keeps its identity."""
        return self._get("GUID", "")

    @property
    def LOCKED(self) -> bool:
        """podcast:locked: refuse imports of the feed into other hosting platforms."""
        return bool(self._get("LOCKED", True))

    @property
    def EPISODES_PER_PAGE(self) -> int:
        """Episodes on one page of the episode list."""
        return int(self._get("EPISODES_PER_PAGE", 10))

    @property
    def FEED_CACHE_SECONDS(self) -> int:
        """max-age of the feed response; conditional GET makes polls cheap beyond it."""
        return int(self._get("FEED_CACHE_SECONDS", 300))


app_settings = PodcastSettings()


def podcast_guid(feed_url: str) -> str:
    """The channel's podcast:guid per the Podcasting 2.0 spec, unless one is configured."""
    if app_settings.GUID:
        return app_settings.GUID
    name = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, name))
