import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import feedparser
import pytest
from django.utils import timezone

from community.podcasts.conf import PODCAST_GUID_NAMESPACE, podcast_guid
from community.podcasts.enums import EpisodeType
from community.podcasts.models import Episode
from tests.community.podcasts.factories import EpisodeFactory, EpisodeGuestFactory
from tests.factories import ProfileFactory

FEED_URL = "/podcast/feed.xml"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://wicn.example"
    settings.PODCAST_OWNER_EMAIL = "podcast@wicn.example"


NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}


def channel_element(content: bytes) -> ET.Element:
    # feedparser reduces some values (itunes:explicit "false", podcast:locked) to None or attributes;
    # the XML itself shows what Apple's and Podcast Index's validators read.
    return ET.fromstring(content).find("channel")


def fetch(client, **headers):
    response = client.get(FEED_URL, **headers)
    return response, feedparser.parse(response.content)


@pytest.mark.django_db
def test_feed_channel_has_every_required_tag(client):
    EpisodeFactory()
    response, parsed = fetch(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert parsed.bozo is False, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    channel = parsed.feed
    assert channel.title == "Women in Cloud Native Podcast"
    assert channel.subtitle.startswith("Conversations from the Women in Cloud Native community")
    assert channel.language == "en"
    assert channel.link == "https://wicn.example/podcast/"
    assert channel.image.href == "https://wicn.example/static/podcasts/cover.png"
    xml_channel = channel_element(response.content)
    assert xml_channel.findtext("itunes:explicit", namespaces=NS) == "false"
    assert xml_channel.find("itunes:image", NS).get("href") == "https://wicn.example/static/podcasts/cover.png"
    assert channel.tags[0].term == "Technology"
    assert channel.publisher_detail == {"name": "Women in Cloud Native", "email": "podcast@wicn.example"}
    assert channel.author == "Women in Cloud Native"
    expected_guid = str(uuid.uuid5(PODCAST_GUID_NAMESPACE, "wicn.example/podcast/feed.xml"))
    assert channel.podcast_guid == expected_guid
    locked = xml_channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "podcast@wicn.example")
    assert xml_channel.find("{http://www.w3.org/2005/Atom}link").get("href") == "https://wicn.example/podcast/feed.xml"
    assert parsed.namespaces["itunes"] == "http://www.itunes.com/dtds/podcast-1.0.dtd"
    assert parsed.namespaces["content"] == "http://purl.org/rss/1.0/modules/content/"
    assert parsed.namespaces["podcast"] == "https://podcastindex.org/namespace/1.0"


def test_podcast_guid_matches_the_specs_example():
    # The Podcasting 2.0 spec gives this pair as its worked example.
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml/") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


@pytest.mark.django_db
def test_feed_item_has_every_required_tag(client):
    member = ProfileFactory(display_name="Ada Lovelace", website_url="https://ada.example")
    publish_at = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
    episode = EpisodeFactory(
        title="Operators & you",
        summary="Why operators?",
        show_notes="We talk about **reconcile loops**.",
        publish_at=publish_at,
        season=2,
        number=7,
        episode_type=EpisodeType.BONUS,
        duration=timedelta(minutes=42, seconds=10),
        audio_url="https://media.example.org/ep7.mp3",
        audio_length=31_457_280,
        with_transcript=True,
        with_chapters=True,
    )
    EpisodeGuestFactory(episode=episode, profile=member, name="")
    EpisodeGuestFactory(episode=episode, name="Grace Hopper", url="", role="host")

    _, parsed = fetch(client)

    [item] = parsed.entries
    assert item.title == "Operators & you"
    assert item.summary == "Why operators?"
    assert item.link == f"https://wicn.example/podcast/{episode.slug}/"
    assert item.id == str(episode.guid)
    assert item.guidislink is False
    assert item.published == format_datetime(publish_at)
    assert item.published == "Tue, 03 Mar 2026 14:30:00 +0000"
    assert item.enclosures == [
        {"href": "https://media.example.org/ep7.mp3", "length": "31457280", "type": "audio/mpeg"}
    ]
    assert item.itunes_duration == "2530"
    assert item.itunes_episodetype == "bonus"
    assert item.itunes_season == "2"
    assert item.itunes_episode == "7"
    assert [c.value for c in item.content if c.type == "text/html"] == [
        "<p>We talk about <strong>reconcile loops</strong>.</p>"
    ]
    xml_item = channel_element(client.get(FEED_URL).content).find("item")
    assert xml_item.find("guid").attrib == {"isPermaLink": "false"}
    assert xml_item.find("podcast:transcript", NS).attrib == {
        "url": f"https://wicn.example/podcast/{episode.slug}/transcript",
        "type": "text/vtt",
    }
    assert xml_item.find("podcast:chapters", NS).attrib == {
        "url": f"https://wicn.example/podcast/{episode.slug}/chapters.json",
        "type": "application/json+chapters",
    }
    people = [(p.text, p.attrib) for p in xml_item.findall("podcast:person", NS)]
    assert people == [
        ("Ada Lovelace", {"role": "guest", "group": "cast", "href": "https://ada.example"}),
        ("Grace Hopper", {"role": "host", "group": "cast"}),
    ]


@pytest.mark.django_db
def test_feed_uploaded_audio_has_absolute_https_enclosure(client):
    EpisodeFactory(audio_url="", audio_file="podcast/audio/ep.mp3")
    _, parsed = fetch(client)
    assert parsed.entries[0].enclosures[0].href == "https://wicn.example/media/podcast/audio/ep.mp3"


@pytest.mark.django_db
def test_feed_guid_unchanged_after_editing_episode_and_audio_url(client):
    episode = EpisodeFactory()
    _, before = fetch(client)

    episode.title = "A better title"
    episode.slug = "a-better-title"
    episode.audio_url = "https://cdn.example.org/moved/ep.mp3"
    episode.save()
    _, after = fetch(client)

    assert after.entries[0].title == "A better title"
    assert after.entries[0].enclosures[0].href == "https://cdn.example.org/moved/ep.mp3"
    assert after.entries[0].id == before.entries[0].id == str(episode.guid)


@pytest.mark.django_db
def test_feed_scheduled_and_draft_episodes_absent(client):
    EpisodeFactory(title="Out now")
    EpisodeFactory(title="Next week", publish_at=timezone.now() + timedelta(days=7))
    EpisodeFactory(title="Draft", publish_at=None)

    _, parsed = fetch(client)

    assert [entry.title for entry in parsed.entries] == ["Out now"]


@pytest.mark.django_db
def test_feed_lists_newest_first(client):
    now = timezone.now()
    EpisodeFactory(title="Older", publish_at=now - timedelta(days=10))
    EpisodeFactory(title="Newer", publish_at=now - timedelta(days=1))
    _, parsed = fetch(client)
    assert [entry.title for entry in parsed.entries] == ["Newer", "Older"]


@pytest.mark.django_db
def test_feed_answers_304_on_matching_etag(client):
    EpisodeFactory()
    first = client.get(FEED_URL)
    again = client.get(FEED_URL, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["ETag"]
    assert again.status_code == 304
    assert again.content == b""
    assert "max-age=300" in again["Cache-Control"]


@pytest.mark.django_db
def test_feed_answers_304_on_if_modified_since(client):
    EpisodeFactory()
    first = client.get(FEED_URL)
    again = client.get(FEED_URL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304


@pytest.mark.django_db
def test_feed_etag_changes_when_an_episode_is_edited(client):
    episode = EpisodeFactory()
    first = client.get(FEED_URL)
    Episode.objects.filter(pk=episode.pk).update(title="Edited", updated_at=timezone.now() + timedelta(seconds=5))
    again = client.get(FEED_URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert feedparser.parse(again.content).entries[0].title == "Edited"


@pytest.mark.django_db
def test_feed_etag_changes_when_a_scheduled_episode_goes_live(client):
    EpisodeFactory(title="Out now")
    scheduled = EpisodeFactory(title="Coming", publish_at=timezone.now() + timedelta(hours=1))
    first = client.get(FEED_URL)
    Episode.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    again = client.get(FEED_URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert len(feedparser.parse(again.content).entries) == 2


@pytest.mark.django_db
def test_feed_query_count_constant(client, django_assert_max_num_queries):
    EpisodeGuestFactory(episode=EpisodeFactory())
    with django_assert_max_num_queries(5):
        client.get(FEED_URL)
    for _ in range(3):
        EpisodeGuestFactory(episode=EpisodeFactory())
    with django_assert_max_num_queries(5):
        response = client.get(FEED_URL)
    assert len(feedparser.parse(response.content).entries) == 4
