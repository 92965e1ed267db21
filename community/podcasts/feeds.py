"""The RSS 2.0 feed podcast apps subscribe to, with the itunes, content and Podcasting 2.0 namespaces."""

from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed

from community.links import absolute_url
from community.podcasts.conf import app_settings, podcast_guid
from community.podcasts.markdown import render_markdown
from community.podcasts.models import Episode
from community.podcasts.queries import published_episodes

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"


class PodcastFeedGenerator(Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"

    def rss_attributes(self) -> dict[str, str]:
        return {
            **super().rss_attributes(),
            "xmlns:itunes": ITUNES_NS,
            "xmlns:content": CONTENT_NS,
            "xmlns:podcast": PODCAST_NS,
        }

    def add_root_elements(self, handler: Any) -> None:
        super().add_root_elements(handler)
        feed = self.feed
        handler.addQuickElement("itunes:author", feed["itunes_author"])
        handler.addQuickElement("itunes:summary", feed["description"])
        handler.addQuickElement("itunes:type", "episodic")
        handler.addQuickElement("itunes:explicit", "true" if feed["itunes_explicit"] else "false")
        handler.addQuickElement("itunes:image", None, {"href": feed["itunes_image"]})
        handler.startElement("image", {})
        handler.addQuickElement("url", feed["itunes_image"])
        handler.addQuickElement("title", feed["title"])
        handler.addQuickElement("link", feed["link"])
        handler.endElement("image")
        handler.startElement("itunes:category", {"text": feed["itunes_category"]})
        if feed["itunes_subcategory"]:
            handler.addQuickElement("itunes:category", None, {"text": feed["itunes_subcategory"]})
        handler.endElement("itunes:category")
        handler.startElement("itunes:owner", {})
        handler.addQuickElement("itunes:name", feed["owner_name"])
        handler.addQuickElement("itunes:email", feed["owner_email"])
        handler.endElement("itunes:owner")
        handler.addQuickElement("podcast:guid", feed["podcast_guid"])
        handler.addQuickElement(
            "podcast:locked", "yes" if feed["podcast_locked"] else "no", {"owner": feed["owner_email"]}
        )

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("itunes:title", item["title"])
        handler.addQuickElement("itunes:summary", item["description"])
        handler.addQuickElement("itunes:duration", str(item["duration_seconds"]))
        handler.addQuickElement("itunes:episodeType", item["episode_type"])
        handler.addQuickElement("itunes:explicit", "true" if item["explicit"] else "false")
        if item["season"] is not None:
            handler.addQuickElement("itunes:season", str(item["season"]))
            handler.addQuickElement("podcast:season", str(item["season"]))
        if item["number"] is not None:
            handler.addQuickElement("itunes:episode", str(item["number"]))
            handler.addQuickElement("podcast:episode", str(item["number"]))
        if item["image"]:
            handler.addQuickElement("itunes:image", None, {"href": item["image"]})
        if item["content_html"]:
            handler.addQuickElement("content:encoded", item["content_html"])
        if item["transcript_url"]:
            handler.addQuickElement(
                "podcast:transcript", None, {"url": item["transcript_url"], "type": item["transcript_type"]}
            )
        if item["chapters_url"]:
            handler.addQuickElement(
                "podcast:chapters", None, {"url": item["chapters_url"], "type": "application/json+chapters"}
            )
        for person in item["people"]:
            attrs = {"role": person["role"], "group": "cast"}
            if person["href"]:
                attrs["href"] = person["href"]
            handler.addQuickElement("podcast:person", person["name"], attrs)


class EpisodeFeed(Feed):
    feed_type = PodcastFeedGenerator

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        return None

    def title(self) -> str:
        return app_settings.TITLE

    def description(self) -> str:
        return app_settings.DESCRIPTION

    def link(self) -> str:
        return absolute_url(reverse("podcasts:list"))

    def feed_url(self) -> str:
        return absolute_url(reverse("podcasts:feed"))

    @property
    def language(self) -> str:  # type: ignore[override]  # Django reads it as a plain attribute
        return app_settings.LANGUAGE

    def feed_copyright(self) -> str:
        return app_settings.COPYRIGHT

    def feed_extra_kwargs(self, obj: None) -> dict[str, Any]:
        return {
            "itunes_author": app_settings.AUTHOR,
            "itunes_explicit": app_settings.EXPLICIT,
            "itunes_image": app_settings.IMAGE_URL,
            "itunes_category": app_settings.CATEGORY,
            "itunes_subcategory": app_settings.SUBCATEGORY,
            "owner_name": app_settings.OWNER_NAME,
            "owner_email": app_settings.OWNER_EMAIL,
            "podcast_guid": podcast_guid(self.feed_url()),
            "podcast_locked": app_settings.LOCKED,
        }

    def items(self) -> list[Episode]:
        return list(published_episodes())

    def item_title(self, item: Episode) -> str:
        return item.title

    def item_description(self, item: Episode) -> str:
        return item.summary

    def item_link(self, item: Episode) -> str:
        return absolute_url(item.get_absolute_url())

    def item_guid(self, item: Episode) -> str:
        return str(item.guid)

    def item_guid_is_permalink(self, item: Episode) -> bool:
        return False

    def item_pubdate(self, item: Episode) -> Any:
        return item.publish_at

    def item_updateddate(self, item: Episode) -> Any:
        return item.updated_at

    def item_enclosures(self, item: Episode) -> list[Enclosure]:
        return [Enclosure(item.audio_href, str(item.audio_length), item.audio_type)]

    def item_extra_kwargs(self, item: Episode) -> dict[str, Any]:
        return {
            "duration_seconds": item.duration_seconds,
            "episode_type": item.episode_type,
            "explicit": item.explicit,
            "season": item.season,
            "number": item.number,
            "image": item.image_url,
            "content_html": render_markdown(item.show_notes) if item.show_notes else "",
            "transcript_url": absolute_url(reverse("podcasts:transcript", kwargs={"slug": item.slug}))
            if item.transcript
            else "",
            "transcript_type": item.transcript_mime_type,
            "chapters_url": absolute_url(reverse("podcasts:chapters", kwargs={"slug": item.slug}))
            if item.chapters
            else "",
            "people": [
                {"name": guest.display_name, "role": guest.role, "href": guest.link} for guest in item.guests.all()
            ],
        }
