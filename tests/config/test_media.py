"""Uploaded episode audio is served with DEBUG off the way podcast apps need: ranges, caching, HEAD."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

AUDIO = bytes(range(256)) * 40  # 10 240 bytes


@pytest.fixture
def audio(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path / "media"
    folder = settings.MEDIA_ROOT / "podcast" / "audio"
    folder.mkdir(parents=True)
    (folder / "episode-1.mp3").write_bytes(AUDIO)
    (tmp_path / "secret.txt").write_text("not media")
    return "/media/podcast/audio/episode-1.mp3"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_media_full_download_has_length_type_and_cache_headers(client, audio):
    response = client.get(audio)

    assert response.status_code == 200
    assert body(response) == AUDIO
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Content-Length"] == "10240"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["ETag"]
    assert response["Last-Modified"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-500", 9740, 10239),
        ("bytes=0-99999", 0, 10239),
    ],
)
def test_media_range_answers_206_with_those_bytes(client, audio, header, first, last):
    response = client.get(audio, headers={"Range": header})

    assert response.status_code == 206
    assert body(response) == AUDIO[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/10240"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "audio/mpeg"


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=500-100", "bytes=-0"])
def test_media_unsatisfiable_range_answers_416(client, audio, header):
    response = client.get(audio, headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10240"


def test_media_several_ranges_answer_the_whole_file(client, audio):
    response = client.get(audio, headers={"Range": "bytes=0-1,5-6"})

    assert response.status_code == 200
    assert body(response) == AUDIO


def test_media_head_has_the_headers_of_get_without_a_body(client, audio):
    head = client.head(audio)

    assert head.status_code == 200
    assert head["Content-Length"] == "10240"
    assert head["Content-Type"] == "audio/mpeg"
    assert body(head) == b""


def test_media_conditional_requests_answer_304(client, audio):
    first = client.get(audio)

    by_etag = client.get(audio, headers={"If-None-Match": first["ETag"]})
    by_date = client.get(audio, headers={"If-Modified-Since": first["Last-Modified"]})
    changed = client.get(audio, headers={"If-None-Match": '"something-else"'})

    assert (by_etag.status_code, by_date.status_code, changed.status_code) == (304, 304, 200)


def test_media_stale_if_range_answers_the_whole_file(client, audio):
    response = client.get(audio, headers={"Range": "bytes=0-9", "If-Range": '"old"'})

    assert response.status_code == 200
    assert body(response) == AUDIO


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/podcast/../../secret.txt",
        "/media/podcast/%2e%2e/%2e%2e/secret.txt",
        "/media//etc/passwd",
        "/media/podcast/audio/episode-1.mp3%00.txt",
        "/media/podcast/audio/",
        "/media/podcast/audio/missing.mp3",
    ],
)
def test_media_outside_media_root_or_missing_is_not_found(client, audio, path):
    assert client.get(path).status_code == 404


def test_media_refuses_writing_methods(client, audio):
    assert client.post(audio).status_code == 405


def test_media_writing_to_an_address_outside_media_root_is_not_found(client, audio):
    assert client.post("/media/../secret.txt").status_code == 404


def settings_in_a_fresh_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Settings are read once at start-up, so each storage choice is tried in its own interpreter."""
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; settings.STORAGES; {code}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_media_in_a_bucket_have_public_bucket_urls_the_pages_may_play():
    result = settings_in_a_fresh_process(
        {"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "wicn-media", "AWS_S3_ENDPOINT_URL": "http://minio:9000"},
        "from django.core.files.storage import storages; "
        "print(storages['default'].url('podcast/audio/episode-1.mp3')); "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['media-src'])",
    )

    assert result.stdout.splitlines() == [
        "http://minio:9000/wicn-media/podcast/audio/episode-1.mp3",
        "[\"'self'\", 'https:', 'http://minio:9000']",
    ]


def test_media_storage_of_an_unknown_kind_stops_start_up_with_the_choices():
    result = settings_in_a_fresh_process({"MEDIA_STORAGE": "ftp"}, "")

    assert result.returncode != 0
    assert 'MEDIA_STORAGE must be "filesystem" or "s3", not "ftp".' in result.stderr
