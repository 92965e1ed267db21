import pytest

from community.links import absolute_url, site_host


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://community.example.org"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/workshops/helm/", "https://community.example.org/workshops/helm/"),
        ("/media/episodes/1.mp3", "https://community.example.org/media/episodes/1.mp3"),
        ("https://cdn.example.net/1.mp3", "https://cdn.example.net/1.mp3"),
        ("http://cdn.example.net/1.mp3", "http://cdn.example.net/1.mp3"),
    ],
)
def test_absolute_url_puts_paths_under_the_site_and_keeps_absolute_ones(given, expected):
    assert absolute_url(given) == expected


def test_site_host_is_the_host_of_site_url(settings):
    assert site_host() == "community.example.org"
    settings.SITE_URL = ""
    assert site_host() == "localhost"
