from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from community.podcasts.forms import EpisodeAdminForm
from community.podcasts.models import Episode
from tests.community.podcasts.factories import SRT, EpisodeFactory


def form_data(**overrides):
    data = {
        "title": "Platform teams",
        "slug": "platform-teams",
        "summary": "What a platform team owes its users.",
        "duration": "00:40:00",
        "episode_type": "full",
        "publish_at": "2026-01-10 10:00",
        "season": "1",
        "number": "3",
        "audio_url": "",
        "audio_length": "",
        "audio_type": "",
        "chapters": "null",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_admin_form_upload_sets_length_and_type():
    audio = SimpleUploadedFile("ep.mp3", b"ID3" + b"\0" * 997, content_type="audio/mpeg")
    form = EpisodeAdminForm(data=form_data(), files={"audio_file": audio})
    assert form.is_valid(), form.errors
    episode = form.save()
    assert (episode.audio_length, episode.audio_type) == (1000, "audio/mpeg")
    assert episode.audio_file.name.startswith("podcast/audio/ep")


@pytest.mark.django_db
def test_admin_form_url_needs_length():
    form = EpisodeAdminForm(data=form_data(audio_url="https://cdn.example.org/ep.mp3"))
    assert not form.is_valid()
    assert form.errors["audio_length"] == ["Give the size of the audio file in bytes (podcast apps need it)."]


@pytest.mark.django_db
def test_admin_form_url_guesses_type_from_extension():
    form = EpisodeAdminForm(data=form_data(audio_url="https://cdn.example.org/ep.mp3", audio_length="1234"))
    assert form.is_valid(), form.errors
    assert form.save().audio_type == "audio/mpeg"


@pytest.mark.django_db
def test_admin_form_without_audio_is_refused():
    form = EpisodeAdminForm(data=form_data())
    assert form.errors["audio_url"] == ["Give the audio as a URL or upload the file."]


@pytest.mark.django_db
def test_admin_form_non_audio_upload_is_refused():
    upload = SimpleUploadedFile("notes.pdf", b"%PDF", content_type="application/pdf")
    form = EpisodeAdminForm(data=form_data(), files={"audio_file": upload})
    assert form.errors["audio_file"] == ["Upload the audio as an MP3, M4A, AAC, Ogg/Opus, WAV or FLAC file."]


@pytest.mark.django_db
def test_admin_form_refuses_a_file_named_mp3_whose_content_is_not_audio():
    # The browser's type follows the name; the bytes decide.
    upload = SimpleUploadedFile("ep.mp3", b"%PDF-1.7\n" + b"\0" * 100, content_type="audio/mpeg")
    form = EpisodeAdminForm(data=form_data(), files={"audio_file": upload})
    assert form.errors["audio_file"] == [
        "This file is not audio podcast apps can play (its content is not MP3, M4A or Ogg)."
    ]


@pytest.mark.django_db
def test_admin_form_takes_the_audio_type_from_the_content(settings):
    m4a = SimpleUploadedFile("ep.m4a", b"\0\0\0\x20ftypM4A " + b"\0" * 100, content_type="audio/mpeg")
    form = EpisodeAdminForm(data=form_data(), files={"audio_file": m4a})
    assert form.is_valid(), form.errors
    assert form.save().audio_type == "audio/mp4"


@pytest.mark.django_db
def test_admin_form_refuses_audio_over_the_size_limit(settings):
    settings.PODCAST_MAX_AUDIO_BYTES = 2 * 1024 * 1024
    audio = SimpleUploadedFile("ep.mp3", b"ID3" + b"\0" * (3 * 1024 * 1024), content_type="audio/mpeg")
    form = EpisodeAdminForm(data=form_data(), files={"audio_file": audio})
    assert form.errors["audio_file"] == ["The audio file is larger than 2 MB."]


@pytest.mark.django_db
@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "//no-scheme"])
def test_admin_form_refuses_chapter_links_that_are_not_web_addresses(link):
    chapters = f'[{{"startTime": 0, "title": "Intro", "url": "{link}"}}]'
    data = form_data(audio_url="https://cdn.example.org/ep.mp3", audio_length="1234", chapters=chapters)
    form = EpisodeAdminForm(data=data)
    assert form.errors["chapters"] == ["Chapter 1: “url” must be a web address starting with https:// or http://."]


@pytest.mark.django_db
def test_admin_form_accepts_chapter_links_to_web_addresses():
    chapters = (
        '[{"startTime": 0, "title": "Intro", "url": "https://example.org/notes", "img": "https://example.org/a.png"}]'
    )
    data = form_data(audio_url="https://cdn.example.org/ep.mp3", audio_length="1234", chapters=chapters)
    assert EpisodeAdminForm(data=data).is_valid()


@pytest.mark.django_db
def test_admin_form_accepts_srt_and_rejects_bad_transcript():
    good = SimpleUploadedFile("t.srt", SRT.encode())
    bad = SimpleUploadedFile("t.vtt", b"not a transcript")
    wrong_kind = SimpleUploadedFile("t.txt", b"hello")
    data = form_data(audio_url="https://cdn.example.org/ep.mp3", audio_length="1234")
    assert EpisodeAdminForm(data=data, files={"transcript": good}).is_valid()
    assert EpisodeAdminForm(data=data, files={"transcript": bad}).errors["transcript"] == [
        "A WebVTT transcript must start with the line “WEBVTT”."
    ]
    assert EpisodeAdminForm(data=data, files={"transcript": wrong_kind}).errors["transcript"] == [
        "Upload the transcript as a WebVTT (.vtt) or SubRip (.srt) file."
    ]


@pytest.mark.django_db
def test_admin_form_rejects_bad_chapters():
    data = form_data(audio_url="https://cdn.example.org/ep.mp3", audio_length="1", chapters='[{"title": "no start"}]')
    assert "needs a “startTime”" in EpisodeAdminForm(data=data).errors["chapters"][0]


@pytest.mark.django_db
def test_admin_form_duplicate_number_in_season_is_refused():
    EpisodeFactory(season=1, number=3)
    form = EpisodeAdminForm(data=form_data(audio_url="https://cdn.example.org/ep.mp3", audio_length="1"))
    assert form.errors["__all__"] == ["Another episode already has this number in this season."]


@pytest.mark.django_db
def test_admin_change_page_keeps_guid(admin_client):
    episode = EpisodeFactory(duration=timedelta(minutes=5))
    guid = episode.guid
    data = form_data(
        title="Renamed",
        slug=episode.slug,
        audio_url="https://cdn.example.org/new.mp3",
        audio_length="99",
        audio_type="audio/mpeg",
        number=str(episode.number),
        **{
            "guests-TOTAL_FORMS": "0",
            "guests-INITIAL_FORMS": "0",
            "guests-MIN_NUM_FORMS": "0",
            "guests-MAX_NUM_FORMS": "1000",
            "publish_at_0": "2026-01-10",
            "publish_at_1": "10:00",
        },
    )
    response = admin_client.post(f"/admin/podcasts/episode/{episode.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    episode = Episode.objects.get(pk=episode.pk)
    assert (episode.title, episode.audio_url, episode.guid) == ("Renamed", "https://cdn.example.org/new.mp3", guid)
