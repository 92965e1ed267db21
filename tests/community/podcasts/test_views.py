from datetime import timedelta

import pytest
from django.utils import timezone

from tests.community.podcasts.factories import EpisodeFactory, EpisodeGuestFactory
from tests.factories import BuilderFactory, ProfileFactory


@pytest.mark.django_db
def test_episode_list_newest_first_and_paginated(client, settings):
    settings.PODCAST_EPISODES_PER_PAGE = 2
    now = timezone.now()
    for days, title in [(30, "Oldest"), (20, "Middle"), (10, "Newest")]:
        EpisodeFactory(title=title, publish_at=now - timedelta(days=days))

    first = client.get("/podcast/")
    second = client.get("/podcast/?page=2")

    assert [e.title for e in first.context["page"].object_list] == ["Newest", "Middle"]
    assert [e.title for e in second.context["page"].object_list] == ["Oldest"]
    assert "Older episodes" in first.content.decode()


@pytest.mark.django_db
def test_episode_list_bad_page_shows_last_page(client):
    EpisodeFactory(title="Only")
    response = client.get("/podcast/?page=banana")
    assert response.status_code == 200
    assert [e.title for e in response.context["page"].object_list] == ["Only"]


@pytest.mark.django_db
def test_episode_list_hides_scheduled_episodes(client):
    EpisodeFactory(title="Out now")
    EpisodeFactory(title="Next week", publish_at=timezone.now() + timedelta(days=7))
    response = client.get("/podcast/")
    assert "Out now" in response.content.decode()
    assert "Next week" not in response.content.decode()


@pytest.mark.django_db
def test_episode_list_query_count_constant(client, django_assert_max_num_queries):
    EpisodeGuestFactory(episode=EpisodeFactory(), profile=ProfileFactory(), name="")
    with django_assert_max_num_queries(3):
        client.get("/podcast/")
    for _ in range(3):
        EpisodeGuestFactory(episode=EpisodeFactory(), profile=ProfileFactory(), name="")
    with django_assert_max_num_queries(3):
        response = client.get("/podcast/")
    assert len(response.context["page"].object_list) == 4


@pytest.mark.django_db
def test_episode_page_has_player_guests_chapters_transcript(client):
    episode = EpisodeFactory(
        title="Operators", show_notes="See <script>x</script> **this**", with_transcript=True, with_chapters=True
    )
    EpisodeGuestFactory(episode=episode, profile=ProfileFactory(display_name="Ada Lovelace"), name="")
    EpisodeGuestFactory(episode=episode, name="Outside Guest")

    html = client.get(f"/podcast/{episode.slug}/").content.decode()

    assert f'<source src="{episode.audio_url}" type="audio/mpeg">' in html
    assert f'<track kind="captions" srclang="en" label="Transcript" src="/podcast/{episode.slug}/transcript">' in html
    assert "Ada Lovelace" in html
    assert "Outside Guest" in html
    assert "<time>1:35</time> Operators" in html
    assert "<strong>this</strong>" in html
    assert "<script>x" not in html
    assert "Thanks for having me &amp; hello." in html


@pytest.mark.django_db
def test_episode_page_scheduled_is_404_for_members_and_preview_for_builders(client):
    episode = EpisodeFactory(publish_at=timezone.now() + timedelta(days=2))
    assert client.get(f"/podcast/{episode.slug}/").status_code == 404
    client.force_login(BuilderFactory())
    response = client.get(f"/podcast/{episode.slug}/")
    assert response.status_code == 200
    assert "only builders see this page until then" in response.content.decode()


@pytest.mark.django_db
def test_episode_chapters_served_as_json_chapters(client):
    episode = EpisodeFactory(with_chapters=True)
    response = client.get(f"/podcast/{episode.slug}/chapters.json")
    assert response["Content-Type"] == "application/json+chapters; charset=utf-8"
    assert response.json() == {
        "version": "1.2.0",
        "chapters": [{"startTime": 0, "title": "Welcome"}, {"startTime": 95, "title": "Operators"}],
    }


@pytest.mark.django_db
def test_episode_without_chapters_or_transcript_answers_404(client):
    episode = EpisodeFactory()
    assert client.get(f"/podcast/{episode.slug}/chapters.json").status_code == 404
    assert client.get(f"/podcast/{episode.slug}/transcript").status_code == 404


@pytest.mark.django_db
def test_episode_transcript_served_with_its_type(client):
    episode = EpisodeFactory(with_transcript=True)
    response = client.get(f"/podcast/{episode.slug}/transcript")
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.startswith(b"WEBVTT")


@pytest.mark.django_db
def test_transcript_whose_file_is_gone_answers_404_and_the_page_still_shows(client):
    episode = EpisodeFactory(with_transcript=True)
    episode.transcript.storage.delete(episode.transcript.name)

    assert client.get(f"/podcast/{episode.slug}/transcript").status_code == 404
    assert client.get(f"/podcast/{episode.slug}/").status_code == 200
